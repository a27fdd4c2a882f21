"""A Go upstream whose release branches vendor golang.org/x/net at vulnerable and fixed versions.

The vendored "golang.org/x/net" is a tiny local stand-in written here (no network, no real
x/net code), with the packages and function names that real Go vulnerability records name:
``html`` (Parse, EscapeString), ``http2`` (ConfigureServer, Framer.ReadFrame) and ``idna``
(ToASCII, Profile.ToASCII).  Three release branches are cut from a moving main:

===========  ======================  ===========
branch       golang.org/x/net        .go-version
===========  ======================  ===========
release-1.31 v0.22.0                 1.22.1
release-1.32 v0.23.0                 1.23.4
release-1.33 v0.33.0                 1.24.13
===========  ======================  ===========

main bumps x/net in its own commits ("vendor: golang.org/x/net vX") between the cuts, so a
newer branch holds the commit that moved the module past a fix.  Binaries: ``demo-server``
imports ``pkg/web`` (x/net/http2 via ConfigureServer, x/net/html via EscapeString only, and
net/http); ``demo-cli`` imports ``pkg/names`` (x/net/idna via ToASCII) and nothing of http2,
html or net/http.
"""

from __future__ import annotations

from pathlib import Path

from .gitenv import FastImport, FileValue
from .goupstream import Upstream

MODULE = "example.com/demo"
NET = "golang.org/x/net"
#: (minor, x/net version, .go-version) per release branch, oldest first.
BRANCHES = (("1.31", "v0.22.0", "1.22.1"), ("1.32", "v0.23.0", "1.23.4"),
            ("1.33", "v0.33.0", "1.24.13"))

_HTML = '''// Package html stands in for golang.org/x/net/html.
package html

import "strings"

// Node is a parsed element.
type Node struct{ Data string }

// Parse parses s.
func Parse(s string) (*Node, error) { return &Node{Data: s}, nil }

// EscapeString escapes s.
func EscapeString(s string) string { return strings.ReplaceAll(s, "<", "&lt;") }
'''

_HTTP2 = '''// Package http2 stands in for golang.org/x/net/http2.
package http2

import "net/http"

// Server configures HTTP/2.
type Server struct{ MaxStreams int }

// ConfigureServer adds HTTP/2 to s.
func ConfigureServer(s *http.Server, conf *Server) error { return nil }

// Framer reads frames.
type Framer struct{ n int }

// ReadFrame reads one frame.
func (f *Framer) ReadFrame() (int, error) { f.n++; return f.n, nil }
'''

_IDNA = '''// Package idna stands in for golang.org/x/net/idna.
package idna

import "strings"

// Profile is a set of mapping rules.
type Profile struct{ strict bool }

// ToASCII converts s.
func (p *Profile) ToASCII(s string) (string, error) { return strings.ToLower(s), nil }

// ToASCII converts s with the default profile.
func ToASCII(s string) (string, error) { return (&Profile{}).ToASCII(s) }
'''

_WEB = f'''// Package web serves the demo.
package web

import (
	"net/http"

	"{NET}/html"
	"{NET}/http2"
)

// Serve starts the server.
func Serve(addr string) error {{
	srv := &http.Server{{Addr: addr}}
	if err := http2.ConfigureServer(srv, &http2.Server{{}}); err != nil {{
		return err
	}}
	_ = html.EscapeString(addr)
	return nil
}}
'''

_NAMES = f'''// Package names normalises host names.
package names

import "{NET}/idna"

// Host returns the ASCII form of h.
func Host(h string) string {{
	out, err := idna.ToASCII(h)
	if err != nil {{
		return h
	}}
	return out
}}
'''

_SERVER = f'''package main

import (
	"fmt"
	"os"

	"{MODULE}/pkg/web"
)

func main() {{
	if err := web.Serve(":0"); err != nil {{
		fmt.Fprintln(os.Stderr, err)
	}}
}}
'''

_CLI = f'''package main

import (
	"fmt"
	"os"

	"{MODULE}/pkg/names"
)

func main() {{
	for _, arg := range os.Args[1:] {{
		fmt.Println(names.Host(arg))
	}}
}}
'''


_WEB_TEST = '''package web

import "testing"

func TestServe(t *testing.T) {
	if err := Serve(":0"); err != nil {
		t.Fatal(err)
	}
}
'''

_NAMES_TEST = '''package names

import "testing"

func TestHost(t *testing.T) {
	if got := Host("Example.COM"); got != "example.com" {
		t.Errorf("Host = %q", got)
	}
}
'''


def vendor_files(version: str) -> dict[str, FileValue]:
    """go.mod's require and vendor/ for x/net at ``version``."""
    return {
        "go.mod": f"module {MODULE}\n\ngo 1.22\n\nrequire {NET} {version}\n",
        "vendor/modules.txt": (f"# {NET} {version}\n## explicit; go 1.18\n{NET}/html\n"
                               f"{NET}/http2\n{NET}/idna\n"),
        f"vendor/{NET}/html/html.go": _HTML,
        f"vendor/{NET}/http2/http2.go": _HTTP2,
        f"vendor/{NET}/idna/idna.go": _IDNA,
        f"vendor/{NET}/LICENSE": "A stand-in for tests, not the real module.\n",
    }


def initial_tree() -> dict[str, FileValue]:
    files: dict[str, FileValue] = {
        "README.md": "# demo\n\nA tiny upstream that vendors golang.org/x/net.\n",
        "cmd/demo-server/main.go": _SERVER,
        "cmd/demo-cli/main.go": _CLI,
        "pkg/web/web.go": _WEB,
        "pkg/web/web_test.go": _WEB_TEST,
        "pkg/names/names.go": _NAMES,
        "pkg/names/names_test.go": _NAMES_TEST,
        ".go-version": BRANCHES[0][2] + "\n",
    }
    return files | vendor_files(BRANCHES[0][1])


def make_deps_upstream(path: Path, *, home: Path | None = None) -> Upstream:
    """Build the upstream at ``path``; see the module docstring for what each branch holds."""
    up = Upstream(path=path, module=MODULE, minors=tuple(b[0] for b in BRANCHES),
                  home=home or path.with_name(path.name + ".home"),
                  binaries=("cmd/demo-cli", "cmd/demo-server"), vendor=True)
    stream = FastImport()
    stream.commit(up.main, initial_tree(), "Initial import of demo")
    for i, (minor, _version, _go) in enumerate(BRANCHES):
        mark = stream.commit(up.branch(minor), {"CHANGELOG.md": f"# v{minor}.0\n"},
                             f"Release v{minor}.0", start=up.main)
        stream.tag(up.tag(minor), mark, f"Release v{minor}.0")
        if i + 1 < len(BRANCHES):
            _next, version, go = BRANCHES[i + 1]
            stream.commit(up.main, vendor_files(version), f"vendor: {NET} {version}")
            stream.commit(up.main, {".go-version": go + "\n"}, f"Go {go}")
    stream.run(path, up.env)
    return up


def bump_patch(up: Upstream, minor: str, version: str) -> str:
    """A patch that moves x/net to ``version`` on ``minor``'s branch (go.mod and vendor/)."""
    files = vendor_files(version)
    return up.make_patch(up.branch(minor), {k: v for k, v in files.items()
                                            if k in ("go.mod", "vendor/modules.txt")})

"""`ksp site build`: pages, links, disclaimers, escaping, downloads, atomic replacement."""

from __future__ import annotations

import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urlparse

import jsonschema
import pytest

from _site_repo import TODAY, XSS_TITLE, make_repo
from ksp.cli.main import main
from ksp.repo.scaffold import DISCLAIMERS

DATA = Path(__file__).parent / "data"


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.headings: list[int] = []
        self.th_without_scope = 0
        self.lang: str | None = None
        self.tables = self.captions = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(str(a["id"]))
        if tag in ("a", "link", "script"):
            ref = a.get("href") or a.get("src")
            if ref:
                self.links.append(ref)
        if tag == "html":
            self.lang = a.get("lang")
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag == "th" and "scope" not in a:
            self.th_without_scope += 1
        self.tables += tag == "table"
        self.captions += tag == "caption"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("site")
    repo = make_repo(base / "repo")
    out = base / "public"
    assert main(["site", "build", "--repo", str(repo), "--out", str(out), "--date", TODAY]) == 0
    return out


def _pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def test_pages_exist_for_advisories_and_minors(site: Path) -> None:
    names = {p.relative_to(site).as_posix() for p in _pages(site)}
    assert {"index.html", "advisories/CVE-2025-5187.html", "advisories/CVE-2099-0001.html",
            "minors/v1.32.html", "minors/v1.33.html", "minors/v1.34.html"} <= names


def test_every_internal_link_resolves(site: Path) -> None:
    for page in _pages(site):
        parsed = _Page()
        parsed.feed(page.read_text())
        for link in parsed.links:
            if urlparse(link).scheme:
                continue
            target, fragment = urldefrag(link)
            path = (page.parent / target).resolve() if target else page
            assert path.is_file(), f"{page.relative_to(site)} links to missing {link}"
            if fragment:
                ids = _Page()
                ids.feed(path.read_text())
                assert fragment in ids.ids, f"{page.name}: no #{fragment} in {target or 'itself'}"


def test_disclaimers_on_every_page_in_full(site: Path) -> None:
    for page in _pages(site):
        text = re.sub(r"\s+", " ", page.read_text()).lower()
        for key, phrase in DISCLAIMERS.items():
            assert phrase.lower() in text, f"{page.name} lacks the {key} disclaimer"
        assert "12 months after a version's end of life" in text


def test_feed_text_is_escaped(site: Path) -> None:
    page = (site / "advisories" / "CVE-2099-0001.html").read_text()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#34;owned&#34;)&lt;/script&gt;" in page
    assert "<b>title</b>" not in page
    assert 'href="javascript:' not in page  # a non-http issue URL is shown, never linked
    home = (site / "index.html").read_text()
    assert "&lt;script&gt;" in home and XSS_TITLE not in home


def test_accessibility_basics(site: Path) -> None:
    for page in _pages(site):
        parsed = _Page()
        parsed.feed(page.read_text())
        assert parsed.lang == "en"
        assert parsed.headings[0] == 1 and parsed.headings.count(1) == 1, page.name
        steps = [b - a for a, b in zip(parsed.headings, parsed.headings[1:], strict=False)]
        assert max(steps, default=0) <= 1, f"{page.name} skips a heading level"
        assert parsed.th_without_scope == 0, page.name
        assert parsed.tables == parsed.captions, page.name


def test_patches_are_copied_with_their_sha256(site: Path) -> None:
    copy = site / "patches" / "v1.32" / "0002_CVE-2025-5187.patch"
    digest = hashlib.sha256(copy.read_bytes()).hexdigest()
    advisory = (site / "advisories" / "CVE-2025-5187.html").read_text()
    assert digest in advisory
    assert 'href="../patches/v1.32/0002_CVE-2025-5187.patch"' in advisory
    minor = (site / "minors" / "v1.32.html").read_text()
    assert minor.index("0001_CVE-2025-13281.patch") < minor.index("0002_CVE-2025-5187.patch")
    assert "ksp apply --minor 1.32 --to DIR" in minor


def test_matrix_lists_gaps_first_with_text_labels(site: Path) -> None:
    home = (site / "index.html").read_text()
    rows = re.findall(r'<a href="advisories/([^"]+)\.html">', home)
    assert rows.index("CVE-2025-1767") < rows.index("CVE-2025-5187")  # 3 gaps before none
    assert "needed (gap)" in home and "patched" in home and "needs triage" in home
    assert "today, 2026-11-22" in home


def test_minor_page_links_a_valid_openvex_document(site: Path) -> None:
    page = (site / "minors" / "v1.32.html").read_text()
    assert 'href="../minors/v1.32.openvex.json"' in page
    document = json.loads((site / "minors" / "v1.32.openvex.json").read_text())
    schema = json.loads((DATA / "schemas" / "openvex-0.2.0.schema.json").read_text())
    jsonschema.validate(document, schema)
    assert document["statements"], "the minor has advisories, so the document has statements"


def test_failed_build_leaves_the_old_site(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path / "repo")
    out = tmp_path / "public"
    assert main(["site", "build", "--repo", str(repo), "--out", str(out), "--date", TODAY]) == 0
    before = (out / "index.html").read_text()
    (repo / "index.yaml").write_text("schema: ksp/v1\nadvisories: [broken\n")
    assert main(["site", "build", "--repo", str(repo), "--out", str(out), "--date", TODAY]) == 1
    assert "index.yaml" in capsys.readouterr().err
    assert (out / "index.html").read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["public", "repo"]  # no temp left


def test_refuses_to_replace_a_folder_that_is_not_a_site(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    precious = tmp_path / "docs"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me")
    assert main(["site", "build", "--repo", str(repo), "--out", str(precious)]) == 2
    assert (precious / "notes.txt").read_text() == "keep me"
    assert main(["site", "build", "--repo", str(repo), "--out", str(repo)]) == 2
    assert (repo / "index.yaml").is_file()


def test_rebuild_replaces_the_site(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    out = tmp_path / "public"
    args = ["site", "build", "--repo", str(repo), "--out", str(out), "--date", TODAY]
    assert main(args) == 0
    (out / "stale.html").write_text("old")
    assert main(args) == 0
    assert not (out / "stale.html").exists() and (out / "index.html").is_file()


def test_serve_needs_a_built_site(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["site", "serve", "--out", str(tmp_path / "nothing")]) == 2
    assert "ksp site build" in capsys.readouterr().err

# ruff: noqa: E501 - shell and JavaScript embedded in the workflow keep their natural lines
"""`ksp ci github`: the GitHub Actions workflow of a patches repo.

Pull requests: `ksp lint`, then the gate as a matrix with one job per touched minor, then one
report job that posts every minor's Markdown summary as a single, updated comment. On a schedule:
the gate for every minor of the window against the release-branch tip (an issue on breakage),
and a scan of each minor's binaries with Trivy and Grype, with and without the `ksp vex` document.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ruamel.yaml.scalarstring import LiteralScalarString

from ksp import __version__
from ksp._yaml import dump_yaml
from ksp.ci import source as source_mod
from ksp.ci.pins import (
    CACHE,
    CHECKOUT,
    DOWNLOAD,
    GRYPE,
    PIN_TAGS,
    SCRIPT,
    SETUP_GO,
    SETUP_PYTHON,
    TRIVY,
    UPLOAD,
)
from ksp.ci.scripts import (
    COMMENT_SCRIPT,
    INSTALL_SCRIPT,
    ISSUE_SCRIPT,
    SCAN_SCRIPT,
    SCANNERS_SCRIPT,
)
from ksp.ci.source import Source
from ksp.repo.config import Config

MARKER = "<!-- ksp-gate-summary -->"
WS = "${{ github.workspace }}"


@dataclass(frozen=True)
class Options:
    install: str = ""  # a pip requirement (--install); "" means `source`
    python: str = "3.12"
    cron: str = "23 4 * * *"
    source: Source | None = None  # default: where this ksp was installed from, if known


def install_requirement(opts: Options) -> str:
    """What CI installs: `--install` as given, else the distribution at a pinned commit, else
    nothing (the install step then fails with how to pin one; never a bare index name)."""
    if opts.install:
        return opts.install
    pinned = opts.source or source_mod.installed()
    return pinned.requirement if pinned else ""


def _run(script: str) -> LiteralScalarString:
    text: LiteralScalarString = LiteralScalarString(script.strip("\n") + "\n")
    return text


def _setup_ksp() -> list[dict[str, Any]]:
    return [
        {"uses": SETUP_PYTHON, "with": {"python-version": "${{ env.PYTHON_VERSION }}"}},
        {"name": "Install ksp", "run": _run(INSTALL_SCRIPT)},
    ]


def _checkout_patches() -> dict[str, Any]:
    # No token left in .git/config: the gate runs the pull request's Go code in this job.
    return {"uses": CHECKOUT, "with": {"path": "patches", "fetch-depth": 0,
                                       "persist-credentials": False}}


def _upstream(config: Config) -> list[dict[str, Any]]:
    """A cached partial clone of the upstream, at the tip of the minor's release branch."""
    version_file = "upstream/.go-version" if config.project == "kubernetes" else "upstream/go.mod"
    return [
        {"name": "Restore the upstream clone", "uses": CACHE, "with": {
            "path": "upstream", "key": "upstream-${{ matrix.minor }}-${{ github.run_id }}",
            "restore-keys": "upstream-${{ matrix.minor }}-"}},
        {"name": "Check out ${{ matrix.branch }}", "env": {"BRANCH": "${{ matrix.branch }}"},
         "run": _run("""
if [ -d upstream/.git ]; then
  git -C upstream fetch --filter=blob:none origin "+refs/heads/$BRANCH:refs/remotes/origin/$BRANCH"
else
  git clone --filter=blob:none --single-branch --branch "$BRANCH" --no-checkout "$UPSTREAM_URL" upstream
fi
git -C upstream checkout --force --detach "origin/$BRANCH"
git -C upstream branch --force "$BRANCH" "origin/$BRANCH"
""")},
        {"uses": SETUP_GO, "with": {"go-version-file": version_file, "cache": False}},
        {"name": "Restore the Go build cache", "uses": CACHE, "with": {
            "path": _run("~/.cache/go-build\n~/go/pkg/mod"),
            "key": "go-${{ matrix.minor }}-${{ hashFiles('upstream/go.sum') }}-${{ github.run_id }}",
            "restore-keys": "go-${{ matrix.minor }}-"}},
    ]


def _gate_step(since: bool) -> dict[str, Any]:
    flags = ' --since "origin/$BASE_REF"' if since else ""
    env = {"MINOR": "${{ matrix.minor }}"}
    if since:
        env["BASE_REF"] = "${{ github.base_ref }}"
    return {"name": "ksp gate ${{ matrix.minor }}", "id": "gate", "working-directory": "patches",
            "env": env, "run": _run(f"""
out="$GITHUB_WORKSPACE/evidence/$MINOR"
mkdir -p "$out"
set +e
ksp gate --upstream "$GITHUB_WORKSPACE/upstream" --minor "$MINOR"{flags} --format json > "$out/gate.json"
rc=$?
# Second run for the Markdown summary: the worktree and the Go build cache are warm now.
ksp gate --upstream "$GITHUB_WORKSPACE/upstream" --minor "$MINOR"{flags} --format markdown > "$out/summary.md"
cat "$out/summary.md" >> "$GITHUB_STEP_SUMMARY"
exit $rc
""")}


def _upload(name: str, path: str) -> dict[str, Any]:
    return {"name": "Upload " + path, "if": "${{ !cancelled() }}", "uses": UPLOAD,
            "with": {"name": name, "path": path, "if-no-files-found": "warn"}}


def _matrix_job(all_minors: bool, condition: str) -> dict[str, Any]:
    command = "ksp ci matrix --all" if all_minors else 'ksp ci matrix --since "origin/$BASE_REF"'
    step: dict[str, Any] = {"name": "Minors to gate", "id": "minors", "working-directory": "patches",
                            "run": _run(f"""
minors="$({command})"
echo "$minors"
echo "minors=$minors" >> "$GITHUB_OUTPUT"
if [ "$minors" = '{{"include":[]}}' ]; then echo "any=false"; else echo "any=true"; fi >> "$GITHUB_OUTPUT"
""")}
    if not all_minors:
        step["env"] = {"BASE_REF": "${{ github.base_ref }}"}
    return {"if": condition, "runs-on": "ubuntu-latest", "timeout-minutes": 10,
            "outputs": {"minors": "${{ steps.minors.outputs.minors }}",
                        "any": "${{ steps.minors.outputs.any }}"},
            "steps": [_checkout_patches(), *_setup_ksp(), step]}


def _matrix_strategy(job: str) -> dict[str, Any]:
    return {"fail-fast": False, "matrix": f"${{{{ fromJSON(needs.{job}.outputs.minors) }}}}"}


def _lint_job() -> dict[str, Any]:
    return {"if": "github.event_name == 'pull_request'", "runs-on": "ubuntu-latest",
            "timeout-minutes": 15,
            "steps": [{"uses": CHECKOUT, "with": {"fetch-depth": 0, "persist-credentials": False}},
                      *_setup_ksp(),
                      {"name": "ksp lint", "env": {"BASE_REF": "${{ github.base_ref }}"},
                       "run": 'ksp lint --since "origin/$BASE_REF"'}]}


def _gate_job(config: Config) -> dict[str, Any]:
    # The gate runs the pull request's Go code: only after lint has passed.
    return {"needs": ["lint", "matrix"], "if": "needs.matrix.outputs.any == 'true'",
            "name": "gate ${{ matrix.minor }}", "runs-on": "ubuntu-latest",
            "timeout-minutes": 180, "strategy": _matrix_strategy("matrix"),
            "steps": [_checkout_patches(), *_setup_ksp(), *_upstream(config), _gate_step(True),
                      _upload("evidence-${{ matrix.minor }}", "evidence/")]}


def _report_job() -> dict[str, Any]:
    return {"needs": ["matrix", "gate"],
            "if": "${{ !cancelled() && github.event_name == 'pull_request' && "
                  "needs.matrix.outputs.any == 'true' }}",
            "runs-on": "ubuntu-latest", "timeout-minutes": 10,
            "permissions": {"contents": "read", "pull-requests": "write", "issues": "write"},
            "steps": [
                {"uses": DOWNLOAD, "with": {"pattern": "evidence-*", "path": "evidence",
                                            "merge-multiple": True}},
                {"name": "One comment per pull request", "uses": SCRIPT,
                 "env": {"MARKER": MARKER}, "with": {"script": _run(COMMENT_SCRIPT)}},
            ]}


def _tip_job(config: Config) -> dict[str, Any]:
    return {"needs": ["window"], "if": "needs.window.outputs.any == 'true'",
            "name": "tip ${{ matrix.minor }}", "runs-on": "ubuntu-latest",
            "timeout-minutes": 180, "strategy": _matrix_strategy("window"),
            "permissions": {"contents": "read", "issues": "write"},
            "steps": [_checkout_patches(), *_setup_ksp(), *_upstream(config), _gate_step(False),
                      _upload("tip-evidence-${{ matrix.minor }}", "evidence/"),
                      {"name": "Open an issue on breakage", "if": "${{ failure() }}",
                       "uses": SCRIPT, "env": {"MINOR": "${{ matrix.minor }}",
                                               "BRANCH": "${{ matrix.branch }}"},
                       "with": {"script": _run(ISSUE_SCRIPT)}}]}


def _build_script(config: Config) -> str:
    targets = " ".join(sorted(set(config.components.values()))) or "./..."
    if config.project == "kubernetes":
        return f"""
make -C upstream WHAT="{targets}"
mkdir -p bin && cp -L upstream/_output/bin/* bin/
"""
    packages = " ".join(t if t.startswith(".") else f"./{t}" for t in targets.split())
    return f"""
mkdir -p bin
(cd upstream && go build -trimpath -o "$GITHUB_WORKSPACE/bin/" {packages})
"""


def _scan_job(config: Config) -> dict[str, Any]:
    return {"needs": ["window"], "if": "needs.window.outputs.any == 'true'",
            "name": "scan ${{ matrix.minor }}", "runs-on": "ubuntu-latest",
            "timeout-minutes": 180, "strategy": _matrix_strategy("window"),
            "steps": [
                _checkout_patches(), *_setup_ksp(), *_upstream(config),
                {"name": "Apply the series (only as the approvers signed it)",
                 "working-directory": "patches", "env": {"MINOR": "${{ matrix.minor }}"},
                 "run": 'ksp apply --minor "$MINOR" --to "$GITHUB_WORKSPACE/upstream" '
                        "--require-signed"},
                {"name": "Build the binaries", "run": _run(_build_script(config))},
                {"name": "OpenVEX document for the binaries", "working-directory": "patches",
                 "env": {"MINOR": "${{ matrix.minor }}"}, "run": _run("""
args=()
for f in "$GITHUB_WORKSPACE"/bin/*; do args+=(--artifact "$f"); done
ksp vex --minor "$MINOR" "${args[@]}" > "$GITHUB_WORKSPACE/vex.json"
""")},
                {"name": "Install Trivy and Grype (pinned releases, sha256 checked)",
                 "run": _run(SCANNERS_SCRIPT)},
                {"name": "Scan without and with the VEX document", "run": _run(SCAN_SCRIPT)},
                {"name": "Patched advisories must not be reported with the VEX document",
                 "working-directory": "patches", "env": {"MINOR": "${{ matrix.minor }}"},
                 "run": _run("""
ksp ci vex-check --minor "$MINOR" --report "$GITHUB_WORKSPACE/reports/trivy-vex.json" \\
  --report "$GITHUB_WORKSPACE/reports/grype-vex.json"
""")},
                _upload("scan-${{ matrix.minor }}", "reports/"),
            ]}


def workflow(config: Config, options: Options | None = None) -> dict[str, Any]:
    opts = options or Options()
    scheduled = "github.event_name == 'schedule' || github.event_name == 'workflow_dispatch'"
    return {
        "name": "ksp",
        "on": {"pull_request": None, "schedule": [{"cron": opts.cron}], "workflow_dispatch": None},
        "permissions": {"contents": "read"},
        "concurrency": {"group": "ksp-${{ github.event.pull_request.number || github.ref }}",
                        "cancel-in-progress": True},
        "env": {"KSP_INSTALL": install_requirement(opts), "PYTHON_VERSION": opts.python,
                "UPSTREAM_URL": config.upstream,
                "TRIVY_URL": TRIVY.url, "TRIVY_SHA256": TRIVY.sha256,
                "GRYPE_URL": GRYPE.url, "GRYPE_SHA256": GRYPE.sha256},
        "jobs": {
            "lint": _lint_job(),
            "matrix": _matrix_job(False, "github.event_name == 'pull_request'"),
            "gate": _gate_job(config),
            "report": _report_job(),
            "window": _matrix_job(True, scheduled),
            "tip": _tip_job(config),
            "scan": _scan_job(config),
        },
    }


def _tag_comments(text: str) -> str:
    """`uses: actions/x@<sha>  # vN.N.N`: the tag a pin stands for, for reviewers and bots."""
    for pin in (CHECKOUT, SETUP_PYTHON, SETUP_GO, CACHE, UPLOAD, DOWNLOAD, SCRIPT):
        text = text.replace(f"uses: {pin}\n", f"uses: {pin}  # {PIN_TAGS[pin]}\n")
    return text


def render(config: Config, options: Options | None = None) -> str:
    header = (f"# Generated by `ksp ci github` (ksp {__version__}) for {config.upstream}.\n"
              "# Regenerate it rather than editing by hand. Pull requests: lint, the gate per\n"
              "# touched minor, one summary comment. Schedule: the gate against every release-\n"
              "# branch tip of the window (an issue on breakage) and the Trivy/Grype VEX check.\n")
    return header + _tag_comments(dump_yaml(workflow(config, options)))

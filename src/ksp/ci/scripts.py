# ruff: noqa: E501 - shell and JavaScript keep their natural lines
"""The shell and JavaScript that the generated workflow runs, kept as they are written."""

from __future__ import annotations

INSTALL_SCRIPT = """
if [ -z "$KSP_INSTALL" ]; then
  echo "::error::no pinned ksp source: regenerate this workflow with" \\
    "ksp ci github --ksp-source URL --ksp-commit SHA (see the ksp README, Security model)"
  exit 1
fi
python -m pip install "$KSP_INSTALL"
"""

COMMENT_SCRIPT = """
const fs = require('fs');
const path = require('path');
const marker = process.env.MARKER;
const parts = [];
if (fs.existsSync('evidence')) {
  for (const minor of fs.readdirSync('evidence').sort()) {
    const file = path.join('evidence', minor, 'summary.md');
    if (fs.existsSync(file)) parts.push(fs.readFileSync(file, 'utf8').trim());
  }
}
const run = `${context.serverUrl}/${context.repo.owner}/${context.repo.repo}/actions/runs/${context.runId}`;
let body = [marker, '## ksp gate', ...(parts.length ? parts : ['No gate summary was produced.']),
            `Evidence, logs and JUnit: [workflow run](${run}) (artifacts \\`evidence-<minor>\\`).`].join('\\n\\n');
if (body.length > 65000) body = body.slice(0, 65000) + `\\n\\n(truncated; see the [workflow run](${run}))`;
const {owner, repo} = context.repo;
const issue_number = context.issue.number;
const comments = await github.paginate(github.rest.issues.listComments, {owner, repo, issue_number, per_page: 100});
const mine = comments.find(c => c.body && c.body.includes(marker));
if (mine) {
  await github.rest.issues.updateComment({owner, repo, comment_id: mine.id, body});
} else {
  await github.rest.issues.createComment({owner, repo, issue_number, body});
}
"""

ISSUE_SCRIPT = """
const title = `ksp gate fails on the tip of ${process.env.BRANCH}`;
const run = `${context.serverUrl}/${context.repo.owner}/${context.repo.repo}/actions/runs/${context.runId}`;
const {owner, repo} = context.repo;
const open = await github.paginate(github.rest.issues.listForRepo, {owner, repo, state: 'open', labels: 'ksp-gate', per_page: 100});
const known = open.find(i => i.title === title);
const body = `The scheduled gate for ${process.env.MINOR} failed against the latest ${process.env.BRANCH}: ${run}`;
if (known) {
  await github.rest.issues.createComment({owner, repo, issue_number: known.number, body});
} else {
  await github.rest.issues.create({owner, repo, title, body, labels: ['ksp-gate']});
}
"""

SCANNERS_SCRIPT = """
fetch() {  # name url sha256: download, check, then unpack only the binary
  curl -sSfL --proto '=https' -o "/tmp/$1.tar.gz" "$2"
  echo "$3  /tmp/$1.tar.gz" | sha256sum --check --strict -
  sudo tar -xzf "/tmp/$1.tar.gz" -C /usr/local/bin "$1"
}
fetch trivy "$TRIVY_URL" "$TRIVY_SHA256"
fetch grype "$GRYPE_URL" "$GRYPE_SHA256"
"""

SCAN_SCRIPT = """
mkdir -p reports
trivy rootfs --scanners vuln --format json --output reports/trivy-plain.json bin/
trivy rootfs --scanners vuln --vex vex.json --format json --output reports/trivy-vex.json bin/
grype dir:bin -o json --file reports/grype-plain.json
grype dir:bin --vex vex.json -o json --file reports/grype-vex.json
"""

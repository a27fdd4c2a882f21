"""Small sample inputs shared by the command tests."""

from __future__ import annotations

DAY = "2026-11-22"
VECTOR = "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:L"
# A plain one-hunk git diff, as `ksp new --diff` reads it.
DIFF = (
    "diff --git a/pkg/auth/check.go b/pkg/auth/check.go\n"
    "index 1111111..2222222 100644\n"
    "--- a/pkg/auth/check.go\n"
    "+++ b/pkg/auth/check.go\n"
    "@@ -1,3 +1,4 @@\n"
    " package auth\n"
    " \n"
    "+// deny guests\n"
    " func Check() {}\n"
)

#!/bin/bash
# What a careful person finds for one case, with plain git, in a throwaway clone:
#   hand_check.sh CLONE BRANCH SHA...
# Prints, per fix commit: ancestor of BRANCH?; commits of BRANCH whose trailer names it or
# whose subject is the same (git log --grep); `git apply --check` and `--check -R` of its diff;
# and `git cherry-pick -x` onto BRANCH (the commits in order). The clone is never written: the
# work happens in `git clone --shared` under a temporary folder, removed at the end.
set -u
clone=$1; branch=$2; shift 2
tmp=$(mktemp -d) && trap 'rm -rf "$tmp"' EXIT
git clone -q --shared --no-checkout "$clone" "$tmp/c" || exit 2
cd "$tmp/c" || exit 2
git -c advice.detachedHead=false checkout -q -f "origin/$branch" 2>/dev/null || exit 2
for sha in "$@"; do
  full=$(git rev-parse "$sha^{commit}") || exit 2
  subject=$(git log -1 --format=%s "$full")
  if git merge-base --is-ancestor "$full" HEAD; then echo "$sha: ancestor of $branch"; continue; fi
  trailer=$(git log --format=%h HEAD --grep="cherry picked from commit $full" | head -1)
  same=$(git log --no-merges --format=%h HEAD -F --grep="$subject" | head -3 | tr '\n' ' ')
  apply=fails; git show --format= --binary "$full" | git apply --check 2>/dev/null && apply=ok
  reverse=no; git show --format= --binary "$full" | git apply --check -R 2>/dev/null && reverse=yes
  out=$(git -c merge.renames=true -c merge.directoryRenames=true -c user.name=hand \
        -c user.email=hand@example.invalid cherry-pick -x "$full" 2>&1); rc=$?
  if [ $rc -eq 0 ]; then pick=ok
  elif echo "$out" | grep -qi "empty"; then pick=empty; git cherry-pick --skip >/dev/null 2>&1
  else pick="conflict in $(git diff --name-only --diff-filter=U | tr '\n' ' ')"; fi
  echo "$sha: trailer ${trailer:-none}; same subject ${same:-none}; apply --check $apply;" \
       "reverse-applies $reverse; cherry-pick $pick"
  case $pick in conflict*) git cherry-pick --abort; exit 1;; esac
done

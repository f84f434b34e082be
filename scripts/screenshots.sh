#!/usr/bin/env bash
# The README's screenshots of the report site: plays examples/demo.sh in a temporary directory
# and has headless Chromium (Tests/Fixtures/site/browser-check.py) photograph its site: the index
# at desktop width and at phone width (375 px), and the page of the demo's last commit (the one
# whose gates failed) at desktop width.
#
#   scripts/screenshots.sh MODELGATE_BINARY OUT_DIR      (make screenshots)
#
# Git's dates are fixed, so commit ids and dates are the same on every run; what still differs
# between runs is what modelgate measures itself (when a run or release happened, how long a
# stage took).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
binary=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
out=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/modelgate-screenshots.XXXXXX")
trap 'rm -rf "$work"' EXIT

export GIT_AUTHOR_DATE=2026-11-02T09:00:00Z GIT_COMMITTER_DATE=2026-11-02T09:00:00Z
if ! MODELGATE=$binary "$root/examples/demo.sh" "$work/demo" >"$work/demo.log" 2>&1; then
    cat "$work/demo.log" >&2
    echo "screenshots: the demo failed (its output is above)" >&2
    exit 1
fi
site=$work/demo/site
last=$(git -C "$work/demo/housing" rev-parse HEAD)
python3 "$root/Tests/Fixtures/site/browser-check.py" --screenshots "$site" "$out" \
    index=index.html@1280 "commit=commit/$last.html@1280" index-phone=index.html@375

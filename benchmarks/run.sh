#!/usr/bin/env bash
# Runs every benchmark: each folder's run.sh gets the release binary. Figures land in
# benchmarks/results/ (git-ignored); each folder's RESULTS.md holds the figures we quote.
set -euo pipefail
binary=$(realpath "${1:?usage: benchmarks/run.sh PATH-TO-RELEASE-MODELGATE}")
here=$(cd "$(dirname "$0")" && pwd)
for script in "$here"/*/run.sh; do
    echo "== $(basename "$(dirname "$script")")"
    "$script" "$binary"
done

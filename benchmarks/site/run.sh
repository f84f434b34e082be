#!/bin/sh
# Site build benchmark: modelgate site vs asv publish on the same synthetic histories.
# Usage: benchmarks/site/run.sh [MODELGATE_BINARY]   (needs python3 with venv, git, /usr/bin/time;
#        installs asv from PyPI into benchmarks/.venv-asv on first use, or set ASV=/path/to/asv)
# Prints one line per measurement: case, tool, what, wall s, user s, sys s, peak RSS KB, note.
set -eu
BIN=$(realpath "${1:-.build/release/modelgate}")
HERE=$(dirname "$(realpath "$0")")
if [ -z "${ASV:-}" ] && [ ! -x "$HERE/../.venv-asv/bin/asv" ]; then
    echo "installing asv into benchmarks/.venv-asv (PyPI)" >&2
    python3 -m venv "$HERE/../.venv-asv" && "$HERE/../.venv-asv/bin/pip" install --quiet asv
fi
ASV=$(realpath "${ASV:-$HERE/../.venv-asv/bin/asv}")
WORK=${WORK:-/tmp/modelgate-site-bench}
RUNS=${RUNS:-3}
mkdir -p "$WORK"

measure() { # label, command...; prints "wall user sys maxrss"
    label=$1; shift
    /usr/bin/time -f "%e %U %S %M" -o "$WORK/time.txt" "$@" > "$WORK/out.txt" 2>&1
    printf '%s\t%s\t%s\n' "$label" "$(cat "$WORK/time.txt")" "$(tail -1 "$WORK/out.txt")"
}

for spec in "1000 100" "10000 10"; do
    # shellcheck disable=SC2086 # split "COMMITS METRICS" on purpose
    set -- $spec
    commits=$1 metrics=$2
    case="${commits}x${metrics}"
    repo="$WORK/repo-$case"
    [ -d "$repo" ] || python3 "$HERE/make-history.py" "$repo" "$commits" "$metrics" > /dev/null
    echo "# $case: $(git -C "$repo" rev-list --count main) commits, load $(cut -d' ' -f1-3 /proc/loadavg)"
    i=1
    while [ "$i" -le "$RUNS" ]; do
        out="$WORK/site-$case-$$-$i"   # a fresh folder each time: ext4 slows down creating files where many were just deleted
        (cd "$repo" && measure "$case	modelgate	full build	" "$BIN" site --out "$out")
        (cd "$repo" && measure "$case	modelgate	rebuild, nothing new" "$BIN" site --out "$out")
        python3 "$HERE/make-history.py" "$repo" 0 "$metrics" --append 1 > /dev/null
        (cd "$repo" && measure "$case	modelgate	rebuild, 1 new commit" "$BIN" site --out "$out")
        i=$((i + 1))
    done
    asvdir="$WORK/asv-$case"
    rm -rf "$asvdir"
    python3 "$HERE/to-asv.py" "$repo" "$asvdir" > /dev/null
    i=1
    while [ "$i" -le "${ASV_RUNS:-2}" ]; do
        (cd "$asvdir" && measure "$case	asv publish	full build	" "$ASV" publish)
        i=$((i + 1))
    done
    echo "# $case: load after $(cut -d' ' -f1-3 /proc/loadavg)"
done
rm -rf "$WORK"/site-*

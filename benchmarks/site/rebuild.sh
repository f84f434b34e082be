#!/bin/sh
# Incremental site rebuild only (no asv): the figures the "rebuild under 0.5 s" target is about.
# Usage: benchmarks/site/rebuild.sh [MODELGATE_BINARY]   (COMMITS, METRICS, RUNS, WORK to override)
# Per run: a full build into a fresh folder, a rebuild with nothing new, one new commit with its
# record (make-history.py --append 1), a rebuild, and a check that the rebuilt site is byte for byte
# what a fresh build makes. Prints: what, wall s, user s, sys s, peak RSS KB.
set -eu
BIN=$(realpath "${1:-.build/release/modelgate}")
HERE=$(dirname "$(realpath "$0")")
COMMITS=${COMMITS:-10000} METRICS=${METRICS:-10} RUNS=${RUNS:-5}
WORK=${WORK:-/tmp/modelgate-site-rebuild}
repo="$WORK/repo-${COMMITS}x$METRICS"
mkdir -p "$WORK"
[ -d "$repo" ] || python3 "$HERE/make-history.py" "$repo" "$COMMITS" "$METRICS" > /dev/null
measure() { # label, command...
    label=$1; shift
    /usr/bin/time -f "%e	%U	%S	%M" -o "$WORK/time.txt" "$@" > /dev/null 2>&1
    printf '%s\t%s\n' "$label" "$(cat "$WORK/time.txt")"
}
echo "# ${COMMITS}x$METRICS, $BIN, load $(cut -d' ' -f1-3 /proc/loadavg)"
i=1
while [ "$i" -le "$RUNS" ]; do
    out="$WORK/site-$$-$i"
    (cd "$repo" && measure "full build" "$BIN" site --out "$out")
    (cd "$repo" && measure "rebuild, nothing new" "$BIN" site --out "$out")
    python3 "$HERE/make-history.py" "$repo" 0 "$METRICS" --append 1 > /dev/null
    (cd "$repo" && measure "rebuild, 1 new commit" "$BIN" site --out "$out")
    # The incremental site must be byte for byte the site a fresh build makes of the same history.
    (cd "$repo" && "$BIN" site --out "$out-fresh" > /dev/null 2>&1)
    if diff -r "$out" "$out-fresh" > "$WORK/diff.txt"; then
        echo "identical to a fresh build: yes"
    else
        echo "identical to a fresh build: NO ($(wc -l < "$WORK/diff.txt") lines of diff -r in $WORK/diff.txt)"
    fi
    rm -rf "$out" "$out-fresh"
    i=$((i + 1))
done

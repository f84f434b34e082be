#!/bin/sh
# Writes a synthetic housing data set as CSV on stdout: rooms, area (m²), age (years),
# distance (km to the centre) -> price (thousands). Deterministic for a given seed on any
# POSIX awk: it uses its own Park-Miller generator, not awk's rand(), whose sequence differs
# between mawk, gawk and busybox.
#
#   generate.sh [--no-header] [--distance-shift KM] [--area-scale X] ROWS SEED
#
# The two corruptions write a bad batch, as a careless supplier would: --distance-shift adds
# KM to every distance after the price was computed (measured from another reference point),
# --area-scale multiplies every area (10.764: square feet instead of square metres).
set -eu
usage() {
    echo "usage: $0 [--no-header] [--distance-shift KM] [--area-scale X] ROWS SEED" >&2
    exit 64
}
header=1 shift_km=0 scale=1
while [ $# -gt 0 ]; do
    case $1 in
    --no-header) header=0 ;;
    --distance-shift) [ $# -ge 2 ] || usage; shift_km=$2; shift ;;
    --area-scale) [ $# -ge 2 ] || usage; scale=$2; shift ;;
    -*) usage ;;
    *) break ;;
    esac
    shift
done
[ $# -eq 2 ] || usage
awk -v rows="$1" -v seed="$2" -v header="$header" -v shift_km="$shift_km" -v scale="$scale" '
function uniform() {                      # Park-Miller minimal standard: exact in doubles
    state = (state * 16807) % 2147483647
    return state / 2147483647
}
function gaussian(   i, s) {              # Irwin-Hall: 12 uniforms, mean 0, sd 1
    s = 0
    for (i = 0; i < 12; i++) s += uniform()
    return s - 6
}
BEGIN {
    state = seed % 2147483646 + 1
    for (i = 0; i < 10; i++) uniform()    # let nearby seeds drift apart
    if (header) print "rooms,area,age,distance,price"
    for (r = 0; r < rows; r++) {
        area = 30 + 220 * uniform()
        rooms = int(area / 40 + 2 * uniform()) + 1
        age = int(80 * uniform())
        distance = 0.5 + 29.5 * uniform()
        price = 40 + 18 * rooms + 1.6 * area - 0.9 * age - 4.5 * distance + 25 * gaussian()
        if (price < 20) price = 20 + 10 * uniform()
        printf "%d,%.1f,%d,%.2f,%.1f\n", rooms, area * scale, age, distance + shift_km, price
    }
}'

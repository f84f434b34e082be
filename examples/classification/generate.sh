#!/bin/sh
# Writes a synthetic customer-churn data set as CSV on stdout: tenure (months), monthly charges,
# support calls (last quarter), contract (years: 0 month-to-month, 1, 2) -> churned (0 or 1).
# Deterministic for a given seed on any POSIX awk: its own Park-Miller generator, and no exp()
# or log(), so no libm rounding decides a label.
#
#   generate.sh [--no-header] [--lose-churn FRACTION] ROWS SEED
#
# --lose-churn writes a corrupted batch: that fraction of the customers who churned is written
# as 0, as when an export loses the flag. (Flipping labels at random would not do: a symmetric
# flip leaves logistic regression's decision boundary where it was.)
set -eu
usage() {
    echo "usage: $0 [--no-header] [--lose-churn FRACTION] ROWS SEED" >&2
    exit 64
}
header=1 lose=0
while [ $# -gt 0 ]; do
    case $1 in
    --no-header) header=0 ;;
    --lose-churn) [ $# -ge 2 ] || usage; lose=$2; shift ;;
    -*) usage ;;
    *) break ;;
    esac
    shift
done
[ $# -eq 2 ] || usage
awk -v rows="$1" -v seed="$2" -v header="$header" -v lose="$lose" '
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
    for (i = 0; i < 10; i++) uniform()
    if (header) print "tenure,charges,calls,contract,churned"
    for (r = 0; r < rows; r++) {
        tenure = int(72 * uniform())
        charges = 20 + 100 * uniform()
        u = uniform()
        calls = int(6 * u * u)
        contract = int(3 * uniform() * uniform() * 1.5)
        if (contract > 2) contract = 2
        z = 0.9 - 0.05 * tenure + 0.025 * (charges - 70) + 0.55 * calls - 0.9 * contract
        churned = (z + gaussian() > 0) ? 1 : 0
        if (uniform() < lose) churned = 0
        printf "%d,%.2f,%d,%d,%d\n", tenure, charges, calls, contract, churned
    }
}'

#!/bin/sh
# The same model bytes whatever the thread count: trains each built-in trainer with
# MODELGATE_THREADS=1, 2, 8 and 64 and prints the sha256 of every model file as a Markdown table.
# Exits 1 when any trainer's digests differ.
#
#   benchmarks/learning/determinism.sh path/to/modelgate REGRESSION.csv BINARY.csv BLOBS.csv OUT-DIR
set -eu

binary=$1
regression=$2
binary_data=$3
blobs=$4
out=$5
mkdir -p "$out"
threads="1 2 8 64"

train() {  # kind threads -> prints the model's sha256
    case $1 in
    linear-regression) set -- "$1" "$2" --data "$regression" --target y ;;
    logistic-regression) set -- "$1" "$2" --data "$binary_data" --target label ;;
    kmeans) set -- "$1" "$2" --data "$blobs" --option n_clusters=8 --option n_init=3 ;;
    esac
    kind=$1
    count=$2
    shift 2
    MODELGATE_THREADS=$count "$binary" train --builtin "$kind" "$@" --test-split 0.2 \
        --model "$out/determinism-$kind-$count.json" --json >/dev/null
    sha256sum "$out/determinism-$kind-$count.json" | cut -c1-16
}

status=0
printf '| trainer |'
for count in $threads; do printf ' %s thread(s) |' "$count"; done
printf ' identical |\n|---|'
for count in $threads; do printf -- '---|'; done
printf -- '---|\n'
for kind in linear-regression logistic-regression kmeans; do
    printf '| %s |' "$kind"
    first=
    same=yes
    for count in $threads; do
        digest=$(train "$kind" "$count")
        printf ' %s |' "$digest"
        if [ -z "$first" ]; then first=$digest; elif [ "$digest" != "$first" ]; then same=NO; fi
    done
    printf ' %s |\n' "$same"
    if [ "$same" != yes ]; then status=1; fi
done
exit $status

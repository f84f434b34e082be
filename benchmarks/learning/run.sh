#!/bin/sh
# Built-in trainers vs pandas + scikit-learn + joblib, end to end as a user runs them.
#
#   benchmarks/learning/run.sh path/to/release/modelgate [ROWS] [KMEANS_ROWS] [RUNS]
#
# Generates deterministic CSVs (20 features) into benchmarks/data/ (git-ignored), creates a
# virtualenv in benchmarks/.venv-learning (git-ignored) on first use, times both sides with
# hyperfine, measures peak RSS with /usr/bin/time, and prints a Markdown table; then checks that
# every trainer writes the same model bytes with 1, 2, 8 and 64 threads (determinism.sh, exit 1
# when not).
set -eu

binary=$(realpath "$1")
rows=${2:-1000000}
kmeans_rows=${3:-100000}
runs=${4:-3}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
data="$root/benchmarks/data"
results="$root/benchmarks/results/learning"
venv="$root/benchmarks/.venv-learning"
mkdir -p "$data" "$results"

if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet scikit-learn pandas joblib
fi
python="$venv/bin/python"

generate() {  # kind rows file
    if [ ! -s "$data/$3" ]; then
        "$python" "$here/generate.py" "$1" "$2" "$data/$3.tmp"
        mv "$data/$3.tmp" "$data/$3"
    fi
}
generate regression "$rows" "regression-$rows.csv"
generate binary "$rows" "binary-$rows.csv"
generate blobs "$kmeans_rows" "blobs-$kmeans_rows.csv"

peak_kib() {  # command... -> max resident set size in KiB
    /usr/bin/time -f "%M" -o "$results/rss.txt" "$@" >/dev/null 2>&1
    tail -n 1 "$results/rss.txt"
}

bench() {  # name, modelgate command, sklearn command
    hyperfine --style basic --warmup 1 --runs "$runs" --export-json "$results/$1.json" \
        -n modelgate "$2" -n scikit-learn "$3" >&2
    ours=$(peak_kib sh -c "$2")
    theirs=$(peak_kib sh -c "$3")
    echo "$1 $ours $theirs" >>"$results/rss-all.txt"
}

rm -f "$results/rss-all.txt"
bench linear-regression \
    "$binary train --builtin linear-regression --data $data/regression-$rows.csv --target y --test-split 0.2 --model $results/model-linear.json --json" \
    "$python $here/sklearn_train.py linear-regression $data/regression-$rows.csv $results/linear.joblib"
bench logistic-regression \
    "$binary train --builtin logistic-regression --data $data/binary-$rows.csv --target label --test-split 0.2 --model $results/model-logistic.json --json" \
    "$python $here/sklearn_train.py logistic-regression $data/binary-$rows.csv $results/logistic.joblib"
bench kmeans \
    "$binary train --builtin kmeans --data $data/blobs-$kmeans_rows.csv --option n_clusters=8 --option n_init=3 --test-split 0.2 --model $results/model-kmeans.json --json" \
    "$python $here/sklearn_train.py kmeans $data/blobs-$kmeans_rows.csv $results/kmeans.joblib"

"$python" "$here/report.py" "$results"

echo
echo "Model digests (sha256 of the model file, first 16 hex digits) by MODELGATE_THREADS:"
"$here/determinism.sh" "$binary" "$data/regression-$rows.csv" "$data/binary-$rows.csv" \
    "$data/blobs-$kmeans_rows.csv" "$results"

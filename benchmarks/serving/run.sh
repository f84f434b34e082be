#!/bin/sh
# Serving benchmark: `modelgate-serve` against the article's stack (Flask + scikit-learn + joblib,
# the same linear model, the same coefficients) under gunicorn (workers = cores, as a team would
# ship it) and under the Flask development server (for reference). Load from wrk on loopback:
# requests/s and p50/p99 latency with 1-row and 100-row KServe v1 bodies, the servers' peak RSS,
# and the size of the `package --serve` image against a Python 3.11 runtime + the venv's packages.
# With a second modelgate binary (e.g. main's release build), also the hook path of both:
# `modelgate status` and a no-op commit, with hyperfine.
#
# Usage: benchmarks/serving/run.sh [RELEASE_DIR] [SECONDS] [BASE_MODELGATE]
#   RELEASE_DIR     holds the release `modelgate` and `modelgate-serve` (default .build/release)
#   SECONDS         length of each wrk run (default 10)
#   BASE_MODELGATE  another modelgate binary to compare the hook path with (optional)
# Needs wrk, curl, hyperfine and python3-venv (`make bench-serving` installs them); Flask,
# gunicorn, scikit-learn and joblib come from PyPI into .build-tools/serving-bench.
# Writes benchmarks/results/serving.md and prints it.
set -eu

here=$(cd "$(dirname "$0")/../.." && pwd)
bin=$(cd "${1:-$here/.build/release}" && pwd)
seconds=${2:-10}
base=${3:-}
venv="$here/.build-tools/serving-bench"
results="$here/benchmarks/results"
mkdir -p "$results"
work=$(mktemp -d "${TMPDIR:-/tmp}/modelgate-bench-serving.XXXXXX")
pids=""
cleanup() {
    for pid in $pids; do kill "$pid" 2>/dev/null || true; done
    for pid in $pids; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

if ! "$venv/bin/python" -c "import flask, gunicorn, sklearn, joblib" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check flask gunicorn scikit-learn joblib
fi

export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com

# A housing-like model: 8 features, y linear in them plus noise; trained by modelgate's builtin.
git init -q -b main "$work/repo"
cd "$work/repo"
python3 - <<'EOF'
import os, random
random.seed(7)
names = ["income", "age", "rooms", "bedrooms", "population", "occupancy", "latitude", "longitude"]
weights = [0.45, 0.01, -0.12, 0.6, -0.00004, -0.004, -0.42, -0.43]
def rows(n):
    lines = [",".join(names + ["value"])]
    for _ in range(n):
        x = [random.uniform(0.5, 15), random.uniform(1, 52), random.uniform(1, 10), random.uniform(0.5, 3),
             random.uniform(3, 5000), random.uniform(1, 6), random.uniform(32, 42), random.uniform(-124, -114)]
        y = -37 + sum(w * v for w, v in zip(weights, x)) + random.gauss(0, 0.3)
        lines.append(",".join(f"{v:.5f}" for v in x + [y]))
    return "\n".join(lines) + "\n"
os.makedirs("data")
open("data/train.csv", "w").write(rows(5000))
open("data/test.csv", "w").write(rows(500))
EOF
cat >modelgate.yml <<'EOF'
name: housing
stages:
  - name: train
    builtin: linear-regression
    data: data/train.csv
    target: value
    test: data/test.csv
gates:
  - {metric: r2, min: 0.5}
EOF
git add -A && git commit -q -m "housing model"
"$bin/modelgate" run >/dev/null 2>&1
"$bin/modelgate" artifact export --to "$work/model" >/dev/null
"$bin/modelgate" predict --model "$work/model/train.model.json" data/test.csv >"$work/predictions.txt"
"$venv/bin/python" "$here/benchmarks/serving/make_model.py" "$work/model/train.model.json" data/test.csv \
    "$work/predictions.txt" "$work/model.joblib"

# Request bodies: the first 1 and 100 test rows as KServe v1 instances.
python3 - "$work" <<'EOF'
import csv, json, sys
work = sys.argv[1]
rows = [[float(v) for k, v in r.items() if k != "value"] for r in csv.DictReader(open("data/test.csv"))]
for n in (1, 100):
    json.dump({"instances": rows[:n]}, open(f"{work}/body-{n}.json", "w"))
EOF

cores=$(nproc)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# Waits (at most 30 s) for the server on $1 to answer its readiness route.
wait_ready() {
    i=0
    until curl -fsS -o /dev/null "http://127.0.0.1:$1/v2/health/ready" 2>/dev/null; do
        i=$((i + 1))
        [ $i -lt 300 ] || { echo "server on port $1 never became ready" >&2; exit 3; }
        sleep 0.1
    done
}
# Peak RSS (VmHWM, KiB) of a process and its children, summed.
peak_rss() {
    total=0
    for pid in $1 $(pgrep -P "$1" || true); do
        kib=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
        total=$((total + ${kib:-0}))
    done
    echo "$total"
}
# One wrk run: prints "requests/s p50 p99" (latencies as wrk prints them).
load() { # url body connections
    BODY="$2" wrk -t1 -c"$3" -d"${seconds}s" --latency -s "$here/benchmarks/serving/post.lua" "$1" >"$work/wrk.txt"
    if grep -q "Non-2xx" "$work/wrk.txt"; then
        echo "non-2xx answers from $1:" >&2
        cat "$work/wrk.txt" >&2
        exit 3
    fi
    rps=$(awk '/^Requests\/sec/ {print $2}' "$work/wrk.txt")
    p50=$(awk '$1 == "50%" {print $2}' "$work/wrk.txt")
    p99=$(awk '$1 == "99%" {print $2}' "$work/wrk.txt")
    echo "$rps $p50 $p99"
}

load=$(cut -d' ' -f1-3 /proc/loadavg)
table="$work/table.md"
{
    echo "| server | rows/request | connections | requests/s | p50 | p99 | peak RSS (MiB) |"
    echo "|---|---|---|---|---|---|---|"
} >"$table"
measure() { # name url rows connections
    result=$(load "$2" "$work/body-$3.json" "$4")
    echo "$result" | awk -v name="$1" -v rows="$3" -v conns="$4" \
        '{printf "| %s | %s | %s | %s | %s | %s | - |\n", name, rows, conns, $1, $2, $3}' >>"$table"
}
bench() { # name url pid
    curl -fsS -H 'Content-Type: application/json' --data-binary "@$work/body-1.json" "$2" >/dev/null
    measure "$1" "$2" 1 1
    measure "$1" "$2" 1 8
    measure "$1" "$2" 100 8
    rss=$(peak_rss "$3")
    echo "| $1 | (peak over all runs) | | | | | $((rss / 1024)) |" >>"$table"
}
stop() {
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

port=$(free_port)
"$bin/modelgate-serve" --model "$work/model" --host 127.0.0.1 --port "$port" --name housing 2>"$work/serve.log" &
serve=$!
pids="$pids $serve"
wait_ready "$port"
bench "modelgate-serve" "http://127.0.0.1:$port/v1/models/housing:predict" "$serve"
stop "$serve"

port=$(free_port)
MODEL_PATH="$work/model.joblib" "$venv/bin/gunicorn" --chdir "$here/benchmarks/serving" -w "$cores" \
    -b "127.0.0.1:$port" --log-level warning app:app &
gunicorn=$!
pids="$pids $gunicorn"
wait_ready "$port"
bench "Flask + scikit-learn, gunicorn ($cores sync workers)" "http://127.0.0.1:$port/v1/models/housing:predict" "$gunicorn"
stop "$gunicorn"

port=$(free_port)
MODEL_PATH="$work/model.joblib" PORT=$port "$venv/bin/python" "$here/benchmarks/serving/app.py" 2>"$work/flask.log" &
flask=$!
pids="$pids $flask"
wait_ready "$port"
bench "Flask + scikit-learn, Flask dev server (threaded)" "http://127.0.0.1:$port/v1/models/housing:predict" "$flask"
stop "$flask"

# Image sizes: the layers of the --serve image (uncompressed, and gzip -6 as a registry would
# store them), against what a Python image holds beyond its Debian base.
"$bin/modelgate" package --serve --oci "$work/oci" >/dev/null
layers=$(python3 - "$work/oci" <<'EOF'
import json, sys
layout = sys.argv[1]
index = json.load(open(f"{layout}/index.json"))
manifest = json.load(open(f"{layout}/blobs/sha256/{index['manifests'][0]['digest'][7:]}"))
print(" ".join(f"{layout}/blobs/sha256/{layer['digest'][7:]}" for layer in manifest["layers"]))
EOF
)
image_bytes=0
image_gzip=0
for layer in $layers; do
    image_bytes=$((image_bytes + $(wc -c <"$layer")))
    image_gzip=$((image_gzip + $(gzip -6 -c "$layer" | wc -c)))
done
python_runtime=$(du -sbL /usr/lib/python3.11 "$(readlink -f /usr/bin/python3.11)" 2>/dev/null | awk '{s += $1} END {print s}')
site_packages=$(du -sb "$venv"/lib/python3.11/site-packages | awk '{print $1}')
mib() { awk -v b="$1" 'BEGIN {printf "%.1f", b / 1048576}'; }

{
    echo "## Serving ($(date -u +%Y-%m-%d), $cores cores, load average $load, wrk -t1 for ${seconds}s per row)"
    echo
    cat "$table"
    echo
    echo "| image | size (MiB) |"
    echo "|---|---|"
    echo "| modelgate package --serve (layers, uncompressed) | $(mib "$image_bytes") |"
    echo "| modelgate package --serve (layers, gzip -6) | $(mib "$image_gzip") |"
    echo "| Python 3.11 runtime (/usr/lib/python3.11 + interpreter, this machine) | $(mib "$python_runtime") |"
    echo "| venv site-packages (flask, gunicorn, scikit-learn, numpy, scipy, joblib, pip) | $(mib "$site_packages") |"
    echo "| runtime + packages (a lower bound for python:3.11-slim + scikit-learn, which also holds a Debian base) | $(mib $((python_runtime + site_packages))) |"
} >"$results/serving.md"

if [ -n "$base" ]; then
    # The hook path: `modelgate status` and a commit the pre-commit hook lets through untouched.
    base=$(cd "$(dirname "$base")" && pwd)/$(basename "$base")
    for name in base branch; do
        binary=$base
        [ $name = branch ] && binary=$bin/modelgate
        git clone -q "$work/repo" "$work/hooks-$name"
        (cd "$work/hooks-$name" && "$binary" run >/dev/null 2>&1 && "$binary" install >/dev/null)
    done
    hyperfine -N --warmup 5 --runs 40 --export-markdown "$work/status.md" \
        -n "status (base)" "sh -c 'cd $work/hooks-base && $base status'" \
        -n "status (branch)" "sh -c 'cd $work/hooks-branch && $bin/modelgate status'" >/dev/null
    hyperfine -N --warmup 3 --runs 30 --export-markdown "$work/commit.md" \
        -n "no-op commit (base)" "sh -c 'cd $work/hooks-base && echo x >>README.md && git add README.md && git commit -q -m x'" \
        -n "no-op commit (branch)" "sh -c 'cd $work/hooks-branch && echo x >>README.md && git add README.md && git commit -q -m x'" >/dev/null
    {
        echo
        echo "### Hook path: $base against $bin/modelgate"
        echo
        cat "$work/status.md"
        echo
        cat "$work/commit.md"
    } >>"$results/serving.md"
fi
cat "$results/serving.md"

#!/usr/bin/env bash
# modelgate status / cached run against `dvc status` on the same repository, data and stage.
#
# Usage: benchmarks/pipeline/run.sh PATH-TO-MODELGATE [SIZE_MB]   (default 1024 MB of CSV)
# Needs: hyperfine, python3 (DVC is installed into benchmarks/.venv-dvc from PyPI).
set -euo pipefail
modelgate=$(realpath "${1:?usage: run.sh PATH-TO-MODELGATE [SIZE_MB]}")
size_mb=${2:-1024}
here=$(cd "$(dirname "$0")" && pwd)
venv="$here/../.venv-dvc"
results="$here/../results"
work="$here/../data/pipeline-$size_mb"
mkdir -p "$results"

if [ ! -x "$venv/bin/dvc" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet dvc
fi
dvc="$venv/bin/dvc"

if [ ! -f "$work/.ready" ]; then
    rm -rf "$work" && mkdir -p "$work/data" && cd "$work"
    git init --quiet --initial-branch=main
    git config user.name bench && git config user.email bench@example.com
    # Deterministic CSV: 20 numeric features and a target, about 200 bytes a row.
    python3 - "$size_mb" > data/train.csv <<'PY'
import random, sys
target = int(sys.argv[1]) * 1024 * 1024
rng = random.Random(7)
out = sys.stdout
out.write(",".join(f"f{i}" for i in range(20)) + ",y\n")
written = 0
while written < target:
    rows = []
    for _ in range(10000):
        xs = [rng.random() for _ in range(20)]
        rows.append(",".join(f"{x:.6f}" for x in xs) + f",{sum(xs):.6f}\n")
    chunk = "".join(rows)
    out.write(chunk)
    written += len(chunk)
PY
    printf '#!/bin/sh\nprintf %s > metrics.json\n' "'{\"rows\": 1}'" > train.sh
    cat > modelgate.yml <<'YML'
name: bench
stages:
  - name: train
    cmd: sh train.sh
    deps: [train.sh, data/train.csv]
    metrics: metrics.json
gates:
  - {metric: rows, min: 1}
YML
    "$dvc" init --quiet
    "$dvc" stage add --quiet -n train -d train.sh -d data/train.csv -M metrics.json sh train.sh
    echo "metrics.json" >> .gitignore
    git -c core.compression=1 add -A && git commit --quiet -m "data and stage"
    "$dvc" repro --quiet
    git add -A && git commit --quiet -m "dvc lock"
    "$modelgate" run --rev HEAD > /dev/null 2>&1
    sleep 2 && git status --short > /dev/null   # let git refresh racy index entries, as it does in use
    touch .ready
fi
cd "$work"
echo "data: $(du -h data/train.csv | cut -f1) CSV in $work; machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

hyperfine -N --warmup 3 --runs 20 --export-markdown "$results/pipeline-unchanged.md" \
    -n "modelgate status" "$modelgate status" \
    -n "modelgate run --rev HEAD (cached)" "$modelgate run --rev HEAD" \
    -n "dvc status" "$dvc status"

# After a touch the content is unchanged but the stat data is not: both tools must look again.
# modelgate hashes once and remembers by stat data; dvc re-hashes. --prepare touches before each run.
hyperfine -N --warmup 1 --runs 10 --export-markdown "$results/pipeline-touched.md" \
    --prepare "touch data/train.csv" -n "modelgate status (after touch)" "$modelgate status" \
    --prepare "touch data/train.csv" -n "dvc status (after touch)" "$dvc status"

# A fresh run of every stage (cache ignored). modelgate exports the commit into an isolated
# checkout first (a clean work-tree file is copied in the kernel instead of inflating its blob);
# dvc runs the stage in the user's work tree. The stage itself reads nothing. `git status`
# refreshes the index after the touches above, as git does on its own in use (and `git commit`
# does before its hooks); with stale stat data modelgate inflates the blob instead.
git status --short >/dev/null
hyperfine -N --warmup 1 --runs 10 --export-markdown "$results/pipeline-fresh-run.md" \
    -n "modelgate run --rev HEAD --force" "$modelgate run --rev HEAD --force" \
    -n "dvc repro --force" "$dvc repro --force --quiet"
git checkout --quiet -- . # dvc repro rewrites dvc.lock's timestamps on some versions

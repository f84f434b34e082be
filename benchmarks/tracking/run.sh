#!/usr/bin/env bash
# Reading model-metric history: modelgate (records in git notes) vs MLflow (tracking store), same records.
# Usage: benchmarks/tracking/run.sh PATH-TO-MODELGATE [COMMITS]      (default 1000 commits, 10 metrics each)
#   BACKENDS="file sqlite" (default) which MLflow stores to measure: file:STORE and/or sqlite:///STORE/mlflow.db
#   RUNS=10 WARMUP=2       hyperfine settings
# Needs python3 (venv), git, hyperfine. Installs mlflow-skinny (+ SQLAlchemy, Alembic for the sqlite store)
# from PyPI into benchmarks/.venv-mlflow on first use. Data go to benchmarks/data/tracking-COMMITS*
# (reused when present), hyperfine's tables to benchmarks/results/tracking-COMMITS-*.md.
set -euo pipefail

if [ $# -lt 1 ]; then
    echo "usage: $0 PATH-TO-MODELGATE [COMMITS]" >&2
    exit 64
fi
BIN=$(realpath "$1")
COMMITS=${2:-1000}
BACKENDS=${BACKENDS:-file sqlite}
RUNS=${RUNS:-10}
WARMUP=${WARMUP:-2}
HERE=$(dirname "$(realpath "$0")")
BENCH=$(dirname "$HERE")
VENV=$BENCH/.venv-mlflow
PY=$VENV/bin/python

if ! command -v hyperfine > /dev/null; then
    echo "error: hyperfine is not installed (apt-get install hyperfine, or cargo install hyperfine)" >&2
    exit 3
fi
[ -x "$BIN" ] || { echo "error: $BIN is not an executable" >&2; exit 2; }

if [ ! -x "$VENV/bin/mlflow" ]; then
    echo "installing mlflow-skinny into $VENV (PyPI)" >&2
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet mlflow-skinny
fi
case " $BACKENDS " in
    *" sqlite "*)
        if ! "$PY" -c "import sqlalchemy, alembic" 2> /dev/null; then
            echo "installing SQLAlchemy and Alembic into $VENV for the sqlite store (PyPI)" >&2
            "$VENV/bin/pip" install --quiet sqlalchemy alembic
        fi
        ;;
esac
export MLFLOW_ALLOW_FILE_STORE=true   # MLflow 3 refuses its (maintenance-mode) file store without it

echo "# load at start: $(cat /proc/loadavg)"
echo "# modelgate: $BIN ($("$BIN" --version))"
echo "# mlflow: $("$PY" -c 'import mlflow; print(mlflow.__version__)' 2> /dev/null) ($("$VENV/bin/pip" list 2> /dev/null | grep -i '^mlflow' | tr -s ' ' | paste -sd, -))"
echo "# hyperfine: $(hyperfine --version)"

mkdir -p "$BENCH/data" "$BENCH/results"
REPO=$BENCH/data/tracking-$COMMITS
if [ ! -d "$REPO/.git" ]; then
    echo "# writing $COMMITS commits with run records to $REPO" >&2
    python3 "$BENCH/site/make-history.py" "$REPO" "$COMMITS" 10 > /dev/null
fi
echo "# history: $(git -C "$REPO" rev-list --count HEAD) commits, $(git -C "$REPO" notes --ref=modelgate list | wc -l) records"

for backend in $BACKENDS; do
    store=$REPO-mlflow-$backend
    if [ ! -f "$store/.complete" ]; then
        rm -rf "$store"
        echo "# converting the records into MLflow ($backend store) at $store" >&2
        start=$(date +%s)
        "$PY" "$HERE/to-mlflow.py" "$REPO" "$store" --backend "$backend" 2> "$store.log"
        echo "# conversion ($backend) took $(( $(date +%s) - start )) s" >&2
        touch "$store/.complete"
    fi
done

# One check, outside the timing, that both sides print the same values.
cd "$REPO"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
set +e
"$BIN" show --json > "$TMP/mg-latest.json"; show_rc=$?
"$BIN" log --metric m000 -n "$COMMITS" --json > "$TMP/mg-history.json"; log_rc=$?
set -e
[ "$show_rc" -le 1 ] || { echo "error: modelgate show exited $show_rc" >&2; exit 3; }
[ "$log_rc" -le 1 ] || { echo "error: modelgate log exited $log_rc" >&2; exit 3; }
for backend in $BACKENDS; do
    store=$REPO-mlflow-$backend
    "$PY" "$HERE/mlflow-query.py" latest "$store" --backend "$backend" > "$TMP/ml-latest-$backend.json"
    "$PY" "$HERE/mlflow-query.py" history "$store" m000 --backend "$backend" > "$TMP/ml-history-$backend.json"
    python3 - "$TMP" "$backend" <<'PY'
import json, sys
tmp, backend = sys.argv[1], sys.argv[2]
mg_latest = json.load(open(f"{tmp}/mg-latest.json"))
ml_latest = json.load(open(f"{tmp}/ml-latest-{backend}.json"))
if (mg_latest["commit"], mg_latest["metrics"]) != (ml_latest["commit"], ml_latest["metrics"]):
    print(f"WARNING ({backend}): latest differs: modelgate {mg_latest['commit']} vs mlflow {ml_latest['commit']}")
mg = [(e["commit"], e["record"]["metrics"]["m000"]) for e in json.load(open(f"{tmp}/mg-history.json"))
      if e.get("record") and "m000" in e["record"].get("metrics", {})]
ml = [(e["commit"], e["value"]) for e in json.load(open(f"{tmp}/ml-history-{backend}.json"))]
if len(mg) != len(ml):
    print(f"WARNING ({backend}): history has {len(mg)} entries from modelgate but {len(ml)} from mlflow")
elif mg != ml:
    print(f"WARNING ({backend}): history has {len(mg)} entries on both sides but the commits or values differ")
else:
    print(f"# check ({backend}): latest record and {len(mg)} history entries identical on both sides")
PY
done

IGNORE=()
if [ "$show_rc" -eq 1 ] || [ "$log_rc" -eq 1 ]; then
    IGNORE=(--ignore-failure)   # exit 1 only means HEAD's verdict is fail; the output was checked above
fi
HF=(hyperfine -N --warmup "$WARMUP" --runs "$RUNS" --style basic "${IGNORE[@]}")

latest=(--command-name "modelgate show --json" "$BIN show --json")
history=(--command-name "modelgate log --metric m000 -n $COMMITS --json" "$BIN log --metric m000 -n $COMMITS --json")
for backend in $BACKENDS; do
    store=$REPO-mlflow-$backend
    latest+=(--command-name "mlflow-query.py latest ($backend store)"
             "$PY $HERE/mlflow-query.py latest $store --backend $backend")
    history+=(--command-name "mlflow-query.py history m000 ($backend store)"
              "$PY $HERE/mlflow-query.py history $store m000 --backend $backend")
done
OUT=$BENCH/results/tracking-$COMMITS
"${HF[@]}" --export-markdown "$OUT-latest.md" --export-json "$OUT-latest.json" "${latest[@]}"
"${HF[@]}" --export-markdown "$OUT-history.md" --export-json "$OUT-history.json" "${history[@]}"
hyperfine -N --warmup "$WARMUP" --runs "$RUNS" --style basic \
    --export-markdown "$OUT-startup.md" --export-json "$OUT-startup.json" \
    --command-name "python -c pass" "$PY -c pass" \
    --command-name "python -c 'import mlflow'" "$PY -c 'import mlflow'" \
    --command-name "python -c 'from mlflow.tracking import MlflowClient'" "$PY -c 'from mlflow.tracking import MlflowClient'"
echo "# results: $OUT-{latest,history,startup}.md"
echo "# load at end: $(cat /proc/loadavg)"

#!/bin/sh
# Added latency of a pre-commit hook when the staged change touches nothing the pipeline depends
# on (a README edit), against a plain `git commit` without hooks, for modelgate and the tools
# users would pick instead, each doing its no-op equivalent:
#   pre-commit framework  a local hook limited to data/*.csv ("(no files to check) Skipped")
#   lefthook              a pre-commit command with glob data/*.csv (skipped: no matching files)
#   DVC                   `dvc install` hooks (pre-commit runs `dvc status`)
#
# Usage: benchmarks/hooks/run.sh MODELGATE_BINARY [RUNS]
# Needs hyperfine and git; pre-commit, lefthook and dvc are taken from benchmarks/.venv-hooks
# when present (python3 -m venv benchmarks/.venv-hooks && benchmarks/.venv-hooks/bin/pip install
# pre-commit lefthook dvc); a tool that is missing is left out and said so.
# Writes hyperfine's tables to benchmarks/results/hooks-*.md and prints them.
set -eu

binary=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
runs=${2:-60}
here=$(cd "$(dirname "$0")/../.." && pwd)
venv="$here/benchmarks/.venv-hooks/bin"
results="$here/benchmarks/results"
mkdir -p "$results"
work=$(mktemp -d "${TMPDIR:-/tmp}/modelgate-bench-hooks.XXXXXX")
trap 'rm -rf "$work"' EXIT

# One identity, no user or system config: every tool sees the same git.
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
unset GIT_AUTHOR_DATE GIT_COMMITTER_DATE
[ -d "$venv" ] && PATH="$venv:$PATH"
# PyPI's lefthook is a Python script that starts the Go binary it ships; call the binary itself,
# as an npm, Homebrew or Go install would (the wrapper alone adds Python's start-up).
native_lefthook=$(find "$here/benchmarks/.venv-hooks/lib" -path '*lefthook/bin/*' -name lefthook -type f 2>/dev/null | head -n 1)
if [ -n "$native_lefthook" ]; then
    mkdir -p "$work/bin"
    ln -s "$native_lefthook" "$work/bin/lefthook"
    PATH="$work/bin:$PATH"
fi
export PATH PRE_COMMIT_HOME="$work/pre-commit-cache"

# A repository with data, a training script and its config, one commit deep.
make_repo() {
    git init -q -b main "$work/$1"
    cd "$work/$1"
    mkdir -p data
    printf 'x,y\n1,2\n2,4\n3,6\n' >data/train.csv
    printf 'import json\njson.dump({"r2": 0.95}, open("metrics.json", "w"))\n' >train.py
    cat >modelgate.yml <<'EOF'
version: 1
name: bench
stages:
  - name: train
    cmd: python3 train.py
    deps: [train.py, "data/*.csv"]
    metrics: metrics.json
gates:
  - {metric: r2, min: 0.9}
EOF
    echo "# bench" >README.md
    git add -A
    git commit -q --no-verify -m initial
}

set --
make_repo plain
set -- "$@" -n "plain git commit" "cd $work/plain && git commit -q -m bench"

make_repo modelgate
"$binary" install >/dev/null
set -- "$@" -n "modelgate" "cd $work/modelgate && git commit -q -m bench"
# The same hook without the shim's pathspec shortcut: the binary decides (cost of the binary itself).
make_repo modelgate-binary
"$binary" install >/dev/null
set -- "$@" -n "modelgate (binary, no shortcut)" \
    "cd $work/modelgate-binary && git commit -q -m bench"

if command -v pre-commit >/dev/null 2>&1; then
    make_repo pre-commit
    cat >.pre-commit-config.yaml <<'EOF'
repos:
  - repo: local
    hooks:
      - id: train
        name: train
        entry: "true"
        language: system
        files: ^data/.*\.csv$
EOF
    git add .pre-commit-config.yaml && git commit -q --no-verify -m "pre-commit config"
    pre-commit install >/dev/null
    set -- "$@" -n "pre-commit framework $(pre-commit --version | cut -d' ' -f2)" "cd $work/pre-commit && git commit -q -m bench"
else
    echo "pre-commit framework not installed: left out" >&2
fi

if command -v lefthook >/dev/null 2>&1; then
    make_repo lefthook
    cat >lefthook.yml <<'EOF'
pre-commit:
  commands:
    train:
      glob: "data/*.csv"
      run: "true"
EOF
    git add lefthook.yml && git commit -q --no-verify -m "lefthook config"
    lefthook install >/dev/null
    set -- "$@" -n "lefthook $(lefthook version)" "cd $work/lefthook && git commit -q -m bench"
else
    echo "lefthook not installed: left out" >&2
fi

if command -v dvc >/dev/null 2>&1; then
    make_repo dvc
    dvc init -q && git add -A && git commit -q --no-verify -m "dvc init"
    dvc install >/dev/null
    set -- "$@" -n "DVC $(dvc --version) (dvc install)" "cd $work/dvc && git commit -q -m bench"
else
    echo "dvc not installed: left out" >&2
fi

# hyperfine subtracts the cost of starting sh from every figure. Each run stages a one-line README edit first (not timed): nothing the pipeline depends on.
# shellcheck disable=SC2016 # expanded by the shell hyperfine starts
prepare='for d in '"$work"'/*/; do [ -d "$d/.git" ] && (cd "$d" && date +%s%N >>README.md && git add README.md); done; rm -f '"$work"'/modelgate-binary/.git/modelgate/pre-commit.pathspec'
uptime >&2
hyperfine --warmup 5 --runs "$runs" --prepare "$prepare" --shell=sh \
    --export-markdown "$results/hooks-commit.md" --export-json "$results/hooks-commit.json" "$@"
uptime >&2
cat "$results/hooks-commit.md"
# Medians, and what each hook adds to a plain commit.
python3 - "$results/hooks-commit.json" <<'EOF'
import json, sys
runs = json.load(open(sys.argv[1]))["results"]
plain = runs[0]["median"]
print("| hook | median commit | added to plain git |")
print("|---|---:|---:|")
for r in runs:
    print(f"| {r['command']} | {r['median'] * 1000:.1f} ms | {(r['median'] - plain) * 1000:+.1f} ms |")
EOF

# pre-push of a tip whose verdict is already recorded (a note): should cost about as much as the
# shim and one process, never a retrain. Each run deletes the remote branch first (not timed).
for repo in plain-push modelgate-push; do
    make_repo "$repo"
    git init -q --bare "$work/$repo-remote.git"
    git remote add origin "$work/$repo-remote.git"
    git push -q --no-verify origin main
    git checkout -q -b topic
    printf '4,8\n' >>data/train.csv
    git commit -q --no-verify -am "more data"
done
cd "$work/modelgate-push"
"$binary" install >/dev/null
"$binary" run --rev topic >/dev/null 2>&1
hyperfine --warmup 3 --runs "$runs" --shell=sh --export-json "$results/hooks-push.json" \
    --export-markdown "$results/hooks-push.md" \
    -n "plain git push" --prepare "cd $work/plain-push && git push -q --no-verify origin :topic 2>/dev/null || true" \
    "cd $work/plain-push && git push -q origin topic" \
    -n "modelgate pre-push (recorded verdict)" \
    --prepare "cd $work/modelgate-push && git push -q --no-verify origin :topic 2>/dev/null || true" \
    "cd $work/modelgate-push && git push -q origin topic 2>/dev/null"
uptime >&2
python3 - "$results/hooks-push.json" <<'EOF'
import json, sys
runs = json.load(open(sys.argv[1]))["results"]
plain = runs[0]["median"]
print("| push | median | added to plain git |")
print("|---|---:|---:|")
for r in runs:
    print(f"| {r['command']} | {r['median'] * 1000:.1f} ms | {(r['median'] - plain) * 1000:+.1f} ms |")
EOF

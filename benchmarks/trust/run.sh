#!/bin/sh
# What a trust policy costs the pre-push hook: a push to a protected branch (trust.require:
# push:main) whose tip has a trusted signed verdict, against the same push with an unsigned
# cached verdict and no trust policy (the hook before this feature), and against `git push`
# with no hooks at all. Each push is `git push --dry-run` (the pre-push hook runs, nothing
# moves), so every run sees the same repository.
#
# Usage: benchmarks/trust/run.sh MODELGATE_BINARY [RUNS]
# Needs hyperfine, git and ssh-keygen. Writes hyperfine's table to benchmarks/results/trust.md.
set -eu

binary=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
runs=${2:-100}
here=$(cd "$(dirname "$0")/../.." && pwd)
results="$here/benchmarks/results"
mkdir -p "$results"
work=$(mktemp -d "${TMPDIR:-/tmp}/modelgate-bench-trust.XXXXXX")
trap 'rm -rf "$work"' EXIT

export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
PATH="$(dirname "$binary"):$PATH"
export PATH

ssh-keygen -q -t ed25519 -N "" -C ci -f "$work/ci"

# A repository with a one-stage pipeline and a bare remote that has the parent of the tip.
# $1: name; $2: "trust" to add the policy and sign the tip's verdict.
make_repo() {
    git init -q -b main "$work/$1"
    cd "$work/$1"
    mkdir -p data .modelgate
    printf 'x,y\n1,2\n2,4\n3,6\n4,8\n5,10\n6,12\n7,14\n8,16\n9,18\n10,20\n' >data/train.csv
    echo "ci@example.com $(cut -d' ' -f1,2 "$work/ci.pub")" >.modelgate/allowed_signers
    cat >modelgate.yml <<'EOF'
version: 1
name: bench
stages:
  - name: train
    builtin: linear-regression
    data: data/train.csv
    target: y
    split: 0.3
gates:
  - {metric: r2, min: 0.5}
hooks:
  pre-commit: off
EOF
    if [ "$2" = trust ]; then
        printf 'trust:\n  signers: .modelgate/allowed_signers\n  require: ["push:main"]\n' >>modelgate.yml
    fi
    git add -A
    git commit -q -m "model"
    git init -q --bare "$work/$1-remote.git"
    git remote add origin "$work/$1-remote.git"
    git push -q --no-verify origin main
    echo "# readme" >README.md
    git add README.md
    git commit -q -m "readme"
    "$binary" install >/dev/null
    if [ "$2" = trust ]; then
        "$binary" run --sign "$work/ci" >/dev/null 2>&1
        "$binary" verify >/dev/null
    else
        "$binary" run >/dev/null 2>&1
    fi
    # Warm: the first push writes what later ones read.
    git push -q --dry-run origin main 2>/dev/null
    # What git writes to the hook's stdin for this push, to time the hook process alone.
    echo "refs/heads/main $(git rev-parse HEAD) refs/heads/main $(git rev-parse HEAD~1)" >"$work/$1.stdin"
}

make_repo signed trust
make_repo unsigned plain

hyperfine --warmup 5 --runs "$runs" --export-markdown "$results/trust.md" \
    -n "git push (no hooks)" "cd $work/unsigned && git -c core.hooksPath=/dev/null push -q --dry-run origin main" \
    -n "pre-push, unsigned cached verdict (no trust policy)" "cd $work/unsigned && git push -q --dry-run origin main" \
    -n "pre-push, trusted signed verdict (trust.require push:main)" "cd $work/signed && git push -q --dry-run origin main"
# The hook process alone (no git push around it), where a difference of a millisecond shows.
hyperfine --warmup 5 --runs "$runs" --export-markdown "$results/trust-hook.md" \
    --export-json "$results/trust-hook.json" \
    -n "hook, unsigned cached verdict (no trust policy)" \
    "cd $work/unsigned && $binary hook pre-push origin $work/unsigned-remote.git < $work/unsigned.stdin" \
    -n "hook, trusted signed verdict (trust.require push:main)" \
    "cd $work/signed && $binary hook pre-push origin $work/signed-remote.git < $work/signed.stdin"
cat "$results/trust.md" "$results/trust-hook.md"
python3 -c 'import json,sys; [print("median %.1f ms  %s" % (r["median"] * 1000, r["command"])) for r in json.load(open(sys.argv[1]))["results"]]' "$results/trust-hook.json"

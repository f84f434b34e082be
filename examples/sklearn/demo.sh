#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# The modelgate story with a Python training script (a command stage), shorter: a commit whose
# scikit-learn model passes its gates, then a corrupted batch of data that the hook refuses.
#
#   examples/sklearn/demo.sh [WORKDIR]
#
# MODELGATE: the binary to use (default: .build/release/modelgate of this repository).
# VENV:      a virtualenv with scikit-learn, pandas and joblib (default: examples/sklearn/.venv,
#            which 'make demo-sklearn' creates).
# WORKDIR:   where to play (default: a fresh mktemp -d); it is kept, and its path printed.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../demo-lib.sh
source "$root/examples/demo-lib.sh"
use_binary "${MODELGATE:-$root/.build/release/modelgate}"
venv=${VENV:-$root/examples/sklearn/.venv}
"$venv/bin/python" -c "import sklearn, pandas, joblib" 2>/dev/null || {
    echo "demo: no virtualenv with scikit-learn, pandas and joblib at $venv; run 'make demo-sklearn'" >&2
    exit 2
}
use_work_directory "${1:-}"
isolate_git
# The stage's command is 'python train.py': the hooks find python on PATH, as a developer's would.
export PATH=$venv/bin:$PATH
steps=4
example=$root/examples/sklearn
repo=$work/housing-sklearn
started=$SECONDS

echo "modelgate demo (scikit-learn): $(modelgate --version) ($binary)"
echo "work directory: $work"
echo "python: $(python --version) from $venv"

step 1 "create a model repository from examples/sklearn: train.py, params.json, modelgate.yml, data"
new_repository "$repo"
cd "$repo"
cp "$example/train.py" "$example/params.json" "$example/modelgate.yml" .
mkdir -p data
"$root/examples/housing/generate.sh" 16000 1 >data/train.csv
"$root/examples/housing/generate.sh" 4000 2 >data/test.csv
expect 0 grep -E '^    (cmd|deps|params|outs|metrics):' modelgate.yml

step 2 "modelgate install"
expect 0 modelgate install
[[ -x .git/hooks/pre-commit ]] || fail "the pre-commit hook was not installed"

step 3 "commit: the pre-commit hook runs 'python train.py' on the staged files and gates its metrics"
expect 0 git add train.py params.json modelgate.yml data
expect 0 git commit -m "Housing model trained by scikit-learn"
printed "modelgate: pass on the staged files"
expect 0 modelgate run
printed "(cached)"

step 4 "commit a corrupted batch (distance measured 25 km off): refused, the work tree intact"
"$root/examples/housing/generate.sh" --no-header --distance-shift 25 4000 3 >>data/train.csv
expect 0 sha256sum data/train.csv
corrupted=$(cat "$out")
expect 0 git add data/train.csv
expect 1 git commit -m "Add batch 2 from the new agency"
printed "commit refused"
printed "reproduce: modelgate run --staged"
printed "skip once: git commit --no-verify"
expect 0 git status --short
printed "M  data/train.csv"
expect 0 sha256sum data/train.csv
[[ $(cat "$out") == "$corrupted" ]] || fail "data/train.csv changed after the refusal"
[[ $(git rev-list --count HEAD) == 1 ]] || fail "the refused commit was made"

printf '\ndemo: all %s steps played as expected in %d s\n' "$steps" $((SECONDS - started))
printf 'demo: repository %s\n' "$repo"

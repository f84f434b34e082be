#!/bin/sh
# The answers users wait for most often, each from what is already recorded, against the floor:
# `git status`, `git notes show`, and a C program linked with libgit2 that opens the repository
# and reads one note (built here with cc). At 1 MB and at 1 GB of tracked data: the cached
# answers must cost the same at both sizes.
#
#   modelgate status                  the work tree against the last record
#   modelgate run (cached)            HEAD is an unrelated commit (a README edit) after the
#                                     evaluated one; each run first removes HEAD's note (not
#                                     timed), so every run finds the verdict by its inputs again
#   modelgate verify                  HEAD's verdict, signed on the evaluated commit, trusted
#   pre-push hook alone               `modelgate hook pre-push` with the stdin git gives it, for a
#                                     tip whose signed verdict is recorded (trust.require push:main)
#   git push (pre-push hook)          `git push --dry-run` to a local bare remote, the installed
#                                     hook running; against the same push without hooks
#
# The data: data/big.bin, made with `truncate` (a sparse file: no disk blocks, reads as zeros)
# and committed; git hashes and deflates it once, at set-up (about 1 MB in .git for 1 GB), and
# it is a dependency of the stage, so its blob id is in every fingerprint.
#
# Usage: benchmarks/floor/run.sh MODELGATE_BINARY [RUNS] [SIZES_MB]   (default 100 runs, "1 1024")
# Needs hyperfine, git, cc, pkg-config, libgit2-dev and ssh-keygen. Writes hyperfine's tables to
# benchmarks/results/floor-*.md and prints one table of means.
#
#        benchmarks/floor/run.sh --instructions MODELGATE_BINARY
# counts instructions instead (valgrind --tool=callgrind, repeatable to 0.1 % whatever else runs),
# in the 1 MB repository, each command run once before so that its caches are warm, on a copy of
# the binary without DWARF (valgrind cannot read Swift 6.3's); with the minor page faults and peak
# resident memory of one run (/usr/bin/time). Needs valgrind and GNU time as well. With CALLGRIND_OUT=FOLDER the
# profiles are kept there, for callgrind_annotate.
set -eu

mode="time"
if [ "${1:-}" = --instructions ]; then
    mode=instructions
    shift
fi
binary=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
runs=${2:-100}
sizes=${3:-"1 1024"}
here=$(cd "$(dirname "$0")/../.." && pwd)
results="$here/benchmarks/results"
mkdir -p "$results"
work=$(mktemp -d "${TMPDIR:-/tmp}/modelgate-bench-floor.XXXXXX")
trap 'rm -rf "$work"' EXIT

export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
PATH="$(dirname "$binary"):$PATH"
export PATH

# The floor: start, initialise libgit2, open the repository, read HEAD's note, print it.
cat >"$work/floor.c" <<'EOF'
#include <git2.h>
#include <stdio.h>

int main(void) {
    git_repository *repository;
    git_oid head;
    git_note *note;
    git_libgit2_init();
    if (git_repository_open_ext(&repository, ".", 0, NULL) != 0) return 3;
    if (git_reference_name_to_id(&head, repository, "HEAD") != 0) return 3;
    if (git_note_read(&note, repository, "refs/notes/modelgate", &head) != 0) return 1;
    fputs(git_note_message(note), stdout);
    return 0;
}
EOF
# shellcheck disable=SC2046 # pkg-config prints several flags
cc -O2 -o "$work/floor" "$work/floor.c" $(pkg-config --cflags --libs libgit2)

ssh-keygen -q -t ed25519 -N "" -C ci -f "$work/ci"

# $1: size in MB. A repository whose stage depends on data/ (with data/big.bin of that size),
# a trust policy requiring a signed verdict to push main, a bare remote holding main's parent.
make_repo() {
    repo="$work/repo-$1mb"
    git init -q -b main "$repo"
    cd "$repo"
    mkdir -p data .modelgate
    truncate -s "$1M" data/big.bin
    printf 'x,y\n1,2\n2,4\n3,6\n' >data/train.csv
    echo "ci@example.com $(cut -d' ' -f1,2 "$work/ci.pub")" >.modelgate/allowed_signers
    cat >modelgate.yml <<'EOF'
version: 1
name: bench
stages:
  - name: train
    cmd: echo '{"r2":0.95}' > metrics.json
    deps: ["data/*"]
    metrics: metrics.json
gates:
  - {metric: r2, min: 0.9}
trust:
  signers: .modelgate/allowed_signers
  require: ["push:main"]
EOF
    echo "# bench" >README.md
    # Older than the index from the start: a file modified in the second the index is written is
    # "racily clean", and git, libgit2 and modelgate all hash it to be sure (1 GB: seconds).
    touch -d "1 minute ago" data/big.bin data/train.csv
    git add -A
    git commit -q --no-verify -m model
    git init -q --bare "$work/remote-$1mb.git"
    git remote add origin "$work/remote-$1mb.git"
    git push -q --no-verify origin main
    "$binary" run --sign "$work/ci" >/dev/null 2>&1
    echo "more" >>README.md
    git commit -q --no-verify -am "readme"
    "$binary" install >/dev/null
    "$binary" run >/dev/null 2>&1
    "$binary" verify >/dev/null
    git status >/dev/null # refreshes the index's stat data, as any git command would
    git push -q --dry-run origin main 2>/dev/null
    echo "refs/heads/main $(git rev-parse HEAD) refs/heads/main $(git rev-parse HEAD~1)" >"$work/$1mb.stdin"
}

# $1: name, then the command. Instructions executed (callgrind), minor page faults and peak
# resident memory of one run (GNU time), in the current repository, after one untimed run; stdin is
# the file $input names (default /dev/null).
count() {
    name=$1
    shift
    # Twice under valgrind: the config cache keys its entries by the executable, which is
    # valgrind's own under valgrind, so the first such run fills the entry the second reads.
    valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out" "$@" \
        >/dev/null 2>&1 <"${input:-/dev/null}" || true
    valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out" "$@" \
        >/dev/null 2>"$work/callgrind.err" <"${input:-/dev/null}" || true
    instructions=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$work/callgrind.err")
    if [ -n "${CALLGRIND_OUT:-}" ]; then
        cp "$work/callgrind.out" "$CALLGRIND_OUT/$(echo "$name" | tr -c 'a-zA-Z0-9\n' -).out"
    fi
    "$@" >/dev/null 2>&1 <"${input:-/dev/null}" || true
    /usr/bin/time -f "%R %M" -o "$work/time.out" "$@" >/dev/null 2>&1 <"${input:-/dev/null}" || true
    read -r faults resident <"$work/time.out"
    printf '| %s | %s M | %s | %s MB |\n' "$name" \
        "$(echo "$instructions" | awk '{printf "%.1f", $1 / 1e6}')" "$faults" \
        "$(echo "$resident" | awk '{printf "%.1f", $1 / 1024}')"
}

if [ "$mode" = instructions ]; then
    strip --strip-debug -o "$work/modelgate" "$binary"
    binary="$work/modelgate"
    make_repo 1
    cd "$work/repo-1mb"
    printf 'binary: %s bytes stripped of DWARF (%s)\n\n' "$(wc -c <"$binary")" "$1" >&2
    echo "| command | instructions | minor page faults | peak resident |"
    echo "|---|---:|---:|---:|"
    count "modelgate status" "$binary" status
    count "modelgate run, note on HEAD" "$binary" run
    # Twice, as count does, each time without HEAD's note.
    for _ in 1 2; do
        git notes --ref=modelgate remove --ignore-missing HEAD 2>/dev/null
        valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out" "$binary" run \
            >/dev/null 2>"$work/callgrind.err" </dev/null || true
    done
    if [ -n "${CALLGRIND_OUT:-}" ]; then cp "$work/callgrind.out" "$CALLGRIND_OUT/modelgate-run-unrelated.out"; fi
    printf '| modelgate run, unrelated commit (note removed) | %s M | | |\n' \
        "$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$work/callgrind.err" | awk '{printf "%.1f", $1 / 1e6}')"
    count "modelgate verify" "$binary" verify
    input="$work/1mb.stdin"
    count "modelgate hook pre-push" "$binary" hook pre-push origin "$work/remote-1mb.git"
    input=/dev/null
    count "C: libgit2 init + open + read note" "$work/floor"
    count "git status" git status
    exit 0
fi

uptime >&2
for size in $sizes; do
    make_repo "$size"
    cd "$work/repo-${size}mb"
    remote="$work/remote-${size}mb.git"
    hyperfine -N --warmup 5 --runs "$runs" --export-json "$results/floor-${size}mb.json" \
        --export-markdown "$results/floor-${size}mb.md" \
        --prepare true -n "modelgate status" "$binary status" \
        --prepare "git notes --ref=modelgate remove --ignore-missing HEAD" \
        -n "modelgate run (cached, unrelated commit)" "$binary run" \
        --prepare true -n "modelgate verify" "$binary verify" \
        --prepare true -n "git status" "git status" \
        --prepare true -n "git notes show" "git notes --ref=modelgate show" \
        --prepare true -n "C: libgit2 open + read note" "$work/floor"
    # Through sh (hyperfine subtracts its start-up): the hook reads git's lines on stdin.
    hyperfine --warmup 5 --runs "$runs" --shell=sh --export-json "$results/floor-${size}mb-push.json" \
        --export-markdown "$results/floor-${size}mb-push.md" \
        -n "modelgate hook pre-push (verified tip)" \
        "$binary hook pre-push origin $remote <$work/${size}mb.stdin" \
        -n "git push --dry-run, pre-push hook" "git push -q --dry-run origin main" \
        -n "git push --dry-run, no hooks" "git -c core.hooksPath=/dev/null push -q --dry-run origin main"
done
uptime >&2

# shellcheck disable=SC2086 # one argument per size
python3 - "$results" $sizes <<'EOF'
import json, sys
folder, sizes = sys.argv[1], sys.argv[2:]
rows = {}
for size in sizes:
    for name in (f"floor-{size}mb.json", f"floor-{size}mb-push.json"):
        for r in json.load(open(f"{folder}/{name}"))["results"]:
            rows.setdefault(r["command"], {})[size] = r
floor = rows["C: libgit2 open + read note"]
# Wall time on a shared machine swings with its load; user + system CPU time swings less.
print("| command | " + " | ".join(f"{s} MB: mean ± σ (median) | CPU" for s in sizes) + " | median ÷ C floor |")
print("|---|" + "---:|---:|" * len(sizes) + "---:|")
for command, by_size in rows.items():
    cells = []
    for s in sizes:
        r = by_size[s]
        cells.append(f"{r['mean'] * 1000:.1f} ± {r['stddev'] * 1000:.1f} ({r['median'] * 1000:.1f}) ms")
        cells.append(f"{(r['user'] + r['system']) * 1000:.1f} ms")
    ratio = by_size[sizes[-1]]["median"] / floor[sizes[-1]]["median"]
    print(f"| {command} | " + " | ".join(cells) + f" | {ratio:.2f} |")
EOF

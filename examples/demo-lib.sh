# shellcheck shell=bash disable=SC2154
# Helpers shared by examples/demo.sh and examples/sklearn/demo.sh (sourced, bash).
# The caller sets: binary (modelgate's absolute path), work (the work directory), steps (how
# many steps the story has) and out (a file the last command's output is kept in).

# The binary under test, by its absolute path (the hooks record it at install).
modelgate() { "$binary" "$@"; }

step() { printf '\n==> [%s/%s] %s\n' "$1" "$steps" "$2"; }
say() { printf '    %s\n' "$*"; }
fail() {
    printf '\ndemo: FAILED: %s\n' "$*" >&2
    printf 'demo: work directory kept at %s\n' "$work" >&2
    exit 1
}

# expect STATUS COMMAND...: shows the command and everything it prints (stdout and stderr, in
# order), and stops the demo unless it exits with STATUS.
expect() {
    local want=$1 status=0
    shift
    local shown=() arg
    for arg in "$@"; do [[ $arg == *[\ \|\{]* ]] && shown+=("'$arg'") || shown+=("$arg"); done
    printf '$ %s\n' "${shown[*]}"
    "$@" >"$out" 2>&1 || status=$?
    cat "$out"
    if [[ -s $out && -n $(tail -c1 "$out") ]]; then echo; fi
    [[ $status -eq $want ]] || fail "'$*' exited $status, expected $want"
}

# printed TEXT: stops the demo unless the last command printed TEXT.
printed() {
    grep -qF -- "$1" "$out" || fail "expected the output above to contain '$1'"
}

# use_binary PATH: checks and sets modelgate's binary (relative paths are from the current dir).
use_binary() {
    binary=$1
    case $binary in /*) ;; *) binary=$PWD/$binary ;; esac
    [[ -x $binary ]] || {
        echo "demo: no modelgate binary at $binary; run 'make release' or set MODELGATE" >&2
        exit 2
    }
}

# use_work_directory [DIR]: an empty or new directory (default: a fresh mktemp -d), absolute.
use_work_directory() {
    work=${1:-$(mktemp -d "${TMPDIR:-/tmp}/modelgate-demo.XXXXXX")}
    mkdir -p "$work"
    work=$(cd "$work" && pwd)
    [[ -z $(ls -A "$work") ]] || {
        echo "demo: $work is not empty; give an empty or new directory" >&2
        exit 2
    }
    out=$work/last-output.txt
}

# Only the demo's settings: no user or system git config (hooksPath, signing, templates), no
# repository inherited from a calling hook, no colours, modelgate not skipped.
isolate_git() {
    unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES
    unset MODELGATE_SKIP
    export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 NO_COLOR=1 LC_ALL=C
}

# new_repository DIR: git init on main, with a local identity (CI has none).
new_repository() {
    git init --quiet --initial-branch=main "$1"
    git -C "$1" config user.name "Demo Developer"
    git -C "$1" config user.email "demo@example.com"
}

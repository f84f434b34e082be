#!/bin/sh
# The CI side of modelgate: compute the verdict of one commit where the model can really be
# trained, share it through the repository's notes, and report it to the forge. Both recipes
# (github-actions.yml, gitlab-ci.yml) call this script; run it at the top of a full clone.
#
#   SHA                    the commit to judge (default: GITHUB_SHA, CI_COMMIT_SHA, else HEAD)
#   MODELGATE_REMOTE       where records are shared (default: origin; the job must be allowed to push)
#   MODELGATE_BIN          the modelgate binary (default: modelgate on PATH, else one built from
#                          MODELGATE_SOURCE, a checkout of modelgate's sources, with swift build)
#   MODELGATE_SIGNING_KEY  when set: the verdict is signed with this SSH key (a private key file,
#                          or the key's text itself, as CI secrets hold it)
#   MODELGATE_REPORT_DIR   where verdict.md and junit.xml go (default: modelgate-report)
#   MODELGATE_SITE_URL     the published site's root URL, linked from the Markdown report
#   GITHUB_STEP_SUMMARY    when set (GitHub Actions): the Markdown report is added to it
#
# Exit status: modelgate run's (0 pass, 1 a gate failed, 2 bad input, 3 error). A pass or a fail
# is shared and reported either way: a failing verdict is a fact teammates' hooks reuse too.
set -eu

sha=${SHA:-${GITHUB_SHA:-${CI_COMMIT_SHA:-}}}
[ -n "$sha" ] || sha=$(git rev-parse HEAD)
remote=${MODELGATE_REMOTE:-origin}
reports=${MODELGATE_REPORT_DIR:-modelgate-report}

# 1. The binary.
modelgate=${MODELGATE_BIN:-}
if [ -z "$modelgate" ]; then
    if command -v modelgate >/dev/null 2>&1; then
        modelgate=modelgate
    elif [ -n "${MODELGATE_SOURCE:-}" ]; then
        (cd "$MODELGATE_SOURCE" && swift build -c release --product modelgate)
        modelgate="$MODELGATE_SOURCE/.build/release/modelgate"
    else
        echo "verdict.sh: no modelgate: put it on PATH, or set MODELGATE_BIN or MODELGATE_SOURCE" >&2
        exit 3
    fi
fi

# 2. The signing key. A secret's text is written to a private file that is removed at exit.
sign=
if [ -n "${MODELGATE_SIGNING_KEY:-}" ]; then
    if ! "$modelgate" run --help 2>/dev/null | grep -q -- '--sign'; then
        echo "verdict.sh: MODELGATE_SIGNING_KEY is set, but this modelgate cannot sign (no 'run --sign'); upgrade it or unset the key" >&2
        exit 2
    fi
    case $MODELGATE_SIGNING_KEY in
    -----BEGIN*)
        key_file=$(mktemp "${TMPDIR:-/tmp}/modelgate-key.XXXXXX")
        trap 'rm -f "$key_file"' EXIT
        trap 'exit 130' HUP INT TERM
        chmod 600 "$key_file"
        printf '%s\n' "$MODELGATE_SIGNING_KEY" >"$key_file"
        MODELGATE_SIGNING_KEY=$key_file
        export MODELGATE_SIGNING_KEY
        ;;
    esac
    sign=$MODELGATE_SIGNING_KEY
fi

# 3. Records first: a verdict someone already computed for these inputs is reused, and the
# baseline's record is here to compare with.
"$modelgate" sync "$remote"

# 4. The verdict.
status=0
if [ -n "$sign" ]; then
    "$modelgate" run --rev "$sha" --sign "$sign" || status=$?
else
    "$modelgate" run --rev "$sha" || status=$?
fi

# 5. Share a verdict (pass or fail; not a crash or a failed signature), then report it.
case $status in
0 | 1) "$modelgate" sync "$remote" ;;
*) echo "verdict.sh: modelgate run exited $status; no verdict to share" >&2 ;;
esac
mkdir -p "$reports"
if [ -n "${MODELGATE_SITE_URL:-}" ]; then
    "$modelgate" report "$sha" --format markdown --site-url "$MODELGATE_SITE_URL" >"$reports/verdict.md" || true
else
    "$modelgate" report "$sha" --format markdown >"$reports/verdict.md" || true
fi
"$modelgate" report "$sha" --format junit >"$reports/junit.xml" || true
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    cat "$reports/verdict.md" >>"$GITHUB_STEP_SUMMARY"
fi
exit "$status"

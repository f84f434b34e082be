#!/bin/sh
# Installs the Python tools the tests drive for real, once each; PyPI is the only source and
# nothing is committed:
#   pre-commit  the pre-commit framework, into .build-tools/venv (the hook chaining tests)
#   sklearn     scikit-learn, pandas and joblib, into examples/sklearn/.venv (the sklearn demo)
#   junit       junitparser, into .build-tools/junit (reads back `modelgate report --format junit`)
#   stats       scipy and statsmodels, into .build-tools/stats (StatisticsTests' reference values)
#   k8s         kubernetes-validate with its bundled (offline) schemas, into .build-tools/k8s
#               (checks the manifests of `modelgate deploy k8s`)
# Usage: scripts/install-test-tools.sh [pre-commit] [sklearn] [junit] [stats] [k8s]   (no argument: all)
set -eu
[ $# -gt 0 ] || set -- pre-commit sklearn junit stats k8s
for tool in "$@"; do
    case $tool in
    pre-commit)
        venv=.build-tools/venv
        [ -x "$venv/bin/pre-commit" ] && continue
        python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check pre-commit
        ;;
    sklearn)
        venv=examples/sklearn/.venv
        [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "import sklearn, pandas, joblib" 2>/dev/null && continue
        python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check scikit-learn joblib pandas
        ;;
    junit)
        venv=.build-tools/junit
        [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "import junitparser" 2>/dev/null && continue
        python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check junitparser
        ;;
    stats)
        venv=.build-tools/stats
        [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "import scipy, statsmodels" 2>/dev/null && continue
        python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check scipy statsmodels
        ;;
    k8s)
        venv=.build-tools/k8s
        [ -x "$venv/bin/kubernetes-validate" ] && continue
        python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check kubernetes-validate
        ;;
    *)
        echo "usage: $0 [pre-commit] [sklearn] [junit] [stats] [k8s]" >&2
        exit 2
        ;;
    esac
done

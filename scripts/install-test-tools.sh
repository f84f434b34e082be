#!/bin/sh
# Installs the Python tools the tests drive for real (the pre-commit framework) into
# .build-tools/venv, once. PyPI is the only source; nothing is committed.
set -eu
venv=.build-tools/venv
[ -x "$venv/bin/pre-commit" ] && exit 0
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check pre-commit

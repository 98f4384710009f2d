#!/usr/bin/env bash
# The project's test command: `cargo test --workspace` with the engines the emitter suites
# run queries in. SQLite comes with Python 3; DuckDB comes from PyPI (`duckdb`), installed
# once into a virtual environment under target/ (no system change), whose interpreter the
# suites use through $VIGIL_PYTHON. Arguments go to cargo test (default: --workspace).
# A suite that needs DuckDB fails, never skips, when it cannot run it.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=target/pyenv
if ! "$venv/bin/python" -c 'import duckdb' >/dev/null 2>&1; then
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check 'duckdb>=1.1'
fi
export VIGIL_PYTHON="$PWD/$venv/bin/python"

if [ "$#" -eq 0 ]; then
    set -- --workspace
fi
exec cargo test "$@"

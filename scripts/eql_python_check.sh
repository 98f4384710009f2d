#!/bin/sh
# The eql target's independent parser check: every query `vigil convert --target eql` prints
# for the rules under PATH (default: the shared SigmaHQ corpus) must parse in the Python
# `eql` package (PyPI, Elastic's reference implementation) in Elasticsearch syntax.
# Needs python3 with venv; installs eql==1.0.1 in a throw-away venv under $TMPDIR.
set -eu
path="${1:-${VIGIL_SHARED:-../shared}/corpus/sigma}"
venv="${TMPDIR:-/tmp}/vigil-eql-venv"
[ -x "$venv/bin/python" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q eql==1.0.1; }
cargo run -q -p vigil-cli -- convert --target eql --format ndjson "$path" 2>/dev/null | "$venv/bin/python" -P "$(dirname "$0")/parse_with_python_eql.py"

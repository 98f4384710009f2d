#!/bin/sh
# The lucene target's independent parser check: every query `vigil convert --target lucene`
# prints for the rules under PATH (default: the shared SigmaHQ corpus) must parse with
# luqum (PyPI), a Lucene query-string parser, and print back to the same text.
# Needs python3 with venv; installs luqum==1.0.0 in a throw-away venv under $TMPDIR.
set -eu
path="${1:-${VIGIL_SHARED:-../shared}/corpus/sigma}"
venv="${TMPDIR:-/tmp}/vigil-luqum-venv"
[ -x "$venv/bin/python" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q luqum==1.0.0; }
cargo run -q -p vigil-cli -- convert --target lucene --format ndjson "$path" 2>/dev/null | "$venv/bin/python" -P "$(dirname "$0")/parse_with_luqum.py"

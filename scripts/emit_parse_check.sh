#!/usr/bin/env bash
# The independent parser check for the targets with no engine here: every query
# `vigil convert` prints for the rules under PATH (default: the shared SigmaHQ corpus, else
# the project's sample) must parse without a syntax error in a parser from a package
# registry, not written here:
#   kql    Microsoft's Kusto.Language (npm @kusto/language-service-next, run by node);
#   esql   Elasticsearch's ES|QL ANTLR grammar (PyPI esql-parser, the Elasticsearch release);
#   lucene luqum (PyPI), through scripts/lucene_luqum_check.sh.
# spl and sumo have no parser on a registry (searched: PyPI, npm, crates.io); sumo runs in
# the evaluator of tests/emit_sumo.rs instead.
# Installs under target/emitcheck (node_modules, venv). Usage: scripts/emit_parse_check.sh [PATH]
set -euo pipefail
cd "$(dirname "$0")/.."
default=testdata/sigmahq
[ -d "${VIGIL_SHARED:-../shared}/corpus/sigma" ] && default="${VIGIL_SHARED:-../shared}/corpus/sigma"
path="${1:-$default}"
dir=target/emitcheck
mkdir -p "$dir"
if [ ! -f "$dir/node_modules/@kusto/language-service-next/Kusto.Language.Bridge.js" ]; then
    (cd "$dir" && npm install --silent --no-audit --no-fund --no-save @kusto/language-service-next@12.4.1)
fi
if ! "$dir/venv/bin/python" -c 'import esql_parser, luqum' >/dev/null 2>&1; then
    python3 -m venv "$dir/venv"
    "$dir/venv/bin/python" -m pip install --quiet --disable-pip-version-check esql-parser==9.1.3 luqum==1.0.0
fi
cargo build -q -p vigil-cli
status=0
echo "rules: $path"
target/debug/vigil convert --target kql --format ndjson "$path" 2>/dev/null | node scripts/parse_with_kusto.js || status=1
target/debug/vigil convert --target esql --format ndjson "$path" 2>/dev/null | "$dir/venv/bin/python" -P scripts/parse_with_esql.py || status=1
target/debug/vigil convert --target lucene --format ndjson "$path" 2>/dev/null | "$dir/venv/bin/python" -P scripts/parse_with_luqum.py || status=1
exit $status

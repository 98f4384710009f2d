#!/usr/bin/env bash
# Proof by meaning for the `spark` target in a real local Spark SQL: every rule the target
# emits (the project's SigmaHQ sample, and the whole corpus when $VIGIL_SHARED or ../shared
# is there) runs over the regression events and events generated from the rule, and must
# return exactly the events native evaluation matches. Too slow for every CI run (Spark
# starts a JVM and plans thousands of queries), so it is a script: pyspark from PyPI in a
# virtual environment under target/, Java 17 or later from the OS packages.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v java >/dev/null; then
    echo "error: Spark needs Java 17 or later (e.g. apt-get install openjdk-17-jre-headless)" >&2
    exit 1
fi
venv=target/pyspark
if ! "$venv/bin/python" -c 'import pyspark' >/dev/null 2>&1; then
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check 'pyspark>=3.5'
fi
export VIGIL_PYTHON="$PWD/$venv/bin/python"
if [ -z "${VIGIL_SHARED:-}" ] && [ -d ../shared/corpus/sigma ]; then
    export VIGIL_SHARED="$PWD/../shared"
fi
# One Spark session per table; the two tests one after the other (each starts its own).
# Niced: the machine is shared with builds (VIGIL_NICE=0 to run at full priority). Spark
# prints, per batch of statements (VIGIL_SPARK_BATCH, 100), the time spent parsing and
# analysing them and the time spent optimising and running them.
run() { nice -n "${VIGIL_NICE:-15}" cargo test -p vigil-conformance --test emit_sql -- --ignored --nocapture --exact "$1"; }
time run spark_agrees_with_native_evaluation
if [ -d "${VIGIL_SHARED:-/nonexistent}/corpus/sigma" ]; then
    time run spark_agrees_with_native_evaluation_on_the_whole_sigmahq_corpus
fi

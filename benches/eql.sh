#!/usr/bin/env bash
# EQL benchmark (issue 13).
#
# 1. vigil vs the Python `eql` package (PyPI, Endgame's engine) on the same NDJSON of
#    N ECS events (default 1,000,000; made by make_eql_events.py, kept outside the repo):
#    an event query with wildcards, and a 3-stage sequence by process.entity_id with
#    maxspan. Each engine gets the query in its own dialect (Python eql has no `:`; it
#    writes wildcards with `wildcard()`), same meaning. Prints wall and CPU seconds, result
#    counts and the ratio (Python time / vigil time). The event query's timed runs write to
#    /dev/null for both engines; vigil runs on one thread and on all cores (Python's
#    engine has one thread).
# 2. The Elastic EQL rules (testdata/eql/elastic-rules.jsonl, one .eql file each) loaded
#    beside all SigmaHQ Windows rules vs the Sigma rules alone, over an NDJSON file of
#    flattened Windows events (the throughput benchmark's input): extra hunt time.
# 3. Peak RSS of a sequence over SEQ_EVENTS events (default 10,000,000) streamed from the
#    generator through a pipe, and over a tenth of them: a fixed RSS does not grow with input.
#
# Environment (all optional):
#   N             events for part 1 (default 1000000)
#   SEQ_EVENTS    events for part 3 (default 10000000; 0 skips part 3)
#   BENCH_DIR     where generated data goes (default /work/bench-data)
#   WIN_DATA      NDJSON for part 2 (default $BENCH_DIR/events-100mb.ndjson; skipped if missing)
#   SIGMA_RULES   SigmaHQ Windows rules (default ${VIGIL_SHARED:-../shared}/corpus/sigma/rules/windows)
#   VENV          virtualenv for the Python eql package (default /tmp/eql-venv; created with pip)
#   THREADS       vigil --threads for the sequence and part 2 (default 1, as the Python
#                 engine uses one core); the event query runs with 1 and with THREADS_MAX
#   THREADS_MAX   the second thread count of the event query (default: the cores, nproc)
#   REPEAT        timed runs of each engine on the event query, the fastest kept (default 1)
#   SKIP_SEQ=1    no sequence runs in part 1
#   PY_SEQ_SLICES the first-N-event slices the Python engine runs the sequence on (default
#                 "10000 50000": its time grows faster than the input, 4 s CPU at 10k events,
#                 230 s at 50k; it does not finish on 1M in an hour); vigil runs the
#                 same slices, so each ratio is on the same input
#   PY_SEQ_FULL=1 also run the Python engine's sequence on all N events (hours)
#   SKIP_BUILD=1  do not build vigil
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
N=${N:-1000000}
SEQ_EVENTS=${SEQ_EVENTS:-10000000}
BENCH_DIR=${BENCH_DIR:-/work/bench-data}
WIN_DATA=${WIN_DATA:-$BENCH_DIR/events-100mb.ndjson}
SHARED=${VIGIL_SHARED:-$REPO/../shared}
SIGMA_RULES=${SIGMA_RULES:-$SHARED/corpus/sigma/rules/windows}
VENV=${VENV:-/tmp/eql-venv}
THREADS=${THREADS:-1}
THREADS_MAX=${THREADS_MAX:-$(nproc)}
REPEAT=${REPEAT:-1}
VIGIL=$REPO/target/release/vigil
log() { printf '[eql-bench] %s\n' "$*" >&2; }

[[ -x /usr/bin/time ]] || { log "/usr/bin/time is missing"; exit 1; }
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then (cd "$REPO" && cargo build --release -q -p vigil-cli); fi
if [[ ! -x "$VENV/bin/eql" ]]; then
  log "installing the Python eql package into $VENV"
  python3 -m venv "$VENV" && "$VENV/bin/pip" install -q eql
fi
mkdir -p "$BENCH_DIR"
DATA=$BENCH_DIR/eql-events-$N.jsonl
if [[ ! -s "$DATA" ]]; then
  log "generating $N events into $DATA"
  python3 "$HERE/make_eql_events.py" "$N" > "$DATA"
fi
WORK=$(mktemp -d /tmp/eql-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

EVENT_VIGIL='any where event.category == "process" and process.name : ("*shta*", "power*.exe") and process.command_line : "*http*"'
EVENT_PY='any where event.category == "process" and wildcard(process.name, "*shta*", "power*.exe") and wildcard(process.command_line, "*http*")'
SEQ='sequence by process.entity_id with maxspan=2m [any where event.category == "process" and event.type == "start"] [any where event.category == "file"] [any where event.category == "network"]'

# Runs a command, prints "<wall s> <cpu s> <peak RSS kB>" to stdout; the command's stdout goes to $2.
measure() {
  local out=$1; shift
  /usr/bin/time -f '%e %U %S %M' -o "$WORK/time" "$@" > "$out" 2> "$WORK/err" || { cat "$WORK/err" >&2; return 1; }
  awk '{printf "%s %.2f %s\n", $1, $2 + $3, $4}' "$WORK/time"
}

run_pair() {
  local name=$1 vq=$2 pq=$3
  mkdir -p "$WORK/$name"
  printf '%s\n' "$vq" > "$WORK/$name/q.eql"
  read -r vw vc vr < <(measure "$WORK/$name/vigil.out" "$VIGIL" hunt "$DATA" --rules "$WORK/$name/q.eql" --format ndjson --threads "$THREADS")
  grep '^prefilter:' "$WORK/err" >&2 || true
  local vn; vn=$(wc -l < "$WORK/$name/vigil.out")
  read -r pw pc pr < <(measure "$WORK/$name/py.out" "$VENV/bin/eql" query -f "$DATA" "$pq")
  local pn; pn=$(wc -l < "$WORK/$name/py.out")
  printf '%-10s vigil %7.2f s wall %7.2f s cpu (%s alerts) | python eql %8.2f s wall %8.2f s cpu (%s output lines) | ratio wall %.0fx cpu %.0fx\n' \
    "$name" "$vw" "$vc" "$vn" "$pw" "$pc" "$pn" "$(echo "$pw / $vw" | bc -l)" "$(echo "$pc / ($vc + 0.001)" | bc -l)"
}

# The event query, timed with the output to /dev/null for both engines (REPEAT runs each,
# the fastest kept), vigil on one thread and on THREADS_MAX threads; the results are
# counted in separate, untimed runs and must be equal.
best() {
  local out=$1; shift
  local best_w='' best_c='' w c r i
  for ((i = 0; i < REPEAT; i++)); do
    read -r w c r < <(measure "$out" "$@")
    if [[ -z "$best_c" ]] || (($(echo "$c < $best_c" | bc -l))); then best_c=$c; fi
    if [[ -z "$best_w" ]] || (($(echo "$w < $best_w" | bc -l))); then best_w=$w; fi
  done
  echo "$best_w $best_c"
}
run_event() {
  local vq=$1 pq=$2
  mkdir -p "$WORK/event"
  printf '%s\n' "$vq" > "$WORK/event/q.eql"
  "$VIGIL" hunt "$DATA" --rules "$WORK/event/q.eql" --format ndjson --threads 1 > "$WORK/event/vigil.out" 2> "$WORK/event/vigil.err"
  grep '^prefilter:' "$WORK/event/vigil.err" >&2 || true
  "$VENV/bin/eql" query -f "$DATA" "$pq" > "$WORK/event/py.out"
  local vn pn
  vn=$(wc -l < "$WORK/event/vigil.out")
  pn=$(wc -l < "$WORK/event/py.out")
  rm -f "$WORK/event/vigil.out" "$WORK/event/py.out"
  [[ "$vn" == "$pn" ]] || log "RESULT COUNTS DIFFER: vigil $vn, Python eql $pn"
  read -r pw pc < <(best /dev/null "$VENV/bin/eql" query -f "$DATA" "$pq")
  printf 'event      Python eql (one thread)  %7.2f s wall %7.2f s cpu, %s events\n' "$pw" "$pc" "$pn"
  for t in 1 "$THREADS_MAX"; do
    read -r vw vc < <(best /dev/null "$VIGIL" hunt "$DATA" --rules "$WORK/event/q.eql" --format ndjson --threads "$t")
    printf 'event      vigil --threads %-8s %7.2f s wall %7.2f s cpu, %s alerts | ratio (Python / vigil) wall %.0fx cpu %.0fx\n' \
      "$t" "$vw" "$vc" "$vn" "$(echo "$pw / $vw" | bc -l)" "$(echo "$pc / ($vc + 0.001)" | bc -l)"
  done
}

log "part 1: $N events, vigil vs Python eql $("$VENV/bin/eql" --version 2>&1 | tail -1)"
run_event "$EVENT_VIGIL" "$EVENT_PY"
if [[ "${SKIP_SEQ:-0}" == 1 ]]; then
  :
elif [[ "${PY_SEQ_FULL:-0}" == 1 ]]; then
  run_pair sequence "$SEQ" "$SEQ"
else
  printf '%s\n' "$SEQ" > "$WORK/seq-full.eql"
  read -r vw vc _ < <(measure "$WORK/seq-full.out" "$VIGIL" hunt "$DATA" --rules "$WORK/seq-full.eql" --format ndjson --threads "$THREADS")
  printf '%-10s vigil %7.2f s wall %7.2f s cpu (%s alerts) on all %s events; Python eql on slices:\n' sequence "$vw" "$vc" "$(wc -l < "$WORK/seq-full.out")" "$N"
  rm -f "$WORK/seq-full.out"
  FULL=$DATA
  for n in ${PY_SEQ_SLICES:-10000 50000}; do
    DATA=$WORK/slice-$n.jsonl
    head -n "$n" "$FULL" > "$DATA"
    run_pair "seq@$n" "$SEQ" "$SEQ"
    rm -f "$DATA"
  done
  DATA=$FULL
fi

if [[ -s "$WIN_DATA" && -d "$SIGMA_RULES" ]]; then
  log "part 2: SigmaHQ Windows rules alone vs with the Elastic EQL rules, over $WIN_DATA"
  mkdir -p "$WORK/eql-rules"
  python3 - "$REPO/testdata/eql/elastic-rules.jsonl" "$WORK/eql-rules" <<'PY'
import json, sys, os
for i, line in enumerate(open(sys.argv[1])):
    v = json.loads(line)
    open(os.path.join(sys.argv[2], f"r{i:04d}.eql"), "w").write(v["query"] + "\n")
PY
  read -r sw sc _ < <(measure /dev/null "$VIGIL" hunt "$WIN_DATA" --rules "$SIGMA_RULES" --format ndjson --threads "$THREADS")
  read -r bw bc _ < <(measure /dev/null "$VIGIL" hunt "$WIN_DATA" --rules "$SIGMA_RULES" --rules "$WORK/eql-rules" --format ndjson --threads "$THREADS")
  grep '^rules:' "$WORK/err" >&2 || true
  printf 'sigma alone %.2f s wall %.2f s cpu | sigma + elastic eql %.2f s wall %.2f s cpu | extra %.1f%% wall, %.1f%% cpu\n' \
    "$sw" "$sc" "$bw" "$bc" "$(echo "($bw - $sw) * 100 / $sw" | bc -l)" "$(echo "($bc - $sc) * 100 / $sc" | bc -l)"
else
  log "part 2 skipped: $WIN_DATA or $SIGMA_RULES missing"
fi

if [[ "$SEQ_EVENTS" != 0 ]]; then
  log "part 3: peak RSS of the sequence over $((SEQ_EVENTS / 10)) and $SEQ_EVENTS streamed events"
  printf '%s\n' "$SEQ" > "$WORK/seq.eql"
  for n in $((SEQ_EVENTS / 10)) "$SEQ_EVENTS"; do
    # Streamed through a pipe: nothing is written to disk. The peak RSS is the largest of
    # the pipeline's processes (vigil; the generator stays small).
    read -r w c r < <(measure "$WORK/seq.out" bash -c "python3 '$HERE/make_eql_events.py' $n 7 | '$VIGIL' hunt - --rules '$WORK/seq.eql' --format table --threads $THREADS")
    printf 'sequence over %10d events: %7.2f s wall, peak RSS %6.1f MB, %s alerts\n' "$n" "$w" "$(echo "$r / 1024" | bc -l)" "$(wc -l < "$WORK/seq.out")"
    grep '^sequences:' "$WORK/err" >&2 || true
    rm -f "$WORK/seq.out"
  done
fi

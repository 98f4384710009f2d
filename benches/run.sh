#!/usr/bin/env bash
# Throughput benchmark: vigil vs rsigma on the same flat NDJSON file and the same
# SigmaHQ Windows rules. See benches/README.md.
#
# Environment (all optional):
#   DATA          NDJSON input; made by make_ndjson.py if missing
#                 (default $BENCH_DIR/events.ndjson, or events-<SIZE_MB>mb.ndjson if SIZE_MB is set)
#   SIZE_MB       size of the generated file in MB (default 1100); SIZE_MB=50 for a quick check
#   NESTED=1      generate the nested (Event.System/Event.EventData) variant instead of the flat one
#   RULES         Sigma rules directory (default /work/shared/corpus/sigma/rules/windows)
#   BENCH_DIR     where data and results go (default /work/bench-data; keep it outside the repo)
#   OUT           results directory (default $BENCH_DIR/results/<UTC timestamp>)
#   RSIGMA_ROOT   cargo install root for rsigma (default /work/tools/rsigma)
#   RSIGMA        rsigma binary (default $RSIGMA_ROOT/bin/rsigma)
#   RSIGMA_VERSION  pin the rsigma version installed when it is missing (default: latest)
#   RSIGMA_ARGS   extra arguments for `rsigma engine eval` (default none)
#   VIGIL_ARGS    extra arguments for `vigil hunt` (default none)
#   TOOLS         runs to do, any of: rsigma vigil-1 vigil-all (default all three)
#   REPEAT        rounds; each round runs every tool once, in turn. The table shows each
#                 tool's fastest run; the ratio of each round and their median are printed too
#                 (default 1)
#   SKIP_BUILD=1  do not run `cargo build --release`
#   KEEP_OUTPUT=1 keep the alert files (they are deleted after counting by default)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)

BENCH_DIR=${BENCH_DIR:-/work/bench-data}
if [[ -n "${SIZE_MB:-}" ]]; then
  DATA=${DATA:-$BENCH_DIR/events-${SIZE_MB}mb${NESTED:+-nested}.ndjson}
else
  SIZE_MB=1100
  DATA=${DATA:-$BENCH_DIR/events${NESTED:+-nested}.ndjson}
fi
RULES=${RULES:-/work/shared/corpus/sigma/rules/windows}
RSIGMA_ROOT=${RSIGMA_ROOT:-/work/tools/rsigma}
RSIGMA=${RSIGMA:-$RSIGMA_ROOT/bin/rsigma}
VIGIL=${VIGIL:-$REPO/target/release/vigil}
TOOLS=${TOOLS:-rsigma vigil-1 vigil-all}
REPEAT=${REPEAT:-1}
OUT=${OUT:-$BENCH_DIR/results/$(date -u +%Y%m%dT%H%M%SZ)}
read -r -a RSIGMA_EXTRA <<< "${RSIGMA_ARGS:-}"
read -r -a VIGIL_EXTRA <<< "${VIGIL_ARGS:-}"

log() { printf '[bench] %s\n' "$*" >&2; }
die() { printf '[bench] error: %s\n' "$*" >&2; exit 1; }

[[ -x /usr/bin/time ]] || die "/usr/bin/time is missing (apt-get install time)"
[[ -d "$RULES" ]] || die "rules directory $RULES not found"
case "$DATA" in "$REPO"/*) die "DATA=$DATA is inside the repo; the corpus must not be committed";; esac
[[ "$REPEAT" =~ ^[1-9][0-9]*$ ]] || die "REPEAT must be a positive integer"

want() { [[ " $TOOLS " == *" $1 "* ]]; }

# --- 1. vigil -------------------------------------------------------------------
if want vigil-1 || want vigil-all; then
  if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    log "building vigil (cargo build --release in $REPO)"
    (cd "$REPO" && cargo build --release)
  fi
  [[ -x "$VIGIL" ]] || die "$VIGIL not found (build failed or SKIP_BUILD=1 without a build)"
fi

# --- 2. rsigma ------------------------------------------------------------------
if want rsigma && [[ ! -x "$RSIGMA" ]]; then
  log "installing rsigma into $RSIGMA_ROOT (slow: niced, one job)"
  ver=()
  [[ -n "${RSIGMA_VERSION:-}" ]] && ver=(--version "$RSIGMA_VERSION")
  nice -n 19 cargo install rsigma "${ver[@]}" --features evtx --ignore-rust-version -j 1 --root "$RSIGMA_ROOT"
  [[ -x "$RSIGMA" ]] || die "rsigma install did not produce $RSIGMA"
fi

# --- 3. data --------------------------------------------------------------------
if [[ ! -s "$DATA" ]]; then
  if ! python3 -c 'import evtx' 2>/dev/null; then
    log "installing the Python package evtx (pyevtx-rs)"
    python3 -m pip install --quiet evtx
  fi
  log "generating $DATA (${SIZE_MB} MB)"
  python3 "$HERE/make_ndjson.py" --size-mb "$SIZE_MB" -o "$DATA" ${NESTED:+--nested}
fi

EVENTS=$(wc -l < "$DATA")
BYTES=$(stat -c %s "$DATA")
(( EVENTS > 0 )) || die "$DATA is empty"
mkdir -p "$OUT"
log "data: $DATA ($EVENTS events, $BYTES bytes); rules: $RULES; results: $OUT"
cat "$DATA" > /dev/null   # warm the page cache so every tool reads from memory

# --- 4. runs --------------------------------------------------------------------
# One run: name, thread label, command...  Alerts go to $OUT/<name>.ndjson (counted, then
# deleted unless KEEP_OUTPUT=1); /usr/bin/time -v goes to $OUT/<name>.time.
ROWS=()
declare -A WALL=()

# One run of one tool; keeps every wall time (ROUNDS[name]) and the fastest run's figures.
declare -A BEST_ROW ROUNDS FAILED
run_once() {
  local name=$1 threads=$2 round=$3; shift 3
  [[ -n "${FAILED[$name]:-}" ]] && return 0
  local alerts="$OUT/$name.ndjson" tfile="$OUT/$name.time" efile="$OUT/$name.stderr" rc=0
  log "run $name ($round/$REPEAT): $*"
  local t0 t1
  t0=$(date +%s%N)
  /usr/bin/time -v -o "$tfile" "$@" > "$alerts" 2> "$efile" || rc=$?
  t1=$(date +%s%N)
  if (( rc != 0 )); then
    log "$name exited with status $rc; last lines of $efile:"
    tail -n 5 "$efile" >&2 || true
    FAILED[$name]=$rc
    return 0
  fi
  local wall rss cpu matches
  # wall from nanosecond timestamps (/usr/bin/time's own figure has 10 ms resolution)
  wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tfile")
  cpu=$(sed -n 's/.*Percent of CPU this job got: //p' "$tfile")
  matches=$(wc -l < "$alerts")
  [[ "${KEEP_OUTPUT:-0}" == 1 ]] || rm -f "$alerts"
  log "  wall ${wall}s, cpu $cpu, rss ${rss} kB, $matches alert lines"
  ROUNDS[$name]="${ROUNDS[$name]:-} $wall"
  if [[ -z "${WALL[$name]:-}" ]] || awk -v a="$wall" -v b="${WALL[$name]}" 'BEGIN { exit !(a < b) }'; then
    WALL[$name]=$wall
    BEST_ROW[$name]="$name|$threads|$wall|$cpu|$rss|$matches"
  fi
}

# The tools take turns round by round, so that a drift in machine speed (this kind of
# virtual machine drifts by up to ±20 % over minutes) hits them alike; each round also gives
# its own ratio.
NPROC=$(nproc)
TOOL_ORDER=()
for ((round = 1; round <= REPEAT; round++)); do
  if want rsigma; then
    # `rsigma engine eval` is single-threaded (no thread option; one event at a time).
    run_once rsigma 1 "$round" "$RSIGMA" engine eval --output-format ndjson -r "$RULES" -e "@$DATA" "${RSIGMA_EXTRA[@]}"
  fi
  if want vigil-1; then
    run_once vigil-1 1 "$round" "$VIGIL" hunt "$DATA" --rules "$RULES" --pipeline none --format ndjson --threads 1 "${VIGIL_EXTRA[@]}"
  fi
  if want vigil-all; then
    run_once vigil-all "$NPROC" "$round" "$VIGIL" hunt "$DATA" --rules "$RULES" --pipeline none --format ndjson "${VIGIL_EXTRA[@]}"
  fi
done
for name in rsigma vigil-1 vigil-all; do
  want "$name" || continue
  if [[ -n "${FAILED[$name]:-}" ]]; then
    ROWS+=("$name|-|FAILED (exit ${FAILED[$name]})||||")
  elif [[ -n "${BEST_ROW[$name]:-}" ]]; then
    ROWS+=("${BEST_ROW[$name]}")
  fi
done

# --- 5. report ------------------------------------------------------------------
{
  echo "# vigil vs rsigma — $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "data:   $DATA"
  echo "events: $EVENTS   bytes: $BYTES ($(awk -v b="$BYTES" 'BEGIN { printf "%.1f", b / 1e6 }') MB)"
  echo "rules:  $RULES ($(find "$RULES" -name '*.yml' | wc -l) .yml files)"
  echo "host:   $NPROC cores, $(uname -srm)"
  if want rsigma; then echo "rsigma: $("$RSIGMA" --version 2>/dev/null | head -n 1)"; fi
  if want vigil-1 || want vigil-all; then
    echo "vigil:  $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$REPO" diff --quiet 2>/dev/null || echo ' (dirty)')"
  fi
  echo
  printf '%-10s %7s %9s %11s %8s %6s %12s %9s\n' tool threads "wall s" "events/s" "MB/s" "CPU" "peak RSS MB" matches
  for row in "${ROWS[@]}"; do
    IFS='|' read -r name threads wall cpu rss matches <<< "$row"
    if [[ -z "$cpu" ]]; then
      printf '%-10s %7s %s\n' "$name" "$threads" "$wall"
      continue
    fi
    awk -v n="$name" -v t="$threads" -v w="$wall" -v c="$cpu" -v r="$rss" -v m="$matches" \
        -v ev="$EVENTS" -v by="$BYTES" 'BEGIN {
      if (w <= 0) w = 0.001
      printf "%-10s %7s %9.3f %11.0f %8.1f %6s %12.1f %9d\n", n, t, w, ev / w, by / 1e6 / w, c, r / 1024, m }'
  done
  echo
  ratio() {  # events/s of vigil over events/s of rsigma = rsigma wall / vigil wall
    local v=$1 label=$2
    if [[ -n "${WALL[rsigma]:-}" && -n "${WALL[$v]:-}" ]]; then
      awk -v r="${WALL[rsigma]}" -v w="${WALL[$v]}" -v l="$label" \
        'BEGIN { if (w <= 0) w = 0.001; printf "vigil/rsigma %-22s %.2fx\n", l, r / w }'
    fi
  }
  ratio vigil-1 "(1 thread vs 1):"
  ratio vigil-all "($NPROC threads vs 1):"
  rounds() {  # the ratio in each round, and their median
    local v=$1 label=$2
    if [[ -n "${ROUNDS[rsigma]:-}" && -n "${ROUNDS[$v]:-}" ]]; then
      awk -v r="${ROUNDS[rsigma]}" -v w="${ROUNDS[$v]}" -v l="$label" 'BEGIN {
        n = split(r, rs, " "); m = split(w, ws, " "); if (m < n) n = m
        for (i = 1; i <= n; i++) { x[i] = rs[i] / (ws[i] > 0 ? ws[i] : 0.001); line = line sprintf(" %.2fx", x[i]) }
        for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (x[j] < x[i]) { t = x[i]; x[i] = x[j]; x[j] = t }
        med = (n % 2) ? x[(n + 1) / 2] : (x[n / 2] + x[n / 2 + 1]) / 2
        printf "per round %-19s%s (median %.2fx)\n", l, line, med }'
    fi
  }
  rounds vigil-1 "(1 thread vs 1):"
  rounds vigil-all "($NPROC threads vs 1):"
  echo
  echo "matches = output lines (one per alert). rsigma engine eval is single-threaded."
} | tee "$OUT/summary.txt"
log "summary written to $OUT/summary.txt"

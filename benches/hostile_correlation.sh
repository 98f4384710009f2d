#!/usr/bin/env bash
# Hostile load on the correlation state (issue 11): an `event_count` and a `value_count`
# correlation grouped by a field with millions of distinct values (and by 30 KB values),
# against the same run with 100 groups. Not a timed test: it prints figures and a verdict.
#
# For each run, NDJSON is generated on the fly and piped into `vigil hunt -`; /usr/bin/time -v
# gives the peak RSS and the wall time, vigil's summary the evictions and the peak state.
#
# Checks: peak RSS under RSS_LIMIT_MB, throughput of a many-groups run within 3x of the same
# run with 100 groups, evictions counted in the many-groups runs.
#
# Environment (all optional):
#   EVENTS        events in the small-value runs (default 3000000)
#   BIG_EVENTS    events in the 30 KB runs (default 100000)
#   BIG_BYTES     size of a group value in the big runs (default 30000)
#   RSS_LIMIT_MB  peak RSS allowed per run (default 512)
#   THREADS       `vigil hunt --threads` (default: all cores)
#   SKIP_BUILD=1  do not run `cargo build --release`
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
VIGIL=${VIGIL:-$REPO/target/release/vigil}
EVENTS=${EVENTS:-3000000}
BIG_EVENTS=${BIG_EVENTS:-100000}
BIG_BYTES=${BIG_BYTES:-30000}
RSS_LIMIT_MB=${RSS_LIMIT_MB:-512}
THREAD_ARGS=()
[[ -n "${THREADS:-}" ]] && THREAD_ARGS=(--threads "$THREADS")

if [[ -z "${SKIP_BUILD:-}" ]]; then
  (cd "$REPO" && cargo build --release -p vigil-cli)
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# One base rule, two correlations over it. Thresholds are within the limits (10,000 window
# events per group) and high enough that alerts do not dominate the 100-group runs.
cat >"$WORK/rules.yml" <<'EOF'
title: failed login
name: failed
logsource: {product: test}
detection:
  sel:
    action: fail
  condition: sel
---
title: many failures per user
correlation:
  type: event_count
  rules: [failed]
  group-by: [user]
  timespan: 1h
  condition: {gte: 10000}
---
title: many sources per user
correlation:
  type: value_count
  rules: [failed]
  group-by: [user]
  timespan: 1h
  condition: {gte: 10000, field: src}
EOF

# gen N GROUPS KEY_BYTES: N events one millisecond apart from 2024-01-01T00:00:00Z; `user`
# takes GROUPS distinct values (0 = every event its own), KEY_BYTES long when KEY_BYTES > 12.
# mawk: about three times faster than Python here, so the generator stays out of the way.
gen() {
  awk -v n="$1" -v groups="$2" -v key="$3" 'BEGIN {
    pad = ""; for (k = 12; k < key; k++) pad = pad "k";
    for (i = 0; i < n; i++) {
      g = (groups == 0) ? i : i % groups; s = int(i / 1000);
      printf "{\"@timestamp\":\"2024-01-01T%02d:%02d:%02d.%03dZ\",\"action\":\"fail\",\"user\":\"%s%012d\",\"src\":\"10.%d.%d.%d\"}\n",
        int(s / 3600) % 24, int(s % 3600 / 60), s % 60, i % 1000, pad, g, int(i / 65536) % 256, int(i / 256) % 256, i % 256
    }
  }'
}

printf '%-34s %9s %9s %10s %11s %9s %s\n' run events wall_s events/s peak_rss_MB state_MB evictions
declare -A RATE
fail=0
run() {
  local name=$1 n=$2 groups=$3 key=$4
  local t0 t1
  t0=$(date +%s.%N)
  gen "$n" "$groups" "$key" >/dev/null
  t1=$(date +%s.%N)
  local gen_s
  gen_s=$(echo "$t1 - $t0" | bc -l)
  gen "$n" "$groups" "$key" \
    | /usr/bin/time -v -o "$WORK/$name.time" "$VIGIL" hunt - --rules "$WORK/rules.yml" --format ndjson "${THREAD_ARGS[@]}" \
      >"$WORK/$name.alerts" 2>"$WORK/$name.err" || true
  local rss_kb wall evicted state events
  rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/$name.time")
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$WORK/$name.time" | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  evicted=$(sed -n 's/^correlations: \([0-9]*\) groups evicted, \([0-9]*\) window events evicted.*/\1 groups, \2 events/p' "$WORK/$name.err")
  state=$(sed -n 's/.*peak state \([0-9.]*\) MB.*/\1/p' "$WORK/$name.err")
  events=$(sed -n 's/^events: \([0-9]*\) read.*/\1/p' "$WORK/$name.err")
  local rate
  rate=$(echo "$events / $wall" | bc -l)
  RATE[$name]=$rate
  printf '%-34s %9s %9.2f %10.0f %11.1f %9s %s (generator alone %.2f s; %s alerts)\n' \
    "$name" "$events" "$wall" "$rate" "$(echo "$rss_kb / 1024" | bc -l)" "$state" "$evicted" "$gen_s" "$(wc -l <"$WORK/$name.alerts")"
  if [[ "$events" != "$n" ]]; then
    echo "  FAIL: $name read $events of $n events"; fail=1
  fi
  if (( rss_kb > RSS_LIMIT_MB * 1024 )); then
    echo "  FAIL: $name peak RSS $((rss_kb / 1024)) MB over $RSS_LIMIT_MB MB"; fail=1
  fi
  if [[ "$groups" == 0 && "$evicted" == "0 groups, 0 events" ]]; then
    echo "  FAIL: $name evicted nothing"; fail=1
  fi
}
ratio() {
  local many=$1 few=$2 r
  r=$(echo "${RATE[$few]} / ${RATE[$many]}" | bc -l)
  printf '%s is %.2fx slower than %s\n' "$many" "$r" "$few"
  if (( $(echo "$r > 3" | bc -l) )); then
    echo "  FAIL: more than 3x"; fail=1
  fi
}

run "distinct-${EVENTS}" "$EVENTS" 0 0
run "100-groups" "$EVENTS" 100 0
run "distinct-${BIG_EVENTS}x${BIG_BYTES}B" "$BIG_EVENTS" 0 "$BIG_BYTES"
run "100-groups-x${BIG_BYTES}B" "$BIG_EVENTS" 100 "$BIG_BYTES"
ratio "distinct-${EVENTS}" "100-groups"
ratio "distinct-${BIG_EVENTS}x${BIG_BYTES}B" "100-groups-x${BIG_BYTES}B"
if (( fail )); then
  echo "FAIL"
  exit 1
fi
echo "PASS (peak RSS under $RSS_LIMIT_MB MB, many groups within 3x of 100 groups, evictions counted)"

#!/usr/bin/env bash
# EVTX throughput benchmark (not a timed test): all SigmaHQ Windows rules over EVTX records
# replicated to at least MIN_EVENTS events, read natively by vigil (the `evtx` pipeline is
# picked from the content) and by rsigma (its `evtx` feature), on the same file in the same
# run. Prints events/s and peak RSS for:
#
#   vigil-all    every rule in $RULES
#   vigil-parse  one rule that reads one field and never matches: the cost of reading
#                (chunk split, record rendering, extraction) alone
#   rsigma       `rsigma engine eval` with every rule in $RULES, when $RSIGMA is executable
#                (not installed by this script: `cargo install rsigma --features evtx
#                --ignore-rust-version --root /work/tools/rsigma` takes long on a shared CPU)
#
# and the ratios the issue sets targets for: vigil-all wall / vigil-parse wall (target
# <= 1.3), vigil-all events/s / rsigma events/s (target >= 10), peak RSS (target <= 200 MB).
#
# The data is ONE file: rsigma 0.26 reads one .evtx file per run (`-e @FILE`; a directory
# makes it loop on read errors). An EVTX file is a 4 KiB header and self-contained 64 KiB
# chunks (each carries its own string and template tables), and both readers count chunks
# from the file size, so the file is the first sample's header followed by every chunk of
# every sample, repeated until it holds MIN_EVENTS records.
#
# Environment (all optional):
#   SAMPLES      EVTX files to replicate (default /work/shared/datasets/evtx-attack-samples)
#   RULES        Sigma rules (default /work/shared/corpus/sigma/rules/windows)
#   MIN_EVENTS   events to reach at least (default 1000000)
#   THREADS      `vigil hunt --threads` (default: all cores; rsigma uses one)
#   ROUNDS       runs per tool, taking turns; the median wall time is reported (default 1)
#   WORK         scratch directory (default: a new temp dir, removed at the end; about
#                2.5 GB for 1M events of the default samples)
#   VIGIL        vigil binary (default target/release/vigil)
#   RSIGMA       rsigma binary (default /work/tools/rsigma/bin/rsigma); RSIGMA=none skips it
#   RSIGMA_JQ    the `--jq` filter rsigma reads each record through (default below: EventData
#                and Channel, EventID, Computer, Provider_Name at top level, the flat layout
#                SigmaHQ's field names match, as in run.sh's NDJSON; RSIGMA_JQ=none: records as
#                rsigma's reader gives them, nested, where only keyword rules can match)
#   SKIP_BUILD=1 do not run `cargo build --release -p vigil-cli`
#   SINK=null    every tool writes its alerts to /dev/null (engine throughput without the
#                cost of writing them to disk; the alerts column then says `-`); default: a file
#                in WORK, counted
# Needs GNU time (/usr/bin/time) for peak RSS, and python3 to assemble the file.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
SAMPLES=${SAMPLES:-/work/shared/datasets/evtx-attack-samples}
RULES=${RULES:-/work/shared/corpus/sigma/rules/windows}
MIN_EVENTS=${MIN_EVENTS:-1000000}
ROUNDS=${ROUNDS:-1}
VIGIL=${VIGIL:-$REPO/target/release/vigil}
RSIGMA=${RSIGMA:-/work/tools/rsigma/bin/rsigma}
# shellcheck disable=SC2016
DEFAULT_JQ='(.Event.EventData // {}) + {EventID: (.Event.System.EventID | if type == "object" then .["#text"] else . end), Channel: .Event.System.Channel, Computer: .Event.System.Computer, Provider_Name: .Event.System.Provider["#attributes"].Name}'
RSIGMA_JQ=${RSIGMA_JQ:-$DEFAULT_JQ}
JQ_ARGS=()
[[ "$RSIGMA_JQ" != none ]] && JQ_ARGS=(--jq "$RSIGMA_JQ")
THREAD_ARGS=()
[[ -n "${THREADS:-}" ]] && THREAD_ARGS=(--threads "$THREADS")
[[ -x /usr/bin/time ]] || { echo "evtx.sh: /usr/bin/time is missing (apt-get install time)" >&2; exit 2; }

if [[ -z "${SKIP_BUILD:-}" ]]; then
  (cd "$REPO" && cargo build --release -p vigil-cli)
fi

OWN_WORK=
if [[ -z "${WORK:-}" ]]; then
  WORK=$(mktemp -d)
  OWN_WORK=1
fi
cleanup() { [[ -n "$OWN_WORK" ]] && rm -rf "$WORK"; return 0; }
trap cleanup EXIT
mkdir -p "$WORK"

cat >"$WORK/parse-only.yml" <<'EOF'
title: parse only (never matches)
logsource: {product: windows}
detection:
  sel:
    Image: 'vigil-bench-no-such-image-zzzz'
  condition: sel
EOF

# One copy: the header of the first sample, then the chunks of every sample (sorted paths).
python3 "$HERE/one_evtx.py" "$SAMPLES" "$WORK/one.evtx"
one=$("$VIGIL" hunt "$WORK/one.evtx" --rules "$WORK/parse-only.yml" 2>&1 >/dev/null | sed -n 's/^events: \([0-9]*\) read.*/\1/p')
[[ -n "$one" && "$one" -gt 0 ]] || { echo "evtx.sh: no events in $SAMPLES" >&2; exit 2; }
copies=$(( (MIN_EVENTS + one - 1) / one ))
echo "one copy of $SAMPLES: $one events; $copies copies in $WORK/all.evtx" >&2
head -c 4096 "$WORK/one.evtx" >"$WORK/all.evtx"
for ((i = 0; i < copies; i++)); do tail -c +4097 "$WORK/one.evtx" >>"$WORK/all.evtx"; done
rm -f "$WORK/one.evtx"
bytes=$(stat -c %s "$WORK/all.evtx")
DATA=$WORK/all.evtx
cat "$DATA" >/dev/null # warm the page cache

# run NAME COMMAND...: appends "wall rss events alerts cpu sys switches" to $WORK/NAME.runs
# (cpu: user + system seconds, less disturbed than wall time by other load on the machine;
# sys: the system seconds alone; switches: voluntary + involuntary context switches, which
# show what handing work between threads costs).
run() {
  local name=$1; shift
  local start end wall rss events alerts cpu sys switches
  start=$(date +%s.%N)
  local sink="$WORK/$name.out"
  [[ "${SINK:-file}" == null ]] && sink=/dev/null
  if ! /usr/bin/time -v -o "$WORK/$name.time" "$@" >"$sink" 2>"$WORK/$name.err"; then
    echo "$name failed: $(tail -3 "$WORK/$name.err")" >&2
    return
  fi
  end=$(date +%s.%N)
  wall=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
  rss=$(awk '/Maximum resident set size/ { printf "%.0f", $NF / 1024 }' "$WORK/$name.time")
  events=$(sed -n 's/^events: \([0-9]*\) read.*/\1/p; s/^Processed \([0-9]*\) EVTX records.*/\1/p' "$WORK/$name.err" | tail -1)
  [[ -n "$events" ]] || events=$((one * copies))
  alerts=-
  [[ "$sink" != /dev/null ]] && alerts=$(wc -l <"$WORK/$name.out")
  cpu=$(awk -F': ' '/User time|System time/ { t += $2 } END { printf "%.2f", t }' "$WORK/$name.time")
  sys=$(awk -F': ' '/System time/ { printf "%.2f", $2 }' "$WORK/$name.time")
  switches=$(awk -F': ' '/context switches/ { n += $2 } END { print n + 0 }' "$WORK/$name.time")
  echo "$wall $rss $events $alerts $cpu $sys $switches" >>"$WORK/$name.runs"
  rm -f "$WORK/$name.out"
}

TOOLS=(vigil-all vigil-parse)
[[ "$RSIGMA" != none && -x "$RSIGMA" ]] && TOOLS+=(rsigma)
# A WORK kept from an earlier run must not lend its runs to this one's median.
rm -f "$WORK"/*.runs

for ((round = 1; round <= ROUNDS; round++)); do
  for tool in "${TOOLS[@]}"; do
    case $tool in
      vigil-all) run vigil-all "$VIGIL" hunt "$DATA" --rules "$RULES" --format ndjson "${THREAD_ARGS[@]}" ;;
      vigil-parse) run vigil-parse "$VIGIL" hunt "$DATA" --rules "$WORK/parse-only.yml" --format ndjson "${THREAD_ARGS[@]}" ;;
      rsigma) run rsigma "$RSIGMA" engine eval --output-format ndjson -r "$RULES" -e "@$DATA" "${JQ_ARGS[@]}" ;;
    esac
  done
done

# median NAME: "wall rss events alerts cpu sys switches" of the run with the median wall time.
median() {
  [[ -s "$WORK/$1.runs" ]] || return 0
  sort -n "$WORK/$1.runs" | awk '{ rows[NR] = $0 } END { print rows[int((NR + 1) / 2)] }'
}

echo "# EVTX benchmark — $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "data:  $DATA: $copies copies of the chunks of $SAMPLES ($one events each), $(awk -v b="$bytes" 'BEGIN { printf "%.0f", b / 1e6 }') MB"
echo "rules: $RULES ($(find "$RULES" -name '*.yml' | wc -l) files)"
echo "host:  $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); vigil $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown), threads ${THREADS:-all}; $ROUNDS round(s), median wall"
printf '%-12s %10s %8s %12s %8s %8s %10s %12s %10s\n' tool events "wall s" "events/s" "cpu s" "sys s" "switches" "peak RSS MB" alerts
declare -A WALL RATE CPU
for tool in vigil-all vigil-parse rsigma; do
  row=$(median "$tool")
  if [[ -z "$row" ]]; then
    [[ $tool == rsigma ]] && printf '%-12s not run (%s is not installed, or it failed)\n' rsigma "$RSIGMA"
    continue
  fi
  read -r wall rss events alerts cpu sys switches <<<"$row"
  WALL[$tool]=$wall
  CPU[$tool]=$cpu
  RATE[$tool]=$(awk -v e="$events" -v w="$wall" 'BEGIN { printf "%.0f", e / w }')
  printf '%-12s %10s %8.2f %12s %8s %8s %10s %12s %10s\n' "$tool" "$events" "$wall" "${RATE[$tool]}" "$cpu" "$sys" "$switches" "$rss" "$alerts"
done
if [[ -n "${WALL[vigil-all]:-}" && -n "${WALL[vigil-parse]:-}" ]]; then
  awk -v a="${WALL[vigil-all]}" -v p="${WALL[vigil-parse]}" -v ac="${CPU[vigil-all]}" -v pc="${CPU[vigil-parse]}" \
    'BEGIN { printf "all rules / parse only: %.2fx wall, %.2fx cpu (target <= 1.3x)\n", a / p, ac / pc }'
fi
if [[ -n "${RATE[vigil-all]:-}" && -n "${RATE[rsigma]:-}" ]]; then
  awk -v v="${RATE[vigil-all]}" -v r="${RATE[rsigma]}" -v vc="${CPU[vigil-all]}" -v rc="${CPU[rsigma]}" \
    'BEGIN { printf "vigil all rules / rsigma: %.2fx events/s, %.2fx cpu (target >= 10x; rsigma uses one thread)\n", v / r, rc / vc }'
fi
echo "peak RSS target: <= 200 MB"
echo "alerts differ by design: vigil's evtx pipeline adds each rule's log-source conditions (Channel, EventID); rsigma is given none"

#!/usr/bin/env bash
# EVTX throughput benchmark (not a timed test): all SigmaHQ Windows rules over EVTX files
# replicated to at least MIN_EVENTS events, read natively by vigil (the `evtx` pipeline is
# picked from the content). Prints events/s and peak RSS for:
#
#   vigil-all    every rule in $RULES
#   vigil-parse  one rule that reads one field and never matches: the cost of reading
#                (chunk split, record rendering, extraction) alone
#   rsigma       `rsigma` built with its `evtx` feature, when $RSIGMA is executable (it is not
#                installed by this script: `cargo install rsigma --features evtx
#                --ignore-rust-version --root /work/tools/rsigma` takes long on a shared CPU)
#
# Environment (all optional):
#   SAMPLES      EVTX files to replicate (default /work/shared/datasets/evtx-attack-samples)
#   RULES        Sigma rules (default /work/shared/corpus/sigma/rules/windows)
#   MIN_EVENTS   events to reach at least (default 1000000)
#   THREADS      `vigil hunt --threads` (default: all cores)
#   WORK         scratch directory for the copies (default: a new temp dir, removed at the end;
#                about 21 MB per copy of the default samples, 122 copies for 1M events)
#   VIGIL        vigil binary (default target/release/vigil)
#   RSIGMA       rsigma binary (default /work/tools/rsigma/bin/rsigma)
#   RSIGMA_ARGS  how rsigma reads the copies, with DIR standing for their directory
#                (default: `engine eval --output-format ndjson -r RULES -e @DIR`)
#   SKIP_BUILD=1 do not run `cargo build --release -p vigil-cli`
# Needs GNU time (/usr/bin/time) for peak RSS.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
SAMPLES=${SAMPLES:-/work/shared/datasets/evtx-attack-samples}
RULES=${RULES:-/work/shared/corpus/sigma/rules/windows}
MIN_EVENTS=${MIN_EVENTS:-1000000}
VIGIL=${VIGIL:-$REPO/target/release/vigil}
RSIGMA=${RSIGMA:-/work/tools/rsigma/bin/rsigma}
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
mkdir -p "$WORK/copies"

# Events in one copy, counted by vigil itself.
cat >"$WORK/parse-only.yml" <<'EOF'
title: parse only (never matches)
logsource: {product: windows}
detection:
  sel:
    Image: 'vigil-bench-no-such-image-zzzz'
  condition: sel
EOF
one=$("$VIGIL" hunt "$SAMPLES" --rules "$WORK/parse-only.yml" 2>&1 >/dev/null | sed -n 's/^events: \([0-9]*\) read.*/\1/p')
[[ -n "$one" && "$one" -gt 0 ]] || { echo "evtx.sh: no events in $SAMPLES" >&2; exit 2; }
copies=$(( (MIN_EVENTS + one - 1) / one ))
echo "one copy of $SAMPLES: $one events; making $copies copies in $WORK/copies" >&2
mkdir -p "$WORK/copies/0"
find "$SAMPLES" -name '*.evtx' -print0 | while IFS= read -r -d '' f; do
  rel=${f#"$SAMPLES"/}
  mkdir -p "$WORK/copies/0/$(dirname "$rel")"
  cp "$f" "$WORK/copies/0/$rel"
done
for ((i = 1; i < copies; i++)); do cp -r "$WORK/copies/0" "$WORK/copies/$i"; done
bytes=$(du -sb "$WORK/copies" | cut -f1)

# run NAME COMMAND...: wall seconds, peak RSS (MB), events read, alerts.
ROWS=()
run() {
  local name=$1; shift
  local start end wall rss events alerts
  start=$(date +%s.%N)
  /usr/bin/time -v -o "$WORK/$name.time" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" || { echo "$name failed: $(tail -3 "$WORK/$name.err")" >&2; ROWS+=("$name FAILED"); return; }
  end=$(date +%s.%N)
  wall=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
  rss=$(awk '/Maximum resident set size/ { printf "%.0f", $NF / 1024 }' "$WORK/$name.time")
  events=$(sed -n 's/^events: \([0-9]*\) read.*/\1/p' "$WORK/$name.err")
  [[ -n "$events" ]] || events=$((one * copies))
  alerts=$(wc -l <"$WORK/$name.out")
  ROWS+=("$(awk -v n="$name" -v w="$wall" -v e="$events" -v r="$rss" -v a="$alerts" 'BEGIN { printf "%-12s %10s %8.2f %12.0f %12s %10s", n, e, w, e / w, r, a }')")
  rm -f "$WORK/$name.out"
}

run vigil-all "$VIGIL" hunt "$WORK/copies" --rules "$RULES" --format ndjson "${THREAD_ARGS[@]}"
run vigil-parse "$VIGIL" hunt "$WORK/copies" --rules "$WORK/parse-only.yml" --format ndjson "${THREAD_ARGS[@]}"
if [[ -x "$RSIGMA" ]]; then
  # shellcheck disable=SC2206
  args=(${RSIGMA_ARGS:-engine eval --output-format ndjson -r RULES -e @DIR})
  args=("${args[@]/RULES/$RULES}")
  args=("${args[@]/DIR/$WORK/copies}")
  run rsigma "$RSIGMA" "${args[@]}"
else
  ROWS+=("rsigma       not run: $RSIGMA is not installed")
fi

echo "# EVTX benchmark — $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "data:  $copies copies of $SAMPLES ($one events each), $(awk -v b="$bytes" 'BEGIN { printf "%.0f", b / 1e6 }') MB"
echo "rules: $RULES ($(find "$RULES" -name '*.yml' | wc -l) files)"
echo "host:  $(nproc) cores; vigil $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)"
printf '%-12s %10s %8s %12s %12s %10s\n' tool events "wall s" "events/s" "peak RSS MB" alerts
for row in "${ROWS[@]}"; do echo "$row"; done

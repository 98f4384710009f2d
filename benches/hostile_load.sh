#!/usr/bin/env bash
# Hostile load on the event reader (not a timed test): prints figures, keeps no big files.
#
#   benches/hostile_load.sh            # 4 GB on stdin, 300 MB records
#   STDIN_GB=1 BIG_MB=100 BOMB_GB=1 benches/hostile_load.sh
#   VIGIL=/path/to/other/vigil THREADS=1 benches/hostile_load.sh     # compare binaries
#
# 1. STDIN_GB (default 4) of NDJSON on stdin, starting with a blank line (the layout the old
#    reader loaded whole): peak RSS (GNU time), and when the first alert came out compared
#    with when the input ended.
# 2. A BIG_MB (default 300) record on line 1, on line 2, and in the middle of 200,000 small
#    records: wall time and peak RSS of each (they should cost about the same); then three
#    such records (peak RSS stays about two records at most: one evaluated, one being read).
# 3. A gzip bomb: BOMB_GB (default 2) of NDJSON after a blank line, gzip -1 (about 15 MB).
#
# Needs: cargo, GNU time (/usr/bin/time), python3. Scratch space: $TMP_DIR (default
# /tmp/vigil-hostile-load), about BIG_MB × 3 MB at most; removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
STDIN_GB=${STDIN_GB:-4}
BIG_MB=${BIG_MB:-300}
TMP_DIR=${TMP_DIR:-/tmp/vigil-hostile-load}
THREADS=${THREADS:-}
RULE=testdata/hostile-events/rule.yml
mkdir -p "$TMP_DIR"
trap 'rm -rf "$TMP_DIR"' EXIT

nice cargo build --release -p vigil-cli -q
VIGIL=${VIGIL:-target/release/vigil}
threads_arg=()
[ -n "$THREADS" ] && threads_arg=(--threads "$THREADS")

# A 1 MiB block of small NDJSON records; one in 1,000 carries the good marker.
python3 - "$TMP_DIR/block.ndjson" <<'PY'
import json, sys
out, n, size = open(sys.argv[1], "w"), 0, 0
while size < (1 << 20):
    n += 1
    marker = "good-%d" % n if n % 1000 == 0 else "other-%d" % n
    line = json.dumps({"marker": marker, "Image": "C:\\Windows\\System32\\cmd.exe", "CommandLine": "cmd /c echo %d" % n, "User": "u%d" % (n % 97)}) + "\n"
    out.write(line)
    size += len(line)
PY
block_bytes=$(stat -c %s "$TMP_DIR/block.ndjson")
blocks=$(( STDIN_GB * 1024 * 1024 * 1024 / block_bytes ))

echo "== 1. ${STDIN_GB} GB of NDJSON on stdin, blank first line ($blocks blocks of $block_bytes bytes)"
start=$(date +%s.%N)
{
  echo
  for ((i = 0; i < blocks; i++)); do cat "$TMP_DIR/block.ndjson"; done
  date +%s.%N > "$TMP_DIR/input_end"
} | /usr/bin/time -v -o "$TMP_DIR/time1" "$VIGIL" hunt - --rules "$RULE" --format ndjson "${threads_arg[@]}" 2> "$TMP_DIR/stderr1" \
  | { IFS= read -r _first; date +%s.%N > "$TMP_DIR/first_alert"; wc -l > "$TMP_DIR/alerts1"; }
end=$(date +%s.%N)
first=$(cat "$TMP_DIR/first_alert"); input_end=$(cat "$TMP_DIR/input_end")
echo "   wall $(echo "$end - $start" | bc) s; first alert after $(echo "$first - $start" | bc) s; input ended after $(echo "$input_end - $start" | bc) s"
echo "   alerts: $(( $(cat "$TMP_DIR/alerts1") + 1 )); peak RSS: $(grep 'Maximum resident' "$TMP_DIR/time1" | awk '{print $NF}') KB"
grep '^events:' "$TMP_DIR/stderr1" | sed 's/^/   /'

echo "== 2. a ${BIG_MB} MB record among 200,000 small ones"
python3 - "$TMP_DIR/small.ndjson" <<'PY'
import json, sys
with open(sys.argv[1], "w") as out:
    for n in range(1, 100001):
        out.write(json.dumps({"marker": "good-%d" % n if n % 1000 == 0 else "other-%d" % n, "n": n}) + "\n")
PY
big() { printf '{"marker":"good-big","pad":"'; head -c "$((BIG_MB * 1024 * 1024))" /dev/zero | tr '\0' x; printf '"}\n'; }
for where in 1 2 middle three; do
  f="$TMP_DIR/big-$where.ndjson"
  case $where in
    1) { big; cat "$TMP_DIR/small.ndjson" "$TMP_DIR/small.ndjson"; } > "$f" ;;
    2) { head -n 1 "$TMP_DIR/small.ndjson"; big; tail -n +2 "$TMP_DIR/small.ndjson"; cat "$TMP_DIR/small.ndjson"; } > "$f" ;;
    middle) { cat "$TMP_DIR/small.ndjson"; big; cat "$TMP_DIR/small.ndjson"; } > "$f" ;;
    three) { big; cat "$TMP_DIR/small.ndjson"; big; cat "$TMP_DIR/small.ndjson"; big; } > "$f" ;;
  esac
  /usr/bin/time -v -o "$TMP_DIR/time2" "$VIGIL" hunt "$f" --rules "$RULE" --format table "${threads_arg[@]}" > /dev/null 2> "$TMP_DIR/stderr2"
  printf '   line %-6s: wall %s, peak RSS %s KB; %s\n' "$where" \
    "$(grep 'Elapsed (wall' "$TMP_DIR/time2" | awk '{print $NF}')" \
    "$(grep 'Maximum resident' "$TMP_DIR/time2" | awk '{print $NF}')" \
    "$(grep '^events:' "$TMP_DIR/stderr2" | cut -d';' -f1)"
  rm -f "$f"
done

echo "== 3. a gzip bomb: ${BOMB_GB:=2} GB of NDJSON after a blank line, compressed with gzip -1"
{ echo; yes '{"marker":"other","CommandLine":"cmd /c whoami"}' | head -c "$((BOMB_GB * 1024 * 1024 * 1024))" || true; } | gzip -1 > "$TMP_DIR/bomb.ndjson.gz"
/usr/bin/time -v -o "$TMP_DIR/time3" "$VIGIL" hunt "$TMP_DIR/bomb.ndjson.gz" --rules "$RULE" "${threads_arg[@]}" > /dev/null 2> "$TMP_DIR/stderr3"
printf '   %s bytes compressed: wall %s, peak RSS %s KB; %s\n' "$(stat -c %s "$TMP_DIR/bomb.ndjson.gz")" \
  "$(grep 'Elapsed (wall' "$TMP_DIR/time3" | awk '{print $NF}')" \
  "$(grep 'Maximum resident' "$TMP_DIR/time3" | awk '{print $NF}')" \
  "$(grep '^events:' "$TMP_DIR/stderr3" | cut -d';' -f1)"

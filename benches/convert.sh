#!/usr/bin/env bash
# Conversion benchmark: converts every rule of the SigmaHQ corpus (3,791 files; the project's
# 647-file sample when the shared directory is absent) to every target `vigil list targets`
# names, one process per target, and reports each target's time (vigil's own summary: rules
# converted, refused, seconds, loading included) and the wall time of all targets together.
# In the same run, pySigma's `sigma convert -t sqlite` (sigma-cli from PyPI, in a virtual
# environment under /tmp) converts the same rules, and the ratio of its wall time to vigil's
# `sql` target is printed. Target: all targets in < 1 s in total.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p vigil-cli
vigil=./target/release/vigil
shared="${VIGIL_SHARED:-../shared}"
if [ -d "$shared/corpus/sigma" ]; then
    dir="$shared/corpus/sigma"
else
    dir=testdata/sigmahq/sigma
fi
now() { date +%s.%N; }
echo "rules: $dir ($(find "$dir" -name '*.yml' | wc -l) files)"
targets=$("$vigil" list targets | awk '{print $1}')
total_start=$(now)
for t in $targets; do
    start=$(now)
    summary=$({ "$vigil" convert --target "$t" "$dir" 2>&1 >/dev/null || true; } | tail -1)
    end=$(now)
    printf '%-8s %.3f s wall  (%s)\n' "$t" "$(echo "$end - $start" | bc)" "$summary"
    if [ "$t" = sql ]; then sql_wall=$(echo "$end - $start" | bc); fi
done
total_end=$(now)
printf 'all %d targets: %.3f s wall\n' "$(echo "$targets" | wc -w)" "$(echo "$total_end - $total_start" | bc)"

venv=/tmp/vigil-bench-sigma-cli
if [ ! -x "$venv/bin/sigma" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check sigma-cli pysigma-backend-sqlite
fi
# sigma-cli stops at a correlation whose referenced rule is elsewhere in the corpus, so the
# ratio is taken on the detection rules under rules/ (both tools, same files).
ratio_dir="$dir"
[ -d "$dir/rules" ] && ratio_dir="$dir/rules"
start=$(now)
"$vigil" convert --target sql "$ratio_dir" >/dev/null 2>&1 || true
end=$(now)
sql_wall=$(echo "$end - $start" | bc)
start=$(now)
"$venv/bin/sigma" convert -t sqlite --skip-unsupported -o /tmp/vigil-bench-sigma-cli.out "$ratio_dir" >/dev/null 2>&1 || true
end=$(now)
sigma_wall=$(echo "$end - $start" | bc)
printf 'on %s: vigil sql %.3f s wall\n' "$ratio_dir" "$sql_wall"
printf 'sigma convert -t sqlite (sigma-cli %s): %.3f s wall; %d queries\n' "$("$venv/bin/sigma" version 2>/dev/null | head -1 | cut -d' ' -f1)" "$sigma_wall" "$(grep -c . /tmp/vigil-bench-sigma-cli.out || true)"
printf 'ratio sigma-cli / vigil sql: %.1fx\n' "$(echo "$sigma_wall / $sql_wall" | bc -l)"
rm -f /tmp/vigil-bench-sigma-cli.out

#!/usr/bin/env bash
# Conversion benchmark: converts every rule of the SigmaHQ corpus (3,791 files; the project's
# 647-file sample when the shared directory is absent) to every target in ONE run
# (`vigil convert --target all`: rules read and linked once, targets printed in parallel),
# and reports the wall and CPU time of that run, with vigil's own summary line per target
# (rules converted, refused, seconds of that target's mapping and printing). For scale, the
# time of `vigil check` on the same rules (reading and compiling them, no conversion).
# In the same run, pySigma's `sigma convert -t sqlite` (sigma-cli from PyPI, in a virtual
# environment under target/) converts the detection rules under rules/, and the ratio of
# its wall time to vigil's `sql` target on the same files is printed.
# Target: all targets in < 1 s in total.
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
# `/usr/bin/time -f` when present, for CPU seconds beside the wall time.
timed() {
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -f 'cpu %U user %S sys' -o /tmp/vigil-bench-convert.time "$@"
    else
        "$@"
    fi
}
cpu() { [ -f /tmp/vigil-bench-convert.time ] && tail -1 /tmp/vigil-bench-convert.time || echo "cpu n/a"; }
# User + system seconds of the last timed run (empty without /usr/bin/time).
cpu_seconds() { [ -f /tmp/vigil-bench-convert.time ] && tail -1 /tmp/vigil-bench-convert.time | awk '{ print $2 + $4 }' || true; }
echo "rules: $dir ($(find "$dir" -name '*.yml' | wc -l) files); $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"

start=$(now)
timed "$vigil" check "$dir" >/dev/null 2>&1 || true
end=$(now)
printf 'vigil check (read and compile, no conversion): %.3f s wall, %s\n' "$(echo "$end - $start" | bc)" "$(cpu)"

start=$(now)
{ timed "$vigil" convert --target all "$dir" 2>&1 >/dev/null || true; } | grep '^converted: ' | sed 's/^/  /'
end=$(now)
printf 'all targets in one run: %.3f s wall, %s\n' "$(echo "$end - $start" | bc)" "$(cpu)"

venv=target/sigma-cli-venv
if [ ! -x "$venv/bin/sigma" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check sigma-cli pysigma-backend-sqlite
fi
# sigma-cli stops at a correlation whose referenced rule is elsewhere in the corpus, so the
# ratio is taken on the detection rules under rules/ (both tools, same files).
ratio_dir="$dir"
[ -d "$dir/rules" ] && ratio_dir="$dir/rules"
start=$(now)
timed "$vigil" convert --target sql "$ratio_dir" >/dev/null 2>&1 || true
end=$(now)
sql_wall=$(echo "$end - $start" | bc)
sql_cpu=$(cpu_seconds)
printf 'on %s: vigil sql %.3f s wall, %s\n' "$ratio_dir" "$sql_wall" "$(cpu)"
start=$(now)
timed "$venv/bin/sigma" convert -t sqlite --skip-unsupported -o /tmp/vigil-bench-sigma-cli.out "$ratio_dir" >/dev/null 2>&1 || true
end=$(now)
sigma_wall=$(echo "$end - $start" | bc)
sigma_cpu=$(cpu_seconds)
printf 'sigma convert -t sqlite (sigma-cli %s): %.3f s wall, %s; %d queries\n' "$("$venv/bin/pip" show sigma-cli 2>/dev/null | awk '/^Version/ {print $2}')" "$sigma_wall" "$(cpu)" "$(grep -c . /tmp/vigil-bench-sigma-cli.out || true)"
printf 'ratio sigma-cli / vigil sql: %.1fx wall' "$(echo "$sigma_wall / $sql_wall" | bc -l)"
# CPU seconds are the fair comparison when other work shares the machine.
if [ -n "$sql_cpu" ] && [ -n "$sigma_cpu" ]; then
    printf ', %.1fx CPU' "$(echo "$sigma_cpu / $sql_cpu" | bc -l)"
fi
echo
rm -f /tmp/vigil-bench-sigma-cli.out /tmp/vigil-bench-convert.time

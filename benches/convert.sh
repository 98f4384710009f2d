#!/usr/bin/env bash
# Conversion benchmark: time `vigil convert --target sql` over the SigmaHQ sample in
# testdata/ and, when the shared directory is there ($VIGIL_SHARED or ../shared), over the
# whole corpus (3,791 files). Prints vigil's own summary line (rules converted, refused,
# seconds, loading included) and the wall time of the whole process.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p vigil-cli
shared="${VIGIL_SHARED:-../shared}"
run() {
    local name="$1" dir="$2" start end
    start=$(date +%s.%N)
    { ./target/release/vigil convert --target sql "$dir" 2>&1 >/dev/null || true; } | tail -1
    end=$(date +%s.%N)
    printf '%s: %.3f s wall\n' "$name" "$(echo "$end - $start" | bc)"
}
run "testdata/sigmahq (647 files)" testdata/sigmahq/sigma
if [ -d "$shared/corpus/sigma" ]; then
    run "SigmaHQ corpus (3,791 files)" "$shared/corpus/sigma"
fi

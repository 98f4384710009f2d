#!/usr/bin/env bash
# What rules cost per record once the view is filled: callgrind instruction counts inside
# `vigil::runner::Eval::record` for one vigil binary, on one copy of the EVTX attack samples
# and on the first 20k records of the NDJSON benchmark file, plus the call counts that say
# how much work the candidate index leaves to exact evaluation (records evaluated, rules
# evaluated, value tests, alerts explained). Alerts are written beside the profiles so two
# binaries can be compared byte for byte (`cmp`).
#
#   benches/eval_cost.sh [BINARY] [TAG]      # defaults: target/release/vigil, "run"
#
# Environment: EVTX (/work/prof/one.evtx; when missing, one copy of SAMPLES' chunks is assembled
# in OUT as benches/evtx.sh does), NDJSON (/work/bench-data/events-100mb.ndjson),
# RULES (/work/shared/corpus/sigma/rules/windows), OUT (/tmp/vigil-eval-cost).
# Needs valgrind and python3. Takes a few minutes per binary; run it at nice 19 on a shared machine.
set -euo pipefail

bin=${1:-target/release/vigil}
tag=${2:-run}
evtx=${EVTX:-/work/prof/one.evtx}
ndjson=${NDJSON:-/work/bench-data/events-100mb.ndjson}
rules=${RULES:-/work/shared/corpus/sigma/rules/windows}
out=${OUT:-/tmp/vigil-eval-cost}
mkdir -p "$out"
nd20k="$out/nd20k.ndjson"
[ -f "$nd20k" ] || head -n 20000 "$ndjson" > "$nd20k"

# Sums the call counts of caller -> callee pairs (substrings of function names) in a
# name-compressed callgrind file.
calls() {
    python3 - "$@" <<'EOF'
import re, sys
names, cur, callee, tot = {}, None, None, {}
pairs = [tuple(p.split('->')) for p in sys.argv[2:]]
def name(tok):
    m = re.match(r'\((\d+)\)(?: (.*))?', tok)
    if not m:
        return tok
    if m.group(2):
        names[m.group(1)] = m.group(2)
    return names.get(m.group(1), '?')
with open(sys.argv[1], errors='replace') as f:
    for line in f:
        if line.startswith('fn='):
            cur = name(line[3:].strip())
        elif line.startswith('cfn='):
            callee = name(line[4:].strip())
        elif line.startswith('calls='):
            for a, b in pairs:
                if a in cur and b in callee:
                    tot[(a, b)] = tot.get((a, b), 0) + int(line[6:].split()[0])
for (a, b), n in tot.items():
    print(f'  {a} -> {b}: {n}')
EOF
}

run() { # name input extra-args...
    local name=$1 input=$2
    shift 2
    "$bin" hunt "$input" --rules "$rules" "$@" --format ndjson --threads 1 > "$out/alerts-$name-$tag.ndjson" 2> /dev/null || true
    valgrind --tool=callgrind --callgrind-out-file="$out/$name-$tag.cg" --toggle-collect='vigil::runner::Eval::record' \
        "$bin" hunt "$input" --rules "$rules" "$@" --format ndjson --threads 1 > /dev/null 2> "$out/$name-$tag.valgrind" || true
    echo "== $name ($tag): $(wc -l < "$out/alerts-$name-$tag.ndjson") alerts, sha256 $(sha256sum < "$out/alerts-$name-$tag.ndjson" | cut -c1-16)"
    callgrind_annotate --inclusive=yes "$out/$name-$tag.cg" 2> /dev/null | grep -v /rustc/ \
        | grep -E 'PROGRAM TOTALS|Eval::extract \[|Prefilter::candidates|evaluate_candidates \[|Program::route \[|matches_folded \[|explain::.*collect|keyword_gate::found' || true
    calls "$out/$name-$tag.cg" 'Eval::record->Prefilter::candidates' 'Eval::record->evaluate_candidates' \
        'evaluate_candidates->program::Program::eval' 'program::Program::eval->CompiledPredicate::holds_for' \
        'holds_for->matches_folded' 'holds_for->Regex' 'Eval::record->collect'
}

if [ ! -f "$evtx" ]; then
    # One copy of the attack samples' chunks, assembled as benches/evtx.sh does.
    evtx="$out/one.evtx"
    python3 "$(dirname "${BASH_SOURCE[0]}")/one_evtx.py" "${SAMPLES:-/work/shared/datasets/evtx-attack-samples}" "$evtx"
fi
run evtx "$evtx"
run ndjson "$nd20k" --pipeline none

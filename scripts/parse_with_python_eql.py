"""Parses every query of `vigil convert --target eql --format ndjson` (stdin) with the
Python `eql` package (PyPI, Elastic's reference implementation) in Elasticsearch mode, and
counts the queries it accepts; prints the first rejections."""
import json
import sys

import eql

# One object a line; `str.splitlines` would also cut at U+2028 and U+0085, which JSON leaves raw.
LINES = sys.stdin.read().split("\n")

ok, bad, queries = 0, [], 0
for line in filter(None, LINES):
    rec = json.loads(line)
    q = rec.get("query")
    if q is None:
        continue
    queries += 1
    try:
        with eql.parser.elasticsearch_syntax, eql.parser.ignore_missing_functions:
            eql.parse_query(q)
        ok += 1
    except Exception as e:  # the package raises several error types
        bad.append((rec["rule"].get("id"), str(e).splitlines()[0] if str(e) else type(e).__name__, q[:200]))
print(f"python eql {eql.__version__} (Elasticsearch syntax): {queries} queries, {ok} parsed, {len(bad)} rejected")
for b in bad[:10]:
    print(*b, sep="\n  ")
sys.exit(1 if bad or ok != queries else 0)

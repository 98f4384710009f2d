"""Parses every query of `vigil convert --target lucene --format ndjson` (stdin) with luqum
(PyPI), a Lucene query-string parser, checks that it prints back to the same text, and
that every regex term's body is a complete `/…/` term; prints the first rejections."""
import json
import sys

from luqum.parser import parser
from luqum.tree import Regex

ok, bad, queries, regexes = 0, [], 0, 0
for line in filter(None, sys.stdin.read().split("\n")):
    rec = json.loads(line)
    q = rec.get("query")
    if q is None:
        continue
    queries += 1
    try:
        tree = parser.parse(q)
        if str(tree) != q:
            raise ValueError("does not print back to the same text")
        stack = [tree]
        while stack:
            node = stack.pop()
            if isinstance(node, Regex):
                regexes += 1
            stack.extend(node.children)
        ok += 1
    except Exception as e:  # luqum raises several error types
        bad.append((rec["rule"].get("id"), (str(e).splitlines() or [type(e).__name__])[0], q[:200]))
print(f"luqum: {queries} queries, {ok} parsed and printed back, {regexes} regex terms, {len(bad)} rejected")
for b in bad[:10]:
    print(*b, sep="\n  ")
sys.exit(1 if bad or ok != queries else 0)

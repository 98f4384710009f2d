"""Parses every query of `vigil convert --format ndjson` (stdin) with esql-parser (PyPI),
the ANTLR grammar of Elasticsearch's own ES|QL parser (the version number is the
Elasticsearch release it was taken from), and reports each syntax error. Prints
"esql: N parsed, M failed (R refused)" and exits 1 on any failure."""
import json
import sys

from antlr4 import CommonTokenStream, InputStream
from antlr4.error.ErrorListener import ErrorListener
from esql_parser.EsqlBaseLexer import EsqlBaseLexer
from esql_parser.EsqlBaseParser import EsqlBaseParser


class Collect(ErrorListener):
    def __init__(self):
        self.errors = []

    def syntaxError(self, recognizer, symbol, line, column, msg, e):
        self.errors.append(f"{line}:{column}: {msg}")


def errors(query):
    listener = Collect()
    lexer = EsqlBaseLexer(InputStream(query))
    lexer.removeErrorListeners()
    lexer.addErrorListener(listener)
    parser = EsqlBaseParser(CommonTokenStream(lexer))
    parser.removeErrorListeners()
    parser.addErrorListener(listener)
    parser.singleStatement()
    return listener.errors


parsed, refused, failed = 0, 0, []
for line in sys.stdin:
    if not line.strip():
        continue
    row = json.loads(line)
    if "query" not in row:
        refused += 1
        continue
    found = errors(row["query"])
    if found:
        failed.append(f"{row['rule'].get('id')} {row['rule'].get('name')}: {'; '.join(found)}\n  {row['query']}")
    else:
        parsed += 1
for f in failed[:20]:
    print(f)
print(f"esql: {parsed} parsed, {len(failed)} failed ({refused} refused)")
sys.exit(1 if failed else 0)

#!/usr/bin/env python3
"""Writes the small files of the hostile-event corpus (crates/cli/tests/hostile_events.rs).

The files are checked in; this script is how they were made (run it from this folder to
make them again: the output is deterministic). Large and special inputs (a 100 MB line, a
first line over 1 MB, symlink loops, FIFOs, unreadable directories) are made by the test.

Every good record carries `"marker": "good-N"` (the rule in rule.yml alerts on it); bad
records carry `bad` markers, so a bad record can never be mistaken for a good one.
"""
import gzip
import io
import json
import random


def good(n, **extra):
    return json.dumps({"marker": f"good-{n}", **extra}, separators=(",", ":"))


def write(name, data):
    with open(name, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def gz(text, mtime=0):
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=mtime) as f:
        f.write(text.encode())
    return out.getvalue()


def pretty_array(records, indent=4, newline="\n"):
    return json.dumps(records, indent=indent).replace("\n", newline)


lines = lambda *rs: "".join(r + "\n" for r in rs)

write("scalars-and-arrays-as-lines.ndjson", lines(good(1), "[1,2]", "42", '"text"', "true", "null", '[{"marker":"bad-in-array"}]', good(2)))
write("utf8-bom.ndjson", b"\xef\xbb\xbf" + lines(good(1), good(2)).encode())
write("utf16le-bom.ndjson", b"\xff\xfe" + lines(good(1), good(2, note="é😀")).replace("\n", "\r\n").encode("utf-16-le"))
write("utf16be-bom.ndjson", b"\xfe\xff" + lines(good(1), good(2, note="é😀")).encode("utf-16-be"))
write("utf16le-no-bom.ndjson", lines(good(1), good(2)).encode("utf-16-le"))
ps = pretty_array([{"marker": "good-1", "Id": 4104}, {"marker": "good-2", "Id": 4104, "Nested": {"a": [1, 2]}}], newline="\r\n")
write("powershell-utf16le-array.json", b"\xff\xfe" + ps.encode("utf-16-le"))
write("utf16le-lone-surrogate.ndjson", b"\xff\xfe" + lines(good(1)).encode("utf-16-le") + '{"marker":"bad-'.encode("utf-16-le") + b"\x00\xd8" + '"}\n'.encode("utf-16-le") + lines(good(3)).encode("utf-16-le"))
write("cr-only.ndjson", good(1) + "\r" + good(2) + "\r" + '{"marker":' + "\r" + good(4) + "\r")
write("crlf.ndjson", (lines(good(1), '{"marker":"bad-2",}', good(3))).replace("\n", "\r\n"))
many = lines(*[good(i, pad="x" * 40 + str(i * 7919)) for i in range(1, 401)])
full = gz(many)
write("truncated.ndjson.gz", full[: len(full) // 2])
write("trailing-garbage.ndjson.gz", gz(lines(good(1), good(2), good(3))) + b"this is not gzip\n")
write("trailing-zeros.ndjson.gz", gz(lines(good(1), good(2))) + b"\0" * 512)
rng = random.Random(11)
corrupt = bytearray(full)
for _ in range(100):
    i = rng.randrange(len(corrupt) * 6 // 10, len(corrupt) - 8)
    corrupt[i] ^= 0xFF
write("corrupted.ndjson.gz", bytes(corrupt))
write("multi-member.ndjson.gz", gz(lines(good(1), good(2))) + gz(lines(good(3))) + gz("") + gz(lines(good(4))))
write(
    "array-bad-element.json",
    '[\n  {"marker": "good-1"},\n  {"marker": },\n  {"marker": "good-3"},\n  {"marker": "bad-4", "n": 01},\n  {"marker": "good-5"}\n]\n',
)
write(
    "array-syntax-errors.json",
    '[\n  {"marker": "good-1"}\n  {"marker": "good-2"},\n  {"marker": ["bad-3"},\n  {"marker": "good-4"},,\n  {"marker": "good-5"}\n]\n',
)
write("array-truncated.json", '[\n  {"marker": "good-1"},\n  {"marker": "good-2"},\n  {"marker": "bad-3", "Nested": {"a": ')
write("array-one-line.json", "[" + ",".join(good(i) for i in range(1, 4)) + "]")
write("array-of-arrays.json", '[[{"marker":"bad-1"}], {"marker":"good-2"}, "text", 3]\n')
conc = (
    json.dumps({"marker": "good-1", "Event": {"System": {"EventID": 1}}}, indent=2)
    + "\n"
    + '{\n  "marker": "bad-2",\n  "Event": {\n    "System": {"EventID": 1}\n'
    + json.dumps({"marker": "good-3", "Event": {"System": {"EventID": 3}}}, indent=2)
    + "\n"
    + '{\n  "marker": "bad-4\n}\n'
    + json.dumps({"marker": "good-5"}, indent=2)
    + "\n"
)
write("concatenated-bad-records.json", conc)
write("concatenated-one-line.json", good(1) + good(2) + " " + good(3) + "\n")
write("stray-text-between-records.json", "Record 1\n" + json.dumps({"marker": "good-2"}, indent=2) + "\nRecord 2\n" + json.dumps({"marker": "good-6"}, indent=2) + "\n")
write("nul-bytes.ndjson", lines(good(1), '{"marker":"bad-\0"}', "\0\0\0", good(4)).encode() + b"\0\n" + good(6).encode() + b"\n")
write(
    "invalid-utf8-in-strings.ndjson",
    lines(good(1)).encode()
    + b'{"marker":"bad-latin1-\xe9"}\n'
    + b'{"marker":"bad-overlong-\xc0\xaf"}\n'
    + lines(good(4)).encode()
    + b'{"marker":"bad-cut-\xe2\x82',
)
write("deep-nesting.ndjson", lines(good(1), '{"marker":"bad-2","deep":' + "[" * 10000 + "]" * 10000 + "}", good(3)))
write("blank-first-line.ndjson", "\n\n   \n" + lines(good(4), good(5)))
write("empty.ndjson", "")
write("only-whitespace.ndjson", "\n  \n\t\r\n")
write("no-newline-at-end.ndjson", good(1) + "\n" + good(2))
write(
    "impossible-dates.ndjson",
    lines(good(1, **{"@timestamp": "2024-02-31T00:00:00Z"}), good(2, **{"@timestamp": "2023-13-01T25:61:00Z"}), good(3, **{"@timestamp": "2024-02-29T23:59:59Z"})),
)
write("duplicate-keys.ndjson", lines('{"marker":"bad-hidden","marker":"good-1"}', '{"marker":"good-2","marker":"bad-after"}', '{"other":1,"other":2}'))
write("unterminated-string.ndjson", lines(good(1), '{"marker":"bad-2', good(3)))
write("evtx.json", b"ElfFile\0" + bytes(range(256)) * 4)
write("zip-archive.json", b"PK\x03\x04" + bytes(range(64)))
write("binary.json", bytes([1, 2, 3, 0, 255, 254, 7, 8]) * 32)
write("bzip2.json", b"BZh91AY&SY" + bytes(range(32)))

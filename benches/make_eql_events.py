#!/usr/bin/env python3
"""ECS process/file/network events for the EQL benchmark (benches/eql.sh), one JSON object per line.

Each "process" gets an entity id, a start event, then (most of the time) a file creation and
a network connection a few seconds later; the processes of a window interleave, so a
sequence by process.entity_id must join events that are not adjacent. Timestamps rise
(with small jitter inside a window of 8 events, which the reorder buffer absorbs). Names
come from a small list, a few of them match the benchmark's wildcard query.

Usage: make_eql_events.py N [SEED]  (writes N events to stdout; no file is kept in the repo)
"""

import heapq
import json
import random
import sys

NAMES = ["svchost.exe", "explorer.exe", "chrome.exe", "powershell.exe", "cmd.exe", "mshta.exe", "rundll32.exe", "curl.exe", "outlook.exe", "notepad.exe"]
ARGS = ["-nop -w hidden", "/c whoami", "http://198.51.100.7/a.hta", "--type=renderer", "C:\\Users\\Public\\x.dll,Start", ""]


def main():
    n = int(sys.argv[1])
    rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    out = sys.stdout
    written = 0
    base = 1_714_557_600_000  # 2024-05-01T10:00:00Z in ms
    t = 0
    pid = 0
    pending = []  # a heap of (ts, seq, category, type, entity, name)
    seq = 0

    def push(ts, cat, typ, ent, nm):
        nonlocal seq
        seq += 1
        heapq.heappush(pending, (ts, seq, cat, typ, ent, nm))

    while written < n:
        pid += 1
        name = rng.choice(NAMES)
        entity = f"e{pid:09d}"
        t += rng.randint(1, 40)
        push(t, "process", "start", entity, name)
        if rng.random() < 0.8:
            push(t + rng.randint(5, 3000), "file", "creation", entity, name)
        if rng.random() < 0.7:
            push(t + rng.randint(3001, 90000), "network", "connection", entity, name)
        # Every event still to come is at t or later: what is before it goes out, in order.
        while pending and pending[0][0] <= t and written < n:
            ts, _, cat, typ, ent, nm = heapq.heappop(pending)
            rec = {
                "@timestamp": base + ts,
                "event": {"category": cat, "type": typ},
                "host": {"name": f"host{int(ent[1:]) % 50}", "os": {"type": "windows"}},
                "process": {"entity_id": ent, "name": nm, "command_line": f"{nm} {rng.choice(ARGS)}"},
            }
            out.write(json.dumps(rec, separators=(",", ":")))
            out.write("\n")
            written += 1


if __name__ == "__main__":
    main()

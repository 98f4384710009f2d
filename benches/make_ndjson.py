#!/usr/bin/env python3
"""Build the NDJSON benchmark input for vigil/rsigma from the shared EVTX corpus.

Reads every .evtx file under the dataset roots with pyevtx-rs (`pip install evtx`,
the Python binding of the Rust `evtx` crate) and writes one JSON object per record.

Flat mode (default): one object per record with
  EventID (int), Channel, Provider_Name, Computer, @timestamp (System/TimeCreated/@SystemTime)
followed by the EventData fields at top level (key = Data Name with spaces removed).
Records without EventData use the fields of UserData's single child element (or of any
other payload element, such as ProcessingErrorData). Nested elements are flattened with
`_` (`Certificate_fileRef`), `#attributes` are hoisted, `#text` becomes the value itself.
Unnamed <Data> elements end up as `Data` (a string, or a list of strings if repeated).
A payload field whose name clashes with a System field is written as `EventData_<name>`.

Nested mode (--nested): each record exactly as the evtx crate's JSON
({"Event":{"System":…,"EventData":…}}), one record per line.

The records of all files (sorted paths, dataset roots in a fixed order) form one "copy";
the copy is written whole, again and again, until the output reaches --size-mb.
The output lives outside the repo (default /work/bench-data/events.ndjson): the corpus
is GPL/DRL/unlicensed data that must not be committed.
"""

import argparse
import glob
import json
import math
import os
import sys
import time

try:
    import evtx
except ImportError:  # pragma: no cover
    sys.exit("make_ndjson.py: the 'evtx' package is missing; run: pip install evtx")

SHARED = os.environ.get("SHARED", "/work/shared")
DEFAULT_ROOTS = [
    f"{SHARED}/datasets/evtx-attack-samples",
    f"{SHARED}/datasets/hayabusa-sample-evtx",
    f"{SHARED}/datasets/atomic-evtx-jayanthk007",
    f"{SHARED}/datasets/otrf-security-datasets",  # no .evtx at present; kept in case some appear
    f"{SHARED}/conformance/sigma-regression/regression_data",
]
SYSTEM_KEYS = ("EventID", "Channel", "Provider_Name", "Computer", "@timestamp")


def _text(v):
    """Value of an element that may be {"#attributes":…, "#text":…}."""
    if isinstance(v, dict):
        return v.get("#text")
    return v


def _flat_into(out, key, v):
    if isinstance(v, dict):
        for k2, v2 in v.items():
            if k2 == "#attributes":
                if isinstance(v2, dict):
                    for a, av in v2.items():
                        if a == "xmlns" or a.startswith("xmlns:"):
                            continue
                        _flat_into(out, f"{key}_{a}" if key else a, av)
            elif k2 == "#text":
                if key:
                    _flat_into(out, key, v2)
            else:
                k2 = k2.replace(" ", "")
                _flat_into(out, f"{key}_{k2}" if key else k2, v2)
    elif isinstance(v, list):
        if key:
            out[key] = [_text(e) if isinstance(e, dict) and "#text" in e else e for e in v]
    elif key:
        out[key] = v


def flatten(ev, stats):
    """evtx-crate JSON {"Event":…} -> flat dict."""
    event = ev["Event"]
    sysd = event.get("System") or {}
    eid = sysd.get("EventID")
    if isinstance(eid, dict):
        eid = eid.get("#text")
    try:
        eid = int(eid)
    except (TypeError, ValueError):
        stats["eventid_not_int"] += 1
    prov = sysd.get("Provider") or {}
    prov_attrs = prov.get("#attributes", {}) if isinstance(prov, dict) else {}
    tc = sysd.get("TimeCreated") or {}
    tc_attrs = tc.get("#attributes", {}) if isinstance(tc, dict) else {}
    out = {
        "EventID": eid,
        "Channel": _text(sysd.get("Channel")),
        "Provider_Name": prov_attrs.get("Name"),
        "Computer": _text(sysd.get("Computer")),
        "@timestamp": tc_attrs.get("SystemTime"),
    }
    payload = {}
    for part, body in event.items():
        if part in ("System", "#attributes") or body is None:
            continue
        if part == "UserData" and isinstance(body, dict):
            # UserData holds one provider-specific child element: use its fields.
            for child in body.values():
                _flat_into(payload, "", child)
        elif isinstance(body, dict):
            for k, v in body.items():
                if k == "#attributes":
                    continue  # e.g. <EventData Name="…">
                _flat_into(payload, k.replace(" ", ""), v)
        else:
            _flat_into(payload, part, body)  # <EventData>text</EventData>
    for k, v in payload.items():
        if k in out:
            stats["renamed_clashes"] += 1
            k = "EventData_" + k
        out[k] = v
    return out


def iter_files(roots):
    for root in roots:
        if not os.path.isdir(root):
            print(f"note: {root} missing, skipped", file=sys.stderr)
            continue
        files = sorted(glob.glob(os.path.join(root, "**", "*.evtx"), recursive=True))
        print(f"{root}: {len(files)} .evtx files", file=sys.stderr)
        for f in files:
            yield f


def build_copy(roots, nested, stats):
    """Return the serialised bytes of one copy of the corpus and its record count."""
    lines = []
    for path in iter_files(roots):
        stats["files"] += 1
        try:
            it = iter(evtx.PyEvtxParser(path, indent=False).records_json())
        except Exception as e:  # unreadable header etc.
            stats["files_failed"] += 1
            print(f"warn: cannot open {path}: {e}", file=sys.stderr)
            continue
        consecutive = 0
        while True:
            try:
                rec = next(it)
            except StopIteration:
                break
            except Exception as e:  # a record the crate cannot parse
                stats["records_failed"] += 1
                consecutive += 1
                if consecutive > 1000:  # the iterator is stuck: give up on this file
                    print(f"warn: giving up on {path}: {e}", file=sys.stderr)
                    break
                continue
            consecutive = 0
            try:
                ev = json.loads(rec["data"])
                if nested:
                    line = json.dumps(ev, ensure_ascii=False, separators=(",", ":"))
                else:
                    line = json.dumps(flatten(ev, stats), ensure_ascii=False, separators=(",", ":"))
            except Exception as e:
                stats["records_failed"] += 1
                print(f"warn: {path} record {rec.get('event_record_id')}: {e}", file=sys.stderr)
                continue
            lines.append(line)
    blob = ("\n".join(lines) + "\n").encode("utf-8") if lines else b""
    return blob, len(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-o", "--output", default="/work/bench-data/events.ndjson",
                    help="output file (default %(default)s; keep it outside the repo)")
    ap.add_argument("--size-mb", type=float, default=1100.0,
                    help="target size in MB (10^6 bytes); whole copies are written until the "
                         "output reaches it (default %(default)s)")
    ap.add_argument("--nested", action="store_true",
                    help="write the evtx crate's nested JSON (Event.System/Event.EventData) instead of flat records")
    ap.add_argument("--root", action="append", dest="roots",
                    help="dataset root to scan for .evtx (repeatable; default: the shared corpus)")
    args = ap.parse_args()

    roots = args.roots or DEFAULT_ROOTS
    stats = {k: 0 for k in ("files", "files_failed", "records_failed", "renamed_clashes", "eventid_not_int")}
    t0 = time.time()
    blob, nrec = build_copy(roots, args.nested, stats)
    if nrec == 0:
        sys.exit("make_ndjson.py: no records read")
    target = int(args.size_mb * 1_000_000)
    copies = max(1, math.ceil(target / len(blob)))

    out_dir = os.path.dirname(os.path.abspath(args.output))
    os.makedirs(out_dir, exist_ok=True)
    tmp = args.output + ".tmp"
    with open(tmp, "wb") as fh:
        for _ in range(copies):
            fh.write(blob)
    os.replace(tmp, args.output)
    size = os.path.getsize(args.output)

    print(f"mode:            {'nested' if args.nested else 'flat'}")
    print(f"files:           {stats['files']} ({stats['files_failed']} unreadable)")
    print(f"records/copy:    {nrec}")
    print(f"skipped records: {stats['records_failed']} (parse failures)")
    if not args.nested:
        print(f"renamed clashes: {stats['renamed_clashes']}; non-integer EventID: {stats['eventid_not_int']}")
    print(f"bytes/copy:      {len(blob)}")
    print(f"copies:          {copies}")
    print(f"records:         {nrec * copies}")
    print(f"bytes:           {size} ({size / 1e6:.1f} MB)")
    print(f"output:          {args.output}")
    print(f"elapsed:         {time.time() - t0:.1f} s")


if __name__ == "__main__":
    main()

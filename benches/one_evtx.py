"""Assembles ONE EVTX file from a folder of samples: the first sample's 4 KiB header, then
every whole 64 KiB chunk of every sample (in path order). A chunk carries its own string and
template tables, and EVTX readers count chunks from the file size, so the result reads like
one log holding every sample's records. Used by evtx.sh and eval_cost.sh.

    python3 benches/one_evtx.py SAMPLES_DIR OUT_FILE
"""
import os
import sys

samples, out = sys.argv[1], sys.argv[2]
files = sorted(os.path.join(d, f) for d, _, fs in os.walk(samples) for f in fs if f.endswith('.evtx'))
header = None
with open(out, 'wb') as w:
    for path in files:
        data = open(path, 'rb').read()
        if len(data) < 4096 or not data.startswith(b'ElfFile\0'):
            continue
        if header is None:
            header = data[:4096]
            w.write(header)
        chunks = (len(data) - 4096) // 65536
        w.write(data[4096:4096 + chunks * 65536])

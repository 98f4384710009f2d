import json, sys, yaml, re
sys.setrecursionlimit(100000)
man = json.load(open(".manifest_tmp.json"))
VIS=set()
def dups(node, out):
    if id(node) in VIS: return
    VIS.add(id(node))
    if isinstance(node, yaml.MappingNode):
        seen = {}
        for k, v in node.value:
            key = k.value if isinstance(k, yaml.ScalarNode) else None
            if key in seen:
                out.append(k.start_mark.line + 1)
            seen[key] = 1
            dups(v, out)
    elif isinstance(node, yaml.SequenceNode):
        for v in node.value:
            dups(v, out)
bad = 0
for fn, cat, L, reason, nlines in man:
    text = open(fn).read()
    first = text.split("\n", 1)[0]
    assert re.match(r"^# expect-line: \d+  \S", first), fn
    assert 1 < L <= nlines, fn
    err = None
    try:
        docs = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError as e:
        m = getattr(e, "problem_mark", None)
        err = (m.line + 1 if m else None, str(e).replace("\n", " | "))
    if cat == "yaml":
        ok = err is not None and err[0] == L
        print(("OK " if ok else "BAD"), fn, L, err)
    else:
        if err:
            print("BAD(parse)", fn, err); bad += 1; continue
        d = []; VIS.clear()
        for doc in docs:
            dups(doc, d)
        if cat == "duplicate":
            ok = d == [L]
            if not ok: print("BAD dup", fn, L, d)
        elif d:
            print("BAD unexpected dup", fn, d); ok = False
        else:
            ok = True
        # also try full load for non-bomb/non-deep
        if "alias_bomb" not in fn:
            try:
                list(yaml.safe_load_all(text))
            except Exception as e:
                print("LOADERR", fn, type(e).__name__, str(e)[:100])
    bad += 0 if ok else 1
print("bad", bad, "total", len(man))

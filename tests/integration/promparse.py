#!/usr/bin/env python3
"""promparse.py FILE [NAME=VALUE ...]: check a Prometheus text exposition
(format 0.0.4) strictly enough to catch what a scraper would refuse, and
assert sample values. Exit 0 when all holds; prints the first problem."""
import re
import sys

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
SAMPLE = re.compile(r"^(" + NAME + r")(\{(.*)\})? (-?[0-9.eE+-]+|\+Inf|NaN)$")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)')


def fail(msg):
    print("promparse: " + msg)
    sys.exit(1)


def main():
    text = open(sys.argv[1]).read()
    types, helps, samples = {}, {}, {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line:
            continue
        if line.startswith("# HELP "):
            name = line.split(" ")[2]
            if name in helps:
                fail("line %d: second HELP for %s" % (n, name))
            helps[name] = True
            continue
        if line.startswith("# TYPE "):
            parts = line.split(" ")
            if len(parts) != 4 or parts[3] not in ("counter", "gauge", "histogram", "summary", "untyped"):
                fail("line %d: bad TYPE line" % n)
            if parts[2] in types:
                fail("line %d: second TYPE for %s" % (n, parts[2]))
            types[parts[2]] = parts[3]
            continue
        if line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        if not m:
            fail("line %d: not a sample: %r" % (n, line))
        name, labels = m.group(1), m.group(3) or ""
        if not name.startswith("deployctl_"):
            fail("line %d: %s is not named deployctl_*" % (n, name))
        rest = labels
        while rest:
            lm = LABEL.match(rest)
            if not lm:
                fail("line %d: bad labels %r" % (n, labels))
            rest = rest[lm.end():]
        family = re.sub(r"_(bucket|sum|count)$", "", name) if re.sub(r"_(bucket|sum|count)$", "", name) in types else name
        if family not in types:
            fail("line %d: %s has no TYPE before it" % (n, name))
        if types[family] == "counter" and not name.endswith("_total"):
            fail("line %d: counter %s does not end in _total" % (n, name))
        key = name + ("{" + labels + "}" if labels else "")
        if key in samples:
            fail("line %d: duplicate sample %s" % (n, key))
        samples[key] = float(m.group(4))
    # histogram buckets grow with le and end at +Inf == _count
    for fam, t in types.items():
        if t != "histogram":
            continue
        series = {}
        for key, v in samples.items():
            if key.startswith(fam + "_bucket{"):
                base = re.sub(r',?le="[^"]*"', "", key[len(fam + "_bucket"):])
                le = re.search(r'le="([^"]*)"', key).group(1)
                series.setdefault(base, []).append((float("inf") if le == "+Inf" else float(le), v))
        for base, b in series.items():
            b.sort()
            if any(b[i][1] > b[i + 1][1] for i in range(len(b) - 1)):
                fail("%s%s: buckets decrease" % (fam, base))
            if b[-1][0] != float("inf"):
                fail("%s%s: no +Inf bucket" % (fam, base))
            if samples.get(fam + "_count" + base) != b[-1][1]:
                fail("%s%s: +Inf bucket != _count" % (fam, base))
    for want in sys.argv[2:]:
        op = ">=" if ">=" in want else "="
        key, val = want.rsplit(op, 1)
        if key not in samples:
            fail("no sample %s" % key)
        if op == "=" and samples[key] != float(val):
            fail("%s is %g, want %s" % (key, samples[key], val))
        if op == ">=" and samples[key] < float(val):
            fail("%s is %g, want >= %s" % (key, samples[key], val))
    print("promparse: %d samples in %d families ok" % (len(samples), len(types)))


main()

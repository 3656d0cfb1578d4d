#!/usr/bin/env python3
"""check-options.py SRCDIR: every getopt_long table of the commands
(controller/cli/*.c) has distinct option codes once the shared option
macros (*_LONG_OPTIONS in include/deployctl/*.h) are expanded. Two long
options with one code make getopt hand the second to whoever parses the
first (diff's --from was read as --file): a silent misparse, so the build
refuses it."""
import glob
import os
import re
import sys

top = sys.argv[1] if len(sys.argv) > 1 else "."
macros = {}
for h in glob.glob(os.path.join(top, "include/deployctl/*.h")) + glob.glob(os.path.join(top, "controller/*/*.h")):
    text = open(h, encoding="utf-8").read()
    for m in re.finditer(r"#define\s+(\w+_OPTIONS)\s*((?:.*\\\n)*.*)", text):
        macros[m.group(1)] = m.group(2).replace("\\\n", "\n")

entry = re.compile(r'\{\s*"([^"]+)"\s*,\s*\w+\s*,\s*NULL\s*,\s*([^}]+?)\s*\}')


def expand(body, depth=0):
    for name, val in macros.items():
        if depth < 5 and re.search(r"\b%s\b" % name, body):
            body = re.sub(r"\b%s\b" % name, lambda _: expand(val, depth + 1), body)
    return body


bad = 0
for c in sorted(glob.glob(os.path.join(top, "controller/cli/*.c"))):
    text = open(c, encoding="utf-8").read()
    for m in re.finditer(r"struct option\s+(\w+)\[\]\s*=\s*\{(.*?)\n\};", text, re.S):
        seen = {}
        for name, code in entry.findall(expand(m.group(2))):
            if code == "0":
                continue
            if code in seen and seen[code] != name:
                print("%s: %s: --%s and --%s share the option code %s" %
                      (os.path.relpath(c, top), m.group(1), seen[code], name, code))
                bad = 1
            seen.setdefault(code, name)
sys.exit(bad)

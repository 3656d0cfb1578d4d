#!/usr/bin/env python3
"""check-options.py SRCDIR [DEPLOYCTL]: the commands' options stay in one
place and documented.

1. Every command declares its options as a table of rows parsed by
   controller/cli/cmd_opts.c: a getopt_long() call or a struct option table
   in another controller/cli file would bypass it (and bring back the
   hand-assigned option codes that once made diff's --from read as --file).
   Names or letters given twice in a table are refused by the parser itself
   and by tools/gen-docs.c, which fails the build.
2. With DEPLOYCTL (the built binary): every long option a command's --help
   lists (made from its table) appears in the command's hand-written man
   page docs/man/deployctl-<command>.1, so a new row cannot go undocumented
   there. --state, --docker-host and --help are described in deployctl.1.
"""
import glob
import os
import re
import subprocess
import sys

top = sys.argv[1] if len(sys.argv) > 1 else "."
exe = sys.argv[2] if len(sys.argv) > 2 else None
bad = 0

for c in sorted(glob.glob(os.path.join(top, "controller/cli/*.c"))):
    if os.path.basename(c) in ("main.c", "cmd_opts.c"):
        continue
    text = open(c, encoding="utf-8").read()
    for m in re.finditer(r"getopt_long\s*\(|struct option\s+\w+\s*\[", text):
        line = text.count("\n", 0, m.start()) + 1
        print("%s:%d: options parsed outside the option table (cmd_opts.h)" %
              (os.path.relpath(c, top), line))
        bad = 1

SHARED = {"--help", "--state", "--docker-host"}
if exe:
    for page in sorted(glob.glob(os.path.join(top, "docs/man/deployctl-*.1"))):
        cmd = os.path.basename(page)[len("deployctl-"):-2]
        run = subprocess.run([exe, cmd, "--help"], capture_output=True, text=True)
        if run.returncode != 0:
            continue  # not a command (deployctl-manifest.5 is not matched; others may be)
        man = open(page, encoding="utf-8").read().replace("\\-", "-")
        for name in re.findall(r"^  (?:-\w, )?(--[\w-]+)", run.stdout, re.M):
            if name in SHARED:
                continue
            if not re.search(re.escape(name) + r"(?![\w-])", man):
                print("%s: %s %s is not documented there" %
                      (os.path.relpath(page, top), cmd, name))
                bad = 1
sys.exit(bad)

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Holds Documentation/ecmp.md to the configuration files the guest test
tests/e2e/bgp.sh runs: each file of Documentation/ecmp/ must appear in it
verbatim, as a fenced block right after a line naming the file.

  ecmp_docs.py [REPO]

Prints one line for each file missing or different (exit 1 if any).
"""

import os
import re
import sys

REPO = sys.argv[1] if len(sys.argv) > 1 else \
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "../..")
DIR = "Documentation/ecmp"

with open(os.path.join(REPO, "Documentation/ecmp.md")) as f:
    doc = f.read()
# "`Documentation/ecmp/NAME`:" then a fenced block.
shown = {m.group(1): m.group(2) for m in re.finditer(
    r"^`" + DIR + r"/([^`]+)`[^\n]*\n\n```[a-z]*\n(.*?)^```$", doc,
    re.M | re.S)}
bad = 0
for name in sorted(os.listdir(os.path.join(REPO, DIR))):
    with open(os.path.join(REPO, DIR, name)) as f:
        text = f.read()
    if name not in shown:
        print(f"ecmp.md: {DIR}/{name} is not shown")
        bad += 1
    elif shown[name] != text:
        print(f"ecmp.md: {DIR}/{name} differs from the file")
        bad += 1
for name in sorted(set(shown) - set(os.listdir(os.path.join(REPO, DIR)))):
    print(f"ecmp.md: shows {DIR}/{name}, which does not exist")
    bad += 1
sys.exit(1 if bad else 0)

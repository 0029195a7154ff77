"""Reads oneDNN's verbose trace (ONEDNN_VERBOSE=2) of a compiled model run
RUNS times and prints, for the part from the first convolution on (the
model running), how many primitives were created and how many of each
primitive were executed."""

import collections
import sys

runs = int(sys.argv[1])
lines = [l.strip() for l in sys.stdin if l.startswith("onednn_verbose,")]
first = next(i for i, l in enumerate(lines)
             if l.startswith("onednn_verbose,exec,cpu,convolution"))
load, running = lines[:first], lines[first:]
print("created at load:", sum(",create:" in l for l in load))
print("created while running:", sum(",create:" in l for l in running))
execs = collections.Counter(l.split(",")[3] for l in running
                            if l.startswith("onednn_verbose,exec,"))
for kind, count in sorted(execs.items()):
    print(f"{kind} per run: {count / runs:g}")

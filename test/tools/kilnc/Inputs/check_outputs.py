"""Compares a run's outputs with NumPy's: OUTDIR/y.npy and OUTDIR/h.npy
against PREFIX-y.npy and PREFIX-h.npy; prints 'NAME ok' or what differs.

usage: check_outputs.py OUTDIR PREFIX NAME"""
import sys

import numpy as np

from kilntest.compare import mismatch

outdir, prefix, name = sys.argv[1:4]
for output in ("y", "h"):
    problem = mismatch(np.load(f"{outdir}/{output}.npy"),
                       np.load(f"{prefix}-{output}.npy"), rtol=1e-4, atol=1e-5)
    if problem:
        print(f"{name} {output} differs: {problem}")
        sys.exit(0)
print(f"{name} ok")

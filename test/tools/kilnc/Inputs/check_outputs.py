"""Compares a run's outputs with NumPy's: OUTDIR/y.npy and OUTDIR/h.npy
against PREFIX-y.npy and PREFIX-h.npy; prints 'NAME ok' or what differs.

usage: check_outputs.py OUTDIR PREFIX NAME"""
import sys

import numpy as np

outdir, prefix, name = sys.argv[1:4]
for output in ("y", "h"):
    got = np.load(f"{outdir}/{output}.npy")
    want = np.load(f"{prefix}-{output}.npy")
    if got.shape != want.shape or not np.allclose(got, want, rtol=1e-4, atol=1e-5):
        error = np.abs(got - want).max() if got.shape == want.shape else "shape"
        print(f"{name} {output} differs: {error}")
        sys.exit(0)
print(f"{name} ok")

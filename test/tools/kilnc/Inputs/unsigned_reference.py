"""Checks the outputs of Inputs/unsigned.onnxtxt against NumPy, whose
integer operations on uint8 and uint64 arrays are unsigned.

usage: unsigned_reference.py INPUT_DIR OUTPUT_DIR
Prints one line per output: "NAME ok" or "NAME differs: got ..., want ...".
"""

import os
import sys

import numpy as np

inputs, outputs = sys.argv[1], sys.argv[2]
A, B, C, D, X, E, K = (np.load(os.path.join(inputs, f"{k}.npy"))
                       for k in "ABCDXEK")


def div(x, y):
    # Kiln defines x / 0 and x % 0 as 0 (NumPy does too, with a warning).
    safe = np.where(y == 0, np.ones_like(y), y)
    return np.where(y == 0, 0, x // safe).astype(x.dtype)


def mod(x, y):
    safe = np.where(y == 0, np.ones_like(y), y)
    return np.where(y == 0, 0, x % safe).astype(x.dtype)


np.seterr(all="ignore")
expected = {
    "Q": div(A, B),
    "M": mod(A, B),
    "MX": np.maximum(A, B),
    "LT": A < B,
    "AF": A.astype(np.float32),
    "Q64": div(C, D),
    "M64": mod(C, D),
    "GT64": C > D,
    "MN64": np.minimum(C, D),
    "CD": C.astype(np.float64),
    "RMAX": np.array([A.max()], dtype=np.uint8),
    "RMIN": np.array([A.min()], dtype=np.uint8),
    "ARG": np.array([A.argmax()], dtype=np.int64),
    "CL": np.clip(A, 100, 250).astype(np.uint8),
    "SG": np.sign(A).astype(np.uint8),
    "W": A.astype(np.uint16),
    "AI": A.astype(np.int32),
    "AB": A,
    "P": np.power(np.float32(2), B.astype(np.float32)),
    # Integer powers wrap around; the exponent's signedness is its own.
    "IP": np.power(E, B.astype(np.int64)).astype(np.int32),
    "UP": np.power(A.astype(np.int64), K).astype(np.uint8),
}
for name, want in expected.items():
    got = np.load(os.path.join(outputs, f"{name}.npy"))
    if got.dtype == want.dtype and np.array_equal(got, want):
        print(name, "ok")
    else:
        print(name, "differs: got", got.dtype, got.tolist(), "want",
              want.dtype, want.tolist())

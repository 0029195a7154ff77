"""Inputs for conv_pool.onnxtxt, and its outputs checked against a float64
NumPy reference of convolution, activation and pooling.

usage: conv_pool_reference.py inputs DIR | check INPUTS OUTPUTS
"""
import math
import os
import sys

import numpy as np

from kilntest.conv import conv


def inputs(folder):
    rng = np.random.default_rng(11)
    shapes = {"X": (2, 3, 19, 17), "W": (8, 3, 3, 3), "B": (8,),
              "U": (8, 3, 3, 3),
              "V": (6, 3, 3, 3), "P": (5, 3, 1, 1), "Y": (1, 8, 96, 96),
              "R": (8, 8, 3, 3), "S": (8,)}
    for name, shape in shapes.items():
        np.save(os.path.join(folder, name + ".npy"),
                rng.normal(0, 1, shape).astype(np.float32))


def pool(x, kind, k, s, pad=0, ceil=False, include_pad=False):
    n, c, h, w = x.shape

    def size(d):
        span = (d + 2 * pad - k) / s
        return (math.ceil(span) if ceil else math.floor(span)) + 1

    oh, ow = size(h), size(w)
    y = np.zeros((n, c, oh, ow))
    for p in range(oh):
        for q in range(ow):
            r0, c0 = p * s - pad, q * s - pad
            rows = range(max(r0, 0), min(r0 + k, h))
            cols = range(max(c0, 0), min(c0 + k, w))
            win = x[:, :, rows.start:rows.stop, cols.start:cols.stop]
            if kind == "max":
                y[:, :, p, q] = win.max(axis=(2, 3))
            else:
                count = k * k if include_pad else len(rows) * len(cols)
                y[:, :, p, q] = win.sum(axis=(2, 3)) / count
    return y


def check(input_dir, output_dir):
    i = {n: np.load(os.path.join(input_dir, n + ".npy")).astype(np.float64)
         for n in ["X", "W", "B", "U", "V", "P", "Y", "R", "S"]}
    x = i["X"]
    e0 = conv(x, i["U"], i["B"], pads=1)
    expected = {
        "A": pool(np.maximum(conv(x, i["W"], i["B"], pads=1), 0), "max", 3, 2,
                  pad=1),
        "C": pool(1 / (1 + np.exp(-conv(x, i["V"], stride=2, dilation=2))),
                  "avg", 2, 2, ceil=True),
        "E": pool(np.where(e0 > 0, e0, 0.1 * e0), "avg", 3, 1, pad=1,
                  include_pad=True),
        "D": pool(conv(x, i["P"]), "max", 2, 2, ceil=True),
        "F": np.maximum(conv(i["Y"], i["R"], i["S"], pads=1) + i["Y"], 0),
    }
    for name, want in expected.items():
        got = np.load(os.path.join(output_dir, name + ".npy"))
        error = (np.abs(got - want) / (1 + np.abs(want))).max() \
            if got.shape == want.shape else None
        ok = error is not None and error < 1e-5
        print(name, got.shape, "ok" if ok else f"FAILED (max error {error})")


if __name__ == "__main__":
    {"inputs": inputs, "check": check}[sys.argv[1]](*sys.argv[2:])

"""Inputs and NumPy reference for Inputs/activations.onnxtxt: SiLU after a
convolution (Sigmoid, Mul), GELU after a matrix product and bias (Div, Erf,
Add, Mul, Mul), hard swish after a gemm (HardSigmoid, Mul) and the tanh
form of GELU after another matrix product and bias, as exporters write
them. The weights are written as serialized TensorProtos
for --bind, so that the backends see constant weights.

usage: activations_reference.py make DIR
       activations_reference.py check DIR OUTPUT_DIR
"""

import math
import os
import sys

import numpy as np
from kilntest.tensorproto import write_float32


WEIGHTS = {"CW": (8, 4, 3, 3), "CB": (8,), "W1": (64, 64), "B1": (64,),
           "W2": (64, 64)}


def make(folder):
    rng = np.random.default_rng(7)
    np.save(os.path.join(folder, "X.npy"),
            rng.normal(size=(2, 4, 8, 8)).astype(np.float32))
    np.save(os.path.join(folder, "M.npy"),
            rng.normal(size=(64, 64)).astype(np.float32))
    for name, shape in WEIGHTS.items():
        array = (rng.normal(size=shape) * 0.3).astype(np.float32)
        np.save(os.path.join(folder, name + ".npy"), array)
        write_float32(os.path.join(folder, name + ".pb"), name, array)


def conv(x, w, b):
    n, c, h, wd = x.shape
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    out = np.zeros((n, w.shape[0], h, wd))
    for i in range(3):
        for j in range(3):
            out += np.einsum("nchw,oc->nohw", padded[:, :, i:i + h, j:j + wd],
                             w[:, :, i, j])
    return out + b[None, :, None, None]


def check(folder, outputs):
    load = lambda name: np.load(os.path.join(folder, name + ".npy")).astype(
        np.float64)
    x, m = load("X"), load("M")
    c = conv(x, load("CW"), load("CB"))
    p = m @ load("W1") + load("B1")
    q = m @ load("W2") + load("B1")
    erf = np.vectorize(math.erf)
    expected = {
        "S": c / (1 + np.exp(-c)),
        "G": 0.5 * p * (1 + erf(p / math.sqrt(2))),
        "H": q * np.clip(q / 6 + 0.5, 0, 1),
        "U": 0.5 * q * (1 + np.tanh(math.sqrt(2 / math.pi) *
                                    (q + 0.044715 * q ** 3))),
    }
    for name, want in expected.items():
        got = np.load(os.path.join(outputs, name + ".npy"))
        error = np.max(np.abs(got - want) / (1 + np.abs(want)))
        print(f"{name} {'ok' if error < 1e-4 else f'differs by {error}'}")


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    else:
        check(sys.argv[2], sys.argv[3])

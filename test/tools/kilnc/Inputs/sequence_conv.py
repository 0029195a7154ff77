"""Runs the executables of sequence-conv.onnxtxt (given as arguments after
the work folder) at several lengths and prints, per executable and length,
whether both outputs match NumPy's 1-d convolutions of the unpadded input
(the weights are read from the .onnxtxt)."""

import os
import re
import subprocess
import sys

import numpy as np

model, work, *exes = sys.argv[1:]
text = open(model).read()


def constant(name):
    match = re.search(name + r" = Constant <value = float\[([\d, ]+)\] \{([^}]*)\}", text)
    dims = [int(d) for d in match.group(1).split(",")]
    return np.array([float(v) for v in match.group(2).split(",")],
                    np.float32).reshape(dims)


def conv1d(x, w, pads, dilation=1, bias=None):
    """x [N, C, L], w [M, C, K]: ONNX Conv with stride 1."""
    x = np.pad(x, ((0, 0), (0, 0), pads))
    k = w.shape[2]
    length = x.shape[2] - (k - 1) * dilation
    y = sum(np.einsum("mc,ncl->nml", w[:, :, j],
                      x[:, :, j * dilation:j * dilation + length])
            for j in range(k))
    return y if bias is None else y + bias[None, :, None]


w1, b1, w2 = constant("W1"), constant("B1"), constant("W2")
rng = np.random.default_rng(5)
for batch, length in [(2, 5), (2, 20), (3, 1), (1, 9)]:
    x = rng.standard_normal((batch, length, 4)).astype(np.float32)
    path = os.path.join(work, f"conv_{batch}_{length}.npy")
    np.save(path, x)
    r = np.maximum(conv1d((x + 1).transpose(0, 2, 1), w1, (1, 1), bias=b1), 0)
    expected = {"Y": conv1d(r, w2, (2, 0), 2).transpose(0, 2, 1),
                "M": r.max(2)}
    for exe in exes:
        out = os.path.join(work, f"out-{os.path.basename(exe)}-{batch}_{length}")
        os.makedirs(out, exist_ok=True)
        subprocess.run([exe, path, "-o", out], check=True)
        ok = all(np.allclose(np.load(os.path.join(out, f"{k}.npy")), v,
                             1e-4, 1e-5) for k, v in expected.items())
        print(os.path.basename(exe), f"{batch}x{length}", "ok" if ok else "WRONG")

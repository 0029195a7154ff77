"""Checks the outputs of Inputs/seqlens.onnxtxt (a bidirectional GRU and a
reverse LSTM with per-entry sequence lengths) against NumPy, following the
ONNX operator definitions: an entry's state stops changing after its length,
its outputs there are 0, and a reverse direction reads its own steps
backwards.

usage: recurrent_reference.py make DIR   writes random inputs
       recurrent_reference.py check DIR OUTPUT_DIR
"""

import os
import sys

import numpy as np

from kilntest.recurrent import gru, lstm, run

S, B, I, H = 4, 3, 2, 3
LENGTHS = [4, 2, 1]


def inputs(folder):
    return {k: np.load(os.path.join(folder, k + ".npy"))
            for k in ["X", "W", "R", "B", "L", "LW", "LR", "LB"]}


if sys.argv[1] == "make":
    rng = np.random.default_rng(7)
    shapes = {"X": (S, B, I), "W": (2, 3 * H, I), "R": (2, 3 * H, H),
              "B": (2, 6 * H), "LW": (1, 4 * H, I), "LR": (1, 4 * H, H),
              "LB": (1, 8 * H)}
    for name, shape in shapes.items():
        np.save(os.path.join(sys.argv[2], name + ".npy"),
                rng.uniform(-1, 1, shape).astype(np.float32))
    np.save(os.path.join(sys.argv[2], "L.npy"),
            np.array(LENGTHS, dtype=np.int32))
    sys.exit(0)

v = {k: a.astype(np.float64) for k, a in inputs(sys.argv[2]).items()}
lengths = LENGTHS
zero = np.zeros((B, H))
yf, (hf,) = run(gru(v["W"][0], v["R"][0], v["B"][0]), v["X"], lengths,
                False, [zero])
yb, (hb,) = run(gru(v["W"][1], v["R"][1], v["B"][1]), v["X"], lengths,
                True, [zero])
ly, (lh, lc) = run(lstm(v["LW"][0], v["LR"][0], v["LB"][0]), v["X"], lengths,
                   True, [zero, zero])
expected = {
    "Y": np.stack([yf, yb], axis=1), "YH": np.stack([hf, hb]),
    "LY": ly[:, None], "LYH": lh[None], "LYC": lc[None],
}
for name, want in expected.items():
    got = np.load(os.path.join(sys.argv[3], name + ".npy"))
    error = np.abs(got - want).max()
    print(name, "ok" if got.shape == want.shape and error < 1e-5
          else f"differs by {error} (shape {got.shape})")

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

S, B, I, H = 4, 3, 2, 3
LENGTHS = [4, 2, 1]


def sigmoid(v):
    return 1 / (1 + np.exp(-v))


def run(cell, x, lengths, reverse, state):
    """Y [S, B, H] and the final state of one direction."""
    y = np.zeros((S, B, H))
    for b in range(B):
        steps = range(lengths[b])
        for t in (reversed(steps) if reverse else steps):
            state = [s.copy() for s in state]
            new = cell(x[t, b], [s[b] for s in state])
            for s, n in zip(state, new):
                s[b] = n
            y[t, b] = new[0]
    return y, state


def gru(w, r, bias):
    wb, rb = bias[:3 * H], bias[3 * H:]

    def cell(xt, state):
        (h,) = state
        gx = w @ xt + wb
        gh = r @ h + rb
        z = sigmoid(gx[:H] + gh[:H])
        reset = sigmoid(gx[H:2 * H] + gh[H:2 * H])
        cand = np.tanh(gx[2 * H:] + r[2 * H:] @ (reset * h) + rb[2 * H:])
        return [(1 - z) * cand + z * h]
    return cell


def lstm(w, r, bias):
    def cell(xt, state):
        h, c = state
        g = w @ xt + r @ h + bias[:4 * H] + bias[4 * H:]
        i, o, f, cc = (g[k * H:(k + 1) * H] for k in range(4))
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(cc)
        return [sigmoid(o) * np.tanh(c), c]
    return cell


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

"""NumPy references of ONNX's recurrent layers, from the operator
definitions (gate orders z, r, h for GRU and i, o, f, c for LSTM), in the
precision of their arguments: cells of one batch entry and a runner over a
sequence with per-entry lengths."""

import numpy as np


def sigmoid(v):
    return 1 / (1 + np.exp(-v))


def gru(w, r, bias, linear_before_reset=False):
    """The GRU cell of one direction: W [3H, I], R [3H, H], B [6H]."""
    hidden = r.shape[1]
    wb, rb = bias[:3 * hidden], bias[3 * hidden:]

    def cell(xt, state):
        (h,) = state
        gx = w @ xt + wb
        gh = r @ h + rb
        z = sigmoid(gx[:hidden] + gh[:hidden])
        reset = sigmoid(gx[hidden:2 * hidden] + gh[hidden:2 * hidden])
        if linear_before_reset:
            recurrent = reset * gh[2 * hidden:]
        else:
            recurrent = r[2 * hidden:] @ (reset * h) + rb[2 * hidden:]
        cand = np.tanh(gx[2 * hidden:] + recurrent)
        return [(1 - z) * cand + z * h]
    return cell


def lstm(w, r, bias):
    """The LSTM cell of one direction: W [4H, I], R [4H, H], B [8H]."""
    hidden = r.shape[1]

    def cell(xt, state):
        h, c = state
        g = w @ xt + r @ h + bias[:4 * hidden] + bias[4 * hidden:]
        i, o, f, cc = (g[k * hidden:(k + 1) * hidden] for k in range(4))
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(cc)
        return [sigmoid(o) * np.tanh(c), c]
    return cell


def run(cell, x, lengths, reverse, state):
    """Y [S, B, H] and the final states of one direction over x [S, B, I]:
    entry b runs its first lengths[b] steps (backwards when `reverse`),
    outputs 0 after them and keeps its state from then on."""
    steps_all, batch = x.shape[0], x.shape[1]
    y = np.zeros((steps_all, batch, state[0].shape[1]))
    for b in range(batch):
        steps = range(lengths[b])
        for t in (reversed(steps) if reverse else steps):
            state = [s.copy() for s in state]
            new = cell(x[t, b], [s[b] for s in state])
            for s, n in zip(state, new):
                s[b] = n
            y[t, b] = new[0]
    return y, state


def save_directions(prefix, results):
    """Writes PREFIX-y.npy (Y [S, D, B, H]) and PREFIX-h.npy (the last
    states, [D, B, H]) in float32 from each direction's (y, last h)."""
    np.save(prefix + "-y.npy",
            np.stack([y for y, _ in results], axis=1).astype(np.float32))
    np.save(prefix + "-h.npy",
            np.stack([h for _, h in results], axis=0).astype(np.float32))

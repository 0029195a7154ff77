"""Recurrent layers whose recurrent weights are large enough to be packed in
column panels (R of an LSTM of hidden 256 is [4 * 256, 256]), at batches
that give panels of 256, 64 and 32 columns, and a GRU of hidden 320 whose
960 columns take panels of 64. For each case writes
OUT/NAME.onnx, OUT/NAME-x.npy and NumPy's outputs OUT/NAME-y.npy (all
steps) and OUT/NAME-h.npy (last state) in float64 (kilntest.recurrent).

usage: packed_recurrence.py OUT"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from kilntest.recurrent import gru, lstm, run, save_directions

INPUT, STEPS = 24, 5


def case(out, name, op, hidden, batch, direction, rng):
    gates = 4 if op == "LSTM" else 3
    dirs = 2 if direction == "bidirectional" else 1
    w = (rng.standard_normal((dirs, gates * hidden, INPUT)) / 4).astype(np.float32)
    r = (rng.standard_normal((dirs, gates * hidden, hidden)) / 16).astype(np.float32)
    b = (rng.standard_normal((dirs, 2 * gates * hidden)) / 4).astype(np.float32)
    x = rng.standard_normal((STEPS, batch, INPUT)).astype(np.float32)
    attrs = {"hidden_size": hidden, "direction": direction}
    if op == "GRU":
        attrs["linear_before_reset"] = 1
    node = helper.make_node(op, ["x", "w", "r", "b"], ["y", "h"], **attrs)
    graph = helper.make_graph(
        [node], name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x.shape))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT,
                                       [STEPS, dirs, batch, hidden]),
         helper.make_tensor_value_info("h", TensorProto.FLOAT,
                                       [dirs, batch, hidden])],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(r, "r"),
         numpy_helper.from_array(b, "b")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, os.path.join(out, name + ".onnx"))
    np.save(os.path.join(out, name + "-x.npy"), x)
    results = []
    for d in range(dirs):
        weights = [a[d].astype(np.float64) for a in (w, r, b)]
        cell = lstm(*weights) if op == "LSTM" else gru(*weights, True)
        zero = np.zeros((batch, hidden))
        y, state = run(cell, x.astype(np.float64), [STEPS] * batch,
                       direction == "reverse" or d == 1,
                       [zero, zero] if op == "LSTM" else [zero])
        results.append((y, state[0]))
    save_directions(os.path.join(out, name), results)


def main():
    out = sys.argv[1]
    rng = np.random.default_rng(11)
    case(out, "lstm-b1", "LSTM", 256, 1, "forward", rng)
    case(out, "lstm-b3", "LSTM", 256, 3, "bidirectional", rng)
    case(out, "lstm-b8", "LSTM", 256, 8, "reverse", rng)
    case(out, "gru-b2", "GRU", 320, 2, "forward", rng)


if __name__ == "__main__":
    main()

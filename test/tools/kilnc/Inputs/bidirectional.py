"""Bidirectional recurrent layers large enough that each direction's loop
takes tens of microseconds, so that on two threads the two run side by side
(an LSTM of hidden 96 over 4 sequences with initial states given as inputs,
a GRU), and an RNN whose directions have different activations (tanh and
relu), which runs them one after the other. For each case writes
OUT/NAME.onnx, its inputs OUT/NAME-x.npy (and OUT/NAME-h0.npy,
OUT/NAME-c0.npy) and NumPy's outputs OUT/NAME-y.npy (all steps) and
OUT/NAME-h.npy (last states) in float64 (kilntest.recurrent).

usage: bidirectional.py OUT"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from kilntest.recurrent import gru, lstm, run, save_directions

INPUT, STEPS = 32, 40


def rnn(w, r, bias, activation):
    """The RNN cell of one direction: W [H, I], R [H, H], B [2H]."""
    hidden = r.shape[1]

    def cell(xt, state):
        (h,) = state
        return [activation(w @ xt + r @ h + bias[:hidden] + bias[hidden:])]
    return cell


def case(out, name, op, hidden, batch, rng, states=False, activations=None):
    gates = {"LSTM": 4, "GRU": 3, "RNN": 1}[op]
    w = (rng.standard_normal((2, gates * hidden, INPUT)) / 8).astype(np.float32)
    r = (rng.standard_normal((2, gates * hidden, hidden)) / 16).astype(np.float32)
    b = (rng.standard_normal((2, 2 * gates * hidden)) / 4).astype(np.float32)
    x = rng.standard_normal((STEPS, batch, INPUT)).astype(np.float32)
    inputs = ["x", "w", "r", "b"]
    graph_inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                  list(x.shape))]
    arrays = {"x": x}
    if states:
        inputs += ["", "h0"] + (["c0"] if op == "LSTM" else [])
        for s in ["h0"] + (["c0"] if op == "LSTM" else []):
            arrays[s] = (rng.standard_normal((2, batch, hidden)) / 2).astype(
                np.float32)
            graph_inputs.append(helper.make_tensor_value_info(
                s, TensorProto.FLOAT, [2, batch, hidden]))
    attrs = {"hidden_size": hidden, "direction": "bidirectional"}
    if activations:
        attrs["activations"] = activations
    node = helper.make_node(op, inputs, ["y", "h"], **attrs)
    graph = helper.make_graph(
        [node], name, graph_inputs,
        [helper.make_tensor_value_info("y", TensorProto.FLOAT,
                                       [STEPS, 2, batch, hidden]),
         helper.make_tensor_value_info("h", TensorProto.FLOAT,
                                       [2, batch, hidden])],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(r, "r"),
         numpy_helper.from_array(b, "b")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, os.path.join(out, name + ".onnx"))
    for key, value in arrays.items():
        np.save(os.path.join(out, f"{name}-{key}.npy"), value)
    results = []
    for d in range(2):
        weights = [a[d].astype(np.float64) for a in (w, r, b)]
        if op == "LSTM":
            cell = lstm(*weights)
        elif op == "GRU":
            cell = gru(*weights)
        else:
            act = {"Tanh": np.tanh, "Relu": lambda v: np.maximum(v, 0)}
            cell = rnn(*weights, act[(activations or ["Tanh"] * 2)[d]])
        zero = np.zeros((batch, hidden))
        state = [arrays[s][d].astype(np.float64) if s in arrays else zero
                 for s in (["h0", "c0"] if op == "LSTM" else ["h0"])]
        y, final = run(cell, x.astype(np.float64), [STEPS] * batch, d == 1,
                       state)
        results.append((y, final[0]))
    save_directions(os.path.join(out, name), results)


def main():
    out = sys.argv[1]
    rng = np.random.default_rng(5)
    case(out, "lstm", "LSTM", 96, 4, rng, states=True)
    case(out, "gru", "GRU", 96, 4, rng)
    case(out, "rnn-mixed", "RNN", 64, 3, rng, activations=["Tanh", "Relu"])


if __name__ == "__main__":
    main()

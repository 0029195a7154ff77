"""Contractions whose shapes cut the generated kernel's register blocks
(6 rows x 4 vectors of 16 floats with AVX-512, 6 x 2 without) at every
edge: a Gemm [13, 70] x [70, 150] with bias (rows 6 + 6 + 1, columns
64 + 64 + 16 + 6), a batched MatMul of two inputs [3, 13, 40] x
[3, 40, 100], a MatMul [100, 600] x [600, 40] long enough to be blocked
for the caches, and a 3x3 convolution 8 -> 20 channels on [2, 8, 9, 7].
Writes OUT/model.onnx, its inputs OUT/x.npy, OUT/a.npy, OUT/c.npy,
OUT/l.npy, OUT/i.npy and NumPy's results OUT/y1.npy to OUT/y4.npy
(float64 sums, kilntest.conv).

usage: contraction_blocks.py OUT"""
import os
import sys

import numpy as np
import onnx
from onnx import helper

from kilntest import compare
from kilntest.conv import conv

out = sys.argv[1]
rng = np.random.default_rng(5)


def array(*shape, scale=0.3):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


weights = {"g": array(70, 150), "gb": array(150), "m": array(600, 40),
           "w": array(20, 8, 3, 3), "wb": array(20)}
inputs = {"x": array(13, 70), "a": array(3, 13, 40), "c": array(3, 40, 100),
          "l": array(100, 600), "i": array(2, 8, 9, 7)}
nodes = [
    helper.make_node("Gemm", ["x", "g", "gb"], ["y1"]),
    helper.make_node("MatMul", ["a", "c"], ["y2"]),
    helper.make_node("MatMul", ["l", "m"], ["y3"]),
    helper.make_node("Conv", ["i", "w", "wb"], ["y4"], pads=[1, 1, 1, 1]),
]
outputs = {"y1": [13, 150], "y2": [3, 13, 100], "y3": [100, 40],
           "y4": [2, 20, 9, 7]}
model = compare.float_model("contraction_blocks", nodes, inputs, outputs,
                            weights)
model.ir_version = 8
onnx.save(model, os.path.join(out, "model.onnx"))
for name, value in inputs.items():
    np.save(os.path.join(out, name + ".npy"), value)
f = {k: v.astype(np.float64) for k, v in {**weights, **inputs}.items()}
results = {"y1": f["x"] @ f["g"] + f["gb"], "y2": f["a"] @ f["c"],
           "y3": f["l"] @ f["m"],
           "y4": conv(f["i"], f["w"], f["wb"], pads=1)}
for name, value in results.items():
    np.save(os.path.join(out, name + ".npy"), value.astype(np.float32))

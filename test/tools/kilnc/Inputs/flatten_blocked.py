"""A convolution's output flattened for matrix products: a 3 -> 32 3x3
convolution with ReLU on [2, 3, 6, 5] images, Flatten, then a Gemm with
transposed weights [10, 960] and a MatMul by [960, 7]; and a global
average pooling flattened for a Gemm (one feature per channel); and the
other way, a Gemm with ReLU from [2, 4] to [2, 192] reshaped to
[2, 32, 3, 2] for a 32 -> 16 3x3 convolution. Writes OUT/model.onnx,
OUT/x.npy, OUT/z.npy and NumPy's results OUT/y1.npy to OUT/y4.npy
(kilntest.conv).

usage: flatten_blocked.py OUT"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from kilntest.conv import conv

out = sys.argv[1]
rng = np.random.default_rng(11)


def weight(*shape, scale=0.2):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


weights = {"w": weight(32, 3, 3, 3), "b": weight(32),
           "g": weight(10, 960), "gb": weight(10),
           "m": weight(960, 7), "p": weight(5, 32), "pb": weight(5),
           "d": weight(4, 192), "db": weight(192), "shape": None,
           "v": weight(16, 32, 3, 3), "vb": weight(16)}
weights["shape"] = np.array([2, 32, 3, 2], np.int64)
x = rng.standard_normal((2, 3, 6, 5)).astype(np.float32)
z = rng.standard_normal((2, 4)).astype(np.float32)
nodes = [
    helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1]),
    helper.make_node("Relu", ["c"], ["r"]),
    helper.make_node("Flatten", ["r"], ["f"]),
    helper.make_node("Gemm", ["f", "g", "gb"], ["y1"], transB=1),
    helper.make_node("MatMul", ["f", "m"], ["y2"]),
    helper.make_node("GlobalAveragePool", ["r"], ["a"]),
    helper.make_node("Flatten", ["a"], ["af"]),
    helper.make_node("Gemm", ["af", "p", "pb"], ["y3"], transB=1),
    helper.make_node("Gemm", ["z", "d", "db"], ["e"]),
    helper.make_node("Relu", ["e"], ["er"]),
    helper.make_node("Reshape", ["er", "shape"], ["u"]),
    helper.make_node("Conv", ["u", "v", "vb"], ["y4"], pads=[1, 1, 1, 1]),
]
outputs = {"y1": [2, 10], "y2": [2, 7], "y3": [2, 5], "y4": [2, 16, 3, 2]}
graph = helper.make_graph(
    nodes, "flatten_blocked",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x.shape)),
     helper.make_tensor_value_info("z", TensorProto.FLOAT, list(z.shape))],
    [helper.make_tensor_value_info(k, TensorProto.FLOAT, v)
     for k, v in outputs.items()],
    [numpy_helper.from_array(v, k) for k, v in weights.items()])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
model.ir_version = 8
onnx.save(model, os.path.join(out, "model.onnx"))
np.save(os.path.join(out, "x.npy"), x)
np.save(os.path.join(out, "z.npy"), z)
f = {k: v.astype(np.float64) for k, v in weights.items()}
r = np.maximum(conv(x.astype(np.float64), f["w"], f["b"], pads=1), 0)
flat = r.reshape(2, -1)
results = {"y1": flat @ f["g"].T + f["gb"], "y2": flat @ f["m"],
           "y3": r.mean(axis=(2, 3)) @ f["p"].T + f["pb"],
           "y4": conv(np.maximum(z @ f["d"] + f["db"], 0).reshape(2, 32, 3, 2),
                      f["v"], f["vb"], pads=1)}
for name, value in results.items():
    np.save(os.path.join(out, name + ".npy"), value.astype(np.float32))

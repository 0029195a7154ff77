"""Convolutions whose channels do not fill 16-channel blocks: a 16 -> 24
3x3 convolution with ReLU, a 24 -> 40 transposed convolution (stride 2),
a sigmoid, a grouped 1x1 convolution 40 -> 20 (4 groups) and a
depthwise 3x3 convolution of 20 channels, plus 1. Writes OUT/model.onnx,
OUT/x.npy and NumPy's result OUT/expected.npy (kilntest.conv).

usage: padded_blocks.py OUT"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from kilntest.conv import conv, conv_transpose

out = sys.argv[1]
rng = np.random.default_rng(5)


def weight(*shape, scale=0.3):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


w1, b1 = weight(24, 16, 3, 3), weight(24)
wd, bd = weight(24, 40, 4, 4), weight(40)
w2, b2 = weight(20, 10, 1, 1), weight(20)
w3, b3 = weight(20, 1, 3, 3), weight(20)
one = np.ones(1, np.float32)
x = rng.standard_normal((2, 16, 9, 9)).astype(np.float32)
nodes = [
    helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
    helper.make_node("Relu", ["c1"], ["r1"]),
    helper.make_node("ConvTranspose", ["r1", "wd", "bd"], ["d"],
                     strides=[2, 2], pads=[1, 1, 1, 1]),
    helper.make_node("Sigmoid", ["d"], ["s"]),
    helper.make_node("Conv", ["s", "w2", "b2"], ["c2"], group=4),
    helper.make_node("Conv", ["c2", "w3", "b3"], ["c3"], group=20,
                     pads=[1, 1, 1, 1]),
    helper.make_node("Add", ["c3", "one"], ["y"]),
]
weights = {"w1": w1, "b1": b1, "wd": wd, "bd": bd, "w2": w2, "b2": b2,
           "w3": w3, "b3": b3, "one": one}
graph = helper.make_graph(
    nodes, "padded_blocks",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x.shape))],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 20, 18, 18])],
    [numpy_helper.from_array(v, k) for k, v in weights.items()])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
model.ir_version = 8
onnx.save(model, os.path.join(out, "model.onnx"))
np.save(os.path.join(out, "x.npy"), x)
f = {k: v.astype(np.float64) for k, v in weights.items()}
h = np.maximum(conv(x.astype(np.float64), f["w1"], f["b1"], pads=1), 0)
h = 1 / (1 + np.exp(-conv_transpose(h, f["wd"], f["bd"], pads=1, stride=2)))
h = conv(h, f["w2"], f["b2"], groups=4)
y = conv(h, f["w3"], f["b3"], pads=1, groups=20) + 1
np.save(os.path.join(out, "expected.npy"), y.astype(np.float32))

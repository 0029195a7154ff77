"""A product with wide constant weights, [64, 256] x [256, 1024] + bias,
then ReLU, and one with narrow weights, [64, 1024] x [1024, 256]: writes
OUT/model.onnx, OUT/x.npy and NumPy's result OUT/expected.npy."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
rng = np.random.default_rng(7)
w1 = rng.standard_normal((256, 1024)).astype(np.float32) / 16
b1 = rng.standard_normal(1024).astype(np.float32)
w2 = rng.standard_normal((1024, 256)).astype(np.float32) / 32
x = rng.standard_normal((64, 256)).astype(np.float32)
nodes = [helper.make_node("MatMul", ["x", "w1"], ["p"], name="wide"),
         helper.make_node("Add", ["p", "b1"], ["q"], name="bias"),
         helper.make_node("Relu", ["q"], ["h"], name="relu"),
         helper.make_node("MatMul", ["h", "w2"], ["y"], name="narrow")]
graph = helper.make_graph(
    nodes, "wide_matmul",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [64, 256])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [64, 256])],
    [numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(b1, "b1"),
     numpy_helper.from_array(w2, "w2")])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
model.ir_version = 8
onnx.save(model, os.path.join(out, "model.onnx"))
np.save(os.path.join(out, "x.npy"), x)
h = np.maximum(x.astype(np.float64) @ w1 + b1, 0)
np.save(os.path.join(out, "expected.npy"), (h @ w2).astype(np.float32))

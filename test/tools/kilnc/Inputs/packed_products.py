"""Products that run on the packed kernel, for dnnl-packed.test: a batched
source [2, 200, 256] times [256, 200] + bias, then GELU (as PyTorch exports
it: Div, Erf, Add, Mul, Mul); a Gemm with its weights stored transposed
([264, 200], transB) and a bias; [400, 264] x [264, 320] + bias, then
LeakyRelu (0.1), giving y; and two products whose results are added to a
residual: z1 = y + (y x [320, 320] + bias), the residual the product's own
source, z2 = y + (z1 x [320, 320] + bias), the residual also an output
of the model, and z3 = relu(z2 x [320, 320] + bias + z1), a ReLU after
the residual. The widths leave partial panels of 64 columns; the 400 rows,
200 for each of two threads, are split between them (in blocks of 6, the
last partial).

  packed_products.py make DIR: writes DIR/model.onnx, DIR/x.npy and NumPy's
      float64 result DIR/expected_y.npy.
  packed_products.py check DIR OUTDIR: compares OUTDIR/y.npy, z1.npy,
      z2.npy and z3.npy with them.
"""
import math
import sys

import numpy as np
from onnx import helper

from kilntest import compare


def case():
    rng = np.random.default_rng(11)
    x = rng.standard_normal((2, 200, 256)).astype(np.float32)
    w1 = (rng.standard_normal((256, 200)) / 16).astype(np.float32)
    b1 = rng.standard_normal(200).astype(np.float32)
    w2 = (rng.standard_normal((264, 200)) / 14).astype(np.float32)
    b2 = rng.standard_normal(264).astype(np.float32)
    w3 = (rng.standard_normal((264, 320)) / 12).astype(np.float32)
    b3 = rng.standard_normal(320).astype(np.float32)
    w4 = (rng.standard_normal((320, 320)) / 18).astype(np.float32)
    b4 = rng.standard_normal(320).astype(np.float32)
    w5 = (rng.standard_normal((320, 320)) / 18).astype(np.float32)
    b5 = rng.standard_normal(320).astype(np.float32)
    w6 = (rng.standard_normal((320, 320)) / 18).astype(np.float32)
    b6 = rng.standard_normal(320).astype(np.float32)
    constants = {"w1": w1, "b1": b1, "w2": w2, "b2": b2, "w3": w3, "b3": b3,
                 "w4": w4, "b4": b4, "w5": w5, "b5": b5, "w6": w6, "b6": b6,
                 "root2": np.array(math.sqrt(2), np.float32),
                 "one": np.array(1, np.float32),
                 "half": np.array(0.5, np.float32),
                 "rows": np.array([400, 200], np.int64)}
    node = helper.make_node
    nodes = [node("MatMul", ["x", "w1"], ["p1"], name="wide"),
             node("Add", ["p1", "b1"], ["q1"], name="bias1"),
             node("Div", ["q1", "root2"], ["g1"], name="gelu_div"),
             node("Erf", ["g1"], ["g2"], name="gelu_erf"),
             node("Add", ["g2", "one"], ["g3"], name="gelu_add"),
             node("Mul", ["q1", "g3"], ["g4"], name="gelu_mul"),
             node("Mul", ["g4", "half"], ["h1"], name="gelu_half"),
             node("Reshape", ["h1", "rows"], ["r1"], name="rows"),
             node("Gemm", ["r1", "w2", "b2"], ["h2"], name="transposed",
                  transB=1),
             node("MatMul", ["h2", "w3"], ["p3"], name="leaky"),
             node("Add", ["p3", "b3"], ["q3"], name="bias3"),
             node("LeakyRelu", ["q3"], ["y"], name="slope", alpha=0.1),
             node("MatMul", ["y", "w4"], ["p4"], name="own_residual"),
             node("Add", ["p4", "b4"], ["q4"], name="bias4"),
             node("Add", ["y", "q4"], ["z1"], name="residual1"),
             node("MatMul", ["z1", "w5"], ["p5"], name="residual_product"),
             node("Add", ["p5", "b5"], ["q5"], name="bias5"),
             node("Add", ["q5", "y"], ["z2"], name="residual2"),
             node("MatMul", ["z2", "w6"], ["p6"], name="relu_product"),
             node("Add", ["p6", "b6"], ["q6"], name="bias6"),
             node("Add", ["z1", "q6"], ["s6"], name="residual3"),
             node("Relu", ["s6"], ["z3"], name="relu6")]
    model = compare.float_model("packed_products", nodes, {"x": x},
                                {"y": [400, 320], "z1": [400, 320],
                                 "z2": [400, 320], "z3": [400, 320]},
                                constants)
    q1 = x.astype(np.float64) @ w1 + b1
    h1 = 0.5 * q1 * (1 + np.vectorize(math.erf)(q1 / math.sqrt(2)))
    h2 = h1.reshape(400, 200) @ w2.T.astype(np.float64) + b2
    q3 = h2 @ w3 + b3
    y = np.where(q3 < 0, 0.1 * q3, q3)
    z1 = y + (y @ w4 + b4)
    z2 = y + (z1 @ w5 + b5)
    z3 = np.maximum(z2 @ w6 + b6 + z1, 0)
    return model, {"x": x}, {"y": y, "z1": z1, "z2": z2, "z3": z3}


if __name__ == "__main__":
    sys.exit(compare.case_script(sys.argv, case, ["y", "z1", "z2", "z3"], 1e-4,
                                 1e-4))

"""Products of one row by large constant matrices (a classifier at batch
1), for row-products.test.

  row_products.py make DIR: writes DIR/model.onnx (Gemm with transB and a
      bias, N = 1000 not a multiple of 16; MatMul, N = 528; Gemm with
      transA over [K, 1]), DIR/x.npy and the NumPy references
      DIR/expected_*.npy.
  row_products.py check DIR OUTDIR: compares OUTDIR's outputs with them.
"""

import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from kilntest import compare

K = 512


def make(work):
    rng = np.random.default_rng(7)
    w1 = rng.standard_normal((1000, K)).astype(np.float32)
    b1 = rng.standard_normal(1000).astype(np.float32)
    w2 = rng.standard_normal((K, 528)).astype(np.float32)
    w3 = rng.standard_normal((K, 520)).astype(np.float32)
    x = rng.standard_normal((1, K)).astype(np.float32)
    nodes = [
        helper.make_node("Gemm", ["x", "w1", "b1"], ["gemm"], transB=1),
        helper.make_node("MatMul", ["x", "w2"], ["matmul"]),
        helper.make_node("Transpose", ["x"], ["xt"], perm=[1, 0]),
        helper.make_node("Gemm", ["xt", "w3"], ["gemm_ta"], transA=1,
                         alpha=0.5),
    ]
    graph = helper.make_graph(
        nodes, "row_products",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, K])],
        [helper.make_tensor_value_info("gemm", TensorProto.FLOAT, [1, 1000]),
         helper.make_tensor_value_info("matmul", TensorProto.FLOAT, [1, 528]),
         helper.make_tensor_value_info("gemm_ta", TensorProto.FLOAT,
                                       [1, 520])],
        [numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(b1, "b1"),
         numpy_helper.from_array(w2, "w2"), numpy_helper.from_array(w3, "w3")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    x64 = x.astype(np.float64)
    expected = {
        "gemm": x64 @ w1.T.astype(np.float64) + b1,
        "matmul": x64 @ w2.astype(np.float64),
        "gemm_ta": 0.5 * (x64 @ w3.astype(np.float64)),
    }
    compare.save_case(work, model, {"x": x},
                      {n: v.astype(np.float32) for n, v in expected.items()})


def check(work, outdir):
    return compare.check_saved(work, outdir, ("gemm", "matmul", "gemm_ta"),
                               1e-4, 1e-4)


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    else:
        sys.exit(check(sys.argv[2], sys.argv[3]))

"""Two products of 16 columns over 16 rows of 3136, as a variational
autoencoder's mean and log-variance heads, for dnnl-narrow-matmul.test:
mu = x @ w1 + b1 (a MatMul, its weights [3136, 16] row-major) and
lv = x @ w2^T + b2 (a Gemm with transB, its weights [16, 3136]). NumPy's
float64 results.

  narrow_products.py make DIR: writes DIR/model.onnx, DIR/x.npy and the
      expected outputs.
  narrow_products.py check DIR OUTDIR: compares OUTDIR/mu.npy and
      OUTDIR/lv.npy with them.
"""
import sys

import numpy as np
from onnx import helper

from kilntest import compare


def case():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((16, 3136)).astype(np.float32)
    w1 = (rng.standard_normal((3136, 16)) / 56).astype(np.float32)
    w2 = (rng.standard_normal((16, 3136)) / 56).astype(np.float32)
    b1 = rng.standard_normal(16).astype(np.float32)
    b2 = rng.standard_normal(16).astype(np.float32)
    node = helper.make_node
    nodes = [node("MatMul", ["x", "w1"], ["p"], name="mu_product"),
             node("Add", ["p", "b1"], ["mu"], name="mu_bias"),
             node("Gemm", ["x", "w2", "b2"], ["lv"], name="lv_gemm",
                  transB=1)]
    model = compare.float_model(
        "narrow_products", nodes, {"x": x}, {"mu": [16, 16], "lv": [16, 16]},
        {"w1": w1, "b1": b1, "w2": w2, "b2": b2})
    x64 = x.astype(np.float64)
    return model, {"x": x}, {"mu": x64 @ w1 + b1, "lv": x64 @ w2.T + b2}


if __name__ == "__main__":
    sys.exit(compare.case_script(sys.argv, case, ["mu", "lv"], 1e-4, 1e-4))

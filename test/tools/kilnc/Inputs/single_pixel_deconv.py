"""Transposed convolutions of a single pixel, for single-pixel-deconv.test:
a = relu(ConvTranspose of x [3, 8, 1, 1] by constant weights [8, 64, 4, 4]
+ bias, stride 2), a generator's first layer; b = ConvTranspose of the
same x by weights given at run time, w [8, 5, 2, 3] + a constant bias.
Both are matrix products once compiled; NumPy computes the transposed
convolutions from their definition, each input pixel's weights placed at
its position.

  single_pixel_deconv.py make DIR: writes DIR/model.onnx, DIR/x.npy,
      DIR/w.npy and NumPy's float64 results DIR/expected_NAME.npy.
  single_pixel_deconv.py check DIR OUTDIR: compares OUTDIR/a.npy and
      b.npy with them.
"""
import sys

import numpy as np
from onnx import helper

from kilntest import compare


def deconv_single_pixel(x, w, bias):
    """ConvTranspose of x [N, C, 1, 1] by w [C, O, KH, KW], no padding: the
    one input pixel's contribution sum_c x[n, c] w[c] covers the output."""
    out = np.zeros((x.shape[0],) + w.shape[1:])
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            out[n] += float(x[n, c, 0, 0]) * w[c].astype(np.float64)
    return out + bias.astype(np.float64)[None, :, None, None]


def case():
    rng = np.random.default_rng(11)
    x = rng.standard_normal((3, 8, 1, 1)).astype(np.float32)
    w1 = (rng.standard_normal((8, 64, 4, 4)) / 3).astype(np.float32)
    b1 = rng.standard_normal(64).astype(np.float32)
    w2 = rng.standard_normal((8, 5, 2, 3)).astype(np.float32)
    b2 = rng.standard_normal(5).astype(np.float32)
    node = helper.make_node
    nodes = [node("ConvTranspose", ["x", "w1", "b1"], ["p"], name="latent",
                  strides=[2, 2]),
             node("Relu", ["p"], ["a"], name="relu"),
             node("ConvTranspose", ["x", "w", "b2"], ["b"], name="runtime")]
    model = compare.float_model(
        "single_pixel_deconv", nodes, {"x": x, "w": w2},
        {"a": [3, 64, 4, 4], "b": [3, 5, 2, 3]},
        {"w1": w1, "b1": b1, "b2": b2})
    a = np.maximum(deconv_single_pixel(x, w1, b1), 0)
    b = deconv_single_pixel(x, w2, b2)
    return model, {"x": x, "w": w2}, {"a": a, "b": b}


if __name__ == "__main__":
    sys.exit(compare.case_script(sys.argv, case, ["a", "b"], 1e-5, 1e-5))

"""Two 3x3 convolutions of 512 channels over 8 images, for
dnnl-winograd.test: y = conv(maxpool(relu(conv(x, w1) + b1)), w2) + b2,
x [8, 512, 14, 14], padding 1, the pooling 2x2 at stride 2; the first at
14x14, the second at 7x7. NumPy's float64 results.

  winograd_convolutions.py make DIR: writes DIR/model.onnx, DIR/x.npy and
      DIR/expected_y.npy.
  winograd_convolutions.py check DIR OUTDIR: compares OUTDIR/y.npy with it.
"""
import sys

import numpy as np
from onnx import helper

from kilntest import compare
from kilntest.conv import conv


def case():
    rng = np.random.default_rng(11)
    x = rng.standard_normal((8, 512, 14, 14)).astype(np.float32)
    scale = 1.0 / np.sqrt(512 * 9)

    def weights():
        return ((rng.standard_normal((512, 512, 3, 3)) * scale).astype(
            np.float32), rng.standard_normal(512).astype(np.float32) / 4)

    w1, b1 = weights()
    w2, b2 = weights()
    node = helper.make_node
    nodes = [node("Conv", ["x", "w1", "b1"], ["c1"], name="at14",
                  pads=[1, 1, 1, 1]),
             node("Relu", ["c1"], ["r1"], name="relu"),
             node("MaxPool", ["r1"], ["p1"], name="pool", kernel_shape=[2, 2],
                  strides=[2, 2]),
             node("Conv", ["p1", "w2", "b2"], ["y"], name="at7",
                  pads=[1, 1, 1, 1])]
    model = compare.float_model(
        "winograd_convolutions", nodes, {"x": x}, {"y": [8, 512, 7, 7]},
        {"w1": w1, "b1": b1, "w2": w2, "b2": b2})
    r1 = np.maximum(conv(x.astype(np.float64), w1.astype(np.float64), b1,
                         pads=1), 0)
    p1 = r1.reshape(8, 512, 7, 2, 7, 2).max(axis=(3, 5))
    y = conv(p1, w2.astype(np.float64), b2, pads=1)
    return model, {"x": x}, {"y": y}


if __name__ == "__main__":
    sys.exit(compare.case_script(sys.argv, case, ["y"], 1e-4, 1e-4))

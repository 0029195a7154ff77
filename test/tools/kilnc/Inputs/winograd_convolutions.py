"""Three 3x3 convolutions over 8 images, for dnnl-winograd.test:
y = conv(maxpool(relu(conv(relu(conv(x, w1) + b1), w2) + b2)), w3) + b3,
x [8, 64, 14, 14], padding 1, the pooling 2x2 at stride 2: 64 channels to
256 at 14x14, 256 to 256 at 14x14, then 256 to 512 at 7x7. NumPy's float64
results.

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
    x = rng.standard_normal((8, 64, 14, 14)).astype(np.float32)

    def weights(into, channels):
        scale = 1.0 / np.sqrt(channels * 9)
        return ((rng.standard_normal((into, channels, 3, 3)) * scale).astype(
            np.float32), rng.standard_normal(into).astype(np.float32) / 4)

    w1, b1 = weights(256, 64)
    w2, b2 = weights(256, 256)
    w3, b3 = weights(512, 256)
    node = helper.make_node
    nodes = [node("Conv", ["x", "w1", "b1"], ["c1"], name="first14",
                  pads=[1, 1, 1, 1]),
             node("Relu", ["c1"], ["r1"], name="relu1"),
             node("Conv", ["r1", "w2", "b2"], ["c2"], name="second14",
                  pads=[1, 1, 1, 1]),
             node("Relu", ["c2"], ["r2"], name="relu2"),
             node("MaxPool", ["r2"], ["p2"], name="pool", kernel_shape=[2, 2],
                  strides=[2, 2]),
             node("Conv", ["p2", "w3", "b3"], ["y"], name="deep7",
                  pads=[1, 1, 1, 1])]
    model = compare.float_model(
        "winograd_convolutions", nodes, {"x": x}, {"y": [8, 512, 7, 7]},
        {"w1": w1, "b1": b1, "w2": w2, "b2": b2, "w3": w3, "b3": b3})
    f64 = np.float64
    r1 = np.maximum(conv(x.astype(f64), w1.astype(f64), b1, pads=1), 0)
    r2 = np.maximum(conv(r1, w2.astype(f64), b2, pads=1), 0)
    p2 = r2.reshape(8, 256, 7, 2, 7, 2).max(axis=(3, 5))
    y = conv(p2, w3.astype(f64), b3, pads=1)
    return model, {"x": x}, {"y": y}


if __name__ == "__main__":
    sys.exit(compare.case_script(sys.argv, case, ["y"], 1e-4, 1e-4))

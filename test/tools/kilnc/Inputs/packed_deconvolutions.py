"""Transposed convolutions that run on the packed kernel, for
dnnl-packed-deconv.test, on three images: a = relu(a 4x4 transposed
convolution of x [3, 128, 5, 6] to 128 channels, stride 2, padding 1, +
bias) (DCGAN's: near the edges some taps land outside the output, and the
rows of pixels that lose them skip their panels); b = a 3x3 one of a to
128 channels at unit stride, dilation 2 and uneven padding (top 0, left 1,
bottom 2, right 0); c = a 2x2 one of b to 80 channels (a panel and a
quarter of columns per tap) at stride 3 (every third row and column of
the output takes no tap, only the bias), padding (top 1, left 0, bottom 1,
right 2) and output padding (1, 2), + bias; d = a 1x1 one of c to 16
channels (80 input channels: too few for the packed kernel). Outputs a,
b, c and d.

  packed_deconvolutions.py make DIR: writes DIR/model.onnx, DIR/x.npy and
      NumPy's float64 results DIR/expected_NAME.npy.
  packed_deconvolutions.py check DIR OUTDIR: compares OUTDIR/a.npy, b.npy
      and c.npy with them.
"""
import sys

import numpy as np
from onnx import helper

from kilntest import compare
from kilntest.conv import conv_transpose


def case():
    rng = np.random.default_rng(9)
    x = rng.standard_normal((3, 128, 5, 6)).astype(np.float32)

    def weights(c, o, k):
        scale = 1.0 / np.sqrt(c * k * k / 4)
        return ((rng.standard_normal((c, o, k, k)) * scale).astype(np.float32),
                rng.standard_normal(o).astype(np.float32) / 4)

    w1, b1 = weights(128, 128, 4)
    w2, _ = weights(128, 128, 3)
    w3, b3 = weights(128, 80, 2)
    w4, _ = weights(80, 16, 1)
    constants = {"w1": w1, "b1": b1, "w2": w2, "w3": w3, "b3": b3, "w4": w4}
    node = helper.make_node
    nodes = [node("ConvTranspose", ["x", "w1", "b1"], ["p1"], name="dcgan",
                  strides=[2, 2], pads=[1, 1, 1, 1]),
             node("Relu", ["p1"], ["a"], name="relu1"),
             node("ConvTranspose", ["a", "w2"], ["b"], name="dilated",
                  dilations=[2, 2], pads=[0, 1, 2, 0]),
             node("ConvTranspose", ["b", "w3", "b3"], ["c"], name="strided",
                  strides=[3, 3], pads=[1, 0, 1, 2],
                  output_padding=[1, 2]),
             node("ConvTranspose", ["c", "w4"], ["d"], name="narrow")]
    # NumPy's float64 references.
    a = np.maximum(conv_transpose(x.astype(np.float64), w1, b1, pads=1,
                                  stride=2), 0)
    b = conv_transpose(a, w2, pads=(0, 1, 2, 0), dilation=2)
    c = conv_transpose(b, w3, b3, pads=(1, 0, 1, 2), stride=3,
                       output_padding=(1, 2))
    d = conv_transpose(c, w4)
    outputs = {"a": a, "b": b, "c": c, "d": d}
    model = compare.float_model(
        "packed_deconvolutions", nodes, {"x": x},
        {name: list(value.shape) for name, value in outputs.items()},
        constants)
    return model, {"x": x}, outputs


if __name__ == "__main__":
    sys.exit(compare.case_script(sys.argv, case, ["a", "b", "c", "d"], 1e-4,
                                 1e-4))

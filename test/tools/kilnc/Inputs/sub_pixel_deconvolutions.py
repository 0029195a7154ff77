"""Transposed convolutions of few output channels with constant weights,
which the generated code computes in their sub-pixel form, for
sub-pixel-deconv.test, on two images of x [2, 32, 6, 5]:
a = tanh(a 4x4 transposed convolution of x to 3 channels at stride 2,
padding 1, + bias) (a DCGAN generator's last layer: its taps' products
gathered per output class); b = a 5x5 one of a to 4 channels at stride 3
with uneven padding (top 1, left 0, bottom 0, right 2) and output padding
(1, 1) (a kernel not a multiple of the stride: two classes take 2 taps,
the third 1, and the output padding reaches past the taps; one
convolution for the classes); c = a 2x2 one of b in 2 groups of 2
channels at strides (2, 4) + bias (a kernel narrower than the stride: the
columns of two classes in four take no tap, only the bias); d = a 3x3 one of c to 2 channels at
unit stride, padding 1. Outputs a, b, c and d.

  sub_pixel_deconvolutions.py make DIR: writes DIR/model.onnx, DIR/x.npy
      and NumPy's float64 results DIR/expected_NAME.npy.
  sub_pixel_deconvolutions.py check DIR OUTDIR: compares OUTDIR's outputs
      with them.
"""
import sys

import numpy as np
from onnx import helper

from kilntest import compare
from kilntest.conv import conv_transpose


def case():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 32, 6, 5)).astype(np.float32)

    def weights(c, o, kh, kw):
        scale = 1.0 / np.sqrt(c * kh * kw / 4)
        return ((rng.standard_normal((c, o, kh, kw)) * scale).astype(
            np.float32), rng.standard_normal(o * 1).astype(np.float32) / 4)

    w1, b1 = weights(32, 3, 4, 4)
    w2, _ = weights(3, 4, 5, 5)
    w3, _ = weights(4, 2, 2, 2)
    b3 = rng.standard_normal(4).astype(np.float32) / 4
    w4, _ = weights(4, 2, 3, 3)
    constants = {"w1": w1, "b1": b1, "w2": w2, "w3": w3, "b3": b3, "w4": w4}
    node = helper.make_node
    nodes = [node("ConvTranspose", ["x", "w1", "b1"], ["p1"], name="dcgan",
                  strides=[2, 2], pads=[1, 1, 1, 1]),
             node("Tanh", ["p1"], ["a"], name="tanh"),
             node("ConvTranspose", ["a", "w2"], ["b"], name="odd",
                  strides=[3, 3], pads=[1, 0, 0, 2], output_padding=[1, 1]),
             node("ConvTranspose", ["b", "w3", "b3"], ["c"], name="grouped",
                  strides=[2, 4], group=2),
             node("ConvTranspose", ["c", "w4"], ["d"], name="unit",
                  pads=[1, 1, 1, 1])]
    # NumPy's float64 references.
    a = np.tanh(conv_transpose(x.astype(np.float64), w1, b1, pads=1,
                               stride=2))
    b = conv_transpose(a, w2, pads=(1, 0, 0, 2), stride=3,
                       output_padding=1)
    c = conv_transpose(b, w3, b3, stride=(2, 4), groups=2)
    d = conv_transpose(c, w4, pads=1)
    outputs = {"a": a, "b": b, "c": c, "d": d}
    model = compare.float_model(
        "sub_pixel_deconvolutions", nodes, {"x": x},
        {name: list(value.shape) for name, value in outputs.items()},
        constants)
    return model, {"x": x}, outputs


if __name__ == "__main__":
    sys.exit(compare.case_script(sys.argv, case, ["a", "b", "c", "d"], 1e-4,
                                 1e-4))

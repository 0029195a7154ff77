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


def conv_transpose(x, w, b, stride, dilation, pads, output_padding):
    """NumPy's float64 transposed convolution of x [N, C, H, W] by w [C, O,
    KH, KW]: each input pixel's window of the weights added into the full
    output, which pads (top, left, bottom, right) then crop."""
    n, c, h, width = x.shape
    _, o, kh, kw = w.shape
    full_h = (h - 1) * stride + (kh - 1) * dilation + 1 + output_padding[0]
    full_w = (width - 1) * stride + (kw - 1) * dilation + 1 + output_padding[1]
    full = np.zeros((n, o, full_h, full_w))
    for i in range(kh):
        for j in range(kw):
            contribution = np.einsum("nchw,co->nohw", x.astype(np.float64),
                                     w[:, :, i, j])
            full[:, :, i * dilation:i * dilation + stride * h:stride,
                 j * dilation:j * dilation + stride * width:stride] += \
                contribution
    top, left, bottom, right = pads
    out = full[:, :, top:full_h - bottom, left:full_w - right]
    return out + (0 if b is None else b[None, :, None, None])


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
    a = np.maximum(conv_transpose(x, w1, b1, 2, 1, (1, 1, 1, 1), (0, 0)), 0)
    b = conv_transpose(a, w2, None, 1, 2, (0, 1, 2, 0), (0, 0))
    c = conv_transpose(b, w3, b3, 3, 1, (1, 0, 1, 2), (1, 2))
    d = conv_transpose(c, w4, None, 1, 1, (0, 0, 0, 0), (0, 0))
    outputs = {"a": a, "b": b, "c": c, "d": d}
    model = compare.float_model(
        "packed_deconvolutions", nodes, {"x": x},
        {name: list(value.shape) for name, value in outputs.items()},
        constants)
    return model, {"x": x}, outputs


if __name__ == "__main__":
    sys.exit(compare.case_script(sys.argv, case, ["a", "b", "c", "d"], 1e-4,
                                 1e-4))

"""Convolutions that run on the packed kernel, for dnnl-packed-conv.test:
two images of 7x7 (98 output pixels, 32 after the stride) with weights of
256 Ki floats or more. a = relu(3x3 convolution of x [2, 128, 7, 7] to 256
channels, padding 1, + bias) gathers each pixel's window with the padding
as zeros; b = a 1x1 convolution of a to 1024 channels + bias reads a in
place; c = relu(a 1x1 convolution of b back to 256 channels + bias + a)
adds the residual the kernel finds in its destination; d = clip(3x3
convolution of c, stride 2, padding 1, + bias, 0, 1) (a ReLU6 of other
bounds) gathers every other pixel's window. Outputs b, c and d.

  packed_convolutions.py make DIR: writes DIR/model.onnx, DIR/x.npy and
      NumPy's float64 results DIR/expected_NAME.npy.
  packed_convolutions.py check DIR OUTDIR: compares OUTDIR/b.npy, c.npy
      and d.npy with them.
"""
import sys

import numpy as np
from onnx import helper

from kilntest import compare


def conv2d(x, w, b, stride, pad):
    """NumPy's float64 convolution of x [N, C, H, W] by w [O, C, KH, KW]."""
    n, c, h, width = x.shape
    o, _, kh, kw = w.shape
    padded = np.pad(x.astype(np.float64),
                    ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh = (h + 2 * pad - kh) // stride + 1
    ow = (width + 2 * pad - kw) // stride + 1
    out = np.zeros((n, o, oh, ow))
    for i in range(kh):
        for j in range(kw):
            window = padded[:, :, i:i + stride * oh:stride,
                            j:j + stride * ow:stride]
            out += np.einsum("nchw,oc->nohw", window, w[:, :, i, j])
    return out + b[None, :, None, None]


def case():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 128, 7, 7)).astype(np.float32)

    def weights(o, c, k):
        scale = 1.0 / np.sqrt(c * k * k)
        return ((rng.standard_normal((o, c, k, k)) * scale).astype(np.float32),
                rng.standard_normal(o).astype(np.float32) / 4)

    w1, b1 = weights(256, 128, 3)
    w2, b2 = weights(1024, 256, 1)
    w3, b3 = weights(256, 1024, 1)
    w4, b4 = weights(256, 256, 3)
    constants = {"w1": w1, "b1": b1, "w2": w2, "b2": b2, "w3": w3, "b3": b3,
                 "w4": w4, "b4": b4, "low": np.array(0, np.float32),
                 "high": np.array(1, np.float32)}
    node = helper.make_node
    nodes = [node("Conv", ["x", "w1", "b1"], ["p1"], name="window",
                  pads=[1, 1, 1, 1]),
             node("Relu", ["p1"], ["a"], name="relu1"),
             node("Conv", ["a", "w2", "b2"], ["b"], name="in_place"),
             node("Conv", ["b", "w3", "b3"], ["p3"], name="residual_conv"),
             node("Add", ["p3", "a"], ["s3"], name="residual"),
             node("Relu", ["s3"], ["c"], name="relu3"),
             node("Conv", ["c", "w4", "b4"], ["p4"], name="strided",
                  pads=[1, 1, 1, 1], strides=[2, 2]),
             node("Clip", ["p4", "low", "high"], ["d"], name="clip4")]
    model = compare.float_model(
        "packed_convolutions", nodes, {"x": x},
        {"b": [2, 1024, 7, 7], "c": [2, 256, 7, 7], "d": [2, 256, 4, 4]},
        constants)
    a = np.maximum(conv2d(x, w1, b1, 1, 1), 0)
    b = conv2d(a, w2, b2, 1, 0)
    c = np.maximum(conv2d(b, w3, b3, 1, 0) + a, 0)
    d = np.clip(conv2d(c, w4, b4, 2, 1), 0, 1)
    return model, {"x": x}, {"b": b, "c": c, "d": d}


if __name__ == "__main__":
    sys.exit(compare.case_script(sys.argv, case, ["b", "c", "d"], 1e-4, 1e-4))

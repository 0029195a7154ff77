"""3x3 convolutions at unit stride that oneDNN computes by Winograd's
minimal filtering, for winograd.test.

  winograd_convs.py make DIR: writes DIR/model.onnx (a residual block of
      two 3x3 convolutions, 16 -> 32 -> 32 channels at 14x14 with bias,
      ReLU and the block's input added back; a 3x3 convolution of 128
      channels at 28x28; one of 128 channels at 7x7), its inputs
      DIR/x.npy, DIR/y.npy, DIR/z.npy and the float64 NumPy references
      DIR/expected_*.npy.
  winograd_convs.py check DIR OUTDIR: compares OUTDIR's outputs with them.
"""

import sys

import numpy as np
from onnx import helper

from kilntest import compare
from kilntest.conv import conv

OUTPUTS = ("block", "wide", "deep")


def make(work):
    rng = np.random.default_rng(11)

    def weight(m, c):
        return (rng.standard_normal((m, c, 3, 3)) / np.sqrt(9 * c)).astype(
            np.float32)

    x = rng.standard_normal((2, 16, 14, 14)).astype(np.float32)
    y = rng.standard_normal((1, 128, 28, 28)).astype(np.float32)
    z = rng.standard_normal((1, 128, 7, 7)).astype(np.float32)
    w1, w2, w3, w4 = weight(32, 16), weight(32, 32), weight(128, 128), \
        weight(128, 128)
    w0 = (rng.standard_normal((32, 16, 1, 1)) / 4).astype(np.float32)
    b1 = rng.standard_normal(32).astype(np.float32)
    b2 = rng.standard_normal(32).astype(np.float32)
    pads = [1, 1, 1, 1]
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=pads),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("Conv", ["r1", "w2", "b2"], ["c2"], pads=pads),
        helper.make_node("Conv", ["x", "w0"], ["skip"]),
        helper.make_node("Add", ["c2", "skip"], ["sum"]),
        helper.make_node("Relu", ["sum"], ["block"]),
        helper.make_node("Conv", ["y", "w3"], ["wide"], pads=pads),
        helper.make_node("Conv", ["z", "w4"], ["deep"], pads=pads),
    ]
    inits = {"w0": w0, "w1": w1, "w2": w2, "w3": w3, "w4": w4, "b1": b1,
             "b2": b2}
    model = compare.float_model(
        "winograd_convs", nodes, {"x": x, "y": y, "z": z},
        {"block": [2, 32, 14, 14], "wide": [1, 128, 28, 28],
         "deep": [1, 128, 7, 7]}, inits)
    f = {n: v.astype(np.float64) for n, v in inits.items()}
    r1 = np.maximum(conv(x.astype(np.float64), f["w1"], f["b1"], pads=1), 0)
    block = np.maximum(conv(r1, f["w2"], f["b2"], pads=1) +
                       conv(x.astype(np.float64), f["w0"]), 0)
    expected = {
        "block": block,
        "wide": conv(y.astype(np.float64), f["w3"], pads=1),
        "deep": conv(z.astype(np.float64), f["w4"], pads=1),
    }
    compare.save_case(work, model, {"x": x, "y": y, "z": z},
                      {n: v.astype(np.float32) for n, v in expected.items()})


def check(work, outdir):
    return compare.check_saved(work, outdir, OUTPUTS, 1e-4, 1e-4)


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    else:
        sys.exit(check(sys.argv[2], sys.argv[3]))

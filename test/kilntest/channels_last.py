"""Convolutions that oneDNN may compute channels-last (see the dnnl
runtime's channels-last variants): a 4x4 convolution at stride 2 of 64 ->
128 channels at 8x8 with bias and LeakyReLU, as a GAN's discriminator
has, on 16 samples (output "strided"); and a block of a 3x3 convolution
at stride 2, 32 -> 32 channels at 12x12, with ReLU, then a dilated 3x3
one with bias whose input is added back, which the dnnl backend fuses
into the convolution as a sum, and ReLU, on 4 samples (output "block")."""

import numpy as np
from onnx import helper

from kilntest import compare
from kilntest.conv import conv

OUTPUTS = ("strided", "block")


def case():
    """(model, inputs, float64 references)."""
    rng = np.random.default_rng(5)

    def weight(m, c, k):
        return (rng.standard_normal((m, c, k, k)) / np.sqrt(k * k * c)).astype(
            np.float32)

    x = rng.standard_normal((16, 64, 8, 8)).astype(np.float32)
    y = rng.standard_normal((4, 32, 12, 12)).astype(np.float32)
    inits = {
        "w1": weight(128, 64, 4), "b1": rng.standard_normal(128).astype(
            np.float32),
        "w2": weight(32, 32, 3),
        "w3": weight(32, 32, 3), "b3": rng.standard_normal(32).astype(
            np.float32),
    }
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1] * 4,
                         strides=[2, 2]),
        helper.make_node("LeakyRelu", ["c1"], ["strided"], alpha=0.2),
        helper.make_node("Conv", ["y", "w2"], ["c2"], pads=[1] * 4,
                         strides=[2, 2]),
        helper.make_node("Relu", ["c2"], ["r2"]),
        helper.make_node("Conv", ["r2", "w3", "b3"], ["c3"], pads=[2] * 4,
                         dilations=[2, 2]),
        helper.make_node("Add", ["c3", "r2"], ["s3"]),
        helper.make_node("Relu", ["s3"], ["block"]),
    ]
    model = compare.float_model(
        "channels_last_convs", nodes, {"x": x, "y": y},
        {"strided": [16, 128, 4, 4], "block": [4, 32, 6, 6]}, inits)
    f = {n: v.astype(np.float64) for n, v in inits.items()}
    c1 = conv(x.astype(np.float64), f["w1"], f["b1"], pads=1, stride=2)
    r2 = np.maximum(conv(y.astype(np.float64), f["w2"], pads=1, stride=2), 0)
    expected = {
        "strided": np.where(c1 > 0, c1, 0.2 * c1),
        "block": np.maximum(conv(r2, f["w3"], f["b3"], pads=2, dilation=2) + r2,
                            0),
    }
    return model, {"x": x, "y": y}, expected

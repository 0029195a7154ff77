"""A 3x3 convolution at stride 2 of CHANNELS -> 128 channels at SIZE x
SIZE, with ReLU, on BATCH samples, for dnnl-variant-memory.test: of 128
channels at 16x16, at batch 1 its input and output take 160 KiB, at
batch 128 20 MiB, more than a variant's buffers may take in the run's
scratchpad (16 MiB for a model of so few constants).

  variant_memory.py make DIR BATCH CHANNELS SIZE: writes DIR/model.onnx,
      its input DIR/x.npy and the NumPy reference DIR/expected_y.npy,
      computed in float64.
  variant_memory.py check DIR OUTDIR: compares OUTDIR's output with it.
"""

import sys

import numpy as np
from onnx import helper

from kilntest import compare
from kilntest.conv import conv


def case(batch, channels, size):
    rng = np.random.default_rng(11)
    x = rng.standard_normal((batch, channels, size, size)).astype(np.float32)
    w = (rng.standard_normal((128, channels, 3, 3)) /
         np.sqrt(9 * channels)).astype(np.float32)
    b = rng.standard_normal(128).astype(np.float32)
    nodes = [
        helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1] * 4,
                         strides=[2, 2]),
        helper.make_node("Relu", ["c"], ["y"]),
    ]
    model = compare.float_model("variant_memory", nodes, {"x": x},
                                {"y": [batch, 128, size // 2, size // 2]},
                                {"w": w, "b": b})
    y = np.maximum(conv(x.astype(np.float64), w.astype(np.float64),
                        b.astype(np.float64), pads=1, stride=2), 0)
    return model, {"x": x}, {"y": y}


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "make":
        model, inputs, expected = case(*map(int, sys.argv[3:6]))
        compare.save_case(sys.argv[2], model, inputs,
                          {n: v.astype(np.float32)
                           for n, v in expected.items()})
        sys.exit(0)
    if len(sys.argv) == 4 and sys.argv[1] == "check":
        sys.exit(compare.check_saved(sys.argv[2], sys.argv[3], ["y"], 1e-4,
                                     1e-4))
    sys.exit(f"usage: {sys.argv[0]} make DIR BATCH CHANNELS SIZE | "
             "check DIR OUTDIR")

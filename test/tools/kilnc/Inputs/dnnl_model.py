"""Writes a small convolutional model as kiln IR (OUT/model.mlir), an input
(OUT/x.npy) and the output NumPy computes for it (OUT/expected.npy):
conv 3 -> 16 channels (3x3, pad 1, bias), ReLU, 2x2 max pooling, then a
gemm to 4 classes. Weights are seeded pseudo-random numbers."""

import os
import sys

import numpy as np

out = sys.argv[1]
rng = np.random.default_rng(7)
x = rng.standard_normal((2, 3, 6, 6)).astype(np.float32)
w = rng.standard_normal((16, 3, 3, 3)).astype(np.float32)
b = rng.standard_normal(16).astype(np.float32)
fw = rng.standard_normal((4, 144)).astype(np.float32)
fb = rng.standard_normal(4).astype(np.float32)

padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
conv = np.zeros((2, 16, 6, 6), np.float64)
for i in range(6):
    for j in range(6):
        window = padded[:, :, i:i + 3, j:j + 3]
        conv[:, :, i, j] = np.einsum("nchw,mchw->nm", window, w)
conv += b[None, :, None, None]
relu = np.maximum(conv, 0)
pooled = relu.reshape(2, 16, 3, 2, 3, 2).max(axis=(3, 5))
logits = pooled.reshape(2, 144) @ fw.T + fb
np.save(os.path.join(out, "x.npy"), x)
np.save(os.path.join(out, "expected.npy"), logits.astype(np.float32))


def dense(a):
    return "dense<" + np.array2string(
        a, separator=", ", threshold=1 << 20, floatmode="unique",
        max_line_width=1 << 20) + ">"


with open(os.path.join(out, "model.mlir"), "w") as f:
    f.write(f"""func.func @main(%x: tensor<2x3x6x6xf32> {{kiln.name = "x"}})
    -> (tensor<2x4xf32> {{kiln.name = "logits"}}) {{
  %w = kiln.constant {dense(w)} : tensor<16x3x3x3xf32>
  %b = kiln.constant {dense(b)} : tensor<16xf32>
  %fw = kiln.constant {dense(fw)} : tensor<4x144xf32>
  %fb = kiln.constant {dense(fb)} : tensor<4xf32>
  %0 = kiln.conv %x, %w, %b {{pads = array<i64: 1, 1, 1, 1>}} : (tensor<2x3x6x6xf32>, tensor<16x3x3x3xf32>, tensor<16xf32>) -> tensor<2x16x6x6xf32>
  %1 = kiln.unary relu %0 : tensor<2x16x6x6xf32>
  %2 = kiln.pool max %1 {{kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>}} : (tensor<2x16x6x6xf32>) -> tensor<2x16x3x3xf32>
  %3 = kiln.reshape %2 : (tensor<2x16x3x3xf32>) -> tensor<2x144xf32>
  %4 = kiln.gemm %3, %fw, %fb {{trans_b}} : (tensor<2x144xf32>, tensor<4x144xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  return %4 : tensor<2x4xf32>
}}
""")

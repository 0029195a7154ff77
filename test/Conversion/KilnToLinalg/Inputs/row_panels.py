"""Writes the input of row-panels.test: products of one row by constant
matrices of at least 256 Ki elements (too large to spell in a test file),
as kiln IR with the matrices in a resource blob."""

import struct
import sys

K, N = 512, 520  # 266,240 elements; N is not a multiple of 16

values = struct.pack(f"<{K * N}f", *((i % 13) / 13.0 for i in range(K * N)))
blob = "0x04000000" + values.hex().upper()

with open(sys.argv[1], "w") as out:
    out.write(f"""
func.func @gemm_row(%a: tensor<1x{K}xf32>, %c: tensor<{N}xf32>) -> tensor<1x{N}xf32> {{
  %w = kiln.constant dense_resource<w> : tensor<{N}x{K}xf32>
  %0 = kiln.gemm %a, %w, %c {{trans_b}} : (tensor<1x{K}xf32>, tensor<{N}x{K}xf32>, tensor<{N}xf32>) -> tensor<1x{N}xf32>
  return %0 : tensor<1x{N}xf32>
}}

func.func @fused_row(%x: tensor<1x1x{N}xf32>, %b: tensor<{K}xf32>) -> tensor<1x1x{K}xf32> {{
  %w = kiln.constant dense_resource<w> : tensor<{N}x{K}xf32>
  %0 = kiln.fused_matmul %x, %w bias %b activation relu : (tensor<1x1x{N}xf32>, tensor<{N}x{K}xf32>, tensor<{K}xf32>) -> tensor<1x1x{K}xf32>
  return %0 : tensor<1x1x{K}xf32>
}}

func.func @two_rows(%a: tensor<2x{K}xf32>) -> tensor<2x{N}xf32> {{
  %w = kiln.constant dense_resource<w> : tensor<{N}x{K}xf32>
  %0 = kiln.gemm %a, %w {{trans_b}} : (tensor<2x{K}xf32>, tensor<{N}x{K}xf32>) -> tensor<2x{N}xf32>
  return %0 : tensor<2x{N}xf32>
}}

{{-#
  dialect_resources: {{
    builtin: {{
      w: "{blob}"
    }}
  }}
#-}}
""")

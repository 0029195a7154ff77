// RUN: kiln-opt %s -split-input-file -verify-diagnostics
//
// One case per verifier message of the kiln_backend dialect.

func.func @dnnl_no_output() {
  // expected-error @below {{'kiln_backend.dnnl_call' op expected at least one output}}
  "kiln_backend.dnnl_call"() <{primitive = 7 : i64, dims = array<i64>, operandSegmentSizes = array<i32: 0, 0>}> : () -> ()
  return
}

// -----

func.func @dnnl_dynamic(%x: tensor<?xf32>, %y: tensor<4xf32>) {
  // expected-error @below {{'kiln_backend.dnnl_call' op expected operands of static shape, got 'tensor<?xf32>'}}
  %0 = kiln_backend.dnnl_call "softmax" ins(%x : tensor<?xf32>) outs(%y : tensor<4xf32>) {dims = array<i64: 1, 4, 1, 4>} -> tensor<4xf32>
  return
}

// -----

func.func @dnnl_mixed(%x: tensor<4xf32>, %y: memref<4xf32>) {
  // expected-error @below {{'kiln_backend.dnnl_call' op expected all operands to be tensors or all to be memrefs}}
  kiln_backend.dnnl_call "softmax" ins(%x : tensor<4xf32>) outs(%y : memref<4xf32>) {dims = array<i64: 1, 4, 1, 4>}
  return
}

// -----

func.func @dnnl_results(%x: memref<4xf32>, %y: memref<4xf32>) {
  // expected-error @below {{'kiln_backend.dnnl_call' op expected one result per output, of its type, on tensors and no results on memrefs}}
  %0 = kiln_backend.dnnl_call "softmax" ins(%x : memref<4xf32>) outs(%y : memref<4xf32>) {dims = array<i64: 1, 4, 1, 4>} -> tensor<4xf32>
  return
}

// -----

func.func @dnnl_layouts_count(%x: tensor<4xf32>, %y: tensor<4xf32>) {
  // expected-error @below {{'kiln_backend.dnnl_call' op expected one `layouts` entry per operand, got 1 for 2}}
  %0 = kiln_backend.dnnl_call "softmax" ins(%x : tensor<4xf32>) outs(%y : tensor<4xf32>) {dims = array<i64: 1, 4, 1, 4>, layouts = array<i64: 0>} -> tensor<4xf32>
  return
}

// -----

func.func @dnnl_dims_short(%x: tensor<4xf32>, %y: tensor<4xf32>) {
  // expected-error @below {{'kiln_backend.dnnl_call' op expected `dims` to give a rank and dims for operand 1}}
  %0 = kiln_backend.dnnl_call "softmax" ins(%x : tensor<4xf32>) outs(%y : tensor<4xf32>) {dims = array<i64: 1, 4, 2, 4>} -> tensor<4xf32>
  return
}

// -----

func.func @dnnl_layout_value(%x: tensor<1x1x2x2x4xf32>, %y: tensor<1x4x2x2xf32>) {
  // expected-error @below {{'kiln_backend.dnnl_call' op expected a layout of 0, 8 or 16, got 4}}
  %0 = kiln_backend.dnnl_call "reorder" ins(%x : tensor<1x1x2x2x4xf32>) outs(%y : tensor<1x4x2x2xf32>) {dims = array<i64: 4, 1, 4, 2, 2, 4, 1, 4, 2, 2>, layouts = array<i64: 4, 0>} -> tensor<1x4x2x2xf32>
  return
}

// -----

func.func @dnnl_layout_rank(%x: tensor<2x1x8xf32>, %y: tensor<2x8xf32>) {
  // expected-error @below {{'kiln_backend.dnnl_call' op operand 0 in a blocked layout must have rank 3 to 5, not 2}}
  %0 = kiln_backend.dnnl_call "reorder" ins(%x : tensor<2x1x8xf32>) outs(%y : tensor<2x8xf32>) {dims = array<i64: 2, 2, 8, 2, 2, 8>, layouts = array<i64: 8, 0>} -> tensor<2x8xf32>
  return
}

// -----

func.func @dnnl_layout_shape(%x: tensor<1x24x2x2xf32>, %y: tensor<1x2x2x2x8xf32>) {
  // expected-error @below {{'kiln_backend.dnnl_call' op operand 1 in the 8-channel blocked layout needs the shape [1, 3, 2, 2, 8]}}
  %0 = kiln_backend.dnnl_call "reorder" ins(%x : tensor<1x24x2x2xf32>) outs(%y : tensor<1x2x2x2x8xf32>) {dims = array<i64: 4, 1, 24, 2, 2, 4, 1, 24, 2, 2>, layouts = array<i64: 0, 8>} -> tensor<1x2x2x2x8xf32>
  return
}

// -----

func.func @dnnl_dims_elements(%x: tensor<4xf32>, %y: tensor<4xf32>) {
  // expected-error @below {{'kiln_backend.dnnl_call' op operand 0 has 4 elements but its `dims` describe 6}}
  %0 = kiln_backend.dnnl_call "softmax" ins(%x : tensor<4xf32>) outs(%y : tensor<4xf32>) {dims = array<i64: 2, 2, 3, 1, 4>} -> tensor<4xf32>
  return
}

// -----

func.func @dnnl_dims_extra(%x: tensor<4xf32>, %y: tensor<4xf32>) {
  // expected-error @below {{'kiln_backend.dnnl_call' op expected `dims` to describe the operands only, found extra values}}
  %0 = kiln_backend.dnnl_call "softmax" ins(%x : tensor<4xf32>) outs(%y : tensor<4xf32>) {dims = array<i64: 1, 4, 1, 4, 7>} -> tensor<4xf32>
  return
}

// -----

func.func @flash_dynamic(%q: memref<1x1x?x4xf32>, %kt: memref<1x1x4x8xf32>, %v: memref<1x1x8x4xf32>, %o: memref<1x1x8x4xf32>) {
  // expected-error @below {{'kiln_backend.flash_attention' op expected operands of rank 4 and static shape, got 'memref<1x1x?x4xf32>'}}
  kiln_backend.flash_attention %q, %kt, %v into %o {scale = 1.0 : f32, block_q = 8 : i64, block_k = 8 : i64} : memref<1x1x?x4xf32>, memref<1x1x4x8xf32>, memref<1x1x8x4xf32> into memref<1x1x8x4xf32>
  return
}

// -----

func.func @flash_f16(%q: memref<1x1x8x4xf16>, %kt: memref<1x1x4x8xf32>, %v: memref<1x1x8x4xf32>, %o: memref<1x1x8x4xf32>) {
  // expected-error @below {{'kiln_backend.flash_attention' op expected f32 operands and an i8 or f32 mask, got 'memref<1x1x8x4xf16>'}}
  kiln_backend.flash_attention %q, %kt, %v into %o {scale = 1.0 : f32, block_q = 8 : i64, block_k = 8 : i64} : memref<1x1x8x4xf16>, memref<1x1x4x8xf32>, memref<1x1x8x4xf32> into memref<1x1x8x4xf32>
  return
}

// -----

func.func @flash_results(%q: memref<1x1x8x4xf32>, %kt: memref<1x1x4x8xf32>, %v: memref<1x1x8x4xf32>, %o: memref<1x1x8x4xf32>) {
  // expected-error @below {{'kiln_backend.flash_attention' op expected one result of the type of 'init' on tensors and none on memrefs}}
  %0 = kiln_backend.flash_attention %q, %kt, %v into %o {scale = 1.0 : f32, block_q = 8 : i64, block_k = 8 : i64} : memref<1x1x8x4xf32>, memref<1x1x4x8xf32>, memref<1x1x8x4xf32> into memref<1x1x8x4xf32> -> tensor<1x1x8x4xf32>
  return
}

// -----

func.func @flash_shapes(%q: tensor<1x1x8x4xf32>, %kt: tensor<1x1x8x4xf32>, %v: tensor<1x1x8x4xf32>, %o: tensor<1x1x8x4xf32>) {
  // expected-error @below {{'kiln_backend.flash_attention' op expected q [1, 1, 8, 4], k_t [1, 1, 8, 4], v [1, 1, 8, 4] and init [1, 1, 8, 4] to be shaped for attention}}
  %0 = kiln_backend.flash_attention %q, %kt, %v into %o {scale = 1.0 : f32, block_q = 8 : i64, block_k = 8 : i64} : tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32> into tensor<1x1x8x4xf32> -> tensor<1x1x8x4xf32>
  return
}

// -----

func.func @flash_limit(%q: tensor<1x1x8x4xf32>, %kt: tensor<1x1x4x8xf32>, %v: tensor<1x1x8x4xf32>, %n: tensor<1xi64>, %o: tensor<1x1x8x4xf32>) {
  // expected-error @below {{'kiln_backend.flash_attention' op expected the limits as i64 scalars, got 'tensor<1xi64>'}}
  %0 = kiln_backend.flash_attention %q, %kt, %v key_limit(%n : tensor<1xi64>) into %o {scale = 1.0 : f32, block_q = 8 : i64, block_k = 8 : i64} : tensor<1x1x8x4xf32>, tensor<1x1x4x8xf32>, tensor<1x1x8x4xf32> into tensor<1x1x8x4xf32> -> tensor<1x1x8x4xf32>
  return
}

// -----

func.func @flash_mask(%q: tensor<1x1x8x4xf32>, %kt: tensor<1x1x4x8xf32>, %v: tensor<1x1x8x4xf32>, %m: tensor<1x1x1x3xi8>, %o: tensor<1x1x8x4xf32>) {
  // expected-error @below {{'kiln_backend.flash_attention' op expected the mask [1, 1, 1, 3] to broadcast to [1, 1, 8, 8]}}
  %0 = kiln_backend.flash_attention %q, %kt, %v mask %m into %o {scale = 1.0 : f32, block_q = 8 : i64, block_k = 8 : i64} : tensor<1x1x8x4xf32>, tensor<1x1x4x8xf32>, tensor<1x1x8x4xf32>, tensor<1x1x1x3xi8> into tensor<1x1x8x4xf32> -> tensor<1x1x8x4xf32>
  return
}

// -----

func.func @flash_blocks(%q: tensor<1x1x8x4xf32>, %kt: tensor<1x1x4x8xf32>, %v: tensor<1x1x8x4xf32>, %o: tensor<1x1x8x4xf32>) {
  // expected-error @below {{'kiln_backend.flash_attention' op expected blocks dividing the sequence lengths (8, 8), got 3 and 8}}
  %0 = kiln_backend.flash_attention %q, %kt, %v into %o {scale = 1.0 : f32, block_q = 3 : i64, block_k = 8 : i64} : tensor<1x1x8x4xf32>, tensor<1x1x4x8xf32>, tensor<1x1x8x4xf32> into tensor<1x1x8x4xf32> -> tensor<1x1x8x4xf32>
  return
}

// -----

func.func @cp_type(%x: tensor<1x2x10x10xf16>, %w: tensor<4x18xf32>, %o: tensor<1x4x4x4xf32>) {
  // expected-error @below {{'kiln_backend.conv_pool' op expected f32 operands of static shape, got 'tensor<1x2x10x10xf16>'}}
  %0 = kiln_backend.conv_pool %x, %w into %o {kernel_shape = array<i64: 3, 3>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, conv_shape = array<i64: 8, 8>, pool = #kiln<pool max>, pool_kernel_shape = array<i64: 2, 2>, pool_strides = array<i64: 2, 2>, pool_pads = array<i64: 0, 0>, band = 1 : i64} : tensor<1x2x10x10xf16>, tensor<4x18xf32> into tensor<1x4x4x4xf32> -> tensor<1x4x4x4xf32>
  return
}

// -----

func.func @cp_pairs(%x: tensor<1x2x10x10xf32>, %w: tensor<4x18xf32>, %o: tensor<1x4x4x4xf32>) {
  // expected-error @below {{'kiln_backend.conv_pool' op expected two non-negative values per window attribute}}
  %0 = kiln_backend.conv_pool %x, %w into %o {kernel_shape = array<i64: 3>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, conv_shape = array<i64: 8, 8>, pool = #kiln<pool max>, pool_kernel_shape = array<i64: 2, 2>, pool_strides = array<i64: 2, 2>, pool_pads = array<i64: 0, 0>, band = 1 : i64} : tensor<1x2x10x10xf32>, tensor<4x18xf32> into tensor<1x4x4x4xf32> -> tensor<1x4x4x4xf32>
  return
}

// -----

func.func @cp_zero(%x: tensor<1x2x10x10xf32>, %w: tensor<4x18xf32>, %o: tensor<1x4x4x4xf32>) {
  // expected-error @below {{'kiln_backend.conv_pool' op expected positive kernel sizes, strides, dilations and convolution sizes}}
  %0 = kiln_backend.conv_pool %x, %w into %o {kernel_shape = array<i64: 3, 3>, strides = array<i64: 0, 1>, dilations = array<i64: 1, 1>, conv_shape = array<i64: 8, 8>, pool = #kiln<pool max>, pool_kernel_shape = array<i64: 2, 2>, pool_strides = array<i64: 2, 2>, pool_pads = array<i64: 0, 0>, band = 1 : i64} : tensor<1x2x10x10xf32>, tensor<4x18xf32> into tensor<1x4x4x4xf32> -> tensor<1x4x4x4xf32>
  return
}

// -----

func.func @cp_weight(%x: tensor<1x2x10x10xf32>, %w: tensor<4x9xf32>, %o: tensor<1x4x4x4xf32>) {
  // expected-error @below {{'kiln_backend.conv_pool' op expected input [N, C, H, W], weight [M, C * 3 * 3] and init [N, M, PH, PW], got [1, 2, 10, 10], [4, 9] and [1, 4, 4, 4]}}
  %0 = kiln_backend.conv_pool %x, %w into %o {kernel_shape = array<i64: 3, 3>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, conv_shape = array<i64: 8, 8>, pool = #kiln<pool max>, pool_kernel_shape = array<i64: 2, 2>, pool_strides = array<i64: 2, 2>, pool_pads = array<i64: 0, 0>, band = 1 : i64} : tensor<1x2x10x10xf32>, tensor<4x9xf32> into tensor<1x4x4x4xf32> -> tensor<1x4x4x4xf32>
  return
}

// -----

func.func @cp_bias(%x: tensor<1x2x10x10xf32>, %w: tensor<4x18xf32>, %b: tensor<3xf32>, %o: tensor<1x4x4x4xf32>) {
  // expected-error @below {{'kiln_backend.conv_pool' op expected a bias of 4 values}}
  %0 = kiln_backend.conv_pool %x, %w bias %b into %o {kernel_shape = array<i64: 3, 3>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, conv_shape = array<i64: 8, 8>, pool = #kiln<pool max>, pool_kernel_shape = array<i64: 2, 2>, pool_strides = array<i64: 2, 2>, pool_pads = array<i64: 0, 0>, band = 1 : i64} : tensor<1x2x10x10xf32>, tensor<4x18xf32> bias tensor<3xf32> into tensor<1x4x4x4xf32> -> tensor<1x4x4x4xf32>
  return
}

// -----

func.func @cp_counts(%x: tensor<1x2x10x10xf32>, %w: tensor<4x18xf32>, %o: tensor<1x4x4x4xf32>) {
  // expected-error @below {{'kiln_backend.conv_pool' op expected counts [PH, PW] for average pooling only}}
  %0 = kiln_backend.conv_pool %x, %w into %o {kernel_shape = array<i64: 3, 3>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, conv_shape = array<i64: 8, 8>, pool = #kiln<pool avg>, pool_kernel_shape = array<i64: 2, 2>, pool_strides = array<i64: 2, 2>, pool_pads = array<i64: 0, 0>, band = 1 : i64} : tensor<1x2x10x10xf32>, tensor<4x18xf32> into tensor<1x4x4x4xf32> -> tensor<1x4x4x4xf32>
  return
}

// -----

func.func @cp_cover(%x: tensor<1x2x9x10xf32>, %w: tensor<4x18xf32>, %o: tensor<1x4x4x4xf32>) {
  // expected-error @below {{'kiln_backend.conv_pool' op expected the input to cover every pooling window: 10 positions along spatial dim 0, got 9}}
  %0 = kiln_backend.conv_pool %x, %w into %o {kernel_shape = array<i64: 3, 3>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, conv_shape = array<i64: 8, 8>, pool = #kiln<pool max>, pool_kernel_shape = array<i64: 2, 2>, pool_strides = array<i64: 2, 2>, pool_pads = array<i64: 0, 0>, band = 1 : i64} : tensor<1x2x9x10xf32>, tensor<4x18xf32> into tensor<1x4x4x4xf32> -> tensor<1x4x4x4xf32>
  return
}

// -----

func.func @cp_band(%x: tensor<1x2x10x10xf32>, %w: tensor<4x18xf32>, %o: tensor<1x4x4x4xf32>) {
  // expected-error @below {{'kiln_backend.conv_pool' op expected a band dividing the pooled rows (4), got 3}}
  %0 = kiln_backend.conv_pool %x, %w into %o {kernel_shape = array<i64: 3, 3>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, conv_shape = array<i64: 8, 8>, pool = #kiln<pool max>, pool_kernel_shape = array<i64: 2, 2>, pool_strides = array<i64: 2, 2>, pool_pads = array<i64: 0, 0>, band = 3 : i64} : tensor<1x2x10x10xf32>, tensor<4x18xf32> into tensor<1x4x4x4xf32> -> tensor<1x4x4x4xf32>
  return
}

// -----

func.func @cp_identity(%x: tensor<1x2x10x10xf32>, %w: tensor<4x18xf32>, %o: tensor<1x4x4x4xf32>) {
  // expected-error @below {{'kiln_backend.conv_pool' op expected identity pooling attributes and an output of the convolution's size without 'pool'}}
  %0 = kiln_backend.conv_pool %x, %w into %o {kernel_shape = array<i64: 3, 3>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, conv_shape = array<i64: 8, 8>, pool_kernel_shape = array<i64: 2, 2>, pool_strides = array<i64: 2, 2>, pool_pads = array<i64: 0, 0>, band = 1 : i64} : tensor<1x2x10x10xf32>, tensor<4x18xf32> into tensor<1x4x4x4xf32> -> tensor<1x4x4x4xf32>
  return
}

// -----

func.func @cp_residual(%x: tensor<1x2x10x10xf32>, %w: tensor<4x18xf32>, %r: tensor<1x4x8x8xf32>, %o: tensor<1x4x4x4xf32>) {
  // expected-error @below {{'kiln_backend.conv_pool' op expected a residual of the output's shape, and only without pooling}}
  %0 = kiln_backend.conv_pool %x, %w residual %r into %o {kernel_shape = array<i64: 3, 3>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, conv_shape = array<i64: 8, 8>, pool = #kiln<pool max>, pool_kernel_shape = array<i64: 2, 2>, pool_strides = array<i64: 2, 2>, pool_pads = array<i64: 0, 0>, band = 1 : i64} : tensor<1x2x10x10xf32>, tensor<4x18xf32> residual tensor<1x4x8x8xf32> into tensor<1x4x4x4xf32> -> tensor<1x4x4x4xf32>
  return
}

// -----

func.func @dnnl_unknown_primitive(%x: tensor<4xf32>, %y: tensor<4xf32>) {
  // expected-error @below {{unknown oneDNN primitive 'gemm'}}
  %0 = kiln_backend.dnnl_call "gemm" ins(%x : tensor<4xf32>) outs(%y : tensor<4xf32>) {dims = array<i64: 1, 4, 1, 4>} -> tensor<4xf32>
  return
}

// -----

func.func @dnnl_primitive_code() {
  // expected-error @below {{attribute 'primitive' failed to satisfy constraint: oneDNN primitive kind}}
  "kiln_backend.dnnl_call"() <{primitive = 14 : i64, dims = array<i64>, operandSegmentSizes = array<i32: 0, 0>}> : () -> ()
  return
}

// -----

// With bshd, q, v and init are [B, L, H, D]: here q is [B, H, L, D].
func.func @flash_bshd_shapes(%q: tensor<1x2x8x4xf32>, %kt: tensor<1x1x4x8xf32>, %v: tensor<1x8x1x4xf32>, %o: tensor<1x8x2x4xf32>) {
  // expected-error @below {{'kiln_backend.flash_attention' op expected q [1, 2, 8, 4], k_t [1, 1, 4, 8], v [1, 8, 1, 4] and init [1, 8, 2, 4] to be shaped for attention (bshd)}}
  %0 = kiln_backend.flash_attention %q, %kt, %v into %o {scale = 1.0 : f32, block_q = 8 : i64, block_k = 8 : i64, bshd} : tensor<1x2x8x4xf32>, tensor<1x1x4x8xf32>, tensor<1x8x1x4xf32> into tensor<1x8x2x4xf32> -> tensor<1x8x2x4xf32>
  return
}

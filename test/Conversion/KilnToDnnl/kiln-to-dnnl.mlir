// RUN: kiln-opt %s -kiln-to-dnnl="min-work=0 runtime-weights=true" -split-input-file | FileCheck %s
// RUN: kiln-opt %s -kiln-to-dnnl=runtime-weights=true -split-input-file | FileCheck %s --check-prefix=SMALL
// RUN: kiln-opt %s -kiln-to-dnnl="min-work=0 runtime-weights=true winograd=false" -split-input-file | FileCheck %s --check-prefix=NOWINO
// RUN: kiln-opt %s -kiln-to-dnnl="min-work=0 runtime-weights=true deconv-min-channels=0" -split-input-file | FileCheck %s --check-prefix=ALL

// By default, matrix products, softmaxes and layer norms below min-work
// multiply-adds stay generated code; convolutions go to oneDNN at any size.
// SMALL-LABEL: func @conv
// SMALL: kiln_backend.dnnl_call "conv"
// SMALL-LABEL: func @gemm
// SMALL-NOT: kiln_backend.dnnl_call
// SMALL: kiln.gemm
// SMALL-LABEL: func @norms
// SMALL: kiln_backend.dnnl_call "batch_norm"
// SMALL-NOT: kiln_backend.dnnl_call "layer_norm"
// SMALL: kiln_backend.dnnl_call "lrn"
// SMALL-NOT: kiln_backend.dnnl_call "softmax"

// A grouped, strided, padded convolution: the weight is seen as
// [groups, M/groups, C/groups, K...]; params hold has_bias, groups, the
// spatial rank, strides, dilations, begin/end pads, the sum post-op,
// whether Winograd may compute it, then the eltwise post-op's code.
// CHECK-LABEL: func @conv
// CHECK: %[[INIT:.*]] = tensor.empty() : tensor<1x8x4x4xf32>
// CHECK: kiln_backend.dnnl_call "conv" ins(%arg0, %arg1, %arg2 : tensor<1x4x8x8xf32>, tensor<8x2x3x3xf32>, tensor<8xf32>) outs(%[[INIT]] : tensor<1x8x4x4xf32>)
// CHECK-SAME: dims = array<i64: 4, 1, 4, 8, 8, 5, 2, 4, 2, 3, 3, 1, 8, 4, 1, 8, 4, 4>
// CHECK-SAME: params = array<i64: 1, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 0, 0, 0>
// CHECK-NOT: kiln.conv
func.func @conv(%x: tensor<1x4x8x8xf32>, %w: tensor<8x2x3x3xf32>, %b: tensor<8xf32>) -> tensor<1x8x4x4xf32> {
  %0 = kiln.conv %x, %w, %b {group = 2 : i64, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x4x8x8xf32>, tensor<8x2x3x3xf32>, tensor<8xf32>) -> tensor<1x8x4x4xf32>
  return %0 : tensor<1x8x4x4xf32>
}

// -----

// Only f32 goes to oneDNN.
// CHECK-LABEL: func @conv_f64
// CHECK-NOT: kiln_backend.dnnl_call
// CHECK: kiln.conv
func.func @conv_f64(%x: tensor<1x1x4x4xf64>, %w: tensor<1x1x3x3xf64>) -> tensor<1x1x2x2xf64> {
  %0 = kiln.conv %x, %w : (tensor<1x1x4x4xf64>, tensor<1x1x3x3xf64>) -> tensor<1x1x2x2xf64>
  return %0 : tensor<1x1x2x2xf64>
}

// -----

// The output padding comes off the end pads; the bias becomes an add per
// channel after the primitive.
// CHECK-LABEL: func @deconv
// CHECK: %[[D:.*]] = kiln_backend.dnnl_call "deconv" ins(%arg0, %arg1 : tensor<1x2x3x3xf32>, tensor<2x16x3x3xf32>)
// CHECK-SAME: params = array<i64: 0, 1, 2, 2, 2, 1, 1, 1, 1, 0, 0>
// CHECK: %[[B:.*]] = kiln.reshape %arg2 : (tensor<16xf32>) -> tensor<1x16x1x1xf32>
// CHECK: %[[S:.*]] = kiln.binary add %[[D]], %[[B]]
// CHECK: return %[[S]]
func.func @deconv(%x: tensor<1x2x3x3xf32>, %w: tensor<2x16x3x3xf32>, %b: tensor<16xf32>) -> tensor<1x16x6x6xf32> {
  %0 = kiln.conv_transpose %x, %w, %b {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, output_padding = array<i64: 1, 1>} : (tensor<1x2x3x3xf32>, tensor<2x16x3x3xf32>, tensor<16xf32>) -> tensor<1x16x6x6xf32>
  return %0 : tensor<1x16x6x6xf32>
}

// -----

// A fused transposed convolution: the primitive, then the bias add and the
// activation as generated code (one loop once lowered).
// CHECK-LABEL: func @fused_deconv
// CHECK: %[[D:.*]] = kiln_backend.dnnl_call "deconv" ins(%arg0, %arg1 : tensor<1x2x3x3xf32>, tensor<2x16x3x3xf32>)
// CHECK: %[[B:.*]] = kiln.reshape %arg2 : (tensor<16xf32>) -> tensor<1x16x1x1xf32>
// CHECK: %[[S:.*]] = kiln.binary add %[[D]], %[[B]]
// CHECK: %[[A:.*]] = kiln.unary leaky_relu %[[S]] {alpha = 1.000000e-01 : f32}
// CHECK: return %[[A]]
func.func @fused_deconv(%x: tensor<1x2x3x3xf32>, %w: tensor<2x16x3x3xf32>, %b: tensor<16xf32>) -> tensor<1x16x6x6xf32> {
  %0 = kiln.fused_conv_transpose %x, %w bias %b activation leaky_relu {activation_alpha = 0.1 : f32, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, output_padding = array<i64: 1, 1>} : (tensor<1x2x3x3xf32>, tensor<2x16x3x3xf32>, tensor<16xf32>) -> tensor<1x16x6x6xf32>
  return %0 : tensor<1x16x6x6xf32>
}

// -----

// Fewer than 16 output channels per group: oneDNN 2.6 would compute the
// transposed convolution with its JIT sgemm and a col2im, slower than the
// generated code and with several MiB of generated kernels of its own, so
// it stays for kiln-to-linalg (16 per group, as in the two groups of
// @deconv_groups, go to oneDNN; deconv-min-channels=0 sends every one).
// CHECK-LABEL: func @deconv_few_channels
// CHECK-NOT: kiln_backend.dnnl_call
// CHECK: %[[D:.*]] = kiln.conv_transpose %arg0, %arg1, %arg2
// CHECK: kiln.unary tanh %[[D]]
// CHECK-NOT: kiln_backend.dnnl_call
// ALL-LABEL: func @deconv_few_channels
// ALL: kiln_backend.dnnl_call "deconv"
func.func @deconv_few_channels(%x: tensor<1x64x8x8xf32>, %w: tensor<64x15x4x4xf32>, %b: tensor<15xf32>) -> tensor<1x15x16x16xf32> {
  %0 = kiln.fused_conv_transpose %x, %w bias %b activation tanh {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x64x8x8xf32>, tensor<64x15x4x4xf32>, tensor<15xf32>) -> tensor<1x15x16x16xf32>
  return %0 : tensor<1x15x16x16xf32>
}

// -----

// CHECK-LABEL: func @deconv_groups
// CHECK: kiln_backend.dnnl_call "deconv"
func.func @deconv_groups(%x: tensor<1x64x8x8xf32>, %w: tensor<64x16x4x4xf32>) -> tensor<1x32x16x16xf32> {
  %0 = kiln.conv_transpose %x, %w {group = 2 : i64, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x64x8x8xf32>, tensor<64x16x4x4xf32>) -> tensor<1x32x16x16xf32>
  return %0 : tensor<1x32x16x16xf32>
}

// -----

// A fused convolution: the residual is the output's initial value, summed
// into (accumulate), the activation an eltwise post-op (code 1, relu, with
// alpha 0.1 for leaky_relu), and the pooling a kiln.pool of its own, which
// stays generated code.
// CHECK-LABEL: func @fused
// CHECK: %[[C:.*]] = kiln_backend.dnnl_call "conv" ins(%arg0, %arg1, %arg2 : {{.*}}) outs(%arg3 : tensor<1x4x4x4xf32>)
// CHECK-SAME: accumulate
// CHECK-SAME: fparams = array<f32: 1.000000e-01, 0.000000e+00>
// CHECK-SAME: params = array<i64: 1, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1>
// CHECK: kiln.pool max %[[C]] {{.*}} : (tensor<1x4x4x4xf32>) -> tensor<1x4x2x2xf32>
// CHECK-NOT: kiln.fused_conv
func.func @fused(%x: tensor<1x2x4x4xf32>, %w: tensor<4x2x3x3xf32>, %b: tensor<4xf32>, %r: tensor<1x4x4x4xf32>) -> tensor<1x4x2x2xf32> {
  %0 = kiln.fused_conv %x, %w bias %b residual %r activation leaky_relu pool max {activation_alpha = 0.1 : f32, pads = array<i64: 1, 1, 1, 1>, pool_kernel_shape = array<i64: 2, 2>, pool_strides = array<i64: 2, 2>} : (tensor<1x2x4x4xf32>, tensor<4x2x3x3xf32>, tensor<4xf32>, tensor<1x4x4x4xf32>) -> tensor<1x4x2x2xf32>
  return %0 : tensor<1x4x2x2xf32>
}

// -----

// Winograd's minimal filtering is allowed for 3x3 windows at unit stride
// with constant weights and 16 or more channels in and out (the flag after
// the sum post-op), not for a strided, a 1x1, a grouped or a narrow one,
// nor for weights given at run time; winograd=false allows none.
// CHECK-LABEL: func @winograd
// CHECK: kiln_backend.dnnl_call "conv"
// CHECK-SAME: params = array<i64: 0, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1>
// CHECK: kiln_backend.dnnl_call "conv"
// CHECK-SAME: params = array<i64: 0, 1, 2, 2, 2, 1, 1, 1, 1, 1, 1, 0, 0, 0>
// CHECK: kiln_backend.dnnl_call "conv"
// CHECK-SAME: params = array<i64: 0, 1, 2, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0>
// CHECK: kiln_backend.dnnl_call "conv"
// CHECK-SAME: params = array<i64: 0, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0>
// CHECK: kiln_backend.dnnl_call "conv"
// CHECK-SAME: params = array<i64: 0, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0>
// CHECK: kiln_backend.dnnl_call "conv"
// CHECK-SAME: params = array<i64: 0, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0>
// NOWINO-LABEL: func @winograd
// NOWINO: kiln_backend.dnnl_call "conv"
// NOWINO-SAME: params = array<i64: 0, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1>
// NOWINO-NOT: array<i64: 0, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1
func.func @winograd(%x: tensor<1x16x8x8xf32>, %runtime: tensor<16x16x3x3xf32>) -> (tensor<1x16x8x8xf32>, tensor<1x16x4x4xf32>, tensor<1x16x8x8xf32>, tensor<1x16x8x8xf32>, tensor<1x8x8x8xf32>, tensor<1x16x8x8xf32>) {
  %w = arith.constant dense<0.5> : tensor<16x16x3x3xf32>
  %w1 = arith.constant dense<0.5> : tensor<16x16x1x1xf32>
  %wg = arith.constant dense<0.5> : tensor<16x8x3x3xf32>
  %wn = arith.constant dense<0.5> : tensor<8x16x3x3xf32>
  %0 = kiln.fused_conv %x, %w activation relu {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x16x8x8xf32>, tensor<16x16x3x3xf32>) -> tensor<1x16x8x8xf32>
  %1 = kiln.conv %x, %w {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x16x8x8xf32>, tensor<16x16x3x3xf32>) -> tensor<1x16x4x4xf32>
  %2 = kiln.conv %x, %w1 : (tensor<1x16x8x8xf32>, tensor<16x16x1x1xf32>) -> tensor<1x16x8x8xf32>
  %3 = kiln.conv %x, %wg {group = 2 : i64, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x16x8x8xf32>, tensor<16x8x3x3xf32>) -> tensor<1x16x8x8xf32>
  %4 = kiln.conv %x, %wn {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x16x8x8xf32>, tensor<8x16x3x3xf32>) -> tensor<1x8x8x8xf32>
  %5 = kiln.conv %x, %runtime {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x16x8x8xf32>, tensor<16x16x3x3xf32>) -> tensor<1x16x8x8xf32>
  return %0, %1, %2, %3, %4, %5 : tensor<1x16x8x8xf32>, tensor<1x16x4x4xf32>, tensor<1x16x8x8xf32>, tensor<1x16x8x8xf32>, tensor<1x8x8x8xf32>, tensor<1x16x8x8xf32>
}

// -----

// An activation oneDNN lacks as a post-op: the fused op comes apart.
// CHECK-LABEL: func @fused_softplus
// CHECK: kiln_backend.dnnl_call "conv"
// CHECK-SAME: params = array<i64: 0, 1, 2, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0>
// CHECK: kiln.unary softplus
func.func @fused_softplus(%x: tensor<1x2x4x4xf32>, %w: tensor<4x2x3x3xf32>) -> tensor<1x4x2x2xf32> {
  %0 = kiln.fused_conv %x, %w activation softplus : (tensor<1x2x4x4xf32>, tensor<4x2x3x3xf32>) -> tensor<1x4x2x2xf32>
  return %0 : tensor<1x4x2x2xf32>
}

// -----

// An output padding larger than the end pad has no oneDNN form.
// CHECK-LABEL: func @deconv_output_padding
// CHECK-NOT: kiln_backend.dnnl_call
// CHECK: kiln.conv_transpose
func.func @deconv_output_padding(%x: tensor<1x2x3x3xf32>, %w: tensor<2x4x3x3xf32>) -> tensor<1x4x8x8xf32> {
  %0 = kiln.conv_transpose %x, %w {strides = array<i64: 2, 2>, output_padding = array<i64: 1, 1>} : (tensor<1x2x3x3xf32>, tensor<2x4x3x3xf32>) -> tensor<1x4x8x8xf32>
  return %0 : tensor<1x4x8x8xf32>
}

// -----

// Pooling stays generated code: oneDNN 2.6's pooling is several times
// slower.
// CHECK-LABEL: func @max_pool
// CHECK-NOT: kiln_backend.dnnl_call
// CHECK: kiln.pool max
func.func @max_pool(%x: tensor<1x1x6x6xf32>) -> tensor<1x1x3x3xf32> {
  %0 = kiln.pool max %x {kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, ceil_mode} : (tensor<1x1x6x6xf32>) -> tensor<1x1x3x3xf32>
  return %0 : tensor<1x1x3x3xf32>
}

// -----

// Global average pooling: a window of the whole plane, padding excluded.
// CHECK-LABEL: func @global_avg
// CHECK: kiln_backend.dnnl_call "pool"
// CHECK-SAME: params = array<i64: 2, 2, 5, 7, 1, 1, 1, 1, 0, 0, 0, 0>
func.func @global_avg(%x: tensor<2x3x5x7xf32>) -> tensor<2x3x1x1xf32> {
  %0 = kiln.global_pool avg %x : (tensor<2x3x5x7xf32>) -> tensor<2x3x1x1xf32>
  return %0 : tensor<2x3x1x1xf32>
}

// -----

// Gemm: transposes are flags, a 1-d C becomes a [1, N] bias.
// CHECK-LABEL: func @gemm
// CHECK: kiln_backend.dnnl_call "matmul" ins(%arg0, %arg1, %arg2 : tensor<3x2xf32>, tensor<4x3xf32>, tensor<4xf32>)
// CHECK-SAME: dims = array<i64: 2, 3, 2, 2, 4, 3, 2, 1, 4, 2, 2, 4>
// CHECK-SAME: params = array<i64: 1, 1, 1, 0>
func.func @gemm(%a: tensor<3x2xf32>, %b: tensor<4x3xf32>, %c: tensor<4xf32>) -> tensor<2x4xf32> {
  %0 = kiln.gemm %a, %b, %c {trans_a, trans_b} : (tensor<3x2xf32>, tensor<4x3xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

// alpha != 1 stays code-generated.
// CHECK-LABEL: func @gemm_alpha
// CHECK-NOT: kiln_backend.dnnl_call
// CHECK: kiln.gemm
func.func @gemm_alpha(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>) -> tensor<2x4xf32> {
  %0 = kiln.gemm %a, %b {alpha = 2.0 : f32} : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

// A batched lhs times a matrix is one [B*M, K] x [K, N] product.
// CHECK-LABEL: func @matmul_flatten
// CHECK: kiln_backend.dnnl_call "matmul"
// CHECK-SAME: dims = array<i64: 2, 10, 4, 2, 4, 6, 2, 10, 6>
func.func @matmul_flatten(%a: tensor<2x5x4xf32>, %b: tensor<4x6xf32>) -> tensor<2x5x6xf32> {
  %0 = kiln.matmul %a, %b : (tensor<2x5x4xf32>, tensor<4x6xf32>) -> tensor<2x5x6xf32>
  return %0 : tensor<2x5x6xf32>
}

// -----

// Broadcasting the lhs batch dims, or a 1-d operand, stays.
// CHECK-LABEL: func @matmul_lhs_broadcast
// CHECK-NOT: kiln_backend.dnnl_call
// CHECK: kiln.matmul
// CHECK: kiln.matmul
func.func @matmul_lhs_broadcast(%a: tensor<1x5x4xf32>, %b: tensor<3x4x6xf32>, %v: tensor<4xf32>) -> (tensor<3x5x6xf32>, tensor<3x6xf32>) {
  %0 = kiln.matmul %a, %b : (tensor<1x5x4xf32>, tensor<3x4x6xf32>) -> tensor<3x5x6xf32>
  %1 = kiln.matmul %v, %b : (tensor<4xf32>, tensor<3x4x6xf32>) -> tensor<3x6xf32>
  return %0, %1 : tensor<3x5x6xf32>, tensor<3x6xf32>
}

// -----

// CHECK-LABEL: func @norms
// CHECK: kiln_backend.dnnl_call "batch_norm" ins(%arg0, %arg1, %arg1, %arg1, %arg1 :
// CHECK-SAME: fparams = array<f32: 1.000000e-03>
// Layer norm over the last two dims: [6, 20].
// CHECK: kiln_backend.dnnl_call "layer_norm" ins(%arg2, %arg3 : tensor<2x3x4x5xf32>, tensor<4x5xf32>)
// CHECK-SAME: dims = array<i64: 2, 6, 20, 1, 20, 2, 6, 20>
// CHECK-SAME: params = array<i64: 0>
// A scale that broadcasts over the normalized dims stays.
// CHECK: kiln.layer_norm
// CHECK: kiln_backend.dnnl_call "lrn"
// CHECK-SAME: fparams = array<f32: 9.99999974E-5, 7.500000e-01, 2.000000e+00>
// CHECK-SAME: params = array<i64: 3>
// CHECK: kiln_backend.dnnl_call "softmax"
// CHECK-SAME: params = array<i64: 1>
// CHECK: kiln_backend.dnnl_call "log_softmax"
// CHECK-SAME: params = array<i64: 3>
func.func @norms(%x: tensor<2x3x4x5xf32>, %c: tensor<3xf32>, %y: tensor<2x3x4x5xf32>, %s: tensor<4x5xf32>, %s1: tensor<5xf32>) -> (tensor<2x3x4x5xf32>, tensor<2x3x4x5xf32>, tensor<2x3x4x5xf32>, tensor<2x3x4x5xf32>, tensor<2x3x4x5xf32>, tensor<2x3x4x5xf32>) {
  %0 = kiln.batch_norm %x, %c, %c, %c, %c {epsilon = 1.0e-3 : f32} : (tensor<2x3x4x5xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x3x4x5xf32>
  %1 = kiln.layer_norm %y, %s {axis = 2 : i64} : (tensor<2x3x4x5xf32>, tensor<4x5xf32>) -> tensor<2x3x4x5xf32>
  %2 = kiln.layer_norm %y, %s1 {axis = 2 : i64} : (tensor<2x3x4x5xf32>, tensor<5xf32>) -> tensor<2x3x4x5xf32>
  %3 = kiln.lrn %x {size = 3 : i64, bias = 2.0 : f32} : (tensor<2x3x4x5xf32>) -> tensor<2x3x4x5xf32>
  %4 = kiln.softmax %x {axis = 1 : i64} : (tensor<2x3x4x5xf32>) -> tensor<2x3x4x5xf32>
  %5 = kiln.log_softmax %x {axis = 3 : i64} : (tensor<2x3x4x5xf32>) -> tensor<2x3x4x5xf32>
  return %0, %1, %2, %3, %4, %5 : tensor<2x3x4x5xf32>, tensor<2x3x4x5xf32>, tensor<2x3x4x5xf32>, tensor<2x3x4x5xf32>, tensor<2x3x4x5xf32>, tensor<2x3x4x5xf32>
}

// -----

// A fused product is one matmul over the flattened rows with its bias and
// the activation as an eltwise post-op (code 5: gelu_erf; 1: relu with
// leaky_relu's alpha); an activation oneDNN has no post-op for (softplus)
// unfuses into the matmul and generated code.
// CHECK-LABEL: func @fused_matmul
// CHECK: kiln_backend.dnnl_call "matmul" ins(%arg0, %arg1, %arg2 : tensor<2x3x8xf32>, tensor<8x16xf32>, tensor<16xf32>) {{.*}} {dims = array<i64: 2, 6, 8, 2, 8, 16, 2, 1, 16, 2, 6, 16>, fparams = array<f32: 0.000000e+00, 0.000000e+00>, params = array<i64: 1, 0, 0, 0, 5>}
// CHECK: kiln_backend.dnnl_call "matmul" ins(%arg0, %arg1 : tensor<2x3x8xf32>, tensor<8x16xf32>) {{.*}} fparams = array<f32: 1.000000e-01, 0.000000e+00>, params = array<i64: 0, 0, 0, 0, 1>}
// CHECK: kiln_backend.dnnl_call "matmul" ins(%arg0, %arg1 : tensor<2x3x8xf32>, tensor<8x16xf32>) {{.*}} params = array<i64: 0, 0, 0, 0>}
// CHECK: kiln.unary softplus
// SMALL-LABEL: func @fused_matmul
// SMALL-NOT: kiln_backend.dnnl_call
// SMALL: kiln.fused_matmul
func.func @fused_matmul(%x: tensor<2x3x8xf32>, %w: tensor<8x16xf32>, %b: tensor<16xf32>) -> (tensor<2x3x16xf32>, tensor<2x3x16xf32>, tensor<2x3x16xf32>) {
  %0 = kiln.fused_matmul %x, %w bias %b activation gelu : (tensor<2x3x8xf32>, tensor<8x16xf32>, tensor<16xf32>) -> tensor<2x3x16xf32>
  %1 = kiln.fused_matmul %x, %w activation leaky_relu {activation_alpha = 0.1 : f32} : (tensor<2x3x8xf32>, tensor<8x16xf32>) -> tensor<2x3x16xf32>
  %2 = kiln.fused_matmul %x, %w activation softplus : (tensor<2x3x8xf32>, tensor<8x16xf32>) -> tensor<2x3x16xf32>
  return %0, %1, %2 : tensor<2x3x16xf32>, tensor<2x3x16xf32>, tensor<2x3x16xf32>
}

// -----

// A fused product's residual is the destination's initial value
// (accumulate), which the sum post-op adds to before the activation.
// CHECK-LABEL: func @residual_product
// CHECK: %[[S:.*]] = kiln_backend.dnnl_call "matmul" ins(%arg0, %arg1, %arg2 : tensor<2x3x8xf32>, tensor<8x8xf32>, tensor<8xf32>) outs(%arg3 : tensor<2x3x8xf32>) {accumulate, {{.*}}params = array<i64: 1, 0, 0, 1>}
// CHECK: %[[A:.*]] = kiln_backend.dnnl_call "matmul" ins(%arg0, %arg1 : tensor<2x3x8xf32>, tensor<8x8xf32>) outs(%[[S]] : tensor<2x3x8xf32>) {accumulate, {{.*}}params = array<i64: 0, 0, 0, 1, 1>}
// CHECK: return %[[S]], %[[A]]
func.func @residual_product(%x: tensor<2x3x8xf32>, %w: tensor<8x8xf32>, %b: tensor<8xf32>, %r: tensor<2x3x8xf32>) -> (tensor<2x3x8xf32>, tensor<2x3x8xf32>) {
  %0 = kiln.fused_matmul %x, %w bias %b residual %r : (tensor<2x3x8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<2x3x8xf32>) -> tensor<2x3x8xf32>
  %1 = kiln.fused_matmul %x, %w residual %0 activation relu : (tensor<2x3x8xf32>, tensor<8x8xf32>, tensor<2x3x8xf32>) -> tensor<2x3x8xf32>
  return %0, %1 : tensor<2x3x8xf32>, tensor<2x3x8xf32>
}

// -----

// A product (or layer norm) over a padded sequence's positions
// (kiln.bounded_rows) stays generated code, which computes up to the
// length, unless its weights exceed 1 Mi elements.
// CHECK-LABEL: func @bounded_rows
// CHECK: kiln.fused_matmul %arg0, %arg1 {kiln.bounded_rows = array<i64: 1, -1, 1>}
// CHECK: kiln_backend.dnnl_call "matmul" ins(%arg0, %arg2
// CHECK: kiln.gemm %arg3, %arg1 {kiln.bounded_rows = array<i64: 0, -1, 0>}
func.func @bounded_rows(%x: tensor<1x67x64xf32>, %w: tensor<64x64xf32>, %big: tensor<64x16400xf32>, %rows: tensor<67x64xf32>) -> (tensor<1x67x64xf32>, tensor<1x67x16400xf32>, tensor<67x64xf32>) {
  %0 = kiln.fused_matmul %x, %w {kiln.bounded_rows = array<i64: 1, -1, 1>} : (tensor<1x67x64xf32>, tensor<64x64xf32>) -> tensor<1x67x64xf32>
  %1 = kiln.fused_matmul %x, %big {kiln.bounded_rows = array<i64: 1, -1, 1>} : (tensor<1x67x64xf32>, tensor<64x16400xf32>) -> tensor<1x67x16400xf32>
  %2 = kiln.gemm %rows, %w {kiln.bounded_rows = array<i64: 0, -1, 0>} : (tensor<67x64xf32>, tensor<64x64xf32>) -> tensor<67x64xf32>
  return %0, %1, %2 : tensor<1x67x64xf32>, tensor<1x67x16400xf32>, tensor<67x64xf32>
}

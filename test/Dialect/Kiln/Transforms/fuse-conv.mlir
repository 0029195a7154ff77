// RUN: kiln-opt %s -kiln-fuse-conv -split-input-file | FileCheck %s
// RUN: kiln-opt %s -kiln-fuse-conv=report=true -split-input-file 2>&1 >/dev/null | FileCheck %s --check-prefix=REPORT

// The whole chain: conv + bias, residual add, relu, max pooling.
// CHECK-LABEL: func @resnet_style
// CHECK: %[[F:.*]] = kiln.fused_conv %arg0, %arg1 bias %arg2 residual %arg3 activation relu pool max
// CHECK-SAME: pads = array<i64: 1, 1, 1, 1>
// CHECK-SAME: pool_kernel_shape = array<i64: 2, 2>
// CHECK-SAME: pool_strides = array<i64: 2, 2>
// CHECK-NOT: kiln.conv
// CHECK-NOT: kiln.binary
// CHECK-NOT: kiln.unary
// CHECK-NOT: kiln.pool
// CHECK: return %[[F]]
// REPORT: remark: fused into kiln.fused_conv: conv, bias, residual add kiln.binary, relu kiln.unary, max pool kiln.pool
func.func @resnet_style(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x3x3xf32>, %b: tensor<4xf32>, %r: tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32> {
  %0 = kiln.conv %x, %w, %b {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
  %1 = kiln.binary add %r, %0 : (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %2 = kiln.unary relu %1 : tensor<1x4x8x8xf32>
  %3 = kiln.pool max %2 {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32>
  return %3 : tensor<1x4x4x4xf32>
}

// -----

// An activation's parameters come along.
// CHECK-LABEL: func @leaky
// CHECK: kiln.fused_conv %arg0, %arg1 activation leaky_relu {activation_alpha = 2.000000e-01 : f32}
func.func @leaky(%x: tensor<1x2x4x4xf32>, %w: tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32> {
  %0 = kiln.conv %x, %w : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %1 = kiln.unary leaky_relu %0 {alpha = 0.2 : f32} : tensor<1x2x4x4xf32>
  return %1 : tensor<1x2x4x4xf32>
}

// -----

// The convolution's result has another user: nothing fuses.
// CHECK-LABEL: func @shared
// CHECK: kiln.conv
// CHECK: kiln.unary relu
// CHECK-NOT: kiln.fused_conv
// REPORT: remark: not fused: the convolution's result has 2 users
func.func @shared(%x: tensor<1x2x4x4xf32>, %w: tensor<2x2x1x1xf32>) -> (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) {
  %0 = kiln.conv %x, %w : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %1 = kiln.unary relu %0 : tensor<1x2x4x4xf32>
  return %0, %1 : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>
}

// -----

// An add after the activation is not the fused residual (which comes
// before it): the activation fuses, the add stays.
// CHECK-LABEL: func @add_after_activation
// CHECK: %[[F:.*]] = kiln.fused_conv %arg0, %arg1 activation relu
// CHECK: kiln.binary add %[[F]], %arg2
// REPORT: remark: fused into kiln.fused_conv: conv, relu kiln.unary; stopped: the add kiln.binary follows the activation; a fused residual comes before it
func.func @add_after_activation(%x: tensor<1x2x4x4xf32>, %w: tensor<2x2x1x1xf32>, %r: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %0 = kiln.conv %x, %w : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %1 = kiln.unary relu %0 : tensor<1x2x4x4xf32>
  %2 = kiln.binary add %1, %r : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  return %2 : tensor<1x2x4x4xf32>
}

// -----

// A broadcasting add is no residual; exp is no activation; a dilated
// pooling does not fuse.
// CHECK-LABEL: func @misses
// CHECK-NOT: kiln.fused_conv
// REPORT: remark: not fused: the add kiln.binary broadcasts an operand, so it is no residual
// REPORT: remark: not fused: 'exp' (kiln.unary) is not a fusable activation
// REPORT: remark: not fused: the pooling kiln.pool dilates
func.func @misses(%x: tensor<1x2x4x4xf32>, %w: tensor<2x2x1x1xf32>, %c: tensor<1x2x1x1xf32>) -> (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x2x2xf32>) {
  %0 = kiln.conv %x, %w : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %1 = kiln.binary add %0, %c : (tensor<1x2x4x4xf32>, tensor<1x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %2 = kiln.conv %x, %w : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %3 = kiln.unary exp %2 : tensor<1x2x4x4xf32>
  %4 = kiln.conv %x, %w : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %5 = kiln.pool max %4 {kernel_shape = array<i64: 2, 2>, dilations = array<i64: 2, 2>} : (tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32>
  return %1, %3, %5 : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x2x2xf32>
}

// -----

// A transposed convolution takes its activation, with the activation's
// parameters and the transposed attributes.
// CHECK-LABEL: func @deconv_leaky
// CHECK: %[[F:.*]] = kiln.fused_conv_transpose %arg0, %arg1 bias %arg2 activation leaky_relu
// CHECK-SAME: activation_alpha = 2.000000e-01 : f32
// CHECK-SAME: output_padding = array<i64: 1, 1>
// CHECK-SAME: strides = array<i64: 2, 2>
// CHECK-NOT: kiln.unary
// CHECK: return %[[F]]
// REPORT: remark: fused into kiln.fused_conv_transpose: conv_transpose, bias, leaky_relu kiln.unary
func.func @deconv_leaky(%x: tensor<1x4x3x3xf32>, %w: tensor<4x2x3x3xf32>, %b: tensor<2xf32>) -> tensor<1x2x6x6xf32> {
  %0 = kiln.conv_transpose %x, %w, %b {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, output_padding = array<i64: 1, 1>} : (tensor<1x4x3x3xf32>, tensor<4x2x3x3xf32>, tensor<2xf32>) -> tensor<1x2x6x6xf32>
  %1 = kiln.unary leaky_relu %0 {alpha = 0.2 : f32} : tensor<1x2x6x6xf32>
  return %1 : tensor<1x2x6x6xf32>
}

// -----

// A transposed convolution whose result is also returned keeps its
// activation apart; so does one followed by a non-activation.
// CHECK-LABEL: func @deconv_near_misses
// CHECK-NOT: kiln.fused_conv_transpose
// CHECK: kiln.unary tanh
// CHECK: kiln.unary exp
// REPORT: remark: not fused: the transposed convolution's result has 2 users
// REPORT: remark: not fused: 'exp' (kiln.unary) is not a fusable activation
func.func @deconv_near_misses(%x: tensor<1x2x4x4xf32>, %w: tensor<2x2x1x1xf32>) -> (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) {
  %0 = kiln.conv_transpose %x, %w : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %1 = kiln.unary tanh %0 : tensor<1x2x4x4xf32>
  %2 = kiln.conv_transpose %x, %w : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %3 = kiln.unary exp %2 : tensor<1x2x4x4xf32>
  return %0, %1, %3 : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>
}

// -----

// A transposed convolution of a single pixel is a matrix product: the
// input [N, C], constant weights read as [C, O x window] in their own order,
// each bias repeated over the window, the activation kept.
// CHECK-LABEL: func @deconv_single_pixel
// CHECK-DAG: %[[W:.*]] = kiln.constant dense<{{\[}}[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00, 5.000000e+00, 6.000000e+00, 7.000000e+00, 8.000000e+00], [9.000000e+00, 1.000000e+01, 1.100000e+01, 1.200000e+01, 1.300000e+01, 1.400000e+01, 1.500000e+01, 1.600000e+01]]> : tensor<2x8xf32>
// CHECK-DAG: %[[B:.*]] = kiln.constant dense<[5.000000e-01, 5.000000e-01, 5.000000e-01, 5.000000e-01, -1.000000e+00, -1.000000e+00, -1.000000e+00, -1.000000e+00]> : tensor<8xf32>
// CHECK-DAG: %[[X:.*]] = kiln.reshape %arg0 : (tensor<3x2x1x1xf32>) -> tensor<3x2xf32>
// CHECK: %[[P:.*]] = kiln.fused_matmul %[[X]], %[[W]] bias %[[B]] activation relu : (tensor<3x2xf32>, tensor<2x8xf32>, tensor<8xf32>) -> tensor<3x8xf32>
// CHECK: %[[Y:.*]] = kiln.reshape %[[P]] : (tensor<3x8xf32>) -> tensor<3x2x2x2xf32>
// CHECK-NOT: kiln.conv_transpose
// CHECK-NOT: kiln.fused_conv_transpose
// CHECK: return %[[Y]]
// REPORT: remark: fused into kiln.fused_conv_transpose: conv_transpose, bias, relu kiln.unary
// REPORT: remark: transposed convolution of a single pixel computed as a matrix product (kiln.fused_matmul)
func.func @deconv_single_pixel(%x: tensor<3x2x1x1xf32>) -> tensor<3x2x2x2xf32> {
  %w = kiln.constant dense<[[[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]], [[[9.0, 10.0], [11.0, 12.0]], [[13.0, 14.0], [15.0, 16.0]]]]> : tensor<2x2x2x2xf32>
  %b = kiln.constant dense<[0.5, -1.0]> : tensor<2xf32>
  %0 = kiln.conv_transpose %x, %w, %b {strides = array<i64: 2, 2>} : (tensor<3x2x1x1xf32>, tensor<2x2x2x2xf32>, tensor<2xf32>) -> tensor<3x2x2x2xf32>
  %1 = kiln.unary relu %0 : tensor<3x2x2x2xf32>
  return %1 : tensor<3x2x2x2xf32>
}

// -----

// Weights and bias known only at run time are reshaped and broadcast
// there; without an activation the product has none.
// CHECK-LABEL: func @deconv_single_pixel_operands
// CHECK-DAG: %[[X:.*]] = kiln.reshape %arg0 : (tensor<1x4x1x1xf32>) -> tensor<1x4xf32>
// CHECK-DAG: %[[W:.*]] = kiln.reshape %arg1 : (tensor<4x3x2x3xf32>) -> tensor<4x18xf32>
// CHECK-DAG: %[[C:.*]] = kiln.reshape %arg2 : (tensor<3xf32>) -> tensor<3x1xf32>
// CHECK: %[[E:.*]] = kiln.expand %[[C]] : (tensor<3x1xf32>) -> tensor<3x6xf32>
// CHECK: %[[B:.*]] = kiln.reshape %[[E]] : (tensor<3x6xf32>) -> tensor<18xf32>
// CHECK: %[[P:.*]] = kiln.fused_matmul %[[X]], %[[W]] bias %[[B]] : (tensor<1x4xf32>, tensor<4x18xf32>, tensor<18xf32>) -> tensor<1x18xf32>
// CHECK: %[[Y:.*]] = kiln.reshape %[[P]] : (tensor<1x18xf32>) -> tensor<1x3x2x3xf32>
// CHECK: return %[[Y]]
// REPORT: remark: transposed convolution of a single pixel computed as a matrix product (kiln.fused_matmul)
func.func @deconv_single_pixel_operands(%x: tensor<1x4x1x1xf32>, %w: tensor<4x3x2x3xf32>, %b: tensor<3xf32>) -> tensor<1x3x2x3xf32> {
  %0 = kiln.conv_transpose %x, %w, %b : (tensor<1x4x1x1xf32>, tensor<4x3x2x3xf32>, tensor<3xf32>) -> tensor<1x3x2x3xf32>
  return %0 : tensor<1x3x2x3xf32>
}

// -----

// Padding, dilation, output padding, groups or more than one pixel keep
// the transposed convolution.
// CHECK-LABEL: func @deconv_not_single_pixel
// CHECK-NOT: kiln.fused_matmul
// CHECK-COUNT-5: kiln.conv_transpose
// CHECK-NOT: kiln.fused_matmul
// REPORT-NOT: single pixel
func.func @deconv_not_single_pixel(%x: tensor<1x4x1x1xf32>, %w: tensor<4x2x3x3xf32>, %x2: tensor<1x4x2x2xf32>, %wg: tensor<4x1x3x3xf32>) -> (tensor<1x2x1x1xf32>, tensor<1x2x5x5xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x3x3xf32>) {
  %0 = kiln.conv_transpose %x, %w {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x4x1x1xf32>, tensor<4x2x3x3xf32>) -> tensor<1x2x1x1xf32>
  %1 = kiln.conv_transpose %x, %w {dilations = array<i64: 2, 2>} : (tensor<1x4x1x1xf32>, tensor<4x2x3x3xf32>) -> tensor<1x2x5x5xf32>
  %2 = kiln.conv_transpose %x2, %w : (tensor<1x4x2x2xf32>, tensor<4x2x3x3xf32>) -> tensor<1x2x4x4xf32>
  %3 = kiln.conv_transpose %x, %w {strides = array<i64: 2, 2>, output_padding = array<i64: 1, 1>} : (tensor<1x4x1x1xf32>, tensor<4x2x3x3xf32>) -> tensor<1x2x4x4xf32>
  %4 = kiln.conv_transpose %x, %wg {group = 2 : i64} : (tensor<1x4x1x1xf32>, tensor<4x1x3x3xf32>) -> tensor<1x2x3x3xf32>
  return %0, %1, %2, %3, %4 : tensor<1x2x1x1xf32>, tensor<1x2x5x5xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x3x3xf32>
}

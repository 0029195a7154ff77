// RUN: kiln-opt %s -split-input-file -verify-diagnostics
//
// One case per verifier message of the kiln dialect.

func.func @case0(%x: tensor<?xf32>) {
  // expected-error @below {{'kiln.unary' op expected 'input' to be a statically shaped tensor, got 'tensor<?xf32>'}}
  %0 = kiln.unary relu %x : tensor<?xf32>
  return
}

// -----

func.func @case1(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf16>) {
  // expected-error @below {{'kiln.conv' op expected 'weight' to have element type 'f32', got 'f16'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.conv %x, %w : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf16>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @case2(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<8xf32>) {
  // expected-error @below {{'kiln.conv' op expected 'bias' of shape [4], got [8]}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.conv %x, %w, %b : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<8xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @case3(%x: tensor<2x3xf32>) {
  // expected-error @below {{'kiln.softmax' op expected 'axis' in [0, 2), got 2}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.softmax %x {axis = 2 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @case4(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @below {{'kiln.conv' op expected 'strides' to have 2 values (one per spatial dim), got 3}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.conv %x, %w {strides = array<i64: 1, 1, 1>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @case5(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @below {{'kiln.conv' op expected 'strides' values to be positive, got [1, 0]}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.conv %x, %w {strides = array<i64: 1, 0>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @case6(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @below {{'kiln.conv' op expected 'dilations' values to be positive, got [-1, 1]}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.conv %x, %w {dilations = array<i64: -1, 1>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @case7(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @below {{'kiln.conv' op expected 'pads' to have 4 values (begin then end of each spatial dim), got 2}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.conv %x, %w {pads = array<i64: 1, 1>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @case8(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @below {{'kiln.conv' op expected 'pads' values to be non-negative, got [1, -1, 1, 1]}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.conv %x, %w {pads = array<i64: 1, -1, 1, 1>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @case9(%x: tensor<2xf32>) {
  // expected-error @below {{'kiln.unary' op 'alpha' is not a parameter of 'relu'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.unary relu %x {alpha = 1.0 : f32} : tensor<2xf32>
  return
}

// -----

func.func @case10(%x: tensor<2xf32>) {
  // expected-error @below {{'kiln.unary' op 'beta' is not a parameter of 'leaky_relu'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.unary leaky_relu %x {beta = 1.0 : f32} : tensor<2xf32>
  return
}

// -----

func.func @case11(%x: tensor<1x3x8x4xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @below {{'kiln.conv' op window extent 5 exceeds the padded input (4) along spatial dim 1}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.conv %x, %w {dilations = array<i64: 1, 2>} : (tensor<1x3x8x4xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x1xf32>
  return
}

// -----

func.func @case12(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @below {{'kiln.conv' op inferred type(s) 'tensor<1x4x6x6xf32>' are incompatible with return type(s) of operation 'tensor<1x4x8x8xf32>'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.conv %x, %w : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @case13(%x: tensor<3x8xf32>, %w: tensor<4x3xf32>) {
  // expected-error @below {{'kiln.conv' op expected 'input' of rank 3 to 5 (N x C x 1-3 spatial dims), got rank 2}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.conv %x, %w : (tensor<3x8xf32>, tensor<4x3xf32>) -> tensor<1x4xf32>
  return
}

// -----

func.func @case14(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3xf32>) {
  // expected-error @below {{'kiln.conv' op expected 'weight' of rank 4 like the input, got rank 3}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.conv %x, %w : (tensor<1x3x8x8xf32>, tensor<4x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @case15(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @below {{'kiln.conv' op expected 'group' to be positive, got 0}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.conv %x, %w {group = 0 : i64} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @case16(%x: tensor<1x3x8x8xf32>, %w: tensor<4x1x3x3xf32>) {
  // expected-error @below {{'kiln.conv' op expected the input channels (3) to be divisible by 'group' (2)}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.conv %x, %w {group = 2 : i64} : (tensor<1x3x8x8xf32>, tensor<4x1x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @case17(%x: tensor<1x4x8x8xf32>, %w: tensor<5x2x3x3xf32>) {
  // expected-error @below {{'kiln.conv' op expected the output channels (5) to be divisible by 'group' (2)}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.conv %x, %w {group = 2 : i64} : (tensor<1x4x8x8xf32>, tensor<5x2x3x3xf32>) -> tensor<1x5x6x6xf32>
  return
}

// -----

func.func @case18(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x3x3xf32>) {
  // expected-error @below {{'kiln.conv' op expected weight dim 1 to be input channels / group = 2, got 4}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.conv %x, %w {group = 2 : i64} : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @case19(%x: tensor<1x1x1x1x1x1xf32>, %w: tensor<1x1x1x1x1x1xf32>) {
  // expected-error @below {{'kiln.conv_transpose' op expected 'input' of rank 3 to 5 (N x C x 1-3 spatial dims), got rank 6}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.conv_transpose %x, %w : (tensor<1x1x1x1x1x1xf32>, tensor<1x1x1x1x1x1xf32>) -> tensor<1x1x1x1x1x1xf32>
  return
}

// -----

func.func @case20(%x: tensor<1x8x4x4xf32>, %w: tensor<8x2x3x3x3xf32>) {
  // expected-error @below {{'kiln.conv_transpose' op expected 'weight' of rank 4 like the input, got rank 5}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.conv_transpose %x, %w : (tensor<1x8x4x4xf32>, tensor<8x2x3x3x3xf32>) -> tensor<1x2x6x6xf32>
  return
}

// -----

func.func @case21(%x: tensor<1x8x4x4xf32>, %w: tensor<8x2x3x3xbf16>) {
  // expected-error @below {{'kiln.conv_transpose' op expected 'weight' to have element type 'f32', got 'bf16'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.conv_transpose %x, %w : (tensor<1x8x4x4xf32>, tensor<8x2x3x3xbf16>) -> tensor<1x2x6x6xf32>
  return
}

// -----

func.func @case22(%x: tensor<1x8x4x4xf32>, %w: tensor<8x2x3x3xf32>) {
  // expected-error @below {{'kiln.conv_transpose' op expected 'group' to be positive, got -1}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.conv_transpose %x, %w {group = -1 : i64} : (tensor<1x8x4x4xf32>, tensor<8x2x3x3xf32>) -> tensor<1x2x6x6xf32>
  return
}

// -----

func.func @case23(%x: tensor<1x8x4x4xf32>, %w: tensor<8x2x3x3xf32>) {
  // expected-error @below {{'kiln.conv_transpose' op expected the input channels (8) to be divisible by 'group' (3)}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.conv_transpose %x, %w {group = 3 : i64} : (tensor<1x8x4x4xf32>, tensor<8x2x3x3xf32>) -> tensor<1x6x6x6xf32>
  return
}

// -----

func.func @case24(%x: tensor<1x8x4x4xf32>, %w: tensor<4x2x3x3xf32>) {
  // expected-error @below {{'kiln.conv_transpose' op expected weight dim 0 to be the input channels (8), got 4}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.conv_transpose %x, %w : (tensor<1x8x4x4xf32>, tensor<4x2x3x3xf32>) -> tensor<1x2x6x6xf32>
  return
}

// -----

func.func @case25(%x: tensor<1x8x4x4xf32>, %w: tensor<8x2x3x3xf32>, %b: tensor<2xf32>) {
  // expected-error @below {{'kiln.conv_transpose' op expected 'bias' of shape [4], got [2]}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.conv_transpose %x, %w, %b {group = 2 : i64} : (tensor<1x8x4x4xf32>, tensor<8x2x3x3xf32>, tensor<2xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @case26(%x: tensor<1x8x4x4xf32>, %w: tensor<8x2x3x3xf32>) {
  // expected-error @below {{'kiln.conv_transpose' op expected 'output_padding' to have 2 values (one per spatial dim), got 1}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.conv_transpose %x, %w {output_padding = array<i64: 1>} : (tensor<1x8x4x4xf32>, tensor<8x2x3x3xf32>) -> tensor<1x2x6x6xf32>
  return
}

// -----

func.func @case27(%x: tensor<1x8x4x4xf32>, %w: tensor<8x2x3x3xf32>) {
  // expected-error @below {{'kiln.conv_transpose' op expected 'output_padding' values in [0, max(stride, dilation)), got [2, 0]}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.conv_transpose %x, %w {strides = array<i64: 2, 2>, output_padding = array<i64: 2, 0>} : (tensor<1x8x4x4xf32>, tensor<8x2x3x3xf32>) -> tensor<1x2x11x9xf32>
  return
}

// -----

func.func @case28(%x: tensor<1x8x4x4xf32>, %w: tensor<8x2x3x3xf32>) {
  // expected-error @below {{'kiln.conv_transpose' op pads leave no output along spatial dim 0 (size 0)}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.conv_transpose %x, %w {pads = array<i64: 3, 0, 3, 0>} : (tensor<1x8x4x4xf32>, tensor<8x2x3x3xf32>) -> tensor<1x2x1x6xf32>
  return
}

// -----

func.func @case29(%x: tensor<1x8x4x4xf32>, %w: tensor<8x2x3x3xf32>) {
  // expected-error @below {{'kiln.conv_transpose' op expected 'strides' values to be positive, got [0, 1]}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.conv_transpose %x, %w {strides = array<i64: 0, 1>} : (tensor<1x8x4x4xf32>, tensor<8x2x3x3xf32>) -> tensor<1x2x6x6xf32>
  return
}

// -----

func.func @case30(%x: tensor<4x4xf32>) {
  // expected-error @below {{'kiln.pool' op expected a pooling input of rank 3 to 5 (N x C x 1-3 spatial dims), got rank 2}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.pool max %x {kernel_shape = array<i64: 2>} : (tensor<4x4xf32>) -> tensor<4x4xf32>
  return
}

// -----

func.func @case31(%x: tensor<1x1x4x4xf32>) {
  // expected-error @below {{'kiln.pool' op expected 'kernel_shape' to have 2 values (one per spatial dim), got 1}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.pool max %x {kernel_shape = array<i64: 2>} : (tensor<1x1x4x4xf32>) -> tensor<1x1x3x3xf32>
  return
}

// -----

func.func @case32(%x: tensor<1x1x4x4xf32>) {
  // expected-error @below {{'kiln.pool' op 'count_include_pad' applies only to average pooling}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.pool max %x {kernel_shape = array<i64: 2, 2>, count_include_pad} : (tensor<1x1x4x4xf32>) -> tensor<1x1x3x3xf32>
  return
}

// -----

func.func @case33(%x: tensor<1x1x4x4xf32>) {
  // expected-error @below {{'kiln.pool' op expected 'pads' to be smaller than the kernel, got [2, 0, 0, 0] for kernel [2, 2]}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.pool avg %x {kernel_shape = array<i64: 2, 2>, pads = array<i64: 2, 0, 0, 0>} : (tensor<1x1x4x4xf32>) -> tensor<1x1x5x3xf32>
  return
}

// -----

func.func @case34(%x: tensor<1x1x4x4xf32>) {
  // expected-error @below {{'kiln.pool' op window extent 5 exceeds the padded input (4) along spatial dim 0}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.pool max %x {kernel_shape = array<i64: 5, 1>} : (tensor<1x1x4x4xf32>) -> tensor<1x1x1x4xf32>
  return
}

// -----

func.func @case35(%x: tensor<4x4xf32>) {
  // expected-error @below {{'kiln.global_pool' op expected 'input' of rank 3 or more (N x C x spatial dims), got rank 2}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.global_pool avg %x : (tensor<4x4xf32>) -> tensor<4x4xf32>
  return
}

// -----

func.func @case36(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %r: tensor<1x4x8x8xf32>) {
  // expected-error @below {{'kiln.fused_conv' op expected 'residual' of shape [1, 4, 6, 6], got [1, 4, 8, 8]}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.fused_conv %x, %w residual %r : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<1x4x8x8xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @case37(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @below {{'kiln.fused_conv' op 'isnan' is not an activation}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.fused_conv %x, %w activation isnan : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @case38(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @below {{'kiln.fused_conv' op 'activation_alpha' is not a parameter of 'relu'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.fused_conv %x, %w activation relu {activation_alpha = 0.1 : f32} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @case39(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @below {{'kiln.fused_conv' op 'activation_alpha' and 'activation_beta' need an 'activation'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.fused_conv %x, %w {activation_beta = 0.1 : f32} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @case40(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @below {{'kiln.fused_conv' op pooling attributes need a 'pool' kind}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.fused_conv %x, %w {pool_kernel_shape = array<i64: 2, 2>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x3x3xf32>
  return
}

// -----

func.func @case41(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @below {{'kiln.fused_conv' op expected 'pool_kernel_shape' to be given}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.fused_conv %x, %w pool max : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x3x3xf32>
  return
}

// -----

func.func @case42(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @below {{'kiln.fused_conv' op 'pool_count_include_pad' applies only to average pooling}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.fused_conv %x, %w pool max {pool_kernel_shape = array<i64: 2, 2>, pool_count_include_pad} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x5x5xf32>
  return
}

// -----

func.func @case43(%x: tensor<1x3x8x8xf32>, %w: tensor<4x2x3x3xf32>) {
  // expected-error @below {{'kiln.fused_conv' op expected weight dim 1 to be input channels / group = 3, got 2}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.fused_conv %x, %w : (tensor<1x3x8x8xf32>, tensor<4x2x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @case44(%x: tensor<4xf32>, %c: tensor<4xf32>) {
  // expected-error @below {{'kiln.batch_norm' op expected 'input' of rank 2 or more (N x C x ...), got rank 1}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.batch_norm %x, %c, %c, %c, %c : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @case45(%x: tensor<1x4x2x2xf32>, %c: tensor<4xf32>, %v: tensor<3xf32>) {
  // expected-error @below {{'kiln.batch_norm' op expected 'var' of shape [4], got [3]}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.batch_norm %x, %c, %c, %c, %v : (tensor<1x4x2x2xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<3xf32>) -> tensor<1x4x2x2xf32>
  return
}

// -----

func.func @case46(%x: tensor<1x4x2x2xf32>, %c: tensor<4xf32>) {
  // expected-error @below {{'kiln.batch_norm' op expected 'epsilon' to be non-negative}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.batch_norm %x, %c, %c, %c, %c {epsilon = -1.0 : f32} : (tensor<1x4x2x2xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x2x2xf32>
  return
}

// -----

func.func @case47(%x: tensor<2x16xf32>, %g: tensor<8xf32>) {
  // expected-error @below {{'kiln.layer_norm' op expected 'scale' of shape [8] to broadcast to the normalized shape [16]}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.layer_norm %x, %g {axis = 1 : i64} : (tensor<2x16xf32>, tensor<8xf32>) -> tensor<2x16xf32>
  return
}

// -----

func.func @case48(%x: tensor<2x16xf32>, %g: tensor<16xf32>, %b: tensor<16xf64>) {
  // expected-error @below {{'kiln.layer_norm' op expected 'bias' to have element type 'f32', got 'f64'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.layer_norm %x, %g, %b {axis = 1 : i64} : (tensor<2x16xf32>, tensor<16xf32>, tensor<16xf64>) -> tensor<2x16xf32>
  return
}

// -----

func.func @case49(%x: tensor<2x16xf32>, %g: tensor<16xf32>) {
  // expected-error @below {{'kiln.layer_norm' op expected 'axis' in [0, 2), got -1}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.layer_norm %x, %g {axis = -1 : i64} : (tensor<2x16xf32>, tensor<16xf32>) -> tensor<2x16xf32>
  return
}

// -----

func.func @case50(%x: tensor<2x16xf32>, %g: tensor<16xf32>) {
  // expected-error @below {{'kiln.layer_norm' op expected 'epsilon' to be non-negative}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.layer_norm %x, %g {axis = 1 : i64, epsilon = -1.0 : f32} : (tensor<2x16xf32>, tensor<16xf32>) -> tensor<2x16xf32>
  return
}

// -----

func.func @case51(%x: tensor<2x16xf32>) {
  // expected-error @below {{'kiln.lrn' op expected 'input' of rank 3 or more (N x C x spatial dims), got rank 2}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.lrn %x {size = 3 : i64} : (tensor<2x16xf32>) -> tensor<2x16xf32>
  return
}

// -----

func.func @case52(%x: tensor<1x2x16xf32>) {
  // expected-error @below {{'kiln.lrn' op expected 'size' to be positive, got 0}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.lrn %x {size = 0 : i64} : (tensor<1x2x16xf32>) -> tensor<1x2x16xf32>
  return
}

// -----

func.func @case53(%s: tensor<f32>, %v: tensor<3xf32>) {
  // expected-error @below {{'kiln.matmul' op expected operands of rank 1 or more, got ranks 0 and 1}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.matmul %s, %v : (tensor<f32>, tensor<3xf32>) -> tensor<3xf32>
  return
}

// -----

func.func @case54(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) {
  // expected-error @below {{'kiln.matmul' op contracting dims differ: lhs [2, 3] has 3, rhs [4, 5] has 4}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.matmul %a, %b : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<2x5xf32>
  return
}

// -----

func.func @case55(%a: tensor<2x2x3xf32>, %b: tensor<3x3x4xf32>) {
  // expected-error @below {{'kiln.matmul' op batch dims of [2, 2, 3] and [3, 3, 4] are not broadcast-compatible}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.matmul %a, %b : (tensor<2x2x3xf32>, tensor<3x3x4xf32>) -> tensor<2x2x4xf32>
  return
}

// -----

func.func @case56(%a: tensor<2x3xi32>, %b: tensor<3x4xi64>) {
  // expected-error @below {{'kiln.matmul' op expected 'rhs' to have element type 'i32', got 'i64'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.matmul %a, %b : (tensor<2x3xi32>, tensor<3x4xi64>) -> tensor<2x4xi32>
  return
}

// -----

func.func @case57(%a: tensor<1x2x3xf32>, %b: tensor<3x4xf32>) {
  // expected-error @below {{'kiln.gemm' op expected 'a' and 'b' of rank 2, got ranks 3 and 2}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.gemm %a, %b : (tensor<1x2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @case58(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>) {
  // expected-error @below {{'kiln.gemm' op contracting dims differ: op(a) is [3, 2], op(b) is [3, 4]}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.gemm %a, %b {trans_a} : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
  return
}

// -----

func.func @case59(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>, %c: tensor<3xf32>) {
  // expected-error @below {{'kiln.gemm' op expected 'c' of shape [3] to broadcast to [2, 4]}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.gemm %a, %b, %c : (tensor<2x3xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @case60(%x: tensor<2xf32>) {
  // expected-error @below {{'kiln.unary' op 'not' expects an i1 input, got 'f32'}}
  %0 = kiln.unary not %x : tensor<2xf32>
  return
}

// -----

func.func @case61(%x: tensor<2xi32>) {
  // expected-error @below {{'kiln.unary' op 'exp' expects a floating-point input, got 'i32'}}
  %0 = kiln.unary exp %x : tensor<2xi32>
  return
}

// -----

func.func @case62(%x: tensor<2xi1>) {
  // expected-error @below {{'kiln.unary' op 'relu' expects a floating-point or integer input, got 'i1'}}
  %0 = kiln.unary relu %x : tensor<2xi1>
  return
}

// -----

func.func @case63(%x: tensor<2xf32>) {
  // expected-error @below {{'kiln.binary' op 'and' expects i1 operands, got 'f32' and 'f32'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.binary and %x, %x : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @case64(%x: tensor<2xi1>) {
  // expected-error @below {{'kiln.binary' op 'add' expects numeric operands, got 'i1' and 'i1'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.binary add %x, %x : (tensor<2xi1>, tensor<2xi1>) -> tensor<2xi1>
  return
}

// -----

func.func @case65(%x: tensor<2xi32>) {
  // expected-error @below {{'kiln.binary' op 'prelu' expects floating-point operands, got 'i32'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.binary prelu %x, %x : (tensor<2xi32>, tensor<2xi32>) -> tensor<2xi32>
  return
}

// -----

func.func @case66(%x: tensor<2xf32>, %y: tensor<2xf16>) {
  // expected-error @below {{'kiln.binary' op expected 'rhs' to have element type 'f32', got 'f16'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.binary mul %x, %y : (tensor<2xf32>, tensor<2xf16>) -> tensor<2xf32>
  return
}

// -----

func.func @case67(%x: tensor<2x3xf32>, %y: tensor<4xf32>) {
  // expected-error @below {{'kiln.binary' op operand shapes [2, 3], [4] are not broadcast-compatible}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.binary add %x, %y : (tensor<2x3xf32>, tensor<4xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @case68(%x: tensor<2xi64>, %y: tensor<2xi32>) {
  // expected-error @below {{'kiln.compare' op expected 'rhs' to have element type 'i64', got 'i32'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.compare eq %x, %y : (tensor<2xi64>, tensor<2xi32>) -> tensor<2xi1>
  return
}

// -----

func.func @case69(%x: tensor<2xf32>, %y: tensor<3xf32>) {
  // expected-error @below {{'kiln.compare' op operand shapes [2], [3] are not broadcast-compatible}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.compare lt %x, %y : (tensor<2xf32>, tensor<3xf32>) -> tensor<2xi1>
  return
}

// -----

func.func @case70(%c: tensor<4xi1>, %x: tensor<2x1xf32>, %y: tensor<3xf32>) {
  // expected-error @below {{'kiln.where' op operand shapes [4], [2, 1], [3] are not broadcast-compatible}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.where %c, %x, %y : (tensor<4xi1>, tensor<2x1xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @case71(%c: tensor<2xi1>, %x: tensor<2xf32>, %y: tensor<2xi32>) {
  // expected-error @below {{'kiln.where' op expected 'rhs' to have element type 'f32', got 'i32'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.where %c, %x, %y : (tensor<2xi1>, tensor<2xf32>, tensor<2xi32>) -> tensor<2xf32>
  return
}

// -----

func.func @case72(%x: tensor<2x3xf32>) {
  // expected-error @below {{'kiln.reduce' op expected 'axes' in [0, 2), got [0, 2]}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.reduce sum %x {axes = array<i64: 0, 2>} : (tensor<2x3xf32>) -> tensor<f32>
  return
}

// -----

func.func @case73(%x: tensor<2x3xf32>) {
  // expected-error @below {{'kiln.reduce' op expected 'axes' to be sorted and unique, got [1, 1]}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.reduce sum %x {axes = array<i64: 1, 1>} : (tensor<2x3xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @case74(%x: tensor<2x3xi32>) {
  // expected-error @below {{'kiln.reduce' op 'mean' reduction does not accept element type 'i32'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.reduce mean %x {axes = array<i64: 1>} : (tensor<2x3xi32>) -> tensor<2xi32>
  return
}

// -----

func.func @case75(%x: tensor<2x3xf32>) {
  // expected-error @below {{'kiln.arg_reduce' op expected 'kind' to be max or min, got sum}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.arg_reduce sum %x {axis = 1 : i64} : (tensor<2x3xf32>) -> tensor<2xi64>
  return
}

// -----

func.func @case76(%x: tensor<2x0xf32>) {
  // expected-error @below {{'kiln.arg_reduce' op cannot take the argmax of an empty dim}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.arg_reduce max %x {axis = 1 : i64} : (tensor<2x0xf32>) -> tensor<2xi64>
  return
}

// -----

func.func @case77(%x: tensor<2x3xf32>) {
  // expected-error @below {{'kiln.arg_reduce' op expected 'axis' in [0, 2), got 2}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.arg_reduce min %x {axis = 2 : i64} : (tensor<2x3xf32>) -> tensor<2xi64>
  return
}

// -----

func.func @case78(%x: tensor<2x3xf32>) {
  // expected-error @below {{'kiln.reshape' op expected the result element type 'f16' to match the input's, 'f32'}}
  %0 = kiln.reshape %x : (tensor<2x3xf32>) -> tensor<6xf16>
  return
}

// -----

func.func @case79(%x: tensor<2x3xf32>) {
  // expected-error @below {{'kiln.reshape' op cannot reshape [2, 3] (6 elements) to [4] (4 elements)}}
  %0 = kiln.reshape %x : (tensor<2x3xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @case80(%x: tensor<2x3x4xf32>) {
  // expected-error @below {{'kiln.transpose' op expected 'perm' to be a permutation of [0, 3), got [0, 0, 1]}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.transpose %x {perm = array<i64: 0, 0, 1>} : (tensor<2x3x4xf32>) -> tensor<2x2x3xf32>
  return
}

// -----

func.func @case81(%x: tensor<2x3xf32>) {
  // expected-error @below {{'kiln.transpose' op expected 'perm' to be a permutation of [0, 2), got [1]}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.transpose %x {perm = array<i64: 1>} : (tensor<2x3xf32>) -> tensor<3xf32>
  return
}

// -----

func.func @case82() {
  // expected-error @below {{'kiln.concat' op expected at least one input}}
  // expected-error @below {{failed to infer returned types}}
  %0 = "kiln.concat"() {axis = 0 : i64} : () -> tensor<2xf32>
  return
}

// -----

func.func @case83(%x: tensor<2x3xf32>, %y: tensor<3x3xf32>) {
  // expected-error @below {{'kiln.concat' op cannot concatenate shapes [2, 3] and [3, 3] along axis 1}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.concat %x, %y {axis = 1 : i64} : (tensor<2x3xf32>, tensor<3x3xf32>) -> tensor<2x6xf32>
  return
}

// -----

func.func @case84(%x: tensor<2xf32>, %y: tensor<2xi32>) {
  // expected-error @below {{'kiln.concat' op expected 'inputs' to have element type 'f32', got 'i32'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.concat %x, %y {axis = 0 : i64} : (tensor<2xf32>, tensor<2xi32>) -> tensor<4xf32>
  return
}

// -----

func.func @case85(%x: tensor<2xf32>) {
  // expected-error @below {{'kiln.concat' op expected 'axis' in [0, 1), got 1}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.concat %x, %x {axis = 1 : i64} : (tensor<2xf32>, tensor<2xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @case86(%x: tensor<2x4xf32>) {
  // expected-error @below {{'kiln.split' op expected 'axis' in [0, 2), got 2}}
  %0:2 = kiln.split %x {axis = 2 : i64} : (tensor<2x4xf32>) -> (tensor<2x2xf32>, tensor<2x2xf32>)
  return
}

// -----

func.func @case87(%x: tensor<2x4xf32>) {
  // expected-error @below {{'kiln.split' op expected at least one result}}
  "kiln.split"(%x) {axis = 0 : i64} : (tensor<2x4xf32>) -> ()
  return
}

// -----

func.func @case88(%x: tensor<2x4xf32>) {
  // expected-error @below {{'kiln.split' op result type 'tensor<3x2xf32>' is not a piece of 'tensor<2x4xf32>' along axis 1}}
  %0:2 = kiln.split %x {axis = 1 : i64} : (tensor<2x4xf32>) -> (tensor<2x2xf32>, tensor<3x2xf32>)
  return
}

// -----

func.func @case89(%x: tensor<2x4xf32>) {
  // expected-error @below {{'kiln.split' op result sizes along axis 1 add up to 3, expected 4}}
  %0:2 = kiln.split %x {axis = 1 : i64} : (tensor<2x4xf32>) -> (tensor<2x2xf32>, tensor<2x1xf32>)
  return
}

// -----

func.func @case90(%x: tensor<2x4xf32>) {
  // expected-error @below {{'kiln.slice' op expected a result of rank 2 and element type 'f32', got 'tensor<2xf32>'}}
  %0 = kiln.slice %x {offsets = array<i64: 0>, strides = array<i64: 1>} : (tensor<2x4xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @case91(%x: tensor<2x4xf32>) {
  // expected-error @below {{'kiln.slice' op expected 'offsets' and 'strides' to have 2 values (one per dim), got 1 and 2}}
  %0 = kiln.slice %x {offsets = array<i64: 0>, strides = array<i64: 1, 1>} : (tensor<2x4xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @case92(%x: tensor<2x4xf32>) {
  // expected-error @below {{'kiln.slice' op expected non-zero 'strides', got [1, 0]}}
  %0 = kiln.slice %x {offsets = array<i64: 0, 0>, strides = array<i64: 1, 0>} : (tensor<2x4xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @case93(%x: tensor<2x4xf32>) {
  // expected-error @below {{'kiln.slice' op slice along dim 1 reads indices 1 to 4, outside [0, 4)}}
  %0 = kiln.slice %x {offsets = array<i64: 0, 1>, strides = array<i64: 1, 1>} : (tensor<2x4xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @case94(%x: tensor<2x4xf32>) {
  // expected-error @below {{'kiln.slice' op slice along dim 0 reads indices 1 to -1, outside [0, 2)}}
  %0 = kiln.slice %x {offsets = array<i64: 1, 0>, strides = array<i64: -2, 1>} : (tensor<2x4xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @case95(%x: tensor<2x4xf32>, %i: tensor<3xi64>) {
  // expected-error @below {{'kiln.gather' op expected 'axis' in [0, 2), got 2}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.gather %x, %i {axis = 2 : i64} : (tensor<2x4xf32>, tensor<3xi64>) -> tensor<2x3xf32>
  return
}

// -----

func.func @case96(%x: tensor<0x4xf32>, %i: tensor<3xi64>) {
  // expected-error @below {{'kiln.gather' op cannot gather from an empty dim}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.gather %x, %i {axis = 0 : i64} : (tensor<0x4xf32>, tensor<3xi64>) -> tensor<3x4xf32>
  return
}

// -----

func.func @case97(%x: tensor<3x1xf32>) {
  // expected-error @below {{'kiln.expand' op expected the result element type 'i32' to match the input's, 'f32'}}
  %0 = kiln.expand %x : (tensor<3x1xf32>) -> tensor<3x4xi32>
  return
}

// -----

func.func @case98(%x: tensor<3x2xf32>) {
  // expected-error @below {{'kiln.expand' op cannot broadcast [3, 2] to [2, 3]}}
  %0 = kiln.expand %x : (tensor<3x2xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @case99(%x: tensor<2x3xf32>) {
  // expected-error @below {{'kiln.pad' op expected 'pads' to have 4 values (begin then end of each dim), got 2}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.pad constant %x {pads = array<i64: 1, 1>} : (tensor<2x3xf32>) -> tensor<4x3xf32>
  return
}

// -----

func.func @case100(%x: tensor<2x3xf32>) {
  // expected-error @below {{'kiln.pad' op pads [0, -2, 0, -2] crop dim 1 (size 3) to a negative size}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.pad constant %x {pads = array<i64: 0, -2, 0, -2>} : (tensor<2x3xf32>) -> tensor<2x0xf32>
  return
}

// -----

func.func @case101(%x: tensor<0x3xf32>) {
  // expected-error @below {{'kiln.pad' op 'edge' padding needs a non-empty dim 0}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.pad edge %x {pads = array<i64: 1, 0, 0, 0>} : (tensor<0x3xf32>) -> tensor<1x3xf32>
  return
}

// -----

func.func @case102(%x: tensor<2x3xf32>) {
  // expected-error @below {{'kiln.pad' op 'reflect' pads must be smaller than the dim size; dim 1 has size 3, pads [0, 3, 0, 0]}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.pad reflect %x {pads = array<i64: 0, 3, 0, 0>} : (tensor<2x3xf32>) -> tensor<2x6xf32>
  return
}

// -----

func.func @case103(%x: tensor<2x3xf32>) {
  // expected-error @below {{'kiln.cast' op expected the result shape [3, 2] to match the input's, [2, 3]}}
  %0 = kiln.cast %x : tensor<2x3xf32> to tensor<3x2xi32>
  return
}

// -----

func.func @case104(%x: tensor<1x2x4x4xf32>) {
  // expected-error @below {{'kiln.resize' op expected a result of rank 4 and element type 'f32', got 'tensor<1x2x8xf32>'}}
  %0 = kiln.resize nearest %x {scales = array<f32: 1.0, 1.0, 2.0, 2.0>} : (tensor<1x2x4x4xf32>) -> tensor<1x2x8xf32>
  return
}

// -----

func.func @case105(%x: tensor<1x2x4x4xf32>) {
  // expected-error @below {{'kiln.resize' op expected 'scales' to have 4 values (one per dim), got 2}}
  %0 = kiln.resize nearest %x {scales = array<f32: 2.0, 2.0>} : (tensor<1x2x4x4xf32>) -> tensor<1x2x8x8xf32>
  return
}

// -----

func.func @case106(%x: tensor<1x2x4x4xf32>) {
  // expected-error @below {{'kiln.resize' op expected 'scales' values to be positive}}
  %0 = kiln.resize linear %x {scales = array<f32: 1.0, 1.0, 0.0, 2.0>} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @case107(%x: tensor<1x2x0x4xf32>) {
  // expected-error @below {{'kiln.resize' op cannot resize to or from an empty tensor}}
  %0 = kiln.resize linear %x {scales = array<f32: 1.0, 1.0, 1.0, 2.0>} : (tensor<1x2x0x4xf32>) -> tensor<1x2x0x8xf32>
  return
}

// -----

func.func @case108(%x: tensor<5x8xf32>, %w: tensor<1x12x8xf32>, %r: tensor<1x12x4xf32>) {
  // expected-error @below {{'kiln.gru' op expected 'x' of rank 3 (seq x batch x input), got rank 2}}
  // expected-error @below {{failed to infer returned types}}
  %0:2 = kiln.gru %x, %w, %r {hidden_size = 4 : i64} : (tensor<5x8xf32>, tensor<1x12x8xf32>, tensor<1x12x4xf32>) -> (tensor<5x1x1x4xf32>, tensor<1x1x4xf32>)
  return
}

// -----

func.func @case109(%x: tensor<5x2x8xf32>, %w: tensor<1x12x8xf32>, %r: tensor<1x12x4xf32>) {
  // expected-error @below {{'kiln.gru' op expected 'hidden_size' to be positive, got 0}}
  // expected-error @below {{failed to infer returned types}}
  %0:2 = kiln.gru %x, %w, %r {hidden_size = 0 : i64} : (tensor<5x2x8xf32>, tensor<1x12x8xf32>, tensor<1x12x4xf32>) -> (tensor<5x1x2x4xf32>, tensor<1x2x4xf32>)
  return
}

// -----

func.func @case110(%x: tensor<5x2x8xf32>, %w: tensor<1x12x8xf32>, %r: tensor<1x12x4xf32>) {
  // expected-error @below {{'kiln.gru' op expected 'w' of shape [2, 12, 8], got [1, 12, 8]}}
  // expected-error @below {{failed to infer returned types}}
  %0:2 = kiln.gru %x, %w, %r {hidden_size = 4 : i64, direction = #kiln<direction bidirectional>} : (tensor<5x2x8xf32>, tensor<1x12x8xf32>, tensor<1x12x4xf32>) -> (tensor<5x2x2x4xf32>, tensor<2x2x4xf32>)
  return
}

// -----

func.func @case111(%x: tensor<5x2x8xf32>, %w: tensor<1x4x8xf32>, %r: tensor<1x4x8xf32>) {
  // expected-error @below {{'kiln.rnn' op expected 'r' of shape [1, 4, 4], got [1, 4, 8]}}
  // expected-error @below {{failed to infer returned types}}
  %0:2 = kiln.rnn %x, %w, %r {hidden_size = 4 : i64} : (tensor<5x2x8xf32>, tensor<1x4x8xf32>, tensor<1x4x8xf32>) -> (tensor<5x1x2x4xf32>, tensor<1x2x4xf32>)
  return
}

// -----

func.func @case112(%x: tensor<5x2x8xf32>, %w: tensor<1x4x8xf32>, %r: tensor<1x4x4xf32>, %l: tensor<3xi32>) {
  // expected-error @below {{'kiln.rnn' op expected 'sequence_lens' of shape [2], got [3]}}
  // expected-error @below {{failed to infer returned types}}
  %0:2 = kiln.rnn %x, %w, %r sequence_lens %l {hidden_size = 4 : i64} : (tensor<5x2x8xf32>, tensor<1x4x8xf32>, tensor<1x4x4xf32>, tensor<3xi32>) -> (tensor<5x1x2x4xf32>, tensor<1x2x4xf32>)
  return
}

// -----

func.func @case113(%x: tensor<5x2x8xf32>, %w: tensor<1x16x8xf32>, %r: tensor<1x16x4xf32>, %p: tensor<1x16xf32>) {
  // expected-error @below {{'kiln.lstm' op expected 'p' of shape [1, 12], got [1, 16]}}
  // expected-error @below {{failed to infer returned types}}
  %0:3 = kiln.lstm %x, %w, %r peepholes %p {hidden_size = 4 : i64} : (tensor<5x2x8xf32>, tensor<1x16x8xf32>, tensor<1x16x4xf32>, tensor<1x16xf32>) -> (tensor<5x1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>)
  return
}

// -----

func.func @case114(%x: tensor<5x2x8xf32>, %w: tensor<1x16x8xf32>, %r: tensor<1x16x4xf32>, %c: tensor<1x2x4xf16>) {
  // expected-error @below {{'kiln.lstm' op expected 'initial_c' to have element type 'f32', got 'f16'}}
  // expected-error @below {{failed to infer returned types}}
  %0:3 = kiln.lstm %x, %w, %r initial_c %c {hidden_size = 4 : i64} : (tensor<5x2x8xf32>, tensor<1x16x8xf32>, tensor<1x16x4xf32>, tensor<1x2x4xf16>) -> (tensor<5x1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>)
  return
}

// -----

func.func @case115(%x: tensor<5x2x8xf32>, %w: tensor<2x12x8xf32>, %r: tensor<2x12x4xf32>) {
  // expected-error @below {{'kiln.gru' op expected 'activations' to list 4 functions (2 per direction), got 2}}
  // expected-error @below {{failed to infer returned types}}
  %0:2 = kiln.gru %x, %w, %r {hidden_size = 4 : i64, direction = #kiln<direction bidirectional>, activations = [#kiln<unary sigmoid>, #kiln<unary tanh>]} : (tensor<5x2x8xf32>, tensor<2x12x8xf32>, tensor<2x12x4xf32>) -> (tensor<5x2x2x4xf32>, tensor<2x2x4xf32>)
  return
}

// -----

func.func @case116(%x: tensor<5x2x8xf32>, %w: tensor<1x4x8xf32>, %r: tensor<1x4x4xf32>) {
  // expected-error @below {{'kiln.rnn' op 'not' is not an activation}}
  // expected-error @below {{failed to infer returned types}}
  %0:2 = kiln.rnn %x, %w, %r {hidden_size = 4 : i64, activations = [#kiln<unary not>]} : (tensor<5x2x8xf32>, tensor<1x4x8xf32>, tensor<1x4x4xf32>) -> (tensor<5x1x2x4xf32>, tensor<1x2x4xf32>)
  return
}

// -----

func.func @case117(%x: tensor<5x2x8xf32>, %w: tensor<1x4x8xf32>, %r: tensor<1x4x4xf32>) {
  // expected-error @below {{'kiln.rnn' op expected 'activation_alpha' and 'activation_beta' to be empty or hold one value per activation (1), got 2 and 0}}
  // expected-error @below {{failed to infer returned types}}
  %0:2 = kiln.rnn %x, %w, %r {hidden_size = 4 : i64, activations = [#kiln<unary leaky_relu>], activation_alpha = array<f32: 0.1, 0.2>} : (tensor<5x2x8xf32>, tensor<1x4x8xf32>, tensor<1x4x4xf32>) -> (tensor<5x1x2x4xf32>, tensor<1x2x4xf32>)
  return
}

// -----

func.func @case118(%x: tensor<5x2x8xf32>, %w: tensor<1x4x8xf32>, %r: tensor<1x4x4xf32>) {
  // expected-error @below {{'kiln.rnn' op expected 'clip' to be positive}}
  // expected-error @below {{failed to infer returned types}}
  %0:2 = kiln.rnn %x, %w, %r {hidden_size = 4 : i64, clip = 0.0 : f32} : (tensor<5x2x8xf32>, tensor<1x4x8xf32>, tensor<1x4x4xf32>) -> (tensor<5x1x2x4xf32>, tensor<1x2x4xf32>)
  return
}

// -----

func.func @case119(%q: tensor<2x10x16xf32>, %k: tensor<2x2x12x16xf32>, %v: tensor<2x2x12x16xf32>) {
  // expected-error @below {{'kiln.attention' op expected 'q', 'k' and 'v' of rank 4 (batch x heads x sequence x head size), got ranks 3, 4 and 4}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.attention %q, %k, %v : (tensor<2x10x16xf32>, tensor<2x2x12x16xf32>, tensor<2x2x12x16xf32>) -> tensor<2x2x10x16xf32>
  return
}

// -----

func.func @case120(%q: tensor<2x2x10x16xf32>, %k: tensor<2x2x12x16xf32>, %v: tensor<2x2x12x16xf16>) {
  // expected-error @below {{'kiln.attention' op expected 'v' to have element type 'f32', got 'f16'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.attention %q, %k, %v : (tensor<2x2x10x16xf32>, tensor<2x2x12x16xf32>, tensor<2x2x12x16xf16>) -> tensor<2x2x10x16xf32>
  return
}

// -----

func.func @case121(%q: tensor<2x2x10x16xf32>, %k: tensor<1x2x12x16xf32>, %v: tensor<1x2x12x16xf32>) {
  // expected-error @below {{'kiln.attention' op expected 'q', 'k' and 'v' to share the batch size 2}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.attention %q, %k, %v : (tensor<2x2x10x16xf32>, tensor<1x2x12x16xf32>, tensor<1x2x12x16xf32>) -> tensor<2x2x10x16xf32>
  return
}

// -----

func.func @case122(%q: tensor<2x2x10x16xf32>, %k: tensor<2x2x12x8xf32>, %v: tensor<2x2x12x16xf32>) {
  // expected-error @below {{'kiln.attention' op expected 'k' head size 8 to match 'q' head size 16}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.attention %q, %k, %v : (tensor<2x2x10x16xf32>, tensor<2x2x12x8xf32>, tensor<2x2x12x16xf32>) -> tensor<2x2x10x16xf32>
  return
}

// -----

func.func @case123(%q: tensor<2x2x10x16xf32>, %k: tensor<2x2x12x16xf32>, %v: tensor<2x2x11x16xf32>) {
  // expected-error @below {{'kiln.attention' op expected 'v' to have the heads and sequence length of 'k' (2 x 12), got 2 x 11}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.attention %q, %k, %v : (tensor<2x2x10x16xf32>, tensor<2x2x12x16xf32>, tensor<2x2x11x16xf32>) -> tensor<2x2x10x16xf32>
  return
}

// -----

func.func @case124(%q: tensor<2x4x10x16xf32>, %k: tensor<2x3x12x16xf32>, %v: tensor<2x3x12x16xf32>) {
  // expected-error @below {{'kiln.attention' op expected the query heads (4) to be a multiple of the key/value heads (3)}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.attention %q, %k, %v : (tensor<2x4x10x16xf32>, tensor<2x3x12x16xf32>, tensor<2x3x12x16xf32>) -> tensor<2x4x10x16xf32>
  return
}

// -----

func.func @case125(%q: tensor<2x2x10x16xf32>, %k: tensor<2x2x12x16xf32>, %v: tensor<2x2x12x16xf32>, %m: tensor<10x12xi32>) {
  // expected-error @below {{'kiln.attention' op expected 'mask' of element type i1 or 'f32', got 'i32'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.attention %q, %k, %v mask %m : (tensor<2x2x10x16xf32>, tensor<2x2x12x16xf32>, tensor<2x2x12x16xf32>, tensor<10x12xi32>) -> tensor<2x2x10x16xf32>
  return
}

// -----

func.func @case126(%q: tensor<2x2x10x16xf32>, %k: tensor<2x2x12x16xf32>, %v: tensor<2x2x12x16xf32>, %m: tensor<12x10xi1>) {
  // expected-error @below {{'kiln.attention' op expected 'mask' of shape [12, 10] to broadcast to [2, 2, 10, 12]}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.attention %q, %k, %v mask %m : (tensor<2x2x10x16xf32>, tensor<2x2x12x16xf32>, tensor<2x2x12x16xf32>, tensor<12x10xi1>) -> tensor<2x2x10x16xf32>
  return
}

// -----

func.func @case127(%q: tensor<2x2x10x16xf32>, %k: tensor<2x2x12x16xf32>, %v: tensor<2x2x12x16xf32>) {
  // expected-error @below {{'kiln.attention' op expected 'softcap' to be positive}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.attention %q, %k, %v {softcap = -1.0 : f32} : (tensor<2x2x10x16xf32>, tensor<2x2x12x16xf32>, tensor<2x2x12x16xf32>) -> tensor<2x2x10x16xf32>
  return
}

// -----

func.func @case128(%q: tensor<2x2x10x16xf32>, %k: tensor<2x2x12x16xf32>, %v: tensor<2x2x12x16xf32>) {
  // expected-error @below {{'kiln.attention' op expected 'scale' to be finite and non-zero}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.attention %q, %k, %v {scale = 0.0 : f32} : (tensor<2x2x10x16xf32>, tensor<2x2x12x16xf32>, tensor<2x2x12x16xf32>) -> tensor<2x2x10x16xf32>
  return
}

// -----

func.func @case129() {
  // expected-error @below {{'kiln.constant' op expected 'value' to have a statically shaped tensor type, got 'vector<2xf32>'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = "kiln.constant"() <{value = dense<1.0> : vector<2xf32>}> : () -> tensor<2xf32>
  return
}

// -----

func.func @reduce_bool(%x: tensor<2x3xi1>) {
  // expected-error @below {{'kiln.reduce' op 'sum' reduction does not accept element type 'i1'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.reduce sum %x {axes = array<i64: 1>} : (tensor<2x3xi1>) -> tensor<2xi1>
  return
}

// -----

func.func @attention_offset(%q: tensor<1x1x2x4xf32>, %k: tensor<1x1x3x4xf32>) {
  // expected-error @below {{'kiln.attention' op expected 'causal_offset' to be non-negative, got -1}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.attention %q, %k, %k {is_causal, causal_offset = -1 : i64} : (tensor<1x1x2x4xf32>, tensor<1x1x3x4xf32>, tensor<1x1x3x4xf32>) -> tensor<1x1x2x4xf32>
  return
}

// -----

func.func @gather_elements_rank(%d: tensor<3x4xf32>, %i: tensor<2xi64>) {
  // expected-error @below {{'kiln.gather_elements' op expected 'indices' of rank 2 like the data, got rank 1}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.gather_elements %d, %i {axis = 0 : i64} : (tensor<3x4xf32>, tensor<2xi64>) -> tensor<2xf32>
  return
}

// -----

func.func @gather_elements_fit(%d: tensor<3x4xf32>, %i: tensor<2x5xi64>) {
  // expected-error @below {{'kiln.gather_elements' op expected 'indices' [2, 5] to fit inside the data [3, 4] off the axis}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.gather_elements %d, %i {axis = 0 : i64} : (tensor<3x4xf32>, tensor<2x5xi64>) -> tensor<2x5xf32>
  return
}

// -----

func.func @attention_fill_without_bool_mask(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>, %m: tensor<1x1x1x4xf32>) {
  // expected-error @below {{'kiln.attention' op expected 'mask_fill' only with an i1 mask}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.attention %q, %k, %v mask %m {mask_fill = -1.0e9 : f32} : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x1x1x4xf32>) -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @attention_fill_not_finite(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>, %m: tensor<1x1x1x4xi1>) {
  // expected-error @below {{'kiln.attention' op expected 'mask_fill' to be finite}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.attention %q, %k, %v mask %m {mask_fill = 0xFF800000 : f32} : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x1x1x4xi1>) -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @fused_deconv_channels(%x: tensor<1x3x4x4xf32>, %w: tensor<4x2x3x3xf32>) {
  // expected-error @below {{'kiln.fused_conv_transpose' op expected weight dim 0 to be the input channels (3), got 4}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.fused_conv_transpose %x, %w activation relu : (tensor<1x3x4x4xf32>, tensor<4x2x3x3xf32>) -> tensor<1x2x6x6xf32>
  return
}

// -----

func.func @fused_deconv_activation(%x: tensor<1x4x4x4xf32>, %w: tensor<4x2x3x3xf32>) {
  // expected-error @below {{'kiln.fused_conv_transpose' op 'activation_beta' is not a parameter of 'leaky_relu'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.fused_conv_transpose %x, %w activation leaky_relu {activation_beta = 0.1 : f32} : (tensor<1x4x4x4xf32>, tensor<4x2x3x3xf32>) -> tensor<1x2x6x6xf32>
  return
}

// -----

func.func @fm_rank(%x: tensor<16xf32>, %w: tensor<16x4xf32>) {
  // expected-error @below {{'kiln.fused_matmul' op expected an 'input' of rank 2 or more and a 2-d 'weight', got ranks 1 and 2}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.fused_matmul %x, %w activation relu : (tensor<16xf32>, tensor<16x4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @fm_contract(%x: tensor<2x16xf32>, %w: tensor<8x4xf32>) {
  // expected-error @below {{'kiln.fused_matmul' op contracting dims differ: input [2, 16] has 16, weight [8, 4] has 8}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.fused_matmul %x, %w activation relu : (tensor<2x16xf32>, tensor<8x4xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @fm_bias(%x: tensor<2x16xf32>, %w: tensor<16x4xf32>, %b: tensor<2x4xf32>) {
  // expected-error @below {{'kiln.fused_matmul' op expected 'bias' of shape [4], got [2, 4]}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.fused_matmul %x, %w bias %b : (tensor<2x16xf32>, tensor<16x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @fm_residual(%x: tensor<2x16xf32>, %w: tensor<16x4xf32>, %r: tensor<1x4xf32>) {
  // expected-error @below {{'kiln.fused_matmul' op expected 'residual' of shape [2, 4], got [1, 4]}}
  // expected-error @below {{failed to infer returned types}}
  %0 = kiln.fused_matmul %x, %w residual %r : (tensor<2x16xf32>, tensor<16x4xf32>, tensor<1x4xf32>) -> tensor<2x4xf32>
  return
}

// -----

// A projected x holds x * w^T + wb of every direction: 12 values a step.
func.func @projected_x(%x: tensor<5x2x8xf32>, %w: tensor<1x12x8xf32>, %r: tensor<1x12x4xf32>) {
  // expected-error @below {{'kiln.gru' op expected the projected 'x' to end in 12 (dirs x gates x hidden), got 8}}
  // expected-error @below {{failed to infer returned types}}
  %0:2 = kiln.gru %x, %w, %r {hidden_size = 4 : i64, projected} : (tensor<5x2x8xf32>, tensor<1x12x8xf32>, tensor<1x12x4xf32>) -> (tensor<5x1x2x4xf32>, tensor<1x2x4xf32>)
  return
}

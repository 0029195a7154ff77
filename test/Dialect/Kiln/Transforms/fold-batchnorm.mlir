// RUN: kiln-opt %s -kiln-fold-batchnorm -canonicalize -cse -split-input-file | FileCheck %s
// RUN: kiln-opt %s -kiln-fold-batchnorm=report=true -split-input-file 2>&1 >/dev/null | FileCheck %s --check-prefix=REPORT

// s = scale / sqrt(var + eps) = [2/sqrt(4), 3/sqrt(9)] = [1, 1] scaled by
// [1, 1]... made distinct: scale [2, 6], var [4 - eps, 9 - eps] ~ [4, 9]
// gives s = [1, 2]; w' = w * s per output channel, b' = (b - mean) * s +
// shift = ([1, 1] - [0, 1]) * [1, 2] + [0.5, 0] = [1.5, 0].
// CHECK-LABEL: func @conv_bn
// CHECK-DAG: %[[W:.*]] = kiln.constant dense<{{\[\[\[\[}}1.000000e+00]], {{\[\[}}2.000000e+00]]], {{\[\[\[}}6.000000e+00]], {{\[\[}}8.000000e+00]]]]> : tensor<2x2x1x1xf32>
// CHECK-DAG: %[[B:.*]] = kiln.constant dense<[1.500000e+00, 0.000000e+00]> : tensor<2xf32>
// CHECK: %[[C:.*]] = kiln.conv %arg0, %[[W]], %[[B]]
// CHECK-NOT: kiln.batch_norm
// CHECK: return %[[C]]
// REPORT: remark: folded the batch norm into the weights of kiln.conv
func.func @conv_bn(%x: tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32> {
  %w = kiln.constant dense<[[[[1.0]], [[2.0]]], [[[3.0]], [[4.0]]]]> : tensor<2x2x1x1xf32>
  %b = kiln.constant dense<[1.0, 1.0]> : tensor<2xf32>
  %scale = kiln.constant dense<[2.0, 6.0]> : tensor<2xf32>
  %shift = kiln.constant dense<[0.5, 0.0]> : tensor<2xf32>
  %mean = kiln.constant dense<[0.0, 1.0]> : tensor<2xf32>
  %var = kiln.constant dense<[4.0, 9.0]> : tensor<2xf32>
  %0 = kiln.conv %x, %w, %b : (tensor<1x2x3x3xf32>, tensor<2x2x1x1xf32>, tensor<2xf32>) -> tensor<1x2x3x3xf32>
  %1 = kiln.batch_norm %0, %scale, %shift, %mean, %var {epsilon = 0.0 : f32} : (tensor<1x2x3x3xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x3x3xf32>
  return %1 : tensor<1x2x3x3xf32>
}

// -----

// A transposed convolution's output channel m of group g is weight column
// m % (M/g) of rows g*(C/g)...: here one group, weight [C=1, M=2, 1, 1];
// a constant scale [1, 2, 1, 1] then a constant shift fold in turn.
// CHECK-LABEL: func @deconv_mul_add
// CHECK-DAG: %[[W:.*]] = kiln.constant dense<{{\[\[\[\[}}3.000000e+00]], {{\[\[}}8.000000e+00]]]]> : tensor<1x2x1x1xf32>
// CHECK-DAG: %[[B:.*]] = kiln.constant dense<5.000000e+00> : tensor<2xf32>
// CHECK: kiln.conv_transpose %arg0, %[[W]], %[[B]]
// CHECK-NOT: kiln.binary
func.func @deconv_mul_add(%x: tensor<1x1x2x2xf32>) -> tensor<1x2x2x2xf32> {
  %w = kiln.constant dense<[[[[1.0]], [[2.0]]]]> : tensor<1x2x1x1xf32>
  %s = kiln.constant dense<[[[3.0]], [[4.0]]]> : tensor<2x1x1xf32>
  %t = kiln.constant dense<5.0> : tensor<1xf32>
  %0 = kiln.conv_transpose %x, %w : (tensor<1x1x2x2xf32>, tensor<1x2x1x1xf32>) -> tensor<1x2x2x2xf32>
  %1 = kiln.binary mul %0, %s : (tensor<1x2x2x2xf32>, tensor<2x1x1xf32>) -> tensor<1x2x2x2xf32>
  %2 = kiln.binary add %t, %1 : (tensor<1xf32>, tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  return %2 : tensor<1x2x2x2xf32>
}

// -----

// Gemm with transposed weights [N, K]: row n scales by s[n] (printed after
// the canonicalizer transposed the constant weights to [K, N]).
// CHECK-LABEL: func @gemm_bn
// CHECK-DAG: %[[W:.*]] = kiln.constant dense<{{\[\[}}1.000000e+00, 2.000000e+00], [1.000000e+00, 2.000000e+00]]> : tensor<2x2xf32>
// CHECK: kiln.gemm %arg0, %[[W]], %{{.*}} :
func.func @gemm_bn(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %w = kiln.constant dense<1.0> : tensor<2x2xf32>
  %one = kiln.constant dense<1.0> : tensor<2xf32>
  %zero = kiln.constant dense<0.0> : tensor<2xf32>
  %scale = kiln.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %0 = kiln.gemm %x, %w {trans_b} : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  %1 = kiln.batch_norm %0, %scale, %zero, %zero, %one {epsilon = 0.0 : f32} : (tensor<3x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<3x2xf32>
  return %1 : tensor<3x2xf32>
}

// -----

// Near misses: the convolution's result has another user; the scale varies
// along a spatial dim; the weights are not constants.
// CHECK-LABEL: func @near_misses
// CHECK: kiln.batch_norm
// CHECK: kiln.binary mul
// CHECK: kiln.batch_norm
// REPORT: remark: not folded: the batch norm's input has other users than it
// REPORT: remark: not folded: the other operand is not a constant per channel
// REPORT: remark: not folded: its weights or bias are not f32 constants
func.func @near_misses(%x: tensor<1x2x3x3xf32>, %wv: tensor<2x2x1x1xf32>) -> (tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>) {
  %w = kiln.constant dense<1.0> : tensor<2x2x1x1xf32>
  %c = kiln.constant dense<1.0> : tensor<2xf32>
  %plane = kiln.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
  %0 = kiln.conv %x, %w : (tensor<1x2x3x3xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x3x3xf32>
  %1 = kiln.batch_norm %0, %c, %c, %c, %c : (tensor<1x2x3x3xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x3x3xf32>
  %2 = kiln.conv %x, %w : (tensor<1x2x3x3xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x3x3xf32>
  %3 = kiln.binary mul %2, %plane : (tensor<1x2x3x3xf32>, tensor<3xf32>) -> tensor<1x2x3x3xf32>
  %4 = kiln.conv %x, %wv : (tensor<1x2x3x3xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x3x3xf32>
  %5 = kiln.batch_norm %4, %c, %c, %c, %c : (tensor<1x2x3x3xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x3x3xf32>
  return %0, %1, %3, %5 : tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>
}

// RUN: kiln-opt %s | FileCheck %s
// Printed IR parses back to the same IR, in custom and in generic form.
// RUN: kiln-opt %s | kiln-opt | FileCheck %s
// RUN: kiln-opt %s --mlir-print-op-generic | kiln-opt | FileCheck %s

// CHECK-LABEL: func @constants
func.func @constants() -> (tensor<2xf32>, tensor<2x2xi64>, tensor<i1>) {
  // CHECK: kiln.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
  %0 = kiln.constant dense<[1.0, 2.0]> : tensor<2xf32>
  // CHECK: kiln.constant dense<{{\[\[}}1, 2], [3, 4]]> : tensor<2x2xi64>
  %1 = kiln.constant dense<[[1, 2], [3, 4]]> : tensor<2x2xi64>
  // CHECK: kiln.constant dense<true> : tensor<i1>
  %2 = kiln.constant dense<true> : tensor<i1>
  return %0, %1, %2 : tensor<2xf32>, tensor<2x2xi64>, tensor<i1>
}

// CHECK-LABEL: func @convolutions
func.func @convolutions(%x1: tensor<1x4x10xf32>, %w1: tensor<8x2x3xf32>,
                        %x2: tensor<1x3x32x32xf32>, %w2: tensor<16x3x3x3xf32>,
                        %b2: tensor<16xf32>,
                        %x3: tensor<1x2x4x8x8xf32>, %w3: tensor<4x2x3x3x3xf32>,
                        %t: tensor<1x16x8x8xf32>, %tw: tensor<16x4x4x4xf32>,
                        %tb: tensor<8xf32>) {
  // CHECK: kiln.conv %{{.*}}, %{{.*}} {dilations = array<i64: 2>, group = 2 : i64} : (tensor<1x4x10xf32>, tensor<8x2x3xf32>) -> tensor<1x8x6xf32>
  %0 = kiln.conv %x1, %w1 {group = 2 : i64, dilations = array<i64: 2>} : (tensor<1x4x10xf32>, tensor<8x2x3xf32>) -> tensor<1x8x6xf32>
  // CHECK: kiln.conv %{{.*}}, %{{.*}}, %{{.*}} {pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x3x32x32xf32>, tensor<16x3x3x3xf32>, tensor<16xf32>) -> tensor<1x16x16x16xf32>
  %1 = kiln.conv %x2, %w2, %b2 {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x3x32x32xf32>, tensor<16x3x3x3xf32>, tensor<16xf32>) -> tensor<1x16x16x16xf32>
  // CHECK: kiln.conv {{.*}} -> tensor<1x4x2x6x6xf32>
  %2 = kiln.conv %x3, %w3 : (tensor<1x2x4x8x8xf32>, tensor<4x2x3x3x3xf32>) -> tensor<1x4x2x6x6xf32>
  // CHECK: kiln.conv_transpose %{{.*}}, %{{.*}}, %{{.*}} {group = 2 : i64, output_padding = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x16x8x8xf32>, tensor<16x4x4x4xf32>, tensor<8xf32>) -> tensor<1x8x17x17xf32>
  %3 = kiln.conv_transpose %t, %tw, %tb {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, output_padding = array<i64: 1, 1>, group = 2 : i64} : (tensor<1x16x8x8xf32>, tensor<16x4x4x4xf32>, tensor<8xf32>) -> tensor<1x8x17x17xf32>
  return
}

// CHECK-LABEL: func @pooling
func.func @pooling(%x: tensor<1x8x7x7xf32>, %v: tensor<2x3x9xf32>) {
  // CHECK: kiln.pool max %{{.*}} {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x8x7x7xf32>) -> tensor<1x8x3x3xf32>
  %0 = kiln.pool max %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x8x7x7xf32>) -> tensor<1x8x3x3xf32>
  // CHECK: kiln.pool max %{{.*}} {ceil_mode, kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x8x7x7xf32>) -> tensor<1x8x4x4xf32>
  %1 = kiln.pool max %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, ceil_mode} : (tensor<1x8x7x7xf32>) -> tensor<1x8x4x4xf32>
  // CHECK: kiln.pool avg %{{.*}} {count_include_pad, kernel_shape = array<i64: 3>, pads = array<i64: 1, 1>} : (tensor<2x3x9xf32>) -> tensor<2x3x9xf32>
  %2 = kiln.pool avg %v {kernel_shape = array<i64: 3>, pads = array<i64: 1, 1>, count_include_pad} : (tensor<2x3x9xf32>) -> tensor<2x3x9xf32>
  // CHECK: kiln.pool max %{{.*}} {dilations = array<i64: 2, 2>, kernel_shape = array<i64: 2, 2>} : (tensor<1x8x7x7xf32>) -> tensor<1x8x5x5xf32>
  %3 = kiln.pool max %x {kernel_shape = array<i64: 2, 2>, dilations = array<i64: 2, 2>} : (tensor<1x8x7x7xf32>) -> tensor<1x8x5x5xf32>
  // CHECK: kiln.global_pool avg %{{.*}} : (tensor<1x8x7x7xf32>) -> tensor<1x8x1x1xf32>
  %4 = kiln.global_pool avg %x : (tensor<1x8x7x7xf32>) -> tensor<1x8x1x1xf32>
  // CHECK: kiln.global_pool max %{{.*}} : (tensor<2x3x9xf32>) -> tensor<2x3x1xf32>
  %5 = kiln.global_pool max %v : (tensor<2x3x9xf32>) -> tensor<2x3x1xf32>
  return
}

// CHECK-LABEL: func @normalization
func.func @normalization(%x: tensor<2x4x5x5xf32>, %c: tensor<4xf32>,
                         %s: tensor<2x10x16xf32>, %g: tensor<16xf32>) {
  // CHECK: kiln.batch_norm %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {epsilon = 1.000000e-03 : f32} : (tensor<2x4x5x5xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x4x5x5xf32>
  %0 = kiln.batch_norm %x, %c, %c, %c, %c {epsilon = 1.0e-3 : f32} : (tensor<2x4x5x5xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x4x5x5xf32>
  // CHECK: kiln.layer_norm %{{.*}}, %{{.*}}, %{{.*}} {axis = 2 : i64} : (tensor<2x10x16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<2x10x16xf32>
  %1 = kiln.layer_norm %s, %g, %g {axis = 2 : i64} : (tensor<2x10x16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<2x10x16xf32>
  // CHECK: kiln.layer_norm %{{.*}}, %{{.*}} {axis = 1 : i64, epsilon = 9.99999997E-7 : f32} : (tensor<2x10x16xf32>, tensor<16xf32>) -> tensor<2x10x16xf32>
  %2 = kiln.layer_norm %s, %g {axis = 1 : i64, epsilon = 1.0e-6 : f32} : (tensor<2x10x16xf32>, tensor<16xf32>) -> tensor<2x10x16xf32>
  // CHECK: kiln.lrn %{{.*}} {alpha = 2.000000e-04 : f32, size = 3 : i64} : (tensor<2x4x5x5xf32>) -> tensor<2x4x5x5xf32>
  %3 = kiln.lrn %x {size = 3 : i64, alpha = 2.0e-4 : f32} : (tensor<2x4x5x5xf32>) -> tensor<2x4x5x5xf32>
  return
}

// CHECK-LABEL: func @products
func.func @products(%a: tensor<4x1x2x3xf32>, %b: tensor<5x3x6xf32>,
                    %v: tensor<3xf32>, %i: tensor<2x3xi32>, %j: tensor<3x2xi32>,
                    %m: tensor<8x16xf32>, %n: tensor<4x16xf32>, %c: tensor<4xf32>) {
  // CHECK: kiln.matmul %{{.*}}, %{{.*}} : (tensor<4x1x2x3xf32>, tensor<5x3x6xf32>) -> tensor<4x5x2x6xf32>
  %0 = kiln.matmul %a, %b : (tensor<4x1x2x3xf32>, tensor<5x3x6xf32>) -> tensor<4x5x2x6xf32>
  // CHECK: kiln.matmul %{{.*}}, %{{.*}} : (tensor<3xf32>, tensor<5x3x6xf32>) -> tensor<5x6xf32>
  %1 = kiln.matmul %v, %b : (tensor<3xf32>, tensor<5x3x6xf32>) -> tensor<5x6xf32>
  // CHECK: kiln.matmul %{{.*}}, %{{.*}} : (tensor<2x3xi32>, tensor<3x2xi32>) -> tensor<2x2xi32>
  %2 = kiln.matmul %i, %j : (tensor<2x3xi32>, tensor<3x2xi32>) -> tensor<2x2xi32>
  // CHECK: kiln.gemm %{{.*}}, %{{.*}}, %{{.*}} {alpha = 5.000000e-01 : f32, trans_b} : (tensor<8x16xf32>, tensor<4x16xf32>, tensor<4xf32>) -> tensor<8x4xf32>
  %3 = kiln.gemm %m, %n, %c {trans_b, alpha = 0.5 : f32} : (tensor<8x16xf32>, tensor<4x16xf32>, tensor<4xf32>) -> tensor<8x4xf32>
  // CHECK: kiln.gemm %{{.*}}, %{{.*}} {beta = 0.000000e+00 : f32, trans_a} : (tensor<4x16xf32>, tensor<4x16xf32>) -> tensor<16x16xf32>
  %4 = kiln.gemm %n, %n {trans_a, beta = 0.0 : f32} : (tensor<4x16xf32>, tensor<4x16xf32>) -> tensor<16x16xf32>
  return
}

// CHECK-LABEL: func @unary
func.func @unary(%x: tensor<2x3xf32>, %i: tensor<4xi32>, %p: tensor<4xi1>, %h: tensor<2xf16>) {
  // CHECK: kiln.unary relu %{{.*}} : tensor<2x3xf32>
  %0 = kiln.unary relu %x : tensor<2x3xf32>
  // CHECK: kiln.unary leaky_relu %{{.*}} {alpha = 1.000000e-01 : f32} : tensor<2x3xf32>
  %1 = kiln.unary leaky_relu %x {alpha = 0.1 : f32} : tensor<2x3xf32>
  // CHECK: kiln.unary elu %{{.*}} : tensor<2x3xf32>
  %2 = kiln.unary elu %x : tensor<2x3xf32>
  // CHECK: kiln.unary selu %{{.*}} {alpha = 1.500000e+00 : f32, beta = 1.000000e+00 : f32} : tensor<2x3xf32>
  %3 = kiln.unary selu %x {alpha = 1.5 : f32, beta = 1.0 : f32} : tensor<2x3xf32>
  // CHECK: kiln.unary celu %{{.*}} : tensor<2x3xf32>
  %4 = kiln.unary celu %x : tensor<2x3xf32>
  // CHECK: kiln.unary sigmoid %{{.*}} : tensor<2x3xf32>
  %5 = kiln.unary sigmoid %x : tensor<2x3xf32>
  // CHECK: kiln.unary hard_sigmoid %{{.*}} {alpha = 1.250000e-01 : f32} : tensor<2x3xf32>
  %6 = kiln.unary hard_sigmoid %x {alpha = 0.125 : f32} : tensor<2x3xf32>
  // CHECK: kiln.unary hard_swish %{{.*}} : tensor<2x3xf32>
  %7 = kiln.unary hard_swish %x : tensor<2x3xf32>
  // CHECK: kiln.unary silu %{{.*}} : tensor<2x3xf32>
  %8 = kiln.unary silu %x : tensor<2x3xf32>
  // CHECK: kiln.unary mish %{{.*}} : tensor<2x3xf32>
  %9 = kiln.unary mish %x : tensor<2x3xf32>
  // CHECK: kiln.unary tanh %{{.*}} : tensor<2x3xf32>
  %10 = kiln.unary tanh %x : tensor<2x3xf32>
  // CHECK: kiln.unary scaled_tanh %{{.*}} {alpha = 2.000000e+00 : f32, beta = 5.000000e-01 : f32} : tensor<2x3xf32>
  %11 = kiln.unary scaled_tanh %x {alpha = 2.0 : f32, beta = 0.5 : f32} : tensor<2x3xf32>
  // CHECK: kiln.unary affine %{{.*}} {alpha = 2.000000e+00 : f32, beta = 1.000000e+00 : f32} : tensor<2x3xf32>
  %12 = kiln.unary affine %x {alpha = 2.0 : f32, beta = 1.0 : f32} : tensor<2x3xf32>
  // CHECK: kiln.unary thresholded_relu %{{.*}} : tensor<2x3xf32>
  %13 = kiln.unary thresholded_relu %x : tensor<2x3xf32>
  // CHECK: kiln.unary gelu %{{.*}} : tensor<2x3xf32>
  %14 = kiln.unary gelu %x : tensor<2x3xf32>
  // CHECK: kiln.unary gelu_tanh %{{.*}} : tensor<2x3xf32>
  %15 = kiln.unary gelu_tanh %x : tensor<2x3xf32>
  // CHECK: kiln.unary softplus %{{.*}} : tensor<2x3xf32>
  %16 = kiln.unary softplus %x : tensor<2x3xf32>
  // CHECK: kiln.unary softsign %{{.*}} : tensor<2x3xf32>
  %17 = kiln.unary softsign %x : tensor<2x3xf32>
  // CHECK: kiln.unary clip %{{.*}} {alpha = 0.000000e+00 : f32, beta = 6.000000e+00 : f32} : tensor<2x3xf32>
  %18 = kiln.unary clip %x {alpha = 0.0 : f32, beta = 6.0 : f32} : tensor<2x3xf32>
  // CHECK: kiln.unary shrink %{{.*}} : tensor<2x3xf32>
  %19 = kiln.unary shrink %x : tensor<2x3xf32>
  // CHECK: kiln.unary abs %{{.*}} : tensor<2x3xf32>
  %20 = kiln.unary abs %x : tensor<2x3xf32>
  // CHECK: kiln.unary neg %{{.*}} : tensor<2x3xf32>
  %21 = kiln.unary neg %x : tensor<2x3xf32>
  // CHECK: kiln.unary sign %{{.*}} : tensor<2x3xf32>
  %22 = kiln.unary sign %x : tensor<2x3xf32>
  // CHECK: kiln.unary reciprocal %{{.*}} : tensor<2x3xf32>
  %23 = kiln.unary reciprocal %x : tensor<2x3xf32>
  // CHECK: kiln.unary sqrt %{{.*}} : tensor<2x3xf32>
  %24 = kiln.unary sqrt %x : tensor<2x3xf32>
  // CHECK: kiln.unary exp %{{.*}} : tensor<2x3xf32>
  %25 = kiln.unary exp %x : tensor<2x3xf32>
  // CHECK: kiln.unary log %{{.*}} : tensor<2x3xf32>
  %26 = kiln.unary log %x : tensor<2x3xf32>
  // CHECK: kiln.unary erf %{{.*}} : tensor<2x3xf32>
  %27 = kiln.unary erf %x : tensor<2x3xf32>
  // CHECK: kiln.unary floor %{{.*}} : tensor<2x3xf32>
  %28 = kiln.unary floor %x : tensor<2x3xf32>
  // CHECK: kiln.unary ceil %{{.*}} : tensor<2x3xf32>
  %29 = kiln.unary ceil %x : tensor<2x3xf32>
  // CHECK: kiln.unary round %{{.*}} : tensor<2x3xf32>
  %30 = kiln.unary round %x : tensor<2x3xf32>
  // CHECK: kiln.unary sin %{{.*}} : tensor<2x3xf32>
  %31 = kiln.unary sin %x : tensor<2x3xf32>
  // CHECK: kiln.unary cos %{{.*}} : tensor<2x3xf32>
  %32 = kiln.unary cos %x : tensor<2x3xf32>
  // CHECK: kiln.unary tan %{{.*}} : tensor<2x3xf32>
  %33 = kiln.unary tan %x : tensor<2x3xf32>
  // CHECK: kiln.unary asin %{{.*}} : tensor<2x3xf32>
  %34 = kiln.unary asin %x : tensor<2x3xf32>
  // CHECK: kiln.unary acos %{{.*}} : tensor<2x3xf32>
  %35 = kiln.unary acos %x : tensor<2x3xf32>
  // CHECK: kiln.unary atan %{{.*}} : tensor<2x3xf32>
  %36 = kiln.unary atan %x : tensor<2x3xf32>
  // CHECK: kiln.unary sinh %{{.*}} : tensor<2x3xf32>
  %37 = kiln.unary sinh %x : tensor<2x3xf32>
  // CHECK: kiln.unary cosh %{{.*}} : tensor<2x3xf32>
  %38 = kiln.unary cosh %x : tensor<2x3xf32>
  // CHECK: kiln.unary asinh %{{.*}} : tensor<2x3xf32>
  %39 = kiln.unary asinh %x : tensor<2x3xf32>
  // CHECK: kiln.unary acosh %{{.*}} : tensor<2x3xf32>
  %40 = kiln.unary acosh %x : tensor<2x3xf32>
  // CHECK: kiln.unary atanh %{{.*}} : tensor<2x3xf32>
  %41 = kiln.unary atanh %x : tensor<2x3xf32>
  // CHECK: kiln.unary isnan %{{.*}} : tensor<2x3xf32>
  %42 = kiln.unary isnan %x : tensor<2x3xf32>
  // CHECK: kiln.unary isinf %{{.*}} : tensor<2x3xf32>
  %43 = kiln.unary isinf %x : tensor<2x3xf32>
  // CHECK: kiln.unary not %{{.*}} : tensor<4xi1>
  %44 = kiln.unary not %p : tensor<4xi1>
  // CHECK: kiln.unary relu %{{.*}} : tensor<4xi32>
  %45 = kiln.unary relu %i : tensor<4xi32>
  // CHECK: kiln.unary clip %{{.*}} {beta = 1.000000e+01 : f32} : tensor<4xi32>
  %46 = kiln.unary clip %i {beta = 10.0 : f32} : tensor<4xi32>
  // CHECK: kiln.unary identity %{{.*}} : tensor<2xf16>
  %47 = kiln.unary identity %h : tensor<2xf16>
  // The result of isnan is i1.
  // CHECK: kiln.compare eq %{{.*}}, %{{.*}} : (tensor<2x3xi1>, tensor<2x3xi1>) -> tensor<2x3xi1>
  %48 = kiln.compare eq %42, %43 : (tensor<2x3xi1>, tensor<2x3xi1>) -> tensor<2x3xi1>
  return
}

// CHECK-LABEL: func @binary
func.func @binary(%x: tensor<2x3xf32>, %r: tensor<3xf32>, %c: tensor<2x1xf32>,
                  %i: tensor<2x3xi64>, %p: tensor<2x3xi1>, %q: tensor<i1>) {
  // CHECK: kiln.binary add %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %0 = kiln.binary add %x, %r : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK: kiln.binary sub %{{.*}}, %{{.*}} : (tensor<2x1xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %1 = kiln.binary sub %c, %r : (tensor<2x1xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK: kiln.binary mul
  %2 = kiln.binary mul %x, %x : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: kiln.binary div
  %3 = kiln.binary div %x, %c : (tensor<2x3xf32>, tensor<2x1xf32>) -> tensor<2x3xf32>
  // CHECK: kiln.binary pow %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<2x3xi64>) -> tensor<2x3xf32>
  %4 = kiln.binary pow %x, %i : (tensor<2x3xf32>, tensor<2x3xi64>) -> tensor<2x3xf32>
  // CHECK: kiln.binary min
  %5 = kiln.binary min %x, %r : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK: kiln.binary max
  %6 = kiln.binary max %x, %r : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK: kiln.binary mod %{{.*}}, %{{.*}} : (tensor<2x3xi64>, tensor<2x3xi64>) -> tensor<2x3xi64>
  %7 = kiln.binary mod %i, %i : (tensor<2x3xi64>, tensor<2x3xi64>) -> tensor<2x3xi64>
  // CHECK: kiln.binary fmod
  %8 = kiln.binary fmod %x, %x : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: kiln.binary prelu
  %9 = kiln.binary prelu %x, %r : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK: kiln.binary and %{{.*}}, %{{.*}} : (tensor<2x3xi1>, tensor<i1>) -> tensor<2x3xi1>
  %10 = kiln.binary and %p, %q : (tensor<2x3xi1>, tensor<i1>) -> tensor<2x3xi1>
  // CHECK: kiln.binary or
  %11 = kiln.binary or %p, %p : (tensor<2x3xi1>, tensor<2x3xi1>) -> tensor<2x3xi1>
  // CHECK: kiln.binary xor
  %12 = kiln.binary xor %p, %p : (tensor<2x3xi1>, tensor<2x3xi1>) -> tensor<2x3xi1>
  // CHECK: kiln.compare ne %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
  %13 = kiln.compare ne %x, %r : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
  // CHECK: kiln.compare lt
  %14 = kiln.compare lt %x, %x : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xi1>
  // CHECK: kiln.compare le
  %15 = kiln.compare le %i, %i : (tensor<2x3xi64>, tensor<2x3xi64>) -> tensor<2x3xi1>
  // CHECK: kiln.compare gt
  %16 = kiln.compare gt %x, %c : (tensor<2x3xf32>, tensor<2x1xf32>) -> tensor<2x3xi1>
  // CHECK: kiln.compare ge
  %17 = kiln.compare ge %x, %x : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xi1>
  // CHECK: kiln.where %{{.*}}, %{{.*}}, %{{.*}} : (tensor<i1>, tensor<2x1xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %18 = kiln.where %q, %c, %r : (tensor<i1>, tensor<2x1xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return
}

// CHECK-LABEL: func @reductions
func.func @reductions(%x: tensor<2x3x4xf32>, %i: tensor<2x3xi32>) {
  // CHECK: kiln.softmax %{{.*}} {axis = 2 : i64} : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  %0 = kiln.softmax %x {axis = 2 : i64} : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  // CHECK: kiln.log_softmax %{{.*}} {axis = 0 : i64} : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  %1 = kiln.log_softmax %x {axis = 0 : i64} : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  // CHECK: kiln.reduce sum %{{.*}} {axes = array<i64: 0, 2>} : (tensor<2x3x4xf32>) -> tensor<3xf32>
  %2 = kiln.reduce sum %x {axes = array<i64: 0, 2>} : (tensor<2x3x4xf32>) -> tensor<3xf32>
  // CHECK: kiln.reduce mean %{{.*}} {axes = array<i64: 1>, keepdims} : (tensor<2x3x4xf32>) -> tensor<2x1x4xf32>
  %3 = kiln.reduce mean %x {axes = array<i64: 1>, keepdims} : (tensor<2x3x4xf32>) -> tensor<2x1x4xf32>
  // CHECK: kiln.reduce max %{{.*}} {axes = array<i64: 0, 1, 2>} : (tensor<2x3x4xf32>) -> tensor<f32>
  %4 = kiln.reduce max %x {axes = array<i64: 0, 1, 2>} : (tensor<2x3x4xf32>) -> tensor<f32>
  // CHECK: kiln.reduce min %{{.*}} {axes = array<i64: 1>} : (tensor<2x3xi32>) -> tensor<2xi32>
  %5 = kiln.reduce min %i {axes = array<i64: 1>} : (tensor<2x3xi32>) -> tensor<2xi32>
  // CHECK: kiln.reduce prod
  %6 = kiln.reduce prod %x {axes = array<i64: 2>} : (tensor<2x3x4xf32>) -> tensor<2x3xf32>
  // CHECK: kiln.reduce l1
  %7 = kiln.reduce l1 %x {axes = array<i64: 2>} : (tensor<2x3x4xf32>) -> tensor<2x3xf32>
  // CHECK: kiln.reduce l2
  %8 = kiln.reduce l2 %x {axes = array<i64: 2>} : (tensor<2x3x4xf32>) -> tensor<2x3xf32>
  // CHECK: kiln.reduce sum_square
  %9 = kiln.reduce sum_square %x {axes = array<i64: 2>} : (tensor<2x3x4xf32>) -> tensor<2x3xf32>
  // CHECK: kiln.reduce log_sum
  %10 = kiln.reduce log_sum %x {axes = array<i64: 2>} : (tensor<2x3x4xf32>) -> tensor<2x3xf32>
  // CHECK: kiln.reduce log_sum_exp %{{.*}} {axes = array<i64>} : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  %11 = kiln.reduce log_sum_exp %x {axes = array<i64>} : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  // CHECK: kiln.arg_reduce max %{{.*}} {axis = 1 : i64, keepdims, select_last_index} : (tensor<2x3x4xf32>) -> tensor<2x1x4xi64>
  %12 = kiln.arg_reduce max %x {axis = 1 : i64, keepdims, select_last_index} : (tensor<2x3x4xf32>) -> tensor<2x1x4xi64>
  // CHECK: kiln.arg_reduce min %{{.*}} {axis = 0 : i64} : (tensor<2x3xi32>) -> tensor<3xi64>
  %13 = kiln.arg_reduce min %i {axis = 0 : i64} : (tensor<2x3xi32>) -> tensor<3xi64>
  return
}

// CHECK-LABEL: func @bool_reductions
func.func @bool_reductions(%p: tensor<2x3xi1>) -> (tensor<2xi1>, tensor<3xi1>) {
  // CHECK: kiln.reduce max %{{.*}} {axes = array<i64: 1>} : (tensor<2x3xi1>) -> tensor<2xi1>
  %0 = kiln.reduce max %p {axes = array<i64: 1>} : (tensor<2x3xi1>) -> tensor<2xi1>
  // CHECK: kiln.reduce min %{{.*}} {axes = array<i64: 0>} : (tensor<2x3xi1>) -> tensor<3xi1>
  %1 = kiln.reduce min %p {axes = array<i64: 0>} : (tensor<2x3xi1>) -> tensor<3xi1>
  return %0, %1 : tensor<2xi1>, tensor<3xi1>
}

// CHECK-LABEL: func @data_movement
func.func @data_movement(%x: tensor<2x3x4xf32>, %y: tensor<2x5x4xf32>,
                         %e: tensor<10x8xf32>, %ids: tensor<2x7xi64>,
                         %r: tensor<3x1xf32>) {
  // CHECK: kiln.reshape %{{.*}} : (tensor<2x3x4xf32>) -> tensor<6x4xf32>
  %0 = kiln.reshape %x : (tensor<2x3x4xf32>) -> tensor<6x4xf32>
  // CHECK: kiln.transpose %{{.*}} {perm = array<i64: 2, 0, 1>} : (tensor<2x3x4xf32>) -> tensor<4x2x3xf32>
  %1 = kiln.transpose %x {perm = array<i64: 2, 0, 1>} : (tensor<2x3x4xf32>) -> tensor<4x2x3xf32>
  // CHECK: kiln.concat %{{.*}}, %{{.*}} {axis = 1 : i64} : (tensor<2x3x4xf32>, tensor<2x5x4xf32>) -> tensor<2x8x4xf32>
  %2 = kiln.concat %x, %y {axis = 1 : i64} : (tensor<2x3x4xf32>, tensor<2x5x4xf32>) -> tensor<2x8x4xf32>
  // CHECK: kiln.split %{{.*}} {axis = 1 : i64} : (tensor<2x5x4xf32>) -> (tensor<2x2x4xf32>, tensor<2x3x4xf32>)
  %3:2 = kiln.split %y {axis = 1 : i64} : (tensor<2x5x4xf32>) -> (tensor<2x2x4xf32>, tensor<2x3x4xf32>)
  // CHECK: kiln.slice %{{.*}} {offsets = array<i64: 0, 4, 1>, strides = array<i64: 1, -2, 2>} : (tensor<2x5x4xf32>) -> tensor<2x3x2xf32>
  %4 = kiln.slice %y {offsets = array<i64: 0, 4, 1>, strides = array<i64: 1, -2, 2>} : (tensor<2x5x4xf32>) -> tensor<2x3x2xf32>
  // CHECK: kiln.gather %{{.*}}, %{{.*}} {axis = 0 : i64} : (tensor<10x8xf32>, tensor<2x7xi64>) -> tensor<2x7x8xf32>
  %5 = kiln.gather %e, %ids {axis = 0 : i64} : (tensor<10x8xf32>, tensor<2x7xi64>) -> tensor<2x7x8xf32>
  // CHECK: kiln.gather_elements %{{.*}}, %{{.*}} {axis = 1 : i64} : (tensor<10x8xf32>, tensor<2x7xi64>) -> tensor<2x7xf32>
  %ge = kiln.gather_elements %e, %ids {axis = 1 : i64} : (tensor<10x8xf32>, tensor<2x7xi64>) -> tensor<2x7xf32>
  // CHECK: kiln.expand %{{.*}} : (tensor<3x1xf32>) -> tensor<2x3x5xf32>
  %6 = kiln.expand %r : (tensor<3x1xf32>) -> tensor<2x3x5xf32>
  // CHECK: kiln.pad constant %{{.*}} {pads = array<i64: 0, 1, 0, 0, 2, -1>, value = 5.000000e-01 : f64} : (tensor<2x3x4xf32>) -> tensor<2x6x3xf32>
  %7 = kiln.pad constant %x {pads = array<i64: 0, 1, 0, 0, 2, -1>, value = 0.5} : (tensor<2x3x4xf32>) -> tensor<2x6x3xf32>
  // CHECK: kiln.pad reflect %{{.*}} {pads = array<i64: 0, 2, 1, 0, 2, 1>} : (tensor<2x3x4xf32>) -> tensor<2x7x6xf32>
  %8 = kiln.pad reflect %x {pads = array<i64: 0, 2, 1, 0, 2, 1>} : (tensor<2x3x4xf32>) -> tensor<2x7x6xf32>
  // CHECK: kiln.pad edge
  %9 = kiln.pad edge %x {pads = array<i64: 0, 0, 3, 0, 0, 3>} : (tensor<2x3x4xf32>) -> tensor<2x3x10xf32>
  // CHECK: kiln.pad wrap
  %10 = kiln.pad wrap %x {pads = array<i64: 1, 0, 0, 1, 0, 0>} : (tensor<2x3x4xf32>) -> tensor<4x3x4xf32>
  // CHECK: kiln.cast %{{.*}} : tensor<2x3x4xf32> to tensor<2x3x4xi64>
  %11 = kiln.cast %x : tensor<2x3x4xf32> to tensor<2x3x4xi64>
  // CHECK: kiln.cast %{{.*}} : tensor<2x7xi64> to tensor<2x7xf16>
  %12 = kiln.cast %ids : tensor<2x7xi64> to tensor<2x7xf16>
  return
}

// CHECK-LABEL: func @resize
func.func @resize(%x: tensor<1x2x4x4xf32>) {
  // CHECK: kiln.resize nearest %{{.*}} {coordinate_transform = #kiln<coordinate_transform asymmetric>, nearest_mode = #kiln<nearest_mode floor>, scales = array<f32: 1.000000e+00, 1.000000e+00, 2.000000e+00, 2.000000e+00>} : (tensor<1x2x4x4xf32>) -> tensor<1x2x8x8xf32>
  %0 = kiln.resize nearest %x {scales = array<f32: 1.0, 1.0, 2.0, 2.0>, coordinate_transform = #kiln<coordinate_transform asymmetric>, nearest_mode = #kiln<nearest_mode floor>} : (tensor<1x2x4x4xf32>) -> tensor<1x2x8x8xf32>
  // CHECK: kiln.resize linear %{{.*}} {scales = array<f32: 1.000000e+00, 1.000000e+00, 7.500000e-01, 1.500000e+00>} : (tensor<1x2x4x4xf32>) -> tensor<1x2x3x6xf32>
  %1 = kiln.resize linear %x {scales = array<f32: 1.0, 1.0, 0.75, 1.5>} : (tensor<1x2x4x4xf32>) -> tensor<1x2x3x6xf32>
  // CHECK: kiln.resize cubic %{{.*}} {coordinate_transform = #kiln<coordinate_transform align_corners>, cubic_coeff_a = -5.000000e-01 : f32, exclude_outside, scales
  %2 = kiln.resize cubic %x {scales = array<f32: 1.0, 1.0, 2.0, 2.0>, coordinate_transform = #kiln<coordinate_transform align_corners>, cubic_coeff_a = -0.5 : f32, exclude_outside} : (tensor<1x2x4x4xf32>) -> tensor<1x2x8x8xf32>
  return
}

// CHECK-LABEL: func @recurrent
func.func @recurrent(%x: tensor<5x2x8xf32>, %w: tensor<2x48x8xf32>,
                     %r: tensor<2x48x16xf32>, %b: tensor<2x96xf32>,
                     %h: tensor<2x2x16xf32>, %lens: tensor<2xi32>,
                     %rw: tensor<1x16x8xf32>, %rr: tensor<1x16x16xf32>,
                     %lw: tensor<1x64x8xf32>, %lr: tensor<1x64x16xf32>,
                     %lb: tensor<1x128xf32>, %lh: tensor<1x2x16xf32>,
                     %lp: tensor<1x48xf32>) {
  // CHECK: kiln.rnn %{{.*}}, %{{.*}}, %{{.*}} {activations = [#kiln<unary relu>], hidden_size = 16 : i64} : (tensor<5x2x8xf32>, tensor<1x16x8xf32>, tensor<1x16x16xf32>) -> (tensor<5x1x2x16xf32>, tensor<1x2x16xf32>)
  %0:2 = kiln.rnn %x, %rw, %rr {hidden_size = 16 : i64, activations = [#kiln<unary relu>]} : (tensor<5x2x8xf32>, tensor<1x16x8xf32>, tensor<1x16x16xf32>) -> (tensor<5x1x2x16xf32>, tensor<1x2x16xf32>)
  // CHECK: kiln.gru %{{.*}}, %{{.*}}, %{{.*}} bias %{{.*}} sequence_lens %{{.*}} initial_h %{{.*}} {direction = #kiln<direction bidirectional>, hidden_size = 16 : i64, linear_before_reset} : (tensor<5x2x8xf32>, tensor<2x48x8xf32>, tensor<2x48x16xf32>, tensor<2x96xf32>, tensor<2xi32>, tensor<2x2x16xf32>) -> (tensor<5x2x2x16xf32>, tensor<2x2x16xf32>)
  %1:2 = kiln.gru %x, %w, %r bias %b sequence_lens %lens initial_h %h {direction = #kiln<direction bidirectional>, hidden_size = 16 : i64, linear_before_reset} : (tensor<5x2x8xf32>, tensor<2x48x8xf32>, tensor<2x48x16xf32>, tensor<2x96xf32>, tensor<2xi32>, tensor<2x2x16xf32>) -> (tensor<5x2x2x16xf32>, tensor<2x2x16xf32>)
  // CHECK: kiln.lstm %{{.*}}, %{{.*}}, %{{.*}} bias %{{.*}} initial_h %{{.*}} initial_c %{{.*}} peepholes %{{.*}} {activation_alpha = array<f32: 1.000000e+00, 1.000000e+00, 1.000000e+00>, activations = [#kiln<unary hard_sigmoid>, #kiln<unary tanh>, #kiln<unary tanh>], clip = 3.000000e+00 : f32, direction = #kiln<direction reverse>, hidden_size = 16 : i64, input_forget} : (tensor<5x2x8xf32>, tensor<1x64x8xf32>, tensor<1x64x16xf32>, tensor<1x128xf32>, tensor<1x2x16xf32>, tensor<1x2x16xf32>, tensor<1x48xf32>) -> (tensor<5x1x2x16xf32>, tensor<1x2x16xf32>, tensor<1x2x16xf32>)
  %2:3 = kiln.lstm %x, %lw, %lr bias %lb initial_h %lh initial_c %lh peepholes %lp {direction = #kiln<direction reverse>, hidden_size = 16 : i64, activations = [#kiln<unary hard_sigmoid>, #kiln<unary tanh>, #kiln<unary tanh>], activation_alpha = array<f32: 1.0, 1.0, 1.0>, clip = 3.0 : f32, input_forget} : (tensor<5x2x8xf32>, tensor<1x64x8xf32>, tensor<1x64x16xf32>, tensor<1x128xf32>, tensor<1x2x16xf32>, tensor<1x2x16xf32>, tensor<1x48xf32>) -> (tensor<5x1x2x16xf32>, tensor<1x2x16xf32>, tensor<1x2x16xf32>)
  return
}

// CHECK-LABEL: func @fused
func.func @fused(%x: tensor<1x3x32x32xf32>, %w: tensor<16x3x3x3xf32>,
                 %b: tensor<16xf32>, %res: tensor<1x16x32x32xf32>,
                 %q: tensor<2x8x10x16xf32>, %k: tensor<2x2x12x16xf32>,
                 %v: tensor<2x2x12x32xf32>, %mask: tensor<10x12xi1>,
                 %bias: tensor<2x1x1x12xf32>, %wt: tensor<3x16x3x3xf32>,
                 %fx: tensor<2x4x16xf32>, %fw: tensor<16x32xf32>,
                 %fb: tensor<32xf32>) {
  // CHECK: kiln.fused_conv %{{.*}}, %{{.*}} bias %{{.*}} activation relu pool max {pads = array<i64: 1, 1, 1, 1>, pool_kernel_shape = array<i64: 2, 2>, pool_strides = array<i64: 2, 2>} : (tensor<1x3x32x32xf32>, tensor<16x3x3x3xf32>, tensor<16xf32>) -> tensor<1x16x16x16xf32>
  %0 = kiln.fused_conv %x, %w bias %b activation relu pool max {pads = array<i64: 1, 1, 1, 1>, pool_kernel_shape = array<i64: 2, 2>, pool_strides = array<i64: 2, 2>} : (tensor<1x3x32x32xf32>, tensor<16x3x3x3xf32>, tensor<16xf32>) -> tensor<1x16x16x16xf32>
  // CHECK: kiln.fused_conv %{{.*}}, %{{.*}} bias %{{.*}} residual %{{.*}} activation leaky_relu {activation_alpha = 2.000000e-01 : f32, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x3x32x32xf32>, tensor<16x3x3x3xf32>, tensor<16xf32>, tensor<1x16x32x32xf32>) -> tensor<1x16x32x32xf32>
  %1 = kiln.fused_conv %x, %w bias %b residual %res activation leaky_relu {activation_alpha = 0.2 : f32, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x3x32x32xf32>, tensor<16x3x3x3xf32>, tensor<16xf32>, tensor<1x16x32x32xf32>) -> tensor<1x16x32x32xf32>
  // CHECK: kiln.fused_conv %{{.*}}, %{{.*}} {strides = array<i64: 2, 2>} : (tensor<1x3x32x32xf32>, tensor<16x3x3x3xf32>) -> tensor<1x16x15x15xf32>
  %2 = kiln.fused_conv %x, %w {strides = array<i64: 2, 2>} : (tensor<1x3x32x32xf32>, tensor<16x3x3x3xf32>) -> tensor<1x16x15x15xf32>
  // CHECK: kiln.fused_conv_transpose %{{.*}}, %{{.*}} bias %{{.*}} activation leaky_relu {activation_alpha = 2.000000e-01 : f32, output_padding = array<i64: 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x3x32x32xf32>, tensor<3x16x3x3xf32>, tensor<16xf32>) -> tensor<1x16x66x66xf32>
  %t = kiln.fused_conv_transpose %x, %wt bias %b activation leaky_relu {activation_alpha = 0.2 : f32, strides = array<i64: 2, 2>, output_padding = array<i64: 1, 1>} : (tensor<1x3x32x32xf32>, tensor<3x16x3x3xf32>, tensor<16xf32>) -> tensor<1x16x66x66xf32>
  // CHECK: kiln.fused_matmul %{{.*}}, %{{.*}} bias %{{.*}} activation gelu : (tensor<2x4x16xf32>, tensor<16x32xf32>, tensor<32xf32>) -> tensor<2x4x32xf32>
  %m = kiln.fused_matmul %fx, %fw bias %fb activation gelu : (tensor<2x4x16xf32>, tensor<16x32xf32>, tensor<32xf32>) -> tensor<2x4x32xf32>
  // CHECK: kiln.fused_matmul %{{.*}}, %{{.*}} activation leaky_relu {activation_alpha = 1.000000e-01 : f32} : (tensor<2x4x16xf32>, tensor<16x32xf32>) -> tensor<2x4x32xf32>
  %m2 = kiln.fused_matmul %fx, %fw activation leaky_relu {activation_alpha = 0.1 : f32} : (tensor<2x4x16xf32>, tensor<16x32xf32>) -> tensor<2x4x32xf32>
  // CHECK: kiln.fused_matmul %{{.*}}, %{{.*}} bias %{{.*}} residual %{{.*}} activation relu : (tensor<2x4x16xf32>, tensor<16x32xf32>, tensor<32xf32>, tensor<2x4x32xf32>) -> tensor<2x4x32xf32>
  %m3 = kiln.fused_matmul %fx, %fw bias %fb residual %m activation relu : (tensor<2x4x16xf32>, tensor<16x32xf32>, tensor<32xf32>, tensor<2x4x32xf32>) -> tensor<2x4x32xf32>
  // CHECK: kiln.fused_matmul %{{.*}}, %{{.*}} residual %{{.*}} : (tensor<2x4x16xf32>, tensor<16x32xf32>, tensor<2x4x32xf32>) -> tensor<2x4x32xf32>
  %m4 = kiln.fused_matmul %fx, %fw residual %m3 : (tensor<2x4x16xf32>, tensor<16x32xf32>, tensor<2x4x32xf32>) -> tensor<2x4x32xf32>
  // CHECK: kiln.attention %{{.*}}, %{{.*}}, %{{.*}} mask %{{.*}} {causal_offset = 2 : i64, is_causal, scale = 1.250000e-01 : f32} : (tensor<2x8x10x16xf32>, tensor<2x2x12x16xf32>, tensor<2x2x12x32xf32>, tensor<10x12xi1>) -> tensor<2x8x10x32xf32>
  %3 = kiln.attention %q, %k, %v mask %mask {scale = 0.125 : f32, is_causal, causal_offset = 2 : i64} : (tensor<2x8x10x16xf32>, tensor<2x2x12x16xf32>, tensor<2x2x12x32xf32>, tensor<10x12xi1>) -> tensor<2x8x10x32xf32>
  // CHECK: kiln.attention %{{.*}}, %{{.*}}, %{{.*}} mask %{{.*}} {softcap = 3.000000e+01 : f32} : (tensor<2x8x10x16xf32>, tensor<2x2x12x16xf32>, tensor<2x2x12x32xf32>, tensor<2x1x1x12xf32>) -> tensor<2x8x10x32xf32>
  %4 = kiln.attention %q, %k, %v mask %bias {softcap = 30.0 : f32} : (tensor<2x8x10x16xf32>, tensor<2x2x12x16xf32>, tensor<2x2x12x32xf32>, tensor<2x1x1x12xf32>) -> tensor<2x8x10x32xf32>
  // CHECK: kiln.attention %{{.*}}, %{{.*}}, %{{.*}} : (tensor<2x8x10x16xf32>, tensor<2x2x12x16xf32>, tensor<2x2x12x32xf32>) -> tensor<2x8x10x32xf32>
  %5 = kiln.attention %q, %k, %v : (tensor<2x8x10x16xf32>, tensor<2x2x12x16xf32>, tensor<2x2x12x32xf32>) -> tensor<2x8x10x32xf32>
  return
}

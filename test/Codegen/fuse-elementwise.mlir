// RUN: kiln-opt %s -kiln-to-linalg -kiln-fuse-elementwise -canonicalize -split-input-file | FileCheck %s

// Add, ReLU and scale become one loop nest.
// CHECK-LABEL: func @chain
// CHECK-COUNT-1: linalg.generic
// CHECK-NOT: linalg.generic
// CHECK: arith.addf
// CHECK: arith.maximumf
// CHECK: arith.mulf
func.func @chain(%x: tensor<4x8xf32>, %b: tensor<8xf32>) -> tensor<4x8xf32> {
  %0 = kiln.binary add %x, %b : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  %1 = kiln.unary relu %0 : tensor<4x8xf32>
  %2 = kiln.binary mul %1, %1 : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return %2 : tensor<4x8xf32>
}

// -----

// An elementwise producer is not fused into a convolution, which would
// recompute it for every window that reads it.
// CHECK-LABEL: func @into_conv
// CHECK: %[[RELU:.*]] = linalg.generic
// CHECK: arith.maximumf
// CHECK: tensor.pad %[[RELU]]
func.func @into_conv(%x: tensor<1x1x4x4xf32>, %w: tensor<1x1x3x3xf32>) -> tensor<1x1x4x4xf32> {
  %0 = kiln.unary relu %x : tensor<1x1x4x4xf32>
  %1 = kiln.conv %0, %w {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x1x4x4xf32>, tensor<1x1x3x3xf32>) -> tensor<1x1x4x4xf32>
  return %1 : tensor<1x1x4x4xf32>
}

// -----

// A producer with two users stays, so nothing is computed twice.
// CHECK-LABEL: func @shared
// CHECK-COUNT-3: linalg.generic
func.func @shared(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %0 = kiln.unary exp %x : tensor<8xf32>
  %1 = kiln.unary relu %0 : tensor<8xf32>
  %2 = kiln.unary neg %0 : tensor<8xf32>
  return %1, %2 : tensor<8xf32>, tensor<8xf32>
}

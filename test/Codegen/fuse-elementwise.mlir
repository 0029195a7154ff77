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
// recompute it for every window that reads it; the padding of the
// convolution's input becomes the producer's result inserted into a filled
// tensor of its own (which the producer writes into once bufferized).
// CHECK-LABEL: func @into_conv
// CHECK: %[[BUF:.*]] = bufferization.alloc_tensor() : tensor<1x1x6x6xf32>
// CHECK: %[[FILL:.*]] = linalg.fill {{.*}} outs(%[[BUF]] : tensor<1x1x6x6xf32>)
// CHECK: %[[RELU:.*]] = linalg.generic
// CHECK: arith.maximumf
// CHECK: tensor.insert_slice %[[RELU]] into %[[FILL]][0, 0, 1, 1] [1, 1, 4, 4] [1, 1, 1, 1]
// CHECK-NOT: tensor.pad
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

// -----

// A pad of an expand_shape whose padded dim passes through unchanged moves
// above it and meets the transpose that produces the values.
// CHECK-LABEL: func @pad_expanded
// CHECK: %[[BUF:.*]] = bufferization.alloc_tensor() : tensor<4x24x8xf32>
// CHECK: %[[FILL:.*]] = linalg.fill {{.*}} outs(%[[BUF]] : tensor<4x24x8xf32>)
// CHECK: %[[T:.*]] = linalg.transpose
// CHECK: %[[IN:.*]] = tensor.insert_slice %[[T]] into %[[FILL]][0, 0, 0] [4, 17, 8] [1, 1, 1]
// CHECK: tensor.expand_shape %[[IN]] {{\[\[}}0, 1], [2], [3]] output_shape [1, 4, 24, 8] : tensor<4x24x8xf32> into tensor<1x4x24x8xf32>
// CHECK-NOT: tensor.pad
func.func @pad_expanded(%x: tensor<17x4x8xf32>) -> tensor<1x4x24x8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x17x8xf32>
  %t = linalg.transpose ins(%x : tensor<17x4x8xf32>) outs(%e : tensor<4x17x8xf32>) permutation = [1, 0, 2]
  %x4 = tensor.expand_shape %t [[0, 1], [2], [3]] output_shape [1, 4, 17, 8] : tensor<4x17x8xf32> into tensor<1x4x17x8xf32>
  %p = tensor.pad %x4 low[0, 0, 0, 0] high[0, 0, 7, 0] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<1x4x17x8xf32> to tensor<1x4x24x8xf32>
  return %p : tensor<1x4x24x8xf32>
}

// -----

// A pad of a dim that an expand_shape splits stays a pad.
// CHECK-LABEL: func @pad_split
// CHECK: tensor.pad
func.func @pad_split(%x: tensor<4x8xf32>) -> tensor<3x2x8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x8xf32>
  %t = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  } -> tensor<4x8xf32>
  %x3 = tensor.expand_shape %t [[0, 1], [2]] output_shape [2, 2, 8] : tensor<4x8xf32> into tensor<2x2x8xf32>
  %p = tensor.pad %x3 low[0, 0, 0] high[1, 0, 0] {
  ^bb0(%i: index, %j: index, %k: index):
    tensor.yield %zero : f32
  } : tensor<2x2x8xf32> to tensor<3x2x8xf32>
  return %p : tensor<3x2x8xf32>
}

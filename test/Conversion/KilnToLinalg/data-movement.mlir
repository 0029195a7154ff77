// RUN: kiln-opt %s -kiln-to-linalg -canonicalize -split-input-file | FileCheck %s

// CHECK-LABEL: func @concat
// CHECK: %[[E:.*]] = tensor.empty() : tensor<2x5xf32>
// CHECK: %[[A:.*]] = tensor.insert_slice %arg0 into %[[E]][0, 0] [2, 2] [1, 1]
// CHECK: tensor.insert_slice %arg1 into %[[A]][0, 2] [2, 3] [1, 1]
func.func @concat(%a: tensor<2x2xf32>, %b: tensor<2x3xf32>) -> tensor<2x5xf32> {
  %0 = kiln.concat %a, %b {axis = 1 : i64} : (tensor<2x2xf32>, tensor<2x3xf32>) -> tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// -----

// Positive strides slice in place; a negative stride reads through indices.
// CHECK-LABEL: func @slices
// CHECK: tensor.extract_slice %arg0[1] [2] [2] : tensor<6xf32> to tensor<2xf32>
// CHECK: linalg.generic
// CHECK: linalg.index 0
// CHECK: tensor.extract %arg0
func.func @slices(%x: tensor<6xf32>) -> (tensor<2xf32>, tensor<3xf32>) {
  %0 = kiln.slice %x {offsets = array<i64: 1>, strides = array<i64: 2>} : (tensor<6xf32>) -> tensor<2xf32>
  %1 = kiln.slice %x {offsets = array<i64: 5>, strides = array<i64: -2>} : (tensor<6xf32>) -> tensor<3xf32>
  return %0, %1 : tensor<2xf32>, tensor<3xf32>
}

// -----

// Gather wraps negative indices and clamps the rest into range.
// CHECK-LABEL: func @gather
// CHECK: %[[RAW:.*]] = tensor.extract %arg1
// CHECK: %[[I:.*]] = arith.index_cast %[[RAW]]
// CHECK: arith.select
// CHECK: arith.maxsi
// CHECK: arith.minsi
// CHECK: tensor.extract %arg0
func.func @gather(%e: tensor<10x4xf32>, %ids: tensor<3xi64>) -> tensor<3x4xf32> {
  %0 = kiln.gather %e, %ids {axis = 0 : i64} : (tensor<10x4xf32>, tensor<3xi64>) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----

// Constant padding crops negative pads, then pads.
// CHECK-LABEL: func @pad_constant
// CHECK: %[[CROP:.*]] = tensor.extract_slice %arg0[0, 1] [2, 3] [1, 1]
// CHECK: tensor.pad %[[CROP]] low[1, 0] high[0, 0]
func.func @pad_constant(%x: tensor<2x4xf32>) -> tensor<3x3xf32> {
  %0 = kiln.pad constant %x {pads = array<i64: 1, -1, 0, 0>} : (tensor<2x4xf32>) -> tensor<3x3xf32>
  return %0 : tensor<3x3xf32>
}

// -----

// CHECK-LABEL: func @transpose_reshape
// CHECK: linalg.transpose ins(%arg0 : tensor<2x3xf32>) outs(%{{.*}} : tensor<3x2xf32>) permutation = [1, 0]
// CHECK: tensor.collapse_shape
func.func @transpose_reshape(%x: tensor<2x3xf32>) -> tensor<6xf32> {
  %0 = kiln.transpose %x {perm = array<i64: 1, 0>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  %1 = kiln.reshape %0 : (tensor<3x2xf32>) -> tensor<6xf32>
  return %1 : tensor<6xf32>
}

// -----

// GatherElements reads the index at the same position, then the data
// with it along the axis.
// CHECK-LABEL: func @gather_elements
// CHECK: linalg.generic
// CHECK: %[[I0:.*]] = linalg.index 0
// CHECK: %[[I1:.*]] = linalg.index 1
// CHECK: tensor.extract %arg1[%[[I0]], %[[I1]]]
// CHECK: arith.minsi
// CHECK: tensor.extract %arg0[%[[I0]], %{{.*}}]
func.func @gather_elements(%d: tensor<3x4xf32>, %i: tensor<3x2xi64>) -> tensor<3x2xf32> {
  %0 = kiln.gather_elements %d, %i {axis = 1 : i64} : (tensor<3x4xf32>, tensor<3x2xi64>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

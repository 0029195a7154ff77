// RUN: kiln-opt %s -canonicalize -split-input-file | FileCheck %s

// CHECK-LABEL: func @unary_identity
// CHECK-SAME: (%[[X:.*]]: tensor<2xf32>)
// CHECK-NEXT: return %[[X]]
func.func @unary_identity(%x: tensor<2xf32>) -> tensor<2xf32> {
  %0 = kiln.unary identity %x : tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// CHECK-LABEL: func @binary_neutral_rhs
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>, %[[I:.*]]: tensor<4xi32>)
// CHECK-NEXT: return %[[X]], %[[X]], %[[X]], %[[X]], %[[X]], %[[I]]
func.func @binary_neutral_rhs(%x: tensor<2x3xf32>, %i: tensor<4xi32>)
    -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>,
        tensor<2x3xf32>, tensor<4xi32>) {
  %zero = kiln.constant dense<0.0> : tensor<3xf32>
  %one = kiln.constant dense<1.0> : tensor<2x3xf32>
  %izero = kiln.constant dense<0> : tensor<i32>
  %0 = kiln.binary add %x, %zero : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %1 = kiln.binary sub %x, %zero : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %2 = kiln.binary mul %x, %one : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %3 = kiln.binary div %x, %one : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %4 = kiln.binary pow %x, %one : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %5 = kiln.binary add %i, %izero : (tensor<4xi32>, tensor<i32>) -> tensor<4xi32>
  return %0, %1, %2, %3, %4, %5 : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<4xi32>
}

// -----

// Commutative ops fold a neutral lhs; sub does not.
// CHECK-LABEL: func @binary_neutral_lhs
// CHECK-SAME: (%[[X:.*]]: tensor<3xf32>)
// CHECK: %[[SUB:.*]] = kiln.binary sub
// CHECK-NEXT: return %[[X]], %[[X]], %[[SUB]]
func.func @binary_neutral_lhs(%x: tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) {
  %zero = kiln.constant dense<0.0> : tensor<3xf32>
  %one = kiln.constant dense<1.0> : tensor<3xf32>
  %0 = kiln.binary add %zero, %x : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  %1 = kiln.binary mul %one, %x : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  %2 = kiln.binary sub %zero, %x : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return %0, %1, %2 : tensor<3xf32>, tensor<3xf32>, tensor<3xf32>
}

// -----

// A neutral operand that broadcasts the other one to a larger shape stays,
// and so does an operand that is not neutral.
// CHECK-LABEL: func @binary_no_fold
// CHECK: kiln.binary add
// CHECK: kiln.binary mul
func.func @binary_no_fold(%x: tensor<3xf32>) -> (tensor<2x3xf32>, tensor<3xf32>) {
  %zero = kiln.constant dense<0.0> : tensor<2x3xf32>
  %two = kiln.constant dense<2.0> : tensor<3xf32>
  %0 = kiln.binary add %x, %zero : (tensor<3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %1 = kiln.binary mul %x, %two : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return %0, %1 : tensor<2x3xf32>, tensor<3xf32>
}

// -----

// CHECK-LABEL: func @reduce_no_axes
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK: %[[L1:.*]] = kiln.reduce l1
// CHECK-NEXT: return %[[X]], %[[X]], %[[L1]]
func.func @reduce_no_axes(%x: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>) {
  %0 = kiln.reduce sum %x {axes = array<i64>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %1 = kiln.reduce max %x {axes = array<i64>, keepdims} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  // l1 over no axes is abs(x), not x.
  %2 = kiln.reduce l1 %x {axes = array<i64>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0, %1, %2 : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @reshape_same_type
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK-NEXT: return %[[X]]
func.func @reshape_same_type(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = kiln.reshape %x : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @reshape_of_reshape
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK-NEXT: %[[R:.*]] = kiln.reshape %[[X]] : (tensor<2x3x4xf32>) -> tensor<4x6xf32>
// CHECK-NEXT: return %[[R]]
func.func @reshape_of_reshape(%x: tensor<2x3x4xf32>) -> tensor<4x6xf32> {
  %0 = kiln.reshape %x : (tensor<2x3x4xf32>) -> tensor<24xf32>
  %1 = kiln.reshape %0 : (tensor<24xf32>) -> tensor<4x6xf32>
  return %1 : tensor<4x6xf32>
}

// -----

// CHECK-LABEL: func @reshape_constant
// CHECK-NEXT: %[[C:.*]] = kiln.constant dense<{{\[\[}}1, 2, 3], [4, 5, 6]]> : tensor<2x3xi64>
// CHECK-NEXT: return %[[C]]
func.func @reshape_constant() -> tensor<2x3xi64> {
  %c = kiln.constant dense<[1, 2, 3, 4, 5, 6]> : tensor<6xi64>
  %0 = kiln.reshape %c : (tensor<6xi64>) -> tensor<2x3xi64>
  return %0 : tensor<2x3xi64>
}

// -----

// CHECK-LABEL: func @transpose_identity
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK-NEXT: return %[[X]]
func.func @transpose_identity(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = kiln.transpose %x {perm = array<i64: 0, 1>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @transpose_splat
// CHECK-NEXT: %[[C:.*]] = kiln.constant dense<5.000000e-01> : tensor<3x2xf32>
// CHECK-NEXT: return %[[C]]
func.func @transpose_splat() -> tensor<3x2xf32> {
  %c = kiln.constant dense<0.5> : tensor<2x3xf32>
  %0 = kiln.transpose %c {perm = array<i64: 1, 0>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

// CHECK-LABEL: func @transpose_of_transpose
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK-NEXT: %[[T:.*]] = kiln.transpose %[[X]] {perm = array<i64: 2, 1, 0>} : (tensor<2x3x4xf32>) -> tensor<4x3x2xf32>
// CHECK-NEXT: return %[[T]]
func.func @transpose_of_transpose(%x: tensor<2x3x4xf32>) -> tensor<4x3x2xf32> {
  %0 = kiln.transpose %x {perm = array<i64: 1, 2, 0>} : (tensor<2x3x4xf32>) -> tensor<3x4x2xf32>
  %1 = kiln.transpose %0 {perm = array<i64: 1, 0, 2>} : (tensor<3x4x2xf32>) -> tensor<4x3x2xf32>
  return %1 : tensor<4x3x2xf32>
}

// -----

// Two transposes that undo each other disappear.
// CHECK-LABEL: func @transpose_inverse
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK-NEXT: return %[[X]]
func.func @transpose_inverse(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %0 = kiln.transpose %x {perm = array<i64: 1, 2, 0>} : (tensor<2x3x4xf32>) -> tensor<3x4x2xf32>
  %1 = kiln.transpose %0 {perm = array<i64: 2, 0, 1>} : (tensor<3x4x2xf32>) -> tensor<2x3x4xf32>
  return %1 : tensor<2x3x4xf32>
}

// -----

// CHECK-LABEL: func @single_concat_and_split
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK-NEXT: return %[[X]], %[[X]]
func.func @single_concat_and_split(%x: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>) {
  %0 = kiln.concat %x {axis = 1 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %1 = kiln.split %x {axis = 0 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0, %1 : tensor<2x3xf32>, tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @slice_everything
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK: %[[S:.*]] = kiln.slice
// CHECK-NEXT: return %[[X]], %[[S]]
func.func @slice_everything(%x: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>) {
  %0 = kiln.slice %x {offsets = array<i64: 0, 0>, strides = array<i64: 1, 1>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  // Same shape, but reversed: not the input.
  %1 = kiln.slice %x {offsets = array<i64: 0, 2>, strides = array<i64: 1, -1>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0, %1 : tensor<2x3xf32>, tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @expand
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK-NEXT: %[[C:.*]] = kiln.constant dense<2> : tensor<4x3xi32>
// CHECK-NEXT: return %[[X]], %[[C]]
func.func @expand(%x: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<4x3xi32>) {
  %0 = kiln.expand %x : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %c = kiln.constant dense<2> : tensor<3xi32>
  %1 = kiln.expand %c : (tensor<3xi32>) -> tensor<4x3xi32>
  return %0, %1 : tensor<2x3xf32>, tensor<4x3xi32>
}

// -----

// CHECK-LABEL: func @pad_and_cast
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK-NEXT: return %[[X]], %[[X]]
func.func @pad_and_cast(%x: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>) {
  %0 = kiln.pad reflect %x {pads = array<i64: 0, 0, 0, 0>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %1 = kiln.cast %x : tensor<2x3xf32> to tensor<2x3xf32>
  return %0, %1 : tensor<2x3xf32>, tensor<2x3xf32>
}

// -----

// Equal constants are merged, unused ones removed.
// CHECK-LABEL: func @constants
// CHECK-NEXT: %[[C:.*]] = kiln.constant dense<1.000000e+00> : tensor<2xf32>
// CHECK-NEXT: return %[[C]], %[[C]]
func.func @constants() -> (tensor<2xf32>, tensor<2xf32>) {
  %0 = kiln.constant dense<1.0> : tensor<2xf32>
  %1 = kiln.constant dense<1.0> : tensor<2xf32>
  %2 = kiln.constant dense<3.0> : tensor<2xf32>
  return %0, %1 : tensor<2xf32>, tensor<2xf32>
}

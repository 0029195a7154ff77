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

// A transpose that moves only unit dims is a reshape; one that moves data
// stays.
// CHECK-LABEL: func @transpose_unit_dims
// CHECK-SAME: (%[[X:.*]]: tensor<2x28x28x1xf32>, %[[Y:.*]]: tensor<2x28x28x3xf32>)
// CHECK-NEXT: %[[R:.*]] = kiln.reshape %[[X]] : (tensor<2x28x28x1xf32>) -> tensor<2x1x28x28xf32>
// CHECK-NEXT: %[[T:.*]] = kiln.transpose %[[Y]]
// CHECK-NEXT: return %[[R]], %[[T]]
func.func @transpose_unit_dims(%x: tensor<2x28x28x1xf32>, %y: tensor<2x28x28x3xf32>) -> (tensor<2x1x28x28xf32>, tensor<2x3x28x28xf32>) {
  %0 = kiln.transpose %x {perm = array<i64: 0, 3, 1, 2>} : (tensor<2x28x28x1xf32>) -> tensor<2x1x28x28xf32>
  %1 = kiln.transpose %y {perm = array<i64: 0, 3, 1, 2>} : (tensor<2x28x28x3xf32>) -> tensor<2x3x28x28xf32>
  return %0, %1 : tensor<2x1x28x28xf32>, tensor<2x3x28x28xf32>
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

// -----

// Shape arithmetic on constants folds.
// CHECK-LABEL: func @fold_binary
// CHECK-DAG: kiln.constant dense<[5, 7]> : tensor<2xi64>
// CHECK-DAG: kiln.constant dense<-1> : tensor<2xi64>
// CHECK-DAG: kiln.constant dense<[2, -3]> : tensor<2xi64>
// CHECK-DAG: kiln.constant dense<1> : tensor<2xi64>
// CHECK-DAG: kiln.constant dense<[2.500000e+00, 5.000000e+00]> : tensor<2xf32>
// The integer division by zero is left to the run time.
// CHECK: kiln.binary div
func.func @fold_binary() -> (tensor<2xi64>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>, tensor<2xf32>, tensor<2xi64>) {
  %a = kiln.constant dense<[2, 3]> : tensor<2xi64>
  %b = kiln.constant dense<[3, 4]> : tensor<2xi64>
  %m = kiln.constant dense<[-7, 7]> : tensor<2xi64>
  %z = kiln.constant dense<[1, 0]> : tensor<2xi64>
  %f = kiln.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %h = kiln.constant dense<2.5> : tensor<f32>
  %0 = kiln.binary add %a, %b : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  %1 = kiln.binary sub %a, %b : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  // Python-style mod takes the divisor's sign: -7 mod 3 = 2, 7 mod -5 = -3.
  %c = kiln.constant dense<[3, -5]> : tensor<2xi64>
  %2 = kiln.binary mod %m, %c : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  // Integer division truncates toward zero.
  %d = kiln.constant dense<[-3, 3]> : tensor<2xi64>
  %e = kiln.constant dense<[-3, 2]> : tensor<2xi64>
  %3 = kiln.binary div %d, %e : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  %4 = kiln.binary mul %f, %h : (tensor<2xf32>, tensor<f32>) -> tensor<2xf32>
  %5 = kiln.binary div %a, %z : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  return %0, %1, %2, %3, %4, %5 : tensor<2xi64>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>, tensor<2xf32>, tensor<2xi64>
}

// -----

// CHECK-LABEL: func @fold_compare_where_unary
// CHECK-DAG: kiln.constant dense<[false, true, false]> : tensor<3xi1>
// CHECK-DAG: kiln.constant dense<[7, 0, 7]> : tensor<3xi64>
// CHECK-DAG: kiln.constant dense<[-1, 0, 1]> : tensor<3xi64>
// CHECK-DAG: kiln.constant dense<[1.000000e+00, 3.000000e+00]> : tensor<2xf32>
func.func @fold_compare_where_unary(%x: tensor<3xf32>) -> (tensor<3xi1>, tensor<3xi64>, tensor<3xi64>, tensor<2xf32>, tensor<3xf32>) {
  %a = kiln.constant dense<[1, 0, -1]> : tensor<3xi64>
  %zero = kiln.constant dense<0> : tensor<i64>
  %seven = kiln.constant dense<7> : tensor<i64>
  %0 = kiln.compare eq %a, %zero : (tensor<3xi64>, tensor<i64>) -> tensor<3xi1>
  %1 = kiln.where %0, %a, %seven : (tensor<3xi1>, tensor<3xi64>, tensor<i64>) -> tensor<3xi64>
  %2 = kiln.unary neg %a : tensor<3xi64>
  %f = kiln.constant dense<[1.0, 9.0]> : tensor<2xf32>
  %3 = kiln.unary sqrt %f : tensor<2xf32>
  // A where that picks between equal values is that value.
  %4 = kiln.where %0, %x, %x : (tensor<3xi1>, tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return %0, %1, %2, %3, %4 : tensor<3xi1>, tensor<3xi64>, tensor<3xi64>, tensor<2xf32>, tensor<3xf32>
}
// CHECK: return {{.*}}, %arg0 :

// -----

// CHECK-LABEL: func @fold_reduce_cast
// CHECK-DAG: kiln.constant dense<[6, 20]> : tensor<2xi64>
// CHECK-DAG: kiln.constant dense<[1, -2, 3]> : tensor<3xi32>
// CHECK-DAG: kiln.constant dense<[true, false, true]> : tensor<3xi1>
// CHECK-DAG: kiln.constant dense<3.500000e+00> : tensor<1xf32>
func.func @fold_reduce_cast() -> (tensor<2xi64>, tensor<3xi32>, tensor<3xi1>, tensor<1xf32>) {
  %a = kiln.constant dense<[[1, 2, 3], [4, 5, 1]]> : tensor<2x3xi64>
  %0 = kiln.reduce prod %a {axes = array<i64: 1>} : (tensor<2x3xi64>) -> tensor<2xi64>
  // Float to integer truncates toward zero; to i1, non-zero is true.
  %f = kiln.constant dense<[1.7, -2.7, 3.2]> : tensor<3xf32>
  %1 = kiln.cast %f : tensor<3xf32> to tensor<3xi32>
  %h = kiln.constant dense<[0.5, 0.0, -1.0]> : tensor<3xf32>
  %2 = kiln.cast %h : tensor<3xf32> to tensor<3xi1>
  %g = kiln.constant dense<[[1.0, 6.0]]> : tensor<1x2xf32>
  %3 = kiln.reduce mean %g {axes = array<i64: 1>} : (tensor<1x2xf32>) -> tensor<1xf32>
  return %0, %1, %2, %3 : tensor<2xi64>, tensor<3xi32>, tensor<3xi1>, tensor<1xf32>
}

// -----

// CHECK-LABEL: func @fold_data_movement
// CHECK-DAG: kiln.constant dense<[4, 2, 3]> : tensor<3xi64>
// CHECK-DAG: kiln.constant dense<[1, 2, 3, 4, 5]> : tensor<5xi64>
// CHECK-DAG: kiln.constant dense<[5, 3]> : tensor<2xi64>
// CHECK-DAG: kiln.constant dense<{{\[\[}}1, 4], [2, 5], [3, 6]]> : tensor<3x2xi64>
// CHECK-DAG: kiln.constant dense<{{\[\[}}1, 2], [1, 2]]> : tensor<2x2xi64>
func.func @fold_data_movement() -> (tensor<3xi64>, tensor<5xi64>, tensor<2xi64>, tensor<3x2xi64>, tensor<2x2xi64>) {
  %shape = kiln.constant dense<[1, 2, 3, 4]> : tensor<4xi64>
  %idx = kiln.constant dense<[-1, 1, 2]> : tensor<3xi64>
  %0 = kiln.gather %shape, %idx {axis = 0 : i64} : (tensor<4xi64>, tensor<3xi64>) -> tensor<3xi64>
  %tail = kiln.constant dense<5> : tensor<1xi64>
  %1 = kiln.concat %shape, %tail {axis = 0 : i64} : (tensor<4xi64>, tensor<1xi64>) -> tensor<5xi64>
  %2 = kiln.slice %1 {offsets = array<i64: 4>, strides = array<i64: -2>} : (tensor<5xi64>) -> tensor<2xi64>
  %m = kiln.constant dense<[[1, 2, 3], [4, 5, 6]]> : tensor<2x3xi64>
  %3 = kiln.transpose %m {perm = array<i64: 1, 0>} : (tensor<2x3xi64>) -> tensor<3x2xi64>
  %row = kiln.constant dense<[1, 2]> : tensor<2xi64>
  %4 = kiln.expand %row : (tensor<2xi64>) -> tensor<2x2xi64>
  return %0, %1, %2, %3, %4 : tensor<3xi64>, tensor<5xi64>, tensor<2xi64>, tensor<3x2xi64>, tensor<2x2xi64>
}

// -----

// An index out of range is left to the run-time check.
// CHECK-LABEL: func @gather_out_of_range
// CHECK: kiln.gather
func.func @gather_out_of_range() -> tensor<1xi64> {
  %data = kiln.constant dense<[1, 2]> : tensor<2xi64>
  %idx = kiln.constant dense<[2]> : tensor<1xi64>
  %0 = kiln.gather %data, %idx {axis = 0 : i64} : (tensor<2xi64>, tensor<1xi64>) -> tensor<1xi64>
  return %0 : tensor<1xi64>
}

// -----

// gemm with a constant B and trans_b reads the transposed weights instead:
// the transpose folds into a new weight blob, also for dense_resource
// weights. A B that is not a constant keeps trans_b.
// CHECK-LABEL: func @gemm_transposed_weights
// CHECK-DAG: %[[WT:.*]] = kiln.constant dense_resource<[[BLOB:.*]]> : tensor<3x2xf32>
// CHECK-DAG: %[[DT:.*]] = kiln.constant dense<{{\[\[}}1.000000e+00, 4.000000e+00], [2.000000e+00, 5.000000e+00], [3.000000e+00, 6.000000e+00]]> : tensor<3x2xf32>
// CHECK: kiln.gemm %arg0, %[[WT]] :
// CHECK: kiln.gemm %arg0, %[[DT]] :
// CHECK: kiln.gemm %arg0, %arg1 {trans_b}
// CHECK: [[BLOB]]: "0x08000000000080400000E0400000A040000000410000C04000001041"
func.func @gemm_transposed_weights(%a: tensor<1x3xf32>, %b: tensor<2x3xf32>) -> (tensor<1x2xf32>, tensor<1x2xf32>, tensor<1x2xf32>) {
  %w = kiln.constant dense_resource<w> : tensor<2x3xf32>
  %d = kiln.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %0 = kiln.gemm %a, %w {trans_b} : (tensor<1x3xf32>, tensor<2x3xf32>) -> tensor<1x2xf32>
  %1 = kiln.gemm %a, %d {trans_b} : (tensor<1x3xf32>, tensor<2x3xf32>) -> tensor<1x2xf32>
  %2 = kiln.gemm %a, %b {trans_b} : (tensor<1x3xf32>, tensor<2x3xf32>) -> tensor<1x2xf32>
  return %0, %1, %2 : tensor<1x2xf32>, tensor<1x2xf32>, tensor<1x2xf32>
}

{-#
  dialect_resources: {
    builtin: {
      w: "0x08000000000080400000A0400000C0400000E0400000004100001041"
    }
  }
#-}

// -----

// A transpose of a reshape that merges dims (the heads of a slice of a
// fused projection folded into the batch) moves the refined dims: the
// inner reshape only splits, the outer one only merges what the transpose
// wrote side by side.
// CHECK-LABEL: func @transpose_of_merging_reshape
// CHECK-SAME: (%[[X:.*]]: tensor<5x3x8xf32>)
// CHECK-NEXT: %[[S:.*]] = kiln.reshape %[[X]] : (tensor<5x3x8xf32>) -> tensor<5x3x2x4xf32>
// CHECK-NEXT: %[[T:.*]] = kiln.transpose %[[S]] {perm = array<i64: 1, 2, 0, 3>} : (tensor<5x3x2x4xf32>) -> tensor<3x2x5x4xf32>
// CHECK-NEXT: %[[R:.*]] = kiln.reshape %[[T]] : (tensor<3x2x5x4xf32>) -> tensor<6x5x4xf32>
// CHECK-NEXT: return %[[R]]
func.func @transpose_of_merging_reshape(%x: tensor<5x3x8xf32>) -> tensor<6x5x4xf32> {
  %0 = kiln.reshape %x : (tensor<5x3x8xf32>) -> tensor<5x6x4xf32>
  %1 = kiln.transpose %0 {perm = array<i64: 1, 0, 2>} : (tensor<5x6x4xf32>) -> tensor<6x5x4xf32>
  return %1 : tensor<6x5x4xf32>
}

// -----

// A reshape that only splits dims (or adds unit dims) stays; so does one
// whose shapes have no common refinement (6x4 -> 4x6).
// CHECK-LABEL: func @transpose_of_other_reshapes
// CHECK-NEXT: kiln.reshape %{{.*}} : (tensor<5x8xf32>) -> tensor<5x1x2x4xf32>
// CHECK-NEXT: kiln.transpose
// CHECK-NEXT: kiln.reshape %{{.*}} : (tensor<6x4xf32>) -> tensor<4x6xf32>
// CHECK-NEXT: kiln.transpose
// CHECK-NEXT: return
func.func @transpose_of_other_reshapes(%x: tensor<5x8xf32>, %y: tensor<6x4xf32>) -> (tensor<2x1x5x4xf32>, tensor<6x4xf32>) {
  %0 = kiln.reshape %x : (tensor<5x8xf32>) -> tensor<5x1x2x4xf32>
  %1 = kiln.transpose %0 {perm = array<i64: 2, 1, 0, 3>} : (tensor<5x1x2x4xf32>) -> tensor<2x1x5x4xf32>
  %2 = kiln.reshape %y : (tensor<6x4xf32>) -> tensor<4x6xf32>
  %3 = kiln.transpose %2 {perm = array<i64: 1, 0>} : (tensor<4x6xf32>) -> tensor<6x4xf32>
  return %1, %3 : tensor<2x1x5x4xf32>, tensor<6x4xf32>
}

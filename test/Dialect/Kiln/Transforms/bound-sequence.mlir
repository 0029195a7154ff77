// RUN: kiln-opt %s -kiln-bound-sequence -split-input-file | FileCheck %s

// Over a padded sequence's 17 positions, kiln-bound-sequence adds the
// sequence_length input and marks the ops kiln-to-linalg computes up to it
// (kiln.bounded_rows: each operand's axis of the positions, -1 for one
// without them, then the result's): a gather whose indices hold the
// positions, a transpose that moves them (any axis), a Gemm whose rows they
// are. A Gemm with the positions in its second operand (its columns) is
// left whole.
// CHECK-LABEL: func.func @main
// CHECK-SAME: %[[N:.*]]: tensor<i64> {kiln.name = "sequence_length", kiln.sequence_length}
// CHECK: kiln.gather {{.*}}kiln.bounded_rows = array<i64: -1, 1, 1>
// CHECK: kiln.transpose {{.*}}{kiln.bounded_rows = array<i64: 1, 0>, perm = array<i64: 1, 0, 2>}
// CHECK: kiln.gemm {{.*}}{kiln.bounded_rows = array<i64: 0, -1, -1, 0>}
// CHECK: kiln.gemm %{{.*}}, %{{.*}} {trans_b} :
module attributes {kiln.sample_symbol = "batch", kiln.sequence_extent = 17 : i64, kiln.sequence_range = array<i64: 1, 17>, kiln.sequence_symbol = "seq"} {
  func.func @main(%tokens: tensor<1x17xi64> {kiln.name = "tokens", kiln.sample_axis = 0 : i64, kiln.sequence_axis = 1 : i64}, %table: tensor<30x8xf32>, %w: tensor<8x8xf32>, %c: tensor<8xf32>) -> (tensor<17x8xf32> {kiln.name = "out", kiln.sample_axis = 1 : i64}, tensor<8x17xf32> {kiln.name = "columns", kiln.sample_axis = 0 : i64}) {
    %0 = kiln.gather %table, %tokens {axis = 0 : i64} : (tensor<30x8xf32>, tensor<1x17xi64>) -> tensor<1x17x8xf32>
    %1 = kiln.transpose %0 {perm = array<i64: 1, 0, 2>} : (tensor<1x17x8xf32>) -> tensor<17x1x8xf32>
    %2 = kiln.reshape %1 : (tensor<17x1x8xf32>) -> tensor<17x8xf32>
    %3 = kiln.gemm %2, %w, %c : (tensor<17x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<17x8xf32>
    %4 = kiln.gemm %w, %2 {trans_b} : (tensor<8x8xf32>, tensor<17x8xf32>) -> tensor<8x17xf32>
    return %3, %4 : tensor<17x8xf32>, tensor<8x17xf32>
  }
}

// -----

// Attention over the positions: the keys and values past the length become
// zeros (kiln.where), except an operand that is zeros there already (a
// bounded transpose, through reshapes); the mask of the length alone is
// marked kiln.length_mask (the kernel's key limit does its work).
// CHECK-LABEL: func.func @main
// CHECK: %[[ROWS:.*]] = kiln.reshape %{{.*}} : (tensor<17xi1>) -> tensor<1x1x17x1xi1>
// CHECK: %[[T:.*]] = kiln.transpose {{.*}}kiln.bounded_rows = array<i64: 1, 2>
// CHECK: %[[E:.*]] = kiln.unary exp %[[T]]
// CHECK: %[[V:.*]] = kiln.where %[[ROWS]], %[[E]]
// CHECK-NOT: kiln.where
// CHECK: kiln.attention %[[T]], %[[T]], %[[V]] mask %{{.*}} {kiln.bounded_keys, kiln.bounded_queries, kiln.length_mask}
module attributes {kiln.sample_symbol = "batch", kiln.sequence_extent = 17 : i64, kiln.sequence_range = array<i64: 1, 17>, kiln.sequence_symbol = "seq"} {
  func.func @main(%tokens: tensor<1x17xi64> {kiln.name = "tokens", kiln.sample_axis = 0 : i64, kiln.sequence_axis = 1 : i64}, %table: tensor<30x8xf32>) -> (tensor<1x17x8xf32> {kiln.name = "out", kiln.sample_axis = 0 : i64}) {
    %0 = kiln.gather %table, %tokens {axis = 0 : i64} : (tensor<30x8xf32>, tensor<1x17xi64>) -> tensor<1x17x8xf32>
    %1 = kiln.reshape %0 : (tensor<1x17x8xf32>) -> tensor<1x17x2x4xf32>
    %2 = kiln.transpose %1 {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x17x2x4xf32>) -> tensor<1x2x17x4xf32>
    %3 = kiln.unary exp %2 : tensor<1x2x17x4xf32>
    %4 = kiln.attention %2, %2, %3 : (tensor<1x2x17x4xf32>, tensor<1x2x17x4xf32>, tensor<1x2x17x4xf32>) -> tensor<1x2x17x4xf32>
    %5 = kiln.transpose %4 {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x2x17x4xf32>) -> tensor<1x17x2x4xf32>
    %6 = kiln.reshape %5 : (tensor<1x17x2x4xf32>) -> tensor<1x17x8xf32>
    return %6 : tensor<1x17x8xf32>
  }
}

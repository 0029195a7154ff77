// RUN: kiln-opt %s -kiln-to-linalg -canonicalize | FileCheck %s

// Ops over a padded sequence's positions (kiln.bounded_rows, from
// kiln-bound-sequence: each operand's axis of the positions, -1 for one
// without them, then the result's) run as the same op on blocks of 8
// positions up to the graph's sequence_length, the last block ending at the
// extent (start min(8 i, 17 - 8)), into a zero-filled result; an operand
// without the positions is used whole.
// CHECK-LABEL: func @bounded_add
// CHECK: %[[N:.*]] = tensor.extract %arg2[] : tensor<i64>
// CHECK: linalg.fill
// CHECK: %[[BLOCKS:.*]] = arith.ceildivui %{{.*}}, %c8 : index
// CHECK: scf.for %[[I:.*]] = %c0 to %[[BLOCKS]]
// CHECK: %[[START:.*]] = arith.minsi %{{.*}}, %c9 : index
// CHECK: tensor.extract_slice %arg0[0, %[[START]], 0] [1, 8, 4] [1, 1, 1] : tensor<1x17x4xf32> to tensor<1x8x4xf32>
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.*}}, %arg1 : tensor<1x8x4xf32>, tensor<4xf32>)
// CHECK: tensor.insert_slice %{{.*}}[0, %[[START]], 0] [1, 8, 4] [1, 1, 1] : tensor<1x8x4xf32> into tensor<1x17x4xf32>
func.func @bounded_add(%x: tensor<1x17x4xf32>, %b: tensor<4xf32>, %n: tensor<i64> {kiln.sequence_length}) -> tensor<1x17x4xf32> {
  %0 = kiln.binary add %x, %b {kiln.bounded_rows = array<i64: 1, -1, 1>} : (tensor<1x17x4xf32>, tensor<4xf32>) -> tensor<1x17x4xf32>
  return %0 : tensor<1x17x4xf32>
}

// An extent of at most one block runs whole.
// CHECK-LABEL: func @short
// CHECK-NOT: scf.for
// CHECK: linalg.generic
func.func @short(%x: tensor<1x8x4xf32>, %b: tensor<4xf32>, %n: tensor<i64> {kiln.sequence_length}) -> tensor<1x8x4xf32> {
  %0 = kiln.binary add %x, %b {kiln.bounded_rows = array<i64: 1, -1, 1>} : (tensor<1x8x4xf32>, tensor<4xf32>) -> tensor<1x8x4xf32>
  return %0 : tensor<1x8x4xf32>
}

// A transpose over the positions copies the first `length` of them (the
// input's axis 0, the result's axis 1 here) in one linalg.transpose of
// dynamic size, inserted into zeros.
// CHECK-LABEL: func @bounded_transpose
// CHECK: %[[N:.*]] = arith.minsi %{{.*}}, %c17 : index
// CHECK: %[[PART:.*]] = tensor.extract_slice %arg0[0, 0, 0] [%[[N]], 4, 8] [1, 1, 1] : tensor<17x4x8xf32> to tensor<?x4x8xf32>
// CHECK: %[[INIT:.*]] = tensor.empty(%[[N]]) : tensor<4x?x8xf32>
// CHECK: %[[MOVED:.*]] = linalg.transpose ins(%[[PART]] : tensor<?x4x8xf32>) outs(%[[INIT]] : tensor<4x?x8xf32>) permutation = [1, 0, 2]
// CHECK: %[[ZEROS:.*]] = linalg.fill
// CHECK: tensor.insert_slice %[[MOVED]] into %[[ZEROS]][0, 0, 0] [4, %[[N]], 8] [1, 1, 1] : tensor<4x?x8xf32> into tensor<4x17x8xf32>
func.func @bounded_transpose(%x: tensor<17x4x8xf32>, %n: tensor<i64> {kiln.sequence_length}) -> tensor<4x17x8xf32> {
  %0 = kiln.transpose %x {perm = array<i64: 1, 0, 2>, kiln.bounded_rows = array<i64: 0, 1>} : (tensor<17x4x8xf32>) -> tensor<4x17x8xf32>
  return %0 : tensor<4x17x8xf32>
}

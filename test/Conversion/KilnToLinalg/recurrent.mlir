// RUN: kiln-opt %s -kiln-to-linalg -canonicalize -split-input-file | FileCheck %s

// A bidirectional GRU: each direction projects the sequence through W once,
// then steps through time in a loop carrying the states of every step and
// the outputs; the reverse direction reads time S - 1 - t. The two
// directions are the iterations of an scf.forall (side by side), the
// reverse one the second, each writing its slice of the stacked results.
// CHECK-LABEL: func @gru
// CHECK: scf.forall (%[[D:.*]]) in (2) shared_outs
// CHECK: %[[REV:.*]] = arith.cmpi eq, %[[D]], %c1
// CHECK: scf.for %[[T:[a-z0-9]+]] =
// CHECK: %[[BACK:.*]] = arith.subi %c4, %[[T]]
// CHECK: arith.select %[[REV]], %[[BACK]], %[[T]]
// CHECK: scf.forall.in_parallel
// CHECK-NEXT: tensor.parallel_insert_slice {{.*}}[0, %[[D]], 0, 0] [5, 1, 2, 4]
// CHECK-NEXT: tensor.parallel_insert_slice {{.*}}[%[[D]], 0, 0] [1, 2, 4]
func.func @gru(%x: tensor<5x2x8xf32>, %w: tensor<2x12x8xf32>, %r: tensor<2x12x4xf32>) -> (tensor<5x2x2x4xf32>, tensor<2x2x4xf32>) {
  %y, %h = kiln.gru %x, %w, %r {hidden_size = 4 : i64, direction = #kiln<direction bidirectional>} : (tensor<5x2x8xf32>, tensor<2x12x8xf32>, tensor<2x12x4xf32>) -> (tensor<5x2x2x4xf32>, tensor<2x2x4xf32>)
  return %y, %h : tensor<5x2x2x4xf32>, tensor<2x2x4xf32>
}

// -----

// An LSTM carries cell states too; the gates are sigmoid, tanh, tanh.
// CHECK-LABEL: func @lstm
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) -> (tensor<4x2x3xf32>, tensor<3x2x3xf32>, tensor<4x2x3xf32>)
// CHECK: math.exp
// CHECK: math.tanh
func.func @lstm(%x: tensor<3x2x5xf32>, %w: tensor<1x12x5xf32>, %r: tensor<1x12x3xf32>) -> tensor<1x2x3xf32> {
  %y, %h, %c = kiln.lstm %x, %w, %r {hidden_size = 3 : i64} : (tensor<3x2x5xf32>, tensor<1x12x5xf32>, tensor<1x12x3xf32>) -> (tensor<3x1x2x3xf32>, tensor<1x2x3xf32>, tensor<1x2x3xf32>)
  return %c : tensor<1x2x3xf32>
}

// -----

// Constant weights are laid out for the products ([D, G*H, X] to
// [D, X, G*H]) when the model is compiled: W[0, g, i] = 8 * g + i becomes
// the constant whose row i holds 8 * g + i; weights given at run time are
// transposed by the model.
// CHECK-LABEL: func @rnn_constant_weights
// CHECK: arith.constant dense<{{\[\[}}0.000000e+00, 8.000000e+00], [1.000000e+00, 9.000000e+00], [2.000000e+00, 1.000000e+01]{{.*}} : tensor<8x2xf32>
// CHECK: linalg.transpose ins(%arg1 : tensor<1x2x2xf32>) {{.*}} permutation = [0, 2, 1]
// CHECK-NOT: linalg.transpose
func.func @rnn_constant_weights(%x: tensor<3x1x8xf32>, %r: tensor<1x2x2xf32>) -> tensor<1x1x2xf32> {
  %w = kiln.constant dense<[[[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], [8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0]]]> : tensor<1x2x8xf32>
  %y, %h = kiln.rnn %x, %w, %r {hidden_size = 2 : i64} : (tensor<3x1x8xf32>, tensor<1x2x8xf32>, tensor<1x2x2xf32>) -> (tensor<3x1x1x2xf32>, tensor<1x1x2xf32>)
  return %h : tensor<1x1x2xf32>
}

// -----

// A padded sequence's layer (kiln-bound-sequence gives every entry the
// same length, kiln.padded_lengths): the loop stops at the length, the
// input projection runs in blocks of 8 rows up to it (the last block
// ending at the extent), and the reverse direction reads time length - 1 - t
// with no per-entry reordering of its steps and no per-step masks.
// CHECK-LABEL: func @gru_padded_lengths
// CHECK-NOT: linalg.index
// CHECK: %[[UPPER:.*]] = arith.minsi %{{.*}}, %c17 : index
// CHECK: %[[ROWS:.*]] = arith.ceildivui %[[UPPER]], %c8 : index
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[ROWS]]
// CHECK: arith.minsi %{{.*}}, %c9 : index
// CHECK: tensor.extract_slice {{.*}} to tensor<8x8xf32>
// CHECK: tensor.insert_slice {{.*}} : tensor<8x12xf32> into tensor<17x12xf32>
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[UPPER]]
// CHECK-NOT: arith.select
// CHECK: %[[UPPER2:.*]] = arith.minsi %{{.*}}, %c17 : index
// CHECK: scf.for %[[T:.*]] = %{{.*}} to %[[UPPER2]]
// CHECK: %[[LAST:.*]] = arith.subi %[[UPPER2]], %c1 : index
// CHECK: arith.subi %[[LAST]], %[[T]] : index
// CHECK-NOT: linalg.index
func.func @gru_padded_lengths(%x: tensor<17x1x8xf32>, %w: tensor<2x12x8xf32>, %r: tensor<2x12x4xf32>, %l: tensor<1xi32>) -> (tensor<17x2x1x4xf32>, tensor<2x1x4xf32>) {
  %y, %h = kiln.gru %x, %w, %r sequence_lens %l {hidden_size = 4 : i64, direction = #kiln<direction bidirectional>, kiln.padded_lengths} : (tensor<17x1x8xf32>, tensor<2x12x8xf32>, tensor<2x12x4xf32>, tensor<1xi32>) -> (tensor<17x2x1x4xf32>, tensor<2x1x4xf32>)
  return %y, %h : tensor<17x2x1x4xf32>, tensor<2x1x4xf32>
}

// RUN: kiln-opt %s -kiln-to-linalg -canonicalize -split-input-file | FileCheck %s

// A bidirectional GRU: each direction projects the sequence through W once,
// then steps through time in a loop carrying the states of every step and
// the outputs; the reverse direction reads time S - 1 - t.
// CHECK-LABEL: func @gru
// CHECK-COUNT-2: scf.for
// CHECK: arith.subi
// CHECK: tensor.insert_slice {{.*}} into {{.*}} : tensor<5x1x2x4xf32>
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

// RUN: kiln-opt %s -kiln-to-dnnl="min-work=0" -split-input-file | FileCheck %s
// RUN: kiln-opt %s -kiln-to-dnnl="min-work=0 recurrence-batch=0" -split-input-file | FileCheck %s --check-prefix=DNNL

// A recurrent layer over one sequence stays generated code (its steps
// stream the recurrent weights); its input projections become one matrix
// product first, for every step and direction, with the weights laid out
// [input, dirs x gates x hidden] when the model is compiled (W[d, g, i] =
// 100 * d + 10 * g + i) and Wb, the first half of each direction's bias.
// The layer then reads them `projected`.
// CHECK-LABEL: func @rnn_batch1
// CHECK: %[[W:.*]] = kiln.constant dense<{{\[\[}}0.000000e+00, 1.000000e+01, 1.000000e+02, 1.100000e+02], [1.000000e+00, 1.100000e+01, 1.010000e+02, 1.110000e+02], [2.000000e+00, 1.200000e+01, 1.020000e+02, 1.120000e+02]]> : tensor<3x4xf32>
// CHECK: %[[B:.*]] = kiln.constant dense<[1.000000e+00, 2.000000e+00, 5.000000e+00, 6.000000e+00]> : tensor<4xf32>
// CHECK: %[[P:.*]] = kiln_backend.dnnl_call "matmul" ins(%{{.*}}, %[[W]], %[[B]] :
// CHECK: kiln.rnn %[[P]], %{{.*}}, %{{.*}} bias %{{.*}} {direction = #kiln<direction bidirectional>, hidden_size = 2 : i64, projected} : (tensor<5x1x4xf32>
// CHECK-NOT: dnnl_call "rnn"
// DNNL-LABEL: func @rnn_batch1
// DNNL-NOT: projected
// DNNL: kiln_backend.dnnl_call "rnn"
func.func @rnn_batch1(%x: tensor<5x1x3xf32>) -> tensor<5x2x1x2xf32> {
  %r = kiln.constant dense<0.5> : tensor<2x2x2xf32>
  %w = kiln.constant dense<[[[0.0, 1.0, 2.0], [10.0, 11.0, 12.0]], [[100.0, 101.0, 102.0], [110.0, 111.0, 112.0]]]> : tensor<2x2x3xf32>
  %b = kiln.constant dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]> : tensor<2x4xf32>
  %y, %h = kiln.rnn %x, %w, %r bias %b {hidden_size = 2 : i64, direction = #kiln<direction bidirectional>} : (tensor<5x1x3xf32>, tensor<2x2x3xf32>, tensor<2x2x2xf32>, tensor<2x4xf32>) -> (tensor<5x2x1x2xf32>, tensor<2x1x2xf32>)
  return %y : tensor<5x2x1x2xf32>
}

// -----

// Over four sequences, the layer is oneDNN's.
// CHECK-LABEL: func @lstm_batch4
// CHECK-NOT: projected
// CHECK: kiln_backend.dnnl_call "lstm"
func.func @lstm_batch4(%x: tensor<5x4x3xf32>) -> tensor<5x1x4x2xf32> {
  %w = kiln.constant dense<0.25> : tensor<1x8x3xf32>
  %r = kiln.constant dense<0.5> : tensor<1x8x2xf32>
  %y, %h, %c = kiln.lstm %x, %w, %r {hidden_size = 2 : i64} : (tensor<5x4x3xf32>, tensor<1x8x3xf32>, tensor<1x8x2xf32>) -> (tensor<5x1x4x2xf32>, tensor<1x4x2xf32>, tensor<1x4x2xf32>)
  return %y : tensor<5x1x4x2xf32>
}

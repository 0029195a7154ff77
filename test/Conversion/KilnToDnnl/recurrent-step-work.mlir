// RUN: kiln-opt %s -kiln-to-dnnl -split-input-file | FileCheck %s

// With the default min-work (262144), a step of a layer in one direction
// counts its product by R: a GRU of hidden 64 over 16 sequences makes
// 16 x 192 x 64 = 196608 multiply-adds per step and stays generated code,
// its input projections a product first.
// CHECK-LABEL: func @gru_one_direction_small
// CHECK-NOT: dnnl_call "gru"
// CHECK: kiln.gru {{.*}}projected
// CHECK-NOT: dnnl_call "gru"
func.func @gru_one_direction_small(%x: tensor<40x16x32xf32>) -> tensor<1x16x64xf32> {
  %w = kiln.constant dense<0.01> : tensor<1x192x32xf32>
  %r = kiln.constant dense<0.02> : tensor<1x192x64xf32>
  %y, %h = kiln.gru %x, %w, %r {hidden_size = 64 : i64} : (tensor<40x16x32xf32>, tensor<1x192x32xf32>, tensor<1x192x64xf32>) -> (tensor<40x1x16x64xf32>, tensor<1x16x64xf32>)
  return %h : tensor<1x16x64xf32>
}

// -----

// Hidden 128 over 8 sequences: 8 x 384 x 128 = 393216 per step, oneDNN's.
// CHECK-LABEL: func @gru_one_direction_large
// CHECK: kiln_backend.dnnl_call "gru"
func.func @gru_one_direction_large(%x: tensor<40x8x32xf32>) -> tensor<1x8x128xf32> {
  %w = kiln.constant dense<0.01> : tensor<1x384x32xf32>
  %r = kiln.constant dense<0.02> : tensor<1x384x128xf32>
  %y, %h = kiln.gru %x, %w, %r {hidden_size = 128 : i64} : (tensor<40x8x32xf32>, tensor<1x384x32xf32>, tensor<1x384x128xf32>) -> (tensor<40x1x8x128xf32>, tensor<1x8x128xf32>)
  return %h : tensor<1x8x128xf32>
}

// -----

// Both directions of the small GRU, which the generated layer runs side
// by side: each direction's step counts, 196608, and the layer stays
// generated code.
// CHECK-LABEL: func @gru_bidirectional
// CHECK-NOT: dnnl_call "gru"
// CHECK: kiln.gru {{.*}}projected
func.func @gru_bidirectional(%x: tensor<40x16x32xf32>) -> tensor<2x16x64xf32> {
  %w = kiln.constant dense<0.01> : tensor<2x192x32xf32>
  %r = kiln.constant dense<0.02> : tensor<2x192x64xf32>
  %y, %h = kiln.gru %x, %w, %r {hidden_size = 64 : i64, direction = #kiln<direction bidirectional>} : (tensor<40x16x32xf32>, tensor<2x192x32xf32>, tensor<2x192x64xf32>) -> (tensor<40x2x16x64xf32>, tensor<2x16x64xf32>)
  return %h : tensor<2x16x64xf32>
}

// -----

// Both directions of the larger GRU: each direction's step, 393216, is
// oneDNN's.
// CHECK-LABEL: func @gru_bidirectional_large
// CHECK: kiln_backend.dnnl_call "gru"
func.func @gru_bidirectional_large(%x: tensor<40x8x32xf32>) -> tensor<2x8x128xf32> {
  %w = kiln.constant dense<0.01> : tensor<2x384x32xf32>
  %r = kiln.constant dense<0.02> : tensor<2x384x128xf32>
  %y, %h = kiln.gru %x, %w, %r {hidden_size = 128 : i64, direction = #kiln<direction bidirectional>} : (tensor<40x8x32xf32>, tensor<2x384x32xf32>, tensor<2x384x128xf32>) -> (tensor<40x2x8x128xf32>, tensor<2x8x128xf32>)
  return %h : tensor<2x8x128xf32>
}

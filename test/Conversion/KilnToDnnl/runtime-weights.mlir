// RUN: kiln-opt %s -kiln-to-dnnl -split-input-file | FileCheck %s

// oneDNN runs convolutions whose weights are compile-time constants; those
// given at run time (a graph input here) stay for kiln-to-linalg.
// CHECK-LABEL: func @weights
// CHECK: kiln_backend.dnnl_call "conv"
// CHECK: kiln.conv %arg0, %arg1
// CHECK: kiln.conv_transpose %arg0, %arg2
// CHECK-NOT: kiln_backend.dnnl_call
func.func @weights(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x3x3xf32>, %wt: tensor<4x16x3x3xf32>) -> (tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>, tensor<1x16x10x10xf32>) {
  %c = kiln.constant dense<0.5> : tensor<4x4x3x3xf32>
  %0 = kiln.conv %x, %c : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x6x6xf32>
  %1 = kiln.conv %x, %w : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x6x6xf32>
  %2 = kiln.conv_transpose %x, %wt : (tensor<1x4x8x8xf32>, tensor<4x16x3x3xf32>) -> tensor<1x16x10x10xf32>
  return %0, %1, %2 : tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>, tensor<1x16x10x10xf32>
}

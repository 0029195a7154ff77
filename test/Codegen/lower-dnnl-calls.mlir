// RUN: kiln-opt %s -one-shot-bufferize="bufferize-function-boundaries" -kiln-lower-dnnl-calls | FileCheck %s

// Two calls: a matmul whose weight and bias are constants and a softmax.
// CHECK-LABEL: func @main
// CHECK: %[[P0:.*]] = memref.alloca() : memref<16xindex>
// The input is a strided view: oneDNN gets a dense copy.
// CHECK: %[[DENSE:.*]] = memref.alloc() : memref<2x4xf32>
// CHECK: memref.copy %arg0, %[[DENSE]]
// CHECK: memref.extract_strided_metadata %[[DENSE]]
// CHECK: memref.extract_aligned_pointer_as_index
// CHECK: memref.store %{{.*}}, %[[P0]][%c0]
// CHECK: memref.store %{{.*}}, %[[P0]][%c1]
// CHECK-NOT: memref.store %{{.*}}, %[[P0]]
// CHECK: call @kiln_dnnl_execute(%c0_i32, %[[P0]])
// CHECK: %[[P1:.*]] = memref.alloca() : memref<16xindex>
// CHECK: call @kiln_dnnl_execute(%c1_i32, %[[P1]])
// CHECK-NOT: kiln_backend.dnnl_call
// The program: "KILN" (0x4B494C4E), version 1, its length (55 words), 2
// primitives; the matmul (kind 3, 3 inputs, 1 output) has operands
// (constant index, ONNX dtype, layout, rank, dims) (-1: run time, f32,
// dense, [2, 4]), (constant 0, [4, 3]), (constant 1, [1, 3]), (-1,
// [2, 3]), 4 params [1, 0, 0, 0] and no fparams; the softmax (kind 7) has
// two run-time operands [2, 3] and the param 1.
// CHECK: memref.global "public" constant @kiln_model_dnnl_program : memref<55xi64> = dense<[1263094862, 1, 55, 2, 3, 3, 1, -1, 1, 0, 2, 2, 4, 0, 1, 0, 2, 4, 3, 1, 1, 0, 2, 1, 3, -1, 1, 0, 2, 2, 3, 4, 1, 0, 0, 0, 0, 7, 1, 1, -1, 1, 0, 2, 2, 3, -1, 1, 0, 2, 2, 3, 1, 1, 0]>
// The constants, in order of first use.
// CHECK-LABEL: func @kiln_model_dnnl_constants(%arg0: memref<2xindex>)
// CHECK: memref.get_global @[[W:.*]] : memref<4x3xf32>
// CHECK: memref.store %{{.*}}, %arg0[%c0]
// CHECK: memref.get_global @{{.*}} : memref<1x3xf32>
// CHECK: memref.store %{{.*}}, %arg0[%c1]
func.func @main(%x: tensor<2x4xf32>) -> tensor<2x3xf32> {
  %w = arith.constant dense<1.0> : tensor<4x3xf32>
  %b = arith.constant dense<[[1.0, 2.0, 3.0]]> : tensor<1x3xf32>
  %e0 = tensor.empty() : tensor<2x3xf32>
  %0 = kiln_backend.dnnl_call "matmul" ins(%x, %w, %b : tensor<2x4xf32>, tensor<4x3xf32>, tensor<1x3xf32>) outs(%e0 : tensor<2x3xf32>) {dims = array<i64: 2, 2, 4, 2, 4, 3, 2, 1, 3, 2, 2, 3>, params = array<i64: 1, 0, 0, 0>} -> tensor<2x3xf32>
  %e1 = tensor.empty() : tensor<2x3xf32>
  %1 = kiln_backend.dnnl_call "softmax" ins(%0 : tensor<2x3xf32>) outs(%e1 : tensor<2x3xf32>) {dims = array<i64: 2, 2, 3, 2, 2, 3>, params = array<i64: 1>} -> tensor<2x3xf32>
  return %1 : tensor<2x3xf32>
}

// RUN: kiln-opt %s -kiln-to-linalg -canonicalize -split-input-file | FileCheck %s

// A 1-d lhs becomes a row; the batch dim of the rhs broadcasts.
// CHECK-DAG: #[[LHS:.*]] = affine_map<(d0, d1, d2, d3) -> (d1, d3)>
// CHECK-DAG: #[[RHS:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-LABEL: func @matmul_vector
// CHECK: %[[ROW:.*]] = tensor.{{expand|collapse}}_shape %arg0 {{.*}} : tensor<3xf32> into tensor<1x3xf32>
// CHECK: %[[P:.*]] = linalg.generic {indexing_maps = [#[[LHS]], #[[RHS]], #[[OUT]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%[[ROW]], %arg1 : tensor<1x3xf32>, tensor<2x3x4xf32>) outs(%{{.*}} : tensor<2x1x4xf32>)
// CHECK: tensor.{{expand|collapse}}_shape %[[P]] {{.*}} : tensor<2x1x4xf32> into tensor<2x4xf32>
func.func @matmul_vector(%a: tensor<3xf32>, %b: tensor<2x3x4xf32>) -> tensor<2x4xf32> {
  %0 = kiln.matmul %a, %b : (tensor<3xf32>, tensor<2x3x4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

// Transposed operands read through swapped maps; alpha scales the product
// and C is added.
// CHECK-DAG: #[[A:.*]] = affine_map<(d0, d1, d2) -> (d2, d0)>
// CHECK-DAG: #[[B:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-LABEL: func @gemm
// CHECK-DAG: %[[ALPHA:.*]] = arith.constant 2.000000e+00 : f32
// CHECK: %[[P:.*]] = linalg.generic {indexing_maps = [#[[A]], #[[B]], {{.*}}], iterator_types = ["parallel", "parallel", "reduction"]} ins(%arg0, %arg1 : tensor<3x2xf32>, tensor<4x3xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[P]], %arg2 : tensor<2x4xf32>, tensor<4xf32>)
// CHECK: %[[S:.*]] = arith.mulf %{{.*}}, %[[ALPHA]]
// CHECK: arith.addf %[[S]], %{{.*}}
func.func @gemm(%a: tensor<3x2xf32>, %b: tensor<4x3xf32>, %c: tensor<4xf32>) -> tensor<2x4xf32> {
  %0 = kiln.gemm %a, %b, %c {trans_a, trans_b, alpha = 2.0 : f32} : (tensor<3x2xf32>, tensor<4x3xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

// f16 products accumulate in f32 and are rounded once.
// CHECK-LABEL: func @half
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<2x3xf32>)
// CHECK: arith.extf %{{.*}} : f16 to f32
// CHECK: arith.extf %{{.*}} : f16 to f32
// CHECK: arith.mulf %{{.*}}, %{{.*}} : f32
// CHECK: arith.addf %{{.*}}, %{{.*}} : f32
// CHECK: arith.truncf %{{.*}} : f32 to f16
func.func @half(%a: tensor<2x4xf16>, %b: tensor<4x3xf16>) -> tensor<2x3xf16> {
  %0 = kiln.matmul %a, %b : (tensor<2x4xf16>, tensor<4x3xf16>) -> tensor<2x3xf16>
  return %0 : tensor<2x3xf16>
}

// -----

// A fused product: the rows flattened, the bias broadcast into the
// contraction's init, the activation one loop nest after it.
// CHECK-LABEL: func @fused_matmul
// CHECK: %[[X:.*]] = tensor.collapse_shape %arg0 {{.*}} into tensor<6x8xf32>
// CHECK: %[[INIT:.*]] = linalg.generic {{.*}} ins(%arg2 : tensor<16xf32>) outs(%{{.*}} : tensor<6x16xf32>)
// CHECK: %[[P:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[X]], %arg1 : tensor<6x8xf32>, tensor<8x16xf32>) outs(%[[INIT]] : tensor<6x16xf32>)
// CHECK: %[[A:.*]] = linalg.generic {{.*}} ins(%[[P]] : tensor<6x16xf32>)
// CHECK: arith.maximumf
// CHECK: tensor.expand_shape %[[A]] {{.*}} into tensor<2x3x16xf32>
func.func @fused_matmul(%x: tensor<2x3x8xf32>, %w: tensor<8x16xf32>, %b: tensor<16xf32>) -> tensor<2x3x16xf32> {
  %0 = kiln.fused_matmul %x, %w bias %b activation relu : (tensor<2x3x8xf32>, tensor<8x16xf32>, tensor<16xf32>) -> tensor<2x3x16xf32>
  return %0 : tensor<2x3x16xf32>
}

// -----

// A residual: the init is the bias plus the residual (its rows flattened),
// or the residual alone; the activation comes after the product.
// CHECK-LABEL: func @fused_matmul_residual
// CHECK: %[[X:.*]] = tensor.collapse_shape %arg0 {{.*}} into tensor<6x8xf32>
// CHECK: %[[R:.*]] = tensor.collapse_shape %arg3 {{.*}} into tensor<6x16xf32>
// CHECK: %[[INIT:.*]] = linalg.generic {{.*}} ins(%arg2, %[[R]] : tensor<16xf32>, tensor<6x16xf32>) outs(%{{.*}} : tensor<6x16xf32>)
// CHECK: arith.addf
// CHECK: %[[P:.*]] = linalg.generic {{.*}} ins(%[[X]], %arg1 : tensor<6x8xf32>, tensor<8x16xf32>) outs(%[[INIT]] : tensor<6x16xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[P]] : tensor<6x16xf32>)
// CHECK: arith.maximumf
// CHECK: %[[R2:.*]] = tensor.collapse_shape %arg3 {{.*}} into tensor<6x16xf32>
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %arg1 : tensor<6x8xf32>, tensor<8x16xf32>) outs(%[[R2]] : tensor<6x16xf32>)
func.func @fused_matmul_residual(%x: tensor<2x3x8xf32>, %w: tensor<8x16xf32>, %b: tensor<16xf32>, %r: tensor<2x3x16xf32>) -> (tensor<2x3x16xf32>, tensor<2x3x16xf32>) {
  %0 = kiln.fused_matmul %x, %w bias %b residual %r activation relu : (tensor<2x3x8xf32>, tensor<8x16xf32>, tensor<16xf32>, tensor<2x3x16xf32>) -> tensor<2x3x16xf32>
  %1 = kiln.fused_matmul %x, %w residual %r : (tensor<2x3x8xf32>, tensor<8x16xf32>, tensor<2x3x16xf32>) -> tensor<2x3x16xf32>
  return %0, %1 : tensor<2x3x16xf32>, tensor<2x3x16xf32>
}

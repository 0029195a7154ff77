// RUN: kiln-opt %s -kiln-to-linalg -canonicalize -split-input-file | FileCheck %s

// Batch norm broadcasts its per-channel parameters along dim 1.
// CHECK-DAG: #[[CH:.*]] = affine_map<(d0, d1, d2, d3) -> (d1, 0, 0)>
// CHECK-LABEL: func @batch_norm
// CHECK: linalg.generic {indexing_maps = [{{.*}}, #[[CH]], #[[CH]], #[[CH]], #[[CH]], {{.*}}]
// CHECK: math.sqrt
func.func @batch_norm(%x: tensor<1x3x2x2xf32>, %c: tensor<3xf32>) -> tensor<1x3x2x2xf32> {
  %0 = kiln.batch_norm %x, %c, %c, %c, %c : (tensor<1x3x2x2xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<1x3x2x2xf32>
  return %0 : tensor<1x3x2x2xf32>
}

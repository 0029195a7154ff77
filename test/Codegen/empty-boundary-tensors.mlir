// RUN: kiln-opt %s -kiln-empty-boundary-tensors | FileCheck %s

// Zero-size arguments and results of main become tensor<0xT>; the body uses
// an empty tensor of the original shape and returns an empty 1-d tensor.
// Other tensors, 1-d empty ones included, keep their types.
// CHECK-LABEL: func @main
// CHECK-SAME: (%[[A:.*]]: tensor<0xf32>, %[[B:.*]]: tensor<2x4xf32>, %[[C:.*]]: tensor<0xi64>)
// CHECK-SAME: -> (tensor<0xf32>, tensor<2x4xf32>, tensor<0xi64>)
// CHECK: %[[E:.*]] = tensor.empty() : tensor<2x0x4xf32>
// CHECK: %[[S:.*]] = linalg.generic {{.*}} ins(%[[E]] : tensor<2x0x4xf32>)
// CHECK: %[[R:.*]] = tensor.empty() : tensor<0xf32>
// CHECK: return %[[R]], %[[S]], %[[C]] : tensor<0xf32>, tensor<2x4xf32>, tensor<0xi64>
#map = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#map1 = affine_map<(d0, d1, d2) -> (d0, d2)>
func.func @main(%a: tensor<2x0x4xf32>, %b: tensor<2x4xf32>, %c: tensor<0xi64>) -> (tensor<3x0xf32>, tensor<2x4xf32>, tensor<0xi64>) {
  %sum = linalg.generic {indexing_maps = [#map, #map1], iterator_types = ["parallel", "reduction", "parallel"]} ins(%a : tensor<2x0x4xf32>) outs(%b : tensor<2x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.addf %out, %in : f32
    linalg.yield %0 : f32
  } -> tensor<2x4xf32>
  %empty = tensor.empty() : tensor<3x0xf32>
  return %empty, %sum, %c : tensor<3x0xf32>, tensor<2x4xf32>, tensor<0xi64>
}

// Other functions are left alone.
// CHECK-LABEL: func @helper(%{{.*}}: tensor<2x0xf32>)
func.func @helper(%a: tensor<2x0xf32>) {
  return
}

// RUN: kiln-opt %s -kiln-to-linalg -canonicalize -split-input-file | FileCheck %s

// Grouped-query attention: 4 query heads share 2 key/value heads, read
// through `h floordiv 2`; the causal mask compares query and key positions.
// CHECK-DAG: #[[Q:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>
// CHECK-DAG: #[[K:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1 floordiv 2, d3, d4)>
// CHECK-DAG: #[[V:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1 floordiv 2, d4, d3)>
// CHECK-LABEL: func @attention
// CHECK: %[[SCORES:.*]] = linalg.generic {indexing_maps = [#[[Q]], #[[K]], {{.*}}]
// CHECK: linalg.generic {{.*}} ins(%[[SCORES]], %arg3 : tensor<1x4x3x5xf32>, tensor<3x5xi1>)
// CHECK: arith.select
// CHECK: linalg.index 2
// CHECK: linalg.index 3
// CHECK: arith.cmpi ugt
// CHECK: math.exp
// CHECK: linalg.generic {indexing_maps = [{{.*}}, #[[V]], {{.*}}]
func.func @attention(%q: tensor<1x4x3x8xf32>, %k: tensor<1x2x5x8xf32>, %v: tensor<1x2x5x6xf32>, %m: tensor<3x5xi1>) -> tensor<1x4x3x6xf32> {
  %0 = kiln.attention %q, %k, %v mask %m {is_causal, causal_offset = 2 : i64} : (tensor<1x4x3x8xf32>, tensor<1x2x5x8xf32>, tensor<1x2x5x6xf32>, tensor<3x5xi1>) -> tensor<1x4x3x6xf32>
  return %0 : tensor<1x4x3x6xf32>
}

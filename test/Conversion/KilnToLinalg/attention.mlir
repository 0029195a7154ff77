// RUN: kiln-opt %s -kiln-to-linalg -canonicalize -split-input-file | FileCheck %s

// The tiled kernel: the keys transposed to [B, Hkv, D, Lk], a boolean mask
// as i8 at rank 4, blocks that divide the sequence lengths (here all of
// them); the attributes carry over, the default scale made explicit.
// CHECK-LABEL: func @flash
// CHECK: %[[KT:.*]] = linalg.transpose ins(%arg1 : tensor<1x2x5x8xf32>) outs(%{{.*}} : tensor<1x2x8x5xf32>) permutation = [0, 1, 3, 2]
// CHECK: %[[M8:.*]] = linalg.generic {{.*}} ins(%arg3 : tensor<3x5xi1>)
// CHECK: arith.extui %{{.*}} : i1 to i8
// CHECK: %[[M4:.*]] = tensor.expand_shape %[[M8]] {{.*}} : tensor<3x5xi8> into tensor<1x1x3x5xi8>
// CHECK: %[[A:.*]] = kiln_backend.flash_attention %arg0, %[[KT]], %arg2 mask %[[M4]] into %{{.*}} {block_k = 5 : i64, block_q = 3 : i64, causal_offset = 2 : i64, is_causal, scale = 0.353553385 : f32} : tensor<1x4x3x8xf32>, tensor<1x2x8x5xf32>, tensor<1x2x5x6xf32>, tensor<1x1x3x5xi8> into tensor<1x4x3x6xf32> -> tensor<1x4x3x6xf32>
// CHECK: return %[[A]]
func.func @flash(%q: tensor<1x4x3x8xf32>, %k: tensor<1x2x5x8xf32>, %v: tensor<1x2x5x6xf32>, %m: tensor<3x5xi1>) -> tensor<1x4x3x6xf32> {
  %0 = kiln.attention %q, %k, %v mask %m {is_causal, causal_offset = 2 : i64} : (tensor<1x4x3x8xf32>, tensor<1x2x5x8xf32>, tensor<1x2x5x6xf32>, tensor<3x5xi1>) -> tensor<1x4x3x6xf32>
  return %0 : tensor<1x4x3x6xf32>
}

// -----

// Half precision runs the kernel in f32 and rounds once; a finite mask fill
// carries over.
// CHECK-LABEL: func @flash_f16
// CHECK-COUNT-3: arith.extf
// CHECK: kiln_backend.flash_attention {{.*}} {block_k = 256 : i64, block_q = 50 : i64, mask_fill = -1.000000e+09 : f32, scale = 5.000000e-01 : f32}
// CHECK: arith.truncf
func.func @flash_f16(%q: tensor<2x1x200x4xf16>, %k: tensor<2x1x256x4xf16>, %v: tensor<2x1x256x4xf16>, %m: tensor<2x1x1x256xi1>) -> tensor<2x1x200x4xf16> {
  %0 = kiln.attention %q, %k, %v mask %m {mask_fill = -1.0e9 : f32} : (tensor<2x1x200x4xf16>, tensor<2x1x256x4xf16>, tensor<2x1x256x4xf16>, tensor<2x1x1x256xi1>) -> tensor<2x1x200x4xf16>
  return %0 : tensor<2x1x200x4xf16>
}

// -----

// f64 keeps the reference lowering.
// Grouped-query attention: 4 query heads share 2 key/value heads, read
// through `h floordiv 2`; the causal mask compares query and key positions.
// CHECK-DAG: #[[Q:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>
// CHECK-DAG: #[[K:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1 floordiv 2, d3, d4)>
// CHECK-DAG: #[[V:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1 floordiv 2, d4, d3)>
// CHECK-LABEL: func @attention
// CHECK-NOT: kiln_backend.flash_attention
// CHECK: %[[SCORES:.*]] = linalg.generic {indexing_maps = [#[[Q]], #[[K]], {{.*}}]
// CHECK: linalg.generic {{.*}} ins(%[[SCORES]], %arg3 : tensor<1x4x67x5xf64>, tensor<67x5xi1>)
// CHECK: arith.select
// CHECK: linalg.index 2
// CHECK: linalg.index 3
// CHECK: arith.cmpi ugt
// CHECK: math.exp
// CHECK: linalg.generic {indexing_maps = [{{.*}}, #[[V]], {{.*}}]
func.func @attention(%q: tensor<1x4x67x8xf64>, %k: tensor<1x2x5x8xf64>, %v: tensor<1x2x5x6xf64>, %m: tensor<67x5xi1>) -> tensor<1x4x67x6xf64> {
  %0 = kiln.attention %q, %k, %v mask %m {is_causal, causal_offset = 2 : i64} : (tensor<1x4x67x8xf64>, tensor<1x2x5x8xf64>, tensor<1x2x5x6xf64>, tensor<67x5xi1>) -> tensor<1x4x67x6xf64>
  return %0 : tensor<1x4x67x6xf64>
}

// -----

// 67 queries and 263 keys have no block of 8 or more (of at most 64
// and 256): both padded to a
// multiple of 8 with zeros (the mask too), the kernel told the real
// lengths, its output cut back to 67 rows.
// CHECK-LABEL: func @flash_padded
// CHECK-DAG: %[[NK:.*]] = arith.constant dense<263> : tensor<i64>
// CHECK-DAG: %[[NQ:.*]] = arith.constant dense<67> : tensor<i64>
// CHECK-DAG: %[[Q:.*]] = tensor.pad %arg0 low[0, 0, 0, 0] high[0, 0, 5, 0]
// CHECK-DAG: %[[K:.*]] = tensor.pad %arg1 low[0, 0, 0, 0] high[0, 0, 1, 0]
// CHECK-DAG: %[[V:.*]] = tensor.pad %arg2 low[0, 0, 0, 0] high[0, 0, 1, 0]
// CHECK-DAG: %[[M:.*]] = tensor.pad %{{.*}} low[0, 0, 0, 0] high[0, 0, 0, 1]
// CHECK: %[[A:.*]] = kiln_backend.flash_attention %[[Q]], %{{.*}}, %[[V]] mask %[[M]] key_limit(%[[NK]] : tensor<i64>) query_limit(%[[NQ]] : tensor<i64>) into %{{.*}} {block_k = 132 : i64, block_q = 36 : i64, {{.*}}} : tensor<1x1x72x8xf32>, tensor<1x1x8x264xf32>, tensor<1x1x264x6xf32>, tensor<1x1x1x264xf32> into tensor<1x1x72x6xf32>
// CHECK: tensor.extract_slice %[[A]][0, 0, 0, 0] [1, 1, 67, 6] [1, 1, 1, 1]
func.func @flash_padded(%q: tensor<1x1x67x8xf32>, %k: tensor<1x1x263x8xf32>, %v: tensor<1x1x263x6xf32>, %m: tensor<1x1x1x263xf32>) -> tensor<1x1x67x6xf32> {
  %0 = kiln.attention %q, %k, %v mask %m : (tensor<1x1x67x8xf32>, tensor<1x1x263x8xf32>, tensor<1x1x263x6xf32>, tensor<1x1x1x263xf32>) -> tensor<1x1x67x6xf32>
  return %0 : tensor<1x1x67x6xf32>
}

// -----

// Attention over a padded sequence's positions (kiln-bound-sequence marks
// it): blocks of 8 queries, the keys padded to a multiple of 16 in one
// block, both limited to the graph's sequence_length at run time; queries
// that are not the positions keep their blocks and are all computed.
// CHECK-LABEL: func @flash_bounded
// CHECK: kiln_backend.flash_attention {{.*}} key_limit(%arg3 : tensor<i64>) query_limit(%arg3 : tensor<i64>) into %{{.*}} {block_k = 32 : i64, block_q = 8 : i64, {{.*}}} : tensor<1x2x24x8xf32>, tensor<1x2x8x32xf32>, tensor<1x2x32x8xf32> into tensor<1x2x24x8xf32>
// CHECK-LABEL: func @flash_keys_bounded
// CHECK: kiln_backend.flash_attention {{.*}} key_limit(%arg3 : tensor<i64>) into %{{.*}} {block_k = 32 : i64, block_q = 4 : i64, {{.*}}} : tensor<1x2x4x8xf32>, tensor<1x2x8x32xf32>, tensor<1x2x32x8xf32> into tensor<1x2x4x8xf32>
func.func @flash_bounded(%q: tensor<1x2x17x8xf32>, %k: tensor<1x2x17x8xf32>, %v: tensor<1x2x17x8xf32>, %n: tensor<i64> {kiln.sequence_length}) -> tensor<1x2x17x8xf32> {
  %0 = kiln.attention %q, %k, %v {kiln.bounded_keys, kiln.bounded_queries} : (tensor<1x2x17x8xf32>, tensor<1x2x17x8xf32>, tensor<1x2x17x8xf32>) -> tensor<1x2x17x8xf32>
  return %0 : tensor<1x2x17x8xf32>
}
func.func @flash_keys_bounded(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x17x8xf32>, %v: tensor<1x2x17x8xf32>, %n: tensor<i64> {kiln.sequence_length}) -> tensor<1x2x4x8xf32> {
  %0 = kiln.attention %q, %k, %v {kiln.bounded_keys} : (tensor<1x2x4x8xf32>, tensor<1x2x17x8xf32>, tensor<1x2x17x8xf32>) -> tensor<1x2x4x8xf32>
  return %0 : tensor<1x2x4x8xf32>
}

// -----

// A mask that kiln-bound-sequence made of the length alone
// (kiln.length_mask) is left to the key limit; another mask stays.
// CHECK-LABEL: func @flash_length_mask
// CHECK-NOT: mask
// CHECK: kiln_backend.flash_attention %{{[^ ]*}}, %{{[^ ]*}}, %{{[^ ]*}} key_limit(%arg4 : tensor<i64>)
// CHECK-LABEL: func @flash_user_mask
// CHECK: kiln_backend.flash_attention {{.*}} mask %{{.*}} key_limit(%arg4 : tensor<i64>)
func.func @flash_length_mask(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x17x8xf32>, %v: tensor<1x2x17x8xf32>, %m: tensor<1x1x1x17xi1>, %n: tensor<i64> {kiln.sequence_length}) -> tensor<1x2x4x8xf32> {
  %0 = kiln.attention %q, %k, %v mask %m {kiln.bounded_keys, kiln.length_mask} : (tensor<1x2x4x8xf32>, tensor<1x2x17x8xf32>, tensor<1x2x17x8xf32>, tensor<1x1x1x17xi1>) -> tensor<1x2x4x8xf32>
  return %0 : tensor<1x2x4x8xf32>
}
func.func @flash_user_mask(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x17x8xf32>, %v: tensor<1x2x17x8xf32>, %m: tensor<1x1x1x17xi1>, %n: tensor<i64> {kiln.sequence_length}) -> tensor<1x2x4x8xf32> {
  %0 = kiln.attention %q, %k, %v mask %m {kiln.bounded_keys} : (tensor<1x2x4x8xf32>, tensor<1x2x17x8xf32>, tensor<1x2x17x8xf32>, tensor<1x1x1x17xi1>) -> tensor<1x2x4x8xf32>
  return %0 : tensor<1x2x4x8xf32>
}

// -----

// Head transposes around the kernel (queries and values from [B, L, H, D]
// and the output back to it) fold into it: the kernel reads and writes
// the [B, L, H, D] tensors (bshd) and only the keys' transpose stays.
// Without the transpose back, nothing folds.
// CHECK-LABEL: func @flash_heads
// CHECK: %[[KT:.*]] = linalg.transpose ins(%arg1 : tensor<1x5x2x8xf32>) outs(%{{.*}} : tensor<1x2x8x5xf32>) permutation = [0, 2, 3, 1]
// CHECK-NOT: linalg.transpose
// CHECK: %[[A:.*]] = kiln_backend.flash_attention %arg0, %[[KT]], %arg2 into %{{.*}} {block_k = 5 : i64, block_q = 3 : i64, bshd, scale = 0.353553385 : f32} : tensor<1x3x4x8xf32>, tensor<1x2x8x5xf32>, tensor<1x5x2x6xf32> into tensor<1x3x4x6xf32>
// CHECK-NOT: linalg.transpose
// CHECK: return %[[A]]
// CHECK-LABEL: func @flash_heads_kept
// CHECK-COUNT-2: linalg.transpose {{.*}} permutation = [0, 2, 1, 3]
// CHECK-NOT: bshd
// CHECK: return
func.func @flash_heads(%q: tensor<1x3x4x8xf32>, %k: tensor<1x5x2x8xf32>, %v: tensor<1x5x2x6xf32>) -> tensor<1x3x4x6xf32> {
  %qh = kiln.transpose %q {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x3x4x8xf32>) -> tensor<1x4x3x8xf32>
  %kh = kiln.transpose %k {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x5x2x8xf32>) -> tensor<1x2x5x8xf32>
  %vh = kiln.transpose %v {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x5x2x6xf32>) -> tensor<1x2x5x6xf32>
  %0 = kiln.attention %qh, %kh, %vh : (tensor<1x4x3x8xf32>, tensor<1x2x5x8xf32>, tensor<1x2x5x6xf32>) -> tensor<1x4x3x6xf32>
  %1 = kiln.transpose %0 {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x4x3x6xf32>) -> tensor<1x3x4x6xf32>
  return %1 : tensor<1x3x4x6xf32>
}
func.func @flash_heads_kept(%q: tensor<1x3x4x8xf32>, %k: tensor<1x2x5x8xf32>, %v: tensor<1x5x2x6xf32>) -> tensor<1x4x3x6xf32> {
  %qh = kiln.transpose %q {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x3x4x8xf32>) -> tensor<1x4x3x8xf32>
  %vh = kiln.transpose %v {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x5x2x6xf32>) -> tensor<1x2x5x6xf32>
  %0 = kiln.attention %qh, %k, %vh : (tensor<1x4x3x8xf32>, tensor<1x2x5x8xf32>, tensor<1x2x5x6xf32>) -> tensor<1x4x3x6xf32>
  return %0 : tensor<1x4x3x6xf32>
}

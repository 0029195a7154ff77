// RUN: kiln-opt %s -kiln-lower-attention=vector-bits=128 | FileCheck %s

// 2 batches x 2 heads x 2 query blocks = 8 iterations in one scf.parallel,
// scratch of one 4 x 6 score block and two numbers per query row each; per
// key block a score contraction, vector passes over each row (4 lanes: one
// full vector, then a masked tail of 2), and the value contraction.
// Causal attention stops at the last key block a query block sees. The
// first key block, which every query block sees, is peeled: it finds the
// running sums and output at zero and rescales nothing; the later ones
// rescale by the exp of the change of the row's maximum. The row sums add
// their lanes in a tree (reassoc).
// CHECK-LABEL: func @flash
// CHECK-DAG: %[[S:.*]] = memref.alloc() : memref<8x4x6xf32>
// CHECK-DAG: %[[M:.*]] = memref.alloc() : memref<8x4xf32>
// CHECK: scf.parallel (%[[C:.*]]) =
// CHECK: memref.subview %[[S]][%[[C]], 0, 0] [1, 4, 6] [1, 1, 1]
// CHECK: scf.for
// CHECK: linalg.fill
// CHECK: %[[END:.*]] = arith.minui
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: vector.load {{.*}} vector<4xf32>
// CHECK: vector.load %arg3{{.*}} vector<4xi8>
// CHECK: vector.step
// CHECK: arith.cmpi ule
// CHECK: arith.maxnumf
// CHECK: vector.maskedload {{.*}} vector<4xi8>
// CHECK: vector.maskedstore
// CHECK: vector.reduction <maxnumf>
// CHECK-NOT: math.exp %{{.*}} : f32
// CHECK: vector.reduction <add>, %{{.*}} fastmath<reassoc>
// CHECK-NOT: math.exp %{{.*}} : f32
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: scf.for %{{.*}} = %c1{{.*}} to %[[END]]
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: vector.reduction <maxnumf>
// CHECK: math.exp %{{.*}} : f32
// CHECK: vector.reduction <add>
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: arith.divf
// CHECK-NOT: kiln_backend.flash_attention
func.func @flash(%q: memref<2x2x8x4xf32>, %kt: memref<2x1x4x12xf32>, %v: memref<2x1x12x3xf32>, %m: memref<2x1x1x12xi8>, %out: memref<2x2x8x3xf32>) {
  kiln_backend.flash_attention %q, %kt, %v mask %m into %out {scale = 0.5 : f32, is_causal, block_q = 4 : i64, block_k = 6 : i64} : memref<2x2x8x4xf32>, memref<2x1x4x12xf32>, memref<2x1x12x3xf32>, memref<2x1x1x12xi8> into memref<2x2x8x3xf32>
  return
}

// Limits read once per chunk of iterations, inside the parallel loop (so
// that kiln-parallelize can outline it), and clamped to the lengths. A
// query block from the limit on is zeros; the key blocks stop at the one
// holding the limit, and within it each row's vector passes stop at the
// limit rounded up to a vector (the keys past it -inf, the probabilities
// after it zeros); the rows past the query limit are zeroed after the
// division.
// CHECK-LABEL: func @flash_limits
// CHECK: scf.parallel
// CHECK: %[[NK:.*]] = memref.load %arg3[] : memref<i64>
// CHECK: arith.maxsi
// CHECK: arith.minsi
// CHECK: %[[NQ:.*]] = memref.load %arg3[] : memref<i64>
// CHECK: %[[IN:.*]] = arith.cmpi ult, %{{.*}}, %{{.*}} : index
// CHECK: scf.if %[[IN]] {
// CHECK: arith.ceildivui
// CHECK: arith.minui
// CHECK: scf.for
// CHECK: arith.ceildivui
// CHECK: scf.for {{.*}} iter_args
// CHECK: arith.cmpi ult
// CHECK: arith.select
// CHECK: vector.reduction <maxnumf>
// CHECK: scf.for {{.*}} iter_args
// CHECK: math.exp
// CHECK: scf.for
// CHECK: vector.store
// CHECK: arith.divf
// CHECK: arith.cmpi uge
// CHECK: scf.if
// CHECK: vector.store
// CHECK: } else {
// CHECK: linalg.fill
func.func @flash_limits(%q: memref<1x2x16x4xf32>, %kt: memref<1x2x4x32xf32>, %v: memref<1x2x32x4xf32>, %n: memref<i64>, %out: memref<1x2x16x4xf32>) {
  kiln_backend.flash_attention %q, %kt, %v key_limit(%n : memref<i64>) query_limit(%n : memref<i64>) into %out {scale = 0.5 : f32, block_q = 8 : i64, block_k = 16 : i64} : memref<1x2x16x4xf32>, memref<1x2x4x32xf32>, memref<1x2x32x4xf32> into memref<1x2x16x4xf32>
  return
}

// Blocks of 4 queries and 8 keys at 4 lanes, with one mask value per key:
// the probabilities go a 4 x 4 tile at a time, transposed in registers
// (a vector holds one key's scores for 4 queries), so the maxima, the
// exponentials and the sums are lane-wise: no reductions across lanes and
// no scalar exponentials. The second key block rescales the running sums
// and output rows by the exponential of the maxima's change, one lane per
// row.
// CHECK-LABEL: func @flash_tiles
// CHECK: scf.parallel
// CHECK-NOT: vector.reduction
// CHECK: memref.load %arg3{{.*}} : memref<1x1x1x16xi8>
// CHECK: arith.maxnumf {{.*}} : vector<4xf32>
// CHECK: math.exp {{.*}} : vector<4xf32>
// CHECK: vector.shuffle
// CHECK: scf.for %{{.*}} = %c1{{.*}} to
// CHECK: math.exp {{.*}} : vector<4xf32>
// CHECK: vector.extract %{{.*}}[3] : f32 from vector<4xf32>
// CHECK-NOT: vector.reduction
// CHECK-NOT: math.exp %{{.*}} : f32
// CHECK: return
func.func @flash_tiles(%q: memref<1x2x8x4xf32>, %kt: memref<1x2x4x16xf32>, %v: memref<1x2x16x4xf32>, %m: memref<1x1x1x16xi8>, %out: memref<1x2x8x4xf32>) {
  kiln_backend.flash_attention %q, %kt, %v mask %m into %out {scale = 0.5 : f32, block_q = 4 : i64, block_k = 8 : i64} : memref<1x2x8x4xf32>, memref<1x2x4x16xf32>, memref<1x2x16x4xf32>, memref<1x1x1x16xi8> into memref<1x2x8x4xf32>
  return
}

// With bshd, q, v and the output are [B, L, H, D]: a block's rows of a
// head are a view whose rows are H * D apart (here the output's 4 x 8 at
// stride 32, the queries' 4 x 16 at 64, a key block's values of the
// shared head 8 x 8 at 16); the keys' k_t keeps its layout. The
// iterations are (batch, head, query block) as without it.
// CHECK-LABEL: func @flash_bshd
// CHECK: scf.parallel
// CHECK: %[[B:.*]] = arith.divui %{{.*}}, %c8
// CHECK: %[[REST:.*]] = arith.remui %{{.*}}, %c8
// CHECK: %[[H:.*]] = arith.divui %[[REST]], %c2
// CHECK: %[[KV:.*]] = arith.divui %[[H]], %c2
// CHECK: memref.subview %arg3[%[[B]], %[[I:.*]], %[[H]], 0] [1, 4, 1, 8] [1, 1, 1, 1] : memref<2x8x4x8xf32> to memref<4x8xf32, strided<[32, 1], offset: ?>>
// CHECK: memref.subview %arg0[%[[B]], %[[I]], %[[H]], 0] [1, 4, 1, 16] [1, 1, 1, 1] : memref<2x8x4x16xf32> to memref<4x16xf32, strided<[64, 1], offset: ?>>
// CHECK: memref.subview %arg1[%[[B]], %[[KV]], 0, %[[J:.*]]] [1, 1, 16, 8] [1, 1, 1, 1] : memref<2x2x16x8xf32> to memref<16x8xf32, strided<[8, 1], offset: ?>>
// CHECK: memref.subview %arg2[%[[B]], %[[J]], %[[KV]], 0] [1, 8, 1, 8] [1, 1, 1, 1] : memref<2x8x2x8xf32> to memref<8x8xf32, strided<[16, 1], offset: ?>>
func.func @flash_bshd(%q: memref<2x8x4x16xf32>, %kt: memref<2x2x16x8xf32>, %v: memref<2x8x2x8xf32>, %o: memref<2x8x4x8xf32>) {
  kiln_backend.flash_attention %q, %kt, %v into %o {scale = 0.25 : f32, block_q = 4 : i64, block_k = 8 : i64, bshd} : memref<2x8x4x16xf32>, memref<2x2x16x8xf32>, memref<2x8x2x8xf32> into memref<2x8x4x8xf32>
  return
}

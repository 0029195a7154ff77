// RUN: kiln-opt %s -kiln-lower-conv-pool -canonicalize -split-input-file | FileCheck %s

// A 3x3 convolution (8x8 output, padded by one) with relu and a 3x3 max
// pooling of stride 2 padded by one, two pooled rows per step: each step's
// tile is 5 rows (2 pooled rows: (2 - 1) * 2 + 3) x 9 columns ((4 - 1) * 2
// + 3) in the pooling's padded coordinates. Two steps (one image, 4 / 2
// bands), so two chunks, each with its own im2col matrix and tile.
// CHECK-LABEL: func @max_padded
// CHECK-DAG: %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK-DAG: %[[COL:.*]] = memref.alloc() : memref<2x2x3x3x5x9xf32>
// CHECK-DAG: %[[TILE:.*]] = memref.alloc() : memref<2x4x5x9xf32>
// CHECK: scf.parallel (%[[C:.*]]) = (%c0) to (%c2) step (%c1)
// CHECK: %[[CCOL:.*]] = memref.subview %[[COL]][%[[C]], 0, 0, 0, 0, 0] [1, 2, 3, 3, 5, 9]
// CHECK: %[[CTILE:.*]] = memref.subview %[[TILE]][%[[C]], 0, 0, 0] [1, 4, 5, 9]
// CHECK: scf.for
// The band's input rows: 4 (= 2 pooled rows x stride 2) per band.
// CHECK: %[[ROW0:.*]] = arith.muli %{{.*}}, %c4 : index
// CHECK: %[[IN:.*]] = memref.subview %arg0[%{{.*}}, 0, %[[ROW0]], 0] [1, 2, 7, 11]
// im2col of the band, bias, product, activation on the tile:
// CHECK: linalg.generic {{.*}} ins(%[[IN]] : {{.*}}) outs(%[[CCOL]] :
// CHECK: %[[CMAT:.*]] = memref.collapse_shape %[[CCOL]] {{\[\[}}0, 1, 2], [3, 4]] {{.*}} into memref<18x45xf32
// CHECK: %[[TMAT:.*]] = memref.collapse_shape %[[CTILE]] {{\[\[}}0], [1, 2]] {{.*}} into memref<4x45xf32
// CHECK: linalg.generic {{.*}} ins(%arg2 : memref<4xf32>) outs(%[[TMAT]] :
// CHECK: linalg.generic {{.*}} ins(%arg1, %[[CMAT]] : {{.*}}) outs(%[[TMAT]] :
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: linalg.generic {{.*}} outs(%[[TMAT]] :
// CHECK: arith.maximumf
// The pooling's padding: the first tile column, and the tile rows outside
// convolution rows [0, 8) (shifted by the one row of padding).
// CHECK: %[[LEFT:.*]] = memref.subview %[[CTILE]][0, 0, 0] [4, 5, 1]
// CHECK: linalg.fill ins(%[[NEGINF]] : f32) outs(%[[LEFT]] :
// CHECK: scf.for %[[TR:.*]] = %c0 to %c5 step %c1
// CHECK: %[[R:.*]] = arith.addi %[[ROW0]], %[[TR]]
// CHECK: arith.cmpi ult, %[[R]], %c1
// CHECK: arith.cmpi uge, %[[R]], %c9
// CHECK: scf.if
// CHECK: memref.subview %[[CTILE]][0, %[[TR]], 0] [4, 1, 9]
// CHECK: linalg.fill ins(%[[NEGINF]] : f32)
// The band's two output rows, pooled from the tile.
// CHECK: %[[OUT:.*]] = memref.subview %arg3[%{{.*}}, 0, %{{.*}}, 0] [1, 4, 2, 4]
// CHECK: linalg.fill ins(%[[NEGINF]] : f32) outs(%[[OUT]] :
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction", "reduction", "parallel", "parallel"]} ins(%[[CTILE]], %{{.*}} : {{.*}}) outs(%[[OUT]] :
// CHECK: arith.maximumf
// CHECK-NOT: kiln_backend.conv_pool
func.func @max_padded(%x: memref<1x2x11x11xf32>, %w: memref<4x18xf32>, %b: memref<4xf32>, %o: memref<1x4x4x4xf32>) {
  kiln_backend.conv_pool %x, %w bias %b into %o {activation = #kiln<unary relu>, band = 2 : i64, conv_shape = array<i64: 8, 8>, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 3, 3>, pool = #kiln<pool max>, pool_kernel_shape = array<i64: 3, 3>, pool_pads = array<i64: 1, 1>, pool_strides = array<i64: 2, 2>, strides = array<i64: 1, 1>} : memref<1x2x11x11xf32>, memref<4x18xf32> bias memref<4xf32> into memref<1x4x4x4xf32>
  return
}

// -----

// Average pooling without padding or bias: the tile starts at zero, no
// position is filled, and the pooled sums are scaled by the counts of the
// band's rows. 2 images x 4 bands: 8 steps in 8 chunks.
// CHECK-LABEL: func @avg
// CHECK: scf.parallel (%[[C:.*]]) = (%c0) to (%c8) step (%c1)
// CHECK: scf.for
// CHECK: linalg.fill ins(%cst : f32)
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK-NOT: scf.if
// CHECK: %[[OUT:.*]] = memref.subview %arg3
// CHECK: linalg.generic {{.*}} outs(%[[OUT]] :
// CHECK: arith.addf
// CHECK: %[[COUNTS:.*]] = memref.subview %arg2[%{{.*}}, 0] [1, 4] [1, 1] : memref<4x4xf32> to memref<1x4xf32
// CHECK: linalg.generic {{.*}} ins(%[[COUNTS]] : {{.*}}) outs(%[[OUT]] :
// CHECK: arith.mulf
func.func @avg(%x: memref<2x3x8x8xf32>, %w: memref<5x3xf32>, %counts: memref<4x4xf32>, %o: memref<2x5x4x4xf32>) {
  kiln_backend.conv_pool %x, %w counts %counts into %o {band = 1 : i64, conv_shape = array<i64: 8, 8>, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 1, 1>, pool = #kiln<pool avg>, pool_kernel_shape = array<i64: 2, 2>, pool_pads = array<i64: 0, 0>, pool_strides = array<i64: 2, 2>, strides = array<i64: 1, 1>} : memref<2x3x8x8xf32>, memref<5x3xf32> counts memref<4x4xf32> into memref<2x5x4x4xf32>
  return
}

// -----

// Without pooling the tile is the band's output rows: no tile scratch, the
// residual rows plus the bias start it, the product accumulates into it
// and the activation runs there; nothing is filled or pooled.
// CHECK-LABEL: func @residual
// CHECK: memref.alloc() : memref<4x2x3x3x2x8xf32>
// CHECK-NOT: memref.alloc
// CHECK: scf.parallel
// CHECK: %[[ROW0:.*]] = arith.muli %{{.*}}, %c2 : index
// CHECK: %[[OUT:.*]] = memref.subview %arg4[%{{.*}}, 0, %[[ROW0]], 0] [1, 4, 2, 8]
// CHECK: %[[TMAT:.*]] = memref.collapse_shape %[[OUT]] {{\[\[}}0], [1, 2]]
// CHECK: %[[RES:.*]] = memref.subview %arg3[%{{.*}}, 0, %[[ROW0]], 0] [1, 4, 2, 8]
// CHECK: %[[RMAT:.*]] = memref.collapse_shape %[[RES]]
// CHECK: linalg.generic {{.*}} ins(%[[RMAT]], %arg2 : {{.*}}) outs(%[[TMAT]] :
// CHECK: arith.addf
// CHECK: linalg.generic {{.*}} outs(%[[TMAT]] :
// CHECK: arith.mulf
// CHECK: linalg.generic {{.*}} outs(%[[TMAT]] :
// CHECK: math.tanh
// CHECK-NOT: linalg.fill
// CHECK: scf.reduce
func.func @residual(%x: memref<1x2x10x10xf32>, %w: memref<4x18xf32>, %b: memref<4xf32>, %r: memref<1x4x8x8xf32>, %o: memref<1x4x8x8xf32>) {
  kiln_backend.conv_pool %x, %w bias %b residual %r into %o {activation = #kiln<unary tanh>, band = 2 : i64, conv_shape = array<i64: 8, 8>, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 3, 3>, pool_kernel_shape = array<i64: 1, 1>, pool_pads = array<i64: 0, 0>, pool_strides = array<i64: 1, 1>, strides = array<i64: 1, 1>} : memref<1x2x10x10xf32>, memref<4x18xf32> bias memref<4xf32> residual memref<1x4x8x8xf32> into memref<1x4x8x8xf32>
  return
}

// RUN: kiln-opt %s -split-input-file -kiln-vectorize-contractions="vector-bits=128 rows=2 vectors=2" -cse | FileCheck %s

// A 5x19 = 5x3 * 3x19 matmul with 2x(2 vectors of 4) blocks: rows 0-3 in
// blocks of two, row 4 in a block of its own; columns 0-15 in blocks of two
// full vectors, 16-18 as one masked vector. The row (and outer) loops are scf.parallel: each
// iteration writes its own rows. Each block keeps its accumulators in the reduction loop's
// iter_args: lhs broadcast per row, rhs loaded per vector, one FMA each.
#lhs = affine_map<(m, n, k) -> (m, k)>
#rhs = affine_map<(m, n, k) -> (k, n)>
#out = affine_map<(m, n, k) -> (m, n)>
// CHECK-LABEL: func @matmul
// CHECK-NOT: linalg.generic
// Full row blocks.
// CHECK: scf.parallel (%[[I:.*]]) = (%c0) to (%c4) step (%c2)
// CHECK: scf.for %[[J:.*]] = %c0{{.*}} to %c16{{.*}} step %c8
// CHECK-COUNT-4: vector.load %arg2
// CHECK: %[[ACC:.*]]:4 = scf.for %[[K:.*]] = {{.*}} iter_args(
// CHECK: memref.load %arg0[%[[I]], %[[K]]]
// CHECK: vector.broadcast
// CHECK: memref.load %arg0
// CHECK: vector.broadcast
// CHECK: vector.load %arg1[%[[K]], %[[J]]] : memref<3x19xf32>, vector<4xf32>
// CHECK: vector.load %arg1
// CHECK-COUNT-4: vector.fma
// CHECK: scf.yield
// CHECK-COUNT-4: vector.store
// The masked last columns of the row blocks.
// CHECK: vector.create_mask %{{.*}} : vector<4xi1>
// CHECK: vector.maskedload %arg2
// CHECK: vector.maskedload %arg1
// CHECK: vector.maskedstore %arg2
// The rest of the rows (row 4) as one block, reading the rhs once more.
// CHECK: vector.load %arg2[%c4,
// CHECK: vector.fma
// CHECK: vector.maskedstore %arg2[%c4,
func.func @matmul(%a: memref<5x3xf32>, %b: memref<3x19xf32>, %c: memref<5x19xf32>) {
  linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<5x3xf32>, memref<3x19xf32>) outs(%c : memref<5x19xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// An output whose rows and columns all fit in 16 vectors (3 rows x 3
// vectors of 4, more rows than a default block) is one kernel: the rhs is
// read once.
#lhs1 = affine_map<(m, n, k) -> (m, k)>
#rhs1 = affine_map<(m, n, k) -> (k, n)>
#out1 = affine_map<(m, n, k) -> (m, n)>
// CHECK-LABEL: func @one_block
// CHECK-NOT: scf.parallel
// CHECK-COUNT-9: vector.load %arg2
// CHECK: scf.for %{{.*}} = %c0 to %c64 step %c1 iter_args(
// CHECK-COUNT-3: vector.load %arg1
// CHECK-COUNT-9: vector.fma
// CHECK: scf.yield
// CHECK-COUNT-9: vector.store
// CHECK-NOT: vector.fma
// CHECK: return
func.func @one_block(%a: memref<3x64xf32>, %b: memref<64x12xf32>, %c: memref<3x12xf32>) {
  linalg.generic {indexing_maps = [#lhs1, #rhs1, #out1], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<3x64xf32>, memref<64x12xf32>) outs(%c : memref<3x12xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A recurrent product against packed weight panels, out[p, i, j] +=
// h[i, k] * panels[p, k, j] (kiln-to-linalg's form for a few rows against a
// large R): the panels are the parallel loop, and each is one block of all
// rows and all its columns that reads the panel from start to end.
#lhs2 = affine_map<(p, i, j, k) -> (i, k)>
#rhs2 = affine_map<(p, i, j, k) -> (p, k, j)>
#out2 = affine_map<(p, i, j, k) -> (p, i, j)>
// CHECK-LABEL: func @packed_panels
// CHECK: scf.parallel (%[[P:.*]]) = (%c0) to (%c6) step (%c1)
// CHECK-COUNT-8: vector.load %arg2[%[[P]],
// CHECK: scf.for %[[K:.*]] = %c0 to %c128 step %c1 iter_args(
// CHECK-COUNT-4: vector.load %arg1[%[[P]], %[[K]],
// CHECK-COUNT-8: vector.fma
// CHECK: scf.yield
// CHECK-COUNT-8: vector.store
// CHECK-NOT: vector.fma
// CHECK: return
func.func @packed_panels(%h: memref<2x128xf32>, %panels: memref<6x128x16xf32>, %out: memref<6x2x16xf32>) {
  linalg.generic {indexing_maps = [#lhs2, #rhs2, #out2], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%h, %panels : memref<2x128xf32>, memref<6x128x16xf32>) outs(%out : memref<6x2x16xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A batch of matrix-vector products with a broadcast batch dim (index 0):
// the batch is an outer loop, the lhs reads row 0 of its batch.
#lhs = affine_map<(b, m, n, k) -> (0, m, k)>
#rhs = affine_map<(b, m, n, k) -> (b, k, n)>
#out = affine_map<(b, m, n, k) -> (b, m, n)>
// CHECK-LABEL: func @broadcast_batch
// CHECK: scf.parallel (%[[B:.*]]) =
// CHECK: scf.parallel (%[[I:.*]]) =
// CHECK: scf.for %[[J:.*]] =
// CHECK: scf.for %[[K:[a-z0-9]*]] =
// CHECK: memref.load %arg0[%[[C0:.*]], %[[I]], %[[K]]]
// CHECK: vector.load %arg1[%[[B]], %[[K]], %{{.*}}] : memref<3x2x8xf32>, vector<4xf32>
func.func @broadcast_batch(%a: memref<1x2x2xf32>, %b: memref<3x2x8xf32>, %c: memref<3x2x8xf32>) {
  linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<1x2x2xf32>, memref<3x2x8xf32>) outs(%c : memref<3x2x8xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %y, %x : f32
    %s = arith.addf %p, %acc : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// One input times a scalar from outside the body (a splat weight the
// canonicalizer folded): the scalar is broadcast once, before the loops.
#in = affine_map<(m, n, k) -> (k, n)>
#out = affine_map<(m, n, k) -> (m, n)>
// CHECK-LABEL: func @splat_weight
// CHECK: %[[S:.*]] = vector.broadcast %arg2 : f32 to vector<4xf32>
// CHECK: scf.for
// CHECK: vector.fma %{{.*}}, %[[S]], %{{.*}}
func.func @splat_weight(%a: memref<3x8xf32>, %c: memref<2x8xf32>, %w: f32) {
  linalg.generic {indexing_maps = [#in, #out], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a : memref<3x8xf32>) outs(%c : memref<2x8xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %p = arith.mulf %x, %w : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Left to the loop lowering: the rhs reads the output's innermost dim n
// along a non-innermost dim (a transposed operand), the body is not a
// multiply-add, the elements are integers, or the shapes are dynamic.
#lhs = affine_map<(m, n, k) -> (m, k)>
#rhs_t = affine_map<(m, n, k) -> (n, k)>
#rhs = affine_map<(m, n, k) -> (k, n)>
#out = affine_map<(m, n, k) -> (m, n)>
// CHECK-LABEL: func @not_vectorized
// CHECK-NOT: vector.
// CHECK-COUNT-4: linalg.generic
// CHECK-NOT: vector.
func.func @not_vectorized(%a: memref<4x3xf32>, %bt: memref<8x3xf32>, %b: memref<3x8xf32>, %c: memref<4x8xf32>,
                          %ai: memref<4x3xi32>, %bi: memref<3x8xi32>, %ci: memref<4x8xi32>,
                          %ad: memref<?x3xf32>, %cd: memref<?x8xf32>) {
  linalg.generic {indexing_maps = [#lhs, #rhs_t, #out], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %bt : memref<4x3xf32>, memref<8x3xf32>) outs(%c : memref<4x8xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<4x3xf32>, memref<3x8xf32>) outs(%c : memref<4x8xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.maximumf %acc, %p : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%ai, %bi : memref<4x3xi32>, memref<3x8xi32>) outs(%ci : memref<4x8xi32>) {
  ^bb0(%x: i32, %y: i32, %acc: i32):
    %p = arith.muli %x, %y : i32
    %s = arith.addi %acc, %p : i32
    linalg.yield %s : i32
  }
  linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%ad, %b : memref<?x3xf32>, memref<3x8xf32>) outs(%cd : memref<?x8xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A long reduction over many rows is blocked for the caches: chunks of
// 2 x 8 = 16 rows (two chunks, then a tail of 4 rows in blocks of 2) by
// 256 reduction steps (two chunks, then a tail of 88); in each, every
// column block, and in it every row block of the chunk, runs the kernel
// over the chunk's steps, accumulating into the output.
#lhs = affine_map<(m, n, k) -> (m, k)>
#rhs = affine_map<(m, n, k) -> (k, n)>
#out = affine_map<(m, n, k) -> (m, n)>
// CHECK-LABEL: func @blocked
// CHECK: scf.parallel (%[[R:.*]]) = (%c0) to (%c32) step (%c16)
// CHECK: scf.for %[[K0:.*]] = %c0{{.*}} to %c512 step %c256
// CHECK: scf.for %[[J:.*]] = %c0{{.*}} to %c8{{.*}} step %c8
// CHECK: scf.for %[[I:.*]] = %c0{{.*}} to %c16{{.*}} step %c2
// CHECK: %[[ROW:.*]] = arith.addi %[[R]], %[[I]]
// CHECK: %[[END:.*]] = arith.addi %[[K0]], %c256
// CHECK: scf.for %[[K:.*]] = %[[K0]] to %[[END]] step %c1
// CHECK: vector.fma
// The last 88 steps of each row chunk.
// CHECK: scf.for %{{.*}} = %c512 to %c600
// The 4 rows after the chunks, in blocks of 2 over all 600 steps.
// CHECK: scf.parallel (%{{.*}}) = (%c32) to (%c36) step (%c2)
// CHECK: scf.for %{{.*}} = %c0{{.*}} to %c600
func.func @blocked(%a: memref<36x600xf32>, %b: memref<600x8xf32>, %c: memref<36x8xf32>) {
  linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : memref<36x600xf32>, memref<600x8xf32>) outs(%c : memref<36x8xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// One row against a 64x4096 matrix (a recurrent step at batch 1): the
// matrix is streamed. Panels of 512 columns go to the threads; each runs
// through the reduction in chunks of 32 steps and, within a chunk, through
// its blocks of 16 vectors (one row: more vectors per block), so the
// matrix is read as 32 sequential rows at a time.
#lhs = affine_map<(m, n, k) -> (m, k)>
#rhs = affine_map<(m, n, k) -> (k, n)>
#out = affine_map<(m, n, k) -> (m, n)>
// CHECK-LABEL: func @stream_matrix
// CHECK: scf.parallel (%[[P:.*]]) = (%c0) to (%c4096) step (%c512)
// CHECK: scf.for %[[K0:.*]] = %c0{{.*}} to %c64 step %c32
// CHECK: scf.for %[[J:.*]] = %c0{{.*}} to %c512 step %c64
// CHECK: %[[J0:.*]] = arith.addi %[[P]], %[[J]]
// CHECK-COUNT-16: vector.load %arg2
// CHECK: %[[END:.*]] = arith.addi %[[K0]], %c32
// CHECK: scf.for %[[K:.*]] = %[[K0]] to %[[END]] step
// CHECK: memref.load %arg0[%c0{{.*}}, %[[K]]]
// CHECK: vector.load %arg1[%[[K]], %[[J0]]]
// CHECK-COUNT-16: vector.fma
// CHECK-COUNT-16: vector.store
// CHECK-NOT: scf.parallel
// CHECK: return
func.func @stream_matrix(%a: memref<1x64xf32>, %b: memref<64x4096xf32>, %c: memref<1x4096xf32>) {
  linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<1x64xf32>, memref<64x4096xf32>) outs(%c : memref<1x4096xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// An output filled just before (a product without a bias starts from zeros)
// is not read: the fill is dropped and each block's accumulators start
// from its value, broadcast; an op between them that writes another
// allocation does not stop this.
#lhs = affine_map<(m, n, k) -> (m, k)>
#rhs = affine_map<(m, n, k) -> (k, n)>
#out = affine_map<(m, n, k) -> (m, n)>
// CHECK-LABEL: func @from_fill
// CHECK-NOT: linalg.fill
// CHECK: %[[OUT:.*]] = memref.alloc() : memref<4x8xf32>
// CHECK-NOT: linalg.fill
// CHECK: linalg.generic
// CHECK: %[[ZEROS:.*]] = vector.broadcast %{{.*}} : f32 to vector<4xf32>
// CHECK-NOT: vector.load %[[OUT]]
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %[[ZEROS]], %{{.*}} = %[[ZEROS]], %{{.*}} = %[[ZEROS]], %{{.*}} = %[[ZEROS]])
// CHECK: vector.store {{.*}}, %[[OUT]]
func.func @from_fill(%a: memref<4x3xf32>, %b: memref<3x8xf32>, %c: memref<3x8xf32>) -> memref<4x8xf32> {
  %zero = arith.constant 0.0 : f32
  %out = memref.alloc() : memref<4x8xf32>
  %copy = memref.alloc() : memref<3x8xf32>
  linalg.fill ins(%zero : f32) outs(%out : memref<4x8xf32>)
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}
      ins(%b : memref<3x8xf32>) outs(%copy : memref<3x8xf32>) {
  ^bb0(%x: f32, %y: f32):
    linalg.yield %x : f32
  }
  linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %copy : memref<4x3xf32>, memref<3x8xf32>) outs(%out : memref<4x8xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return %out : memref<4x8xf32>
}

// -----

// A fill of the output that another op reads before the product stays, and
// the product accumulates into what it holds.
#lhs = affine_map<(m, n, k) -> (m, k)>
#rhs = affine_map<(m, n, k) -> (k, n)>
#out = affine_map<(m, n, k) -> (m, n)>
// CHECK-LABEL: func @fill_read_between
// CHECK: linalg.fill
// CHECK: memref.copy
// CHECK: vector.load %[[OUT:.*]][
// CHECK: scf.for
func.func @fill_read_between(%a: memref<4x3xf32>, %b: memref<3x8xf32>, %seen: memref<4x8xf32>) -> memref<4x8xf32> {
  %zero = arith.constant 0.0 : f32
  %out = memref.alloc() : memref<4x8xf32>
  linalg.fill ins(%zero : f32) outs(%out : memref<4x8xf32>)
  memref.copy %out, %seen : memref<4x8xf32> to memref<4x8xf32>
  linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<4x3xf32>, memref<3x8xf32>) outs(%out : memref<4x8xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return %out : memref<4x8xf32>
}

// RUN: kiln-opt %s -kiln-vectorize-generics=vector-bits=128 -split-input-file | FileCheck %s

// Elementwise with a per-row operand: rows as an scf.parallel, 18 columns
// as 4 vectors of 4 and a masked tail of 2; the per-row value is a
// broadcast scalar, the body runs on vectors.
// CHECK-LABEL: func @shifted_exp
// CHECK: scf.parallel
// CHECK: scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK: %[[X:.*]] = vector.load %arg0[%{{.*}}, %[[J]]] : memref<3x18xf32>, vector<4xf32>
// CHECK: %[[M:.*]] = memref.load %arg1[%{{.*}}] : memref<3xf32>
// CHECK: %[[MV:.*]] = vector.broadcast %[[M]] : f32 to vector<4xf32>
// CHECK: %[[D:.*]] = arith.subf %[[X]], %[[MV]] : vector<4xf32>
// CHECK: %[[E:.*]] = math.exp %[[D]] : vector<4xf32>
// CHECK: vector.store %[[E]], %arg2[%{{.*}}, %[[J]]]
// CHECK: vector.create_mask %{{.*}} : vector<4xi1>
// CHECK: vector.maskedload %arg0
// CHECK: vector.maskedstore %arg2
// CHECK-NOT: linalg.generic
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @shifted_exp(%x: memref<3x18xf32>, %m: memref<3xf32>, %y: memref<3x18xf32>) {
  linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%x, %m : memref<3x18xf32>, memref<3xf32>) outs(%y : memref<3x18xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %0 = arith.subf %a, %b : f32
    %1 = math.exp %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// A row sum of squares: a vector accumulator across the row, the masked
// tail's lanes past the end replaced by 0, then one reduction across lanes
// added to what the output held.
// CHECK-LABEL: func @sum_squares
// CHECK: scf.parallel
// CHECK: %[[ACC:.*]] = scf.for {{.*}} iter_args(%[[A:.*]] = %{{.*}}) -> (vector<4xf32>)
// CHECK: %[[X:.*]] = vector.load %arg0
// CHECK: %[[SQ:.*]] = arith.mulf %[[X]], %[[X]] : vector<4xf32>
// CHECK: %[[NEXT:.*]] = arith.addf %[[A]], %[[SQ]] : vector<4xf32>
// CHECK: scf.yield %[[NEXT]]
// CHECK: vector.maskedload %arg0
// CHECK: arith.select
// CHECK: %[[R:.*]] = vector.reduction <add>
// CHECK: %[[OLD:.*]] = memref.load %arg1
// CHECK: %[[NEW:.*]] = arith.addf %[[OLD]], %[[R]] : f32
// CHECK: memref.store %[[NEW]], %arg1
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @sum_squares(%x: memref<2x10xf32>, %y: memref<2xf32>) {
  linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]} ins(%x : memref<2x10xf32>) outs(%y : memref<2xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %0 = arith.mulf %a, %a : f32
    %1 = arith.addf %acc, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// Left alone: a body reading loop indices, a reduction over an outer dim,
// a transposed read.
// CHECK-LABEL: func @left_alone
// CHECK-COUNT-3: linalg.generic
// CHECK-NOT: vector.
#id = affine_map<(d0, d1) -> (d0, d1)>
#t = affine_map<(d0, d1) -> (d1, d0)>
#col = affine_map<(d0, d1) -> (d1)>
func.func @left_alone(%x: memref<4x4xf32>, %y: memref<4x4xf32>, %s: memref<4xf32>) {
  linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]} outs(%y : memref<4x4xf32>) {
  ^bb0(%c: f32):
    %i = linalg.index 1 : index
    %0 = arith.index_cast %i : index to i32
    %1 = arith.sitofp %0 : i32 to f32
    linalg.yield %1 : f32
  }
  linalg.generic {indexing_maps = [#t, #col], iterator_types = ["reduction", "parallel"]} ins(%x : memref<4x4xf32>) outs(%s : memref<4xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %0 = arith.addf %acc, %a : f32
    linalg.yield %0 : f32
  }
  linalg.generic {indexing_maps = [#t, #id], iterator_types = ["parallel", "parallel"]} ins(%x : memref<4x4xf32>) outs(%y : memref<4x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  }
  return
}

// -----

// i1 buffers hold a byte per element: a mask is read an element at a time
// into a vector (lanes past the row's end false), a comparison's result
// written an element at a time (only the lanes inside the row).
// CHECK-LABEL: func @bits
// CHECK: scf.for
// CHECK-COUNT-4: memref.load %arg0
// CHECK: vector.from_elements {{.*}} : vector<4xi1>
// CHECK: arith.select {{.*}} : vector<4xi1>, vector<4xf32>
// CHECK: memref.load %arg0
// CHECK: vector.from_elements %{{.*}}, %false, %false{{.*}}, %false{{.*}} : vector<4xi1>
// CHECK: arith.cmpf ogt, {{.*}} : vector<4xf32>
// CHECK-COUNT-4: vector.extract
// CHECK: arith.cmpf ogt, {{.*}} : vector<4xf32>
// CHECK: vector.extract {{.*}}[0] : i1 from vector<4xi1>
// CHECK-NOT: vector.extract
// CHECK: return
#id = affine_map<(d0) -> (d0)>
func.func @bits(%keep: memref<5xi1>, %x: memref<5xf32>, %y: memref<5xf32>, %pos: memref<5xi1>) {
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]} ins(%keep, %x : memref<5xi1>, memref<5xf32>) outs(%y : memref<5xf32>) {
  ^bb0(%k: i1, %a: f32, %o: f32):
    %0 = arith.select %k, %a, %zero : f32
    linalg.yield %0 : f32
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%x : memref<5xf32>) outs(%pos : memref<5xi1>) {
  ^bb0(%a: f32, %o: i1):
    %0 = arith.cmpf ogt, %a, %zero : f32
    linalg.yield %0 : i1
  }
  return
}

// -----

// A window reduction (1-d max pooling, window 3, stride 2): rows as an
// scf.parallel; each output vector is loaded, the window loop combines it
// with the strided input vectors (the 7-element span the 4 lanes cover,
// masked past its last element, every other lane kept) by a NaN-propagating
// max, and it is stored once. The row's last output is a masked vector of one lane.
// CHECK-LABEL: func @max_pool
// CHECK: scf.parallel (%[[C:.*]]) =
// CHECK: scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK: %[[O:.*]] = vector.load %arg1[%[[C]], %[[J]]] : memref<2x5xf32>, vector<4xf32>
// CHECK: %[[R:.*]] = scf.for %[[K:.*]] = {{.*}} iter_args(%[[A:.*]] = %[[O]]) -> (vector<4xf32>)
// CHECK: %[[M:.*]] = vector.create_mask %c7{{.*}} : vector<8xi1>
// CHECK: %[[S:.*]] = vector.maskedload %arg0[%[[C]], %{{.*}}], %[[M]]
// CHECK: %[[V:.*]] = vector.shuffle %[[S]], %[[S]] [0, 2, 4, 6] : vector<8xf32>, vector<8xf32>
// CHECK: %[[G:.*]] = arith.cmpf ogt, %[[A]], %[[V]] : vector<4xf32>
// CHECK: %[[L:.*]] = arith.select %[[G]], %[[A]], %[[V]]
// CHECK: %[[N:.*]] = arith.cmpf uno, %[[A]], %[[A]] : vector<4xf32>
// CHECK: %[[X:.*]] = arith.select %[[N]], %[[A]], %[[L]]
// CHECK: scf.yield %[[X]]
// CHECK: vector.store %[[R]], %arg1[%[[C]], %[[J]]]
// CHECK: vector.create_mask %c1{{.*}} : vector<4xi1>
// CHECK: vector.maskedload %arg1
// CHECK: vector.create_mask %c1{{.*}} : vector<8xi1>
// CHECK: vector.maskedstore %arg1
// CHECK-NOT: linalg.generic
#in = affine_map<(c, k, o) -> (c, o * 2 + k)>
#win = affine_map<(c, k, o) -> (k)>
#out = affine_map<(c, k, o) -> (c, o)>
func.func @max_pool(%x: memref<2x11xf32>, %y: memref<2x5xf32>, %w: memref<3xf32>) {
  linalg.generic {indexing_maps = [#in, #win, #out], iterator_types = ["parallel", "reduction", "parallel"]} ins(%x, %w : memref<2x11xf32>, memref<3xf32>) outs(%y : memref<2x5xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %0 = arith.maximumf %acc, %a : f32
    linalg.yield %0 : f32
  }
  return
}

// -----

// A sum over the outer axis: one vector per 4 columns, accumulated down
// the rows in registers.
// CHECK-LABEL: func @column_sum
// CHECK: scf.for %[[J:.*]] =
// CHECK: %[[O:.*]] = vector.load %arg1[%[[J]]]
// CHECK: scf.for %[[I:.*]] = {{.*}} iter_args(%[[A:.*]] = %[[O]])
// CHECK: %[[X:.*]] = vector.load %arg0[%[[I]], %[[J]]]
// CHECK: arith.addf %[[A]], %[[X]] : vector<4xf32>
// CHECK: vector.store
// CHECK-NOT: linalg.generic
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#col2 = affine_map<(d0, d1) -> (d1)>
func.func @column_sum(%x: memref<6x8xf32>, %s: memref<8xf32>) {
  linalg.generic {indexing_maps = [#id2, #col2], iterator_types = ["reduction", "parallel"]} ins(%x : memref<6x8xf32>) outs(%s : memref<8xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %0 = arith.addf %acc, %a : f32
    linalg.yield %0 : f32
  }
  return
}

// -----

// A window reduction right after a fill of its output (with only pure ops
// in between) starts from the fill's value: the fill is dropped and the
// output is never loaded. A fill that no reduction follows becomes vector
// stores.
// CHECK-LABEL: func @filled_pool
// CHECK-NOT: linalg.fill
// CHECK: %[[NEG:.*]] = arith.constant 0xFF800000 : f32
// CHECK: scf.parallel (%[[C:.*]]) =
// CHECK: scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NOT: vector.load %arg1
// CHECK: %[[B:.*]] = vector.broadcast %[[NEG]] : f32 to vector<4xf32>
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %[[B]])
// CHECK: vector.store %{{.*}}, %arg1[%[[C]], %[[J]]]
// CHECK: vector.maskedstore %arg1
// CHECK: scf.parallel
// CHECK: vector.store %{{.*}}, %arg3
// CHECK: vector.maskedstore %arg3
// CHECK-NOT: linalg.
#in1 = affine_map<(c, k, o) -> (c, o * 2 + k)>
#win1 = affine_map<(c, k, o) -> (k)>
#out1 = affine_map<(c, k, o) -> (c, o)>
func.func @filled_pool(%x: memref<2x11xf32>, %y: memref<2x5xf32>, %w: memref<3xf32>, %z: memref<2x6xf32>) {
  %lowest = arith.constant 0xFF800000 : f32
  linalg.fill ins(%lowest : f32) outs(%y : memref<2x5xf32>)
  %one = arith.constant 1.0 : f32
  linalg.generic {indexing_maps = [#in1, #win1, #out1], iterator_types = ["parallel", "reduction", "parallel"]} ins(%x, %w : memref<2x11xf32>, memref<3xf32>) outs(%y : memref<2x5xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %0 = arith.maximumf %acc, %a : f32
    linalg.yield %0 : f32
  }
  linalg.fill ins(%one : f32) outs(%z : memref<2x6xf32>)
  return
}

// -----

// A fill followed by a write elsewhere, then the reduction: the output
// must be read, so the fill stays (as vector stores) and the output is
// loaded.
// CHECK-LABEL: func @fill_kept
// CHECK: vector.store
// CHECK: memref.store
// CHECK: vector.load %arg1
#in2 = affine_map<(c, k, o) -> (c, o * 2 + k)>
#win2 = affine_map<(c, k, o) -> (k)>
#out2 = affine_map<(c, k, o) -> (c, o)>
func.func @fill_kept(%x: memref<2x11xf32>, %y: memref<2x4xf32>, %w: memref<3xf32>) {
  %lowest = arith.constant 0xFF800000 : f32
  %c0 = arith.constant 0 : index
  linalg.fill ins(%lowest : f32) outs(%y : memref<2x4xf32>)
  memref.store %lowest, %y[%c0, %c0] : memref<2x4xf32>
  linalg.generic {indexing_maps = [#in2, #win2, #out2], iterator_types = ["parallel", "reduction", "parallel"]} ins(%x, %w : memref<2x11xf32>, memref<3xf32>) outs(%y : memref<2x4xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %0 = arith.maximumf %acc, %a : f32
    linalg.yield %0 : f32
  }
  return
}

// -----

// An im2col copy (3x3 window, stride 1 along rows, 2 along columns): an
// elementwise generic whose input reads the innermost dim through a sum
// (`c * 2 + kw`): a strided vector read, stored as vectors.
// CHECK-LABEL: func @im2col
// CHECK: scf.parallel
// CHECK: vector.create_mask %c7{{.*}} : vector<8xi1>
// CHECK: vector.maskedload %arg0
// CHECK: vector.shuffle {{.*}} [0, 2, 4, 6] : vector<8xf32>, vector<8xf32>
// CHECK: vector.store {{.*}} %arg1
// CHECK: vector.create_mask %c1{{.*}} : vector<8xi1>
// CHECK: vector.maskedstore %arg1
// CHECK-NOT: linalg.generic
#src = affine_map<(kh, kw, r, c) -> (r + kh, c * 2 + kw)>
#col5 = affine_map<(kh, kw, r, c) -> (kh, kw, r, c)>
func.func @im2col(%x: memref<6x11xf32>, %col: memref<3x3x4x5xf32>) {
  linalg.generic {indexing_maps = [#src, #col5], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x : memref<6x11xf32>) outs(%col : memref<3x3x4x5xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  }
  return
}

// -----

// A gather fused into an elementwise op: the row index is loaded and
// converted once per vector, as scalars; the row of the table is read as
// vectors along the innermost loop (6 columns: a vector of 4 and a masked
// tail of 2). A table read down a column (its innermost loop index not the
// last) is left alone.
// CHECK-LABEL: func @gather_rows
// CHECK: scf.parallel (%[[I:.*]]) =
// CHECK: scf.for %[[J:.*]] =
// CHECK: %[[A:.*]] = vector.load %arg0[%[[I]], %[[J]]] : memref<3x6xf32>, vector<4xf32>
// CHECK: %[[K:.*]] = memref.load %arg1[%[[I]]] : memref<3xi64>
// CHECK: %[[R:.*]] = arith.index_cast %[[K]] : i64 to index
// CHECK: %[[V:.*]] = vector.load %arg2[%[[R]], %[[J]]] : memref<10x6xf32>, vector<4xf32>
// CHECK: %[[S:.*]] = arith.addf %[[A]], %[[V]] : vector<4xf32>
// CHECK: vector.store %[[S]], %arg3[%[[I]], %[[J]]]
// CHECK: vector.maskedload %arg2
// CHECK: vector.maskedstore
// CHECK: linalg.generic
// CHECK-NOT: vector.
#rows = affine_map<(d0, d1) -> (d0, d1)>
func.func @gather_rows(%x: memref<3x6xf32>, %idx: memref<3xi64>, %table: memref<10x6xf32>, %y: memref<3x6xf32>, %t: memref<6x10xf32>) {
  linalg.generic {indexing_maps = [#rows, #rows], iterator_types = ["parallel", "parallel"]} ins(%x : memref<3x6xf32>) outs(%y : memref<3x6xf32>) {
  ^bb0(%a: f32, %o: f32):
    %i = linalg.index 0 : index
    %k = memref.load %idx[%i] : memref<3xi64>
    %r = arith.index_cast %k : i64 to index
    %j = linalg.index 1 : index
    %v = memref.load %table[%r, %j] : memref<10x6xf32>
    %s = arith.addf %a, %v : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#rows, #rows], iterator_types = ["parallel", "parallel"]} ins(%x : memref<3x6xf32>) outs(%y : memref<3x6xf32>) {
  ^bb0(%a: f32, %o: f32):
    %i = linalg.index 0 : index
    %k = memref.load %idx[%i] : memref<3xi64>
    %r = arith.index_cast %k : i64 to index
    %j = linalg.index 1 : index
    %v = memref.load %t[%j, %r] : memref<6x10xf32>
    %s = arith.addf %a, %v : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A transpose that keeps the innermost dim copies rows as vectors (from a
// strided view too); one that moves it, to an innermost dim that neither
// tiles nor interleaves take (3 long), is left to the loop lowering.
// CHECK-LABEL: func @transpose_rows
// CHECK: scf.parallel
// CHECK: vector.load %{{.*}} : memref<3x2x6xf32, strided<[24, 6, 1]>>, vector<4xf32>
// CHECK: vector.store %{{.*}} : memref<2x3x6xf32>, vector<4xf32>
// CHECK: vector.maskedload
// CHECK: vector.maskedstore
// CHECK: linalg.transpose ins(%{{.*}} : memref<3x2xf32>) outs(%{{.*}} : memref<2x3xf32>) permutation = [1, 0]
func.func @transpose_rows(%x: memref<3x4x6xf32>, %y: memref<2x3x6xf32>, %a: memref<3x2xf32>, %b: memref<2x3xf32>) {
  %v = memref.subview %x[0, 0, 0] [3, 2, 6] [1, 1, 1] : memref<3x4x6xf32> to memref<3x2x6xf32, strided<[24, 6, 1]>>
  linalg.transpose ins(%v : memref<3x2x6xf32, strided<[24, 6, 1]>>) outs(%y : memref<2x3x6xf32>) permutation = [1, 0, 2]
  linalg.transpose ins(%a : memref<3x2xf32>) outs(%b : memref<2x3xf32>) permutation = [1, 0]
  return
}

// -----

// A transpose to a short innermost dim (2) from the input's outer dim,
// whose next dim is the input's innermost, interleaves:
// out[a, j, r] = in[r, a, j]. For each vector of j, the two input rows'
// vectors are interleaved into one vector of 8 stored along the output's
// last two dims, flattened once before the loops; the last, partial vector of j (9 = 2 x 4 + 1)
// is read and written masked. The outer dim is parallel.
// CHECK-LABEL: func @transpose_interleave
// CHECK: %[[ROWS:.*]] = memref.collapse_shape %arg1 {{\[\[}}0], [1, 2]] : memref<3x9x2xf32> into memref<3x18xf32>
// CHECK: scf.parallel (%[[A:.*]]) =
// CHECK: scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %c4
// CHECK: %[[R0:.*]] = vector.load %arg0[%c0{{.*}}, %[[A]], %[[J]]] : memref<2x3x9xf32>, vector<4xf32>
// CHECK: %[[R1:.*]] = vector.load %arg0[%c1{{.*}}, %[[A]], %[[J]]] : memref<2x3x9xf32>, vector<4xf32>
// CHECK: %[[I:.*]] = vector.interleave %[[R0]], %[[R1]] : vector<4xf32> -> vector<8xf32>
// CHECK: vector.store %[[I]], %[[ROWS]][%[[A]], %{{.*}}] : memref<3x18xf32>, vector<8xf32>
// CHECK: vector.create_mask %{{.*}} : vector<4xi1>
// CHECK: vector.maskedload %arg0
// CHECK: vector.maskedload %arg0
// CHECK: vector.interleave
// CHECK: vector.create_mask %{{.*}} : vector<8xi1>
// CHECK: vector.maskedstore
// CHECK-NOT: linalg.transpose
func.func @transpose_interleave(%x: memref<2x3x9xf32>, %y: memref<3x9x2xf32>) {
  linalg.transpose ins(%x : memref<2x3x9xf32>) outs(%y : memref<3x9x2xf32>) permutation = [1, 2, 0]
  return
}

// -----

// A transpose that moves the innermost dim, whose swapped dims are
// multiples of the 4 lanes: tiles of 4 x 4 (4 row loads, 2 rounds of 4
// shuffles, 4 row stores) in loops over the tiles, the outer dim
// parallel.
// CHECK-LABEL: func @transpose_tiles
// CHECK: scf.parallel
// CHECK: scf.for {{.*}} step %c4
// CHECK: scf.for {{.*}} step %c4
// CHECK-COUNT-4: vector.load %arg0
// CHECK: vector.shuffle {{.*}} [0, 4, 2, 6] : vector<4xf32>, vector<4xf32>
// CHECK: vector.shuffle {{.*}} [1, 5, 3, 7] : vector<4xf32>, vector<4xf32>
// CHECK-COUNT-6: vector.shuffle
// CHECK-COUNT-4: vector.store {{.*}}, %arg1
// CHECK-NOT: linalg.transpose
func.func @transpose_tiles(%x: memref<2x8x12xf32>, %y: memref<2x12x8xf32>) {
  linalg.transpose ins(%x : memref<2x8x12xf32>) outs(%y : memref<2x12x8xf32>) permutation = [0, 2, 1]
  return
}

// -----

// A copy into the inside of a padded buffer (rows of 6 in rows of 8)
// becomes vector loads and stores of its rows, not a memref.copy (which
// would call the runtime's element-by-element memrefCopy); a copy
// between dense buffers stays one copy.
// CHECK-LABEL: func @padded_copy
// CHECK: scf.parallel
// CHECK: vector.load %arg0
// CHECK: vector.store %{{.*}}, %[[INSIDE:[a-z_0-9]+]][
// CHECK: vector.maskedload %arg0
// CHECK: vector.maskedstore %[[INSIDE]]
// CHECK: memref.copy %arg0, %arg2 : memref<3x6xf32> to memref<3x6xf32>
// CHECK-NOT: memref.copy
func.func @padded_copy(%x: memref<3x6xf32>, %padded: memref<5x8xf32>, %dense: memref<3x6xf32>) {
  %inside = memref.subview %padded[1, 1] [3, 6] [1, 1] : memref<5x8xf32> to memref<3x6xf32, strided<[8, 1], offset: 9>>
  memref.copy %x, %inside : memref<3x6xf32> to memref<3x6xf32, strided<[8, 1], offset: 9>>
  memref.copy %x, %dense : memref<3x6xf32> to memref<3x6xf32>
  return
}

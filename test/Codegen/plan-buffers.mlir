// RUN: kiln-opt %s -split-input-file -kiln-plan-buffers | FileCheck %s

// %a (4 KiB) is live from its alloc to the op reading its view; %b
// (2 KiB) is written while %a is alive, so it goes after it; %c (4 KiB)
// starts after %a's last use and reuses offset 0. The workspace (6 KiB) is
// main's last argument, and its size a module attribute.
// CHECK: module attributes {kiln.workspace_bytes = 6144 : i64}
// CHECK-LABEL: func @main
// CHECK-SAME: %[[OUT:.*]]: memref<1024xf32>, %[[WS:.*]]: memref<6144xi8>
// CHECK-NOT: memref.alloc
// CHECK: %[[A:.*]] = memref.view %[[WS]][%c0{{.*}}][] : memref<6144xi8> to memref<1024xf32>
// CHECK: %[[B:.*]] = memref.view %[[WS]][%c4096{{.*}}][] : memref<6144xi8> to memref<512xf32>
// CHECK: %[[C:.*]] = memref.view %[[WS]][%c0{{.*}}][] : memref<6144xi8> to memref<1024xf32>
func.func @main(%out: memref<1024xf32>) {
  %cst = arith.constant 1.0 : f32
  %a = memref.alloc() : memref<1024xf32>
  linalg.fill ins(%cst : f32) outs(%a : memref<1024xf32>)
  %b = memref.alloc() : memref<512xf32>
  %a2 = memref.expand_shape %a [[0, 1]] output_shape [2, 512] : memref<1024xf32> into memref<2x512xf32>
  %a3 = memref.subview %a2[0, 0] [1, 512] [1, 1] : memref<2x512xf32> to memref<512xf32, strided<[1]>>
  memref.copy %a3, %b : memref<512xf32, strided<[1]>> to memref<512xf32>
  %c = memref.alloc() : memref<1024xf32>
  linalg.fill ins(%cst : f32) outs(%c : memref<1024xf32>)
  memref.copy %c, %out : memref<1024xf32> to memref<1024xf32>
  return
}

// -----

// A buffer carried by a loop lives until the loop's result is last used;
// one allocated in the loop's body takes one place, live while the loop
// runs; one that is returned keeps its alloc.
// CHECK-LABEL: func @main
// CHECK-SAME: %{{.*}}: memref<16xf32>, %[[WS:.*]]: memref<128xi8>
// CHECK: %[[A:.*]] = memref.view %[[WS]][%c0{{.*}}][] : memref<128xi8> to memref<16xf32>
// CHECK: scf.for
// CHECK: memref.view %[[WS]][%c64{{.*}}][] : memref<128xi8> to memref<8xf32>
// CHECK: %[[B:.*]] = memref.view %[[WS]][%c64{{.*}}][] : memref<128xi8> to memref<16xf32>
// CHECK: %[[R:.*]] = memref.alloc() : memref<4xf32>
// CHECK: return %[[R]]
func.func @main(%out: memref<16xf32>) -> memref<4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %a = memref.alloc() : memref<16xf32>
  %r = scf.for %i = %c0 to %c4 step %c1 iter_args(%x = %a) -> memref<16xf32> {
    %t = memref.alloc() : memref<8xf32>
    scf.yield %x : memref<16xf32>
  }
  %b = memref.alloc() : memref<16xf32>
  memref.copy %r, %b : memref<16xf32> to memref<16xf32>
  memref.copy %b, %out : memref<16xf32> to memref<16xf32>
  %ret = memref.alloc() : memref<4xf32>
  return %ret : memref<4xf32>
}

// -----

// A buffer allocated in a parallel loop's body keeps its alloc: the
// iterations may run side by side.
// CHECK-LABEL: func @main
// CHECK: scf.parallel
// CHECK: memref.alloc() : memref<8xf32>
func.func @main(%out: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    %t = memref.alloc() : memref<8xf32>
    memref.copy %t, %out : memref<8xf32> to memref<8xf32>
  }
  return
}

// -----

// A buffer allocated in a forall of 2 iterations (a recurrent layer's two
// directions, which may run side by side) takes two places, one per
// iteration, at its offset plus the iv times its size rounded up to 64
// bytes; both are live while the forall runs, so %kept, live across it,
// goes past them.
// CHECK: module attributes {kiln.workspace_bytes = 448 : i64}
// CHECK-LABEL: func @main
// CHECK-SAME: %[[WS:[a-z0-9]+]]: memref<448xi8>
// CHECK-NOT: memref.alloc
// CHECK: memref.view %[[WS]][%c384{{.*}}][] : memref<448xi8> to memref<16xf32>
// CHECK: scf.forall (%[[I:.*]]) in (2)
// CHECK: %[[STEP:.*]] = arith.muli %[[I]], %c192
// CHECK: %[[AT:.*]] = arith.addi %c0{{.*}}, %[[STEP]]
// CHECK: memref.view %[[WS]][%[[AT]]][] : memref<448xi8> to memref<40xf32>
func.func @main(%out: memref<2x40xf32>) {
  %cst = arith.constant 1.0 : f32
  %kept = memref.alloc() : memref<16xf32>
  linalg.fill ins(%cst : f32) outs(%kept : memref<16xf32>)
  scf.forall (%i) in (2) {
    %t = memref.alloc() : memref<40xf32>
    linalg.fill ins(%cst : f32) outs(%t : memref<40xf32>)
    %row = memref.subview %out[%i, 0] [1, 40] [1, 1] : memref<2x40xf32> to memref<40xf32, strided<[1], offset: ?>>
    memref.copy %t, %row : memref<40xf32> to memref<40xf32, strided<[1], offset: ?>>
  }
  %head = memref.subview %out[0, 0] [1, 16] [1, 1] : memref<2x40xf32> to memref<16xf32, strided<[1]>>
  memref.copy %kept, %head : memref<16xf32> to memref<16xf32, strided<[1]>>
  return
}

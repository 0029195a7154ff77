// RUN: kiln-opt %s -kiln-parallelize=min-work=1000 | FileCheck %s

// A parallel loop in the body of a sequential loop (a recurrent layer's
// time steps) becomes a task too: main writes the time step %t to a slot
// of 8 i64s added at the end of the workspace (128 -> 192 bytes) before
// each call, and the task reads it back to rebuild the views it reads.
// CHECK: module attributes {kiln.workspace_bytes = 192 : i64}
// CHECK-LABEL: func.func private @kiln_task_0(%arg0: index, %arg1: index, %arg2: memref<16x4096xf32>, %arg3: memref<16x4096xf32>, %arg4: memref<192xi8>)
// CHECK: %[[SLOTS:.*]] = memref.view %arg4[%c128{{.*}}][] : memref<192xi8> to memref<8xi64>
// CHECK: %[[T:.*]] = memref.load %[[SLOTS]][%c0
// CHECK: %[[STEP:.*]] = arith.index_cast %[[T]] : i64 to index
// CHECK: memref.subview %arg2[%[[STEP]], 0] [1, 4096] [1, 1]
// CHECK: scf.for %{{.*}} = %arg0 to %arg1
// CHECK-LABEL: func.func @main
// CHECK-SAME: %arg2: memref<192xi8>
// CHECK: scf.for %[[I:.*]] = %c0 to %c16 step %c1 {
// CHECK: %[[MAIN_SLOTS:.*]] = memref.view %arg2[%c128{{.*}}][] : memref<192xi8> to memref<8xi64>
// CHECK: %[[I64:.*]] = arith.index_cast %[[I]] : index to i64
// CHECK: memref.store %[[I64]], %[[MAIN_SLOTS]][%c0
// CHECK: call @kiln_parallel_for(%c0_i32, %c4096_i64)
// CHECK-NOT: scf.parallel
module attributes {kiln.workspace_bytes = 128 : i64} {
  func.func @main(%in: memref<16x4096xf32>, %out: memref<16x4096xf32>, %ws: memref<128xi8>) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c16 = arith.constant 16 : index
    %c4096 = arith.constant 4096 : index
    scf.for %t = %c0 to %c16 step %c1 {
      %row = memref.subview %in[%t, 0] [1, 4096] [1, 1] : memref<16x4096xf32> to memref<4096xf32, strided<[1], offset: ?>>
      %dst = memref.subview %out[%t, 0] [1, 4096] [1, 1] : memref<16x4096xf32> to memref<4096xf32, strided<[1], offset: ?>>
      scf.parallel (%i) = (%c0) to (%c4096) step (%c1) {
        %x = memref.load %row[%i] : memref<4096xf32, strided<[1], offset: ?>>
        memref.store %x, %dst[%i] : memref<4096xf32, strided<[1], offset: ?>>
        scf.reduce
      }
    }
    return
  }
}

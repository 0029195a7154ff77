// RUN: kiln-opt %s -kiln-parallelize=min-work=1000 | FileCheck %s

// The first loop (4096 iterations, reading a view of an argument) becomes
// task 0 split over threads; the second sits inside a loop that runs once,
// whose iv the task takes as the constant 0. Too little work, a value
// computed by main, or an allocation in the body keep a loop in main; a
// scalar argument of main is passed on to the task like the buffers.
// CHECK-LABEL: func.func private @kiln_task_0(%arg0: index, %arg1: index, %arg2: memref<4096xf32>, %arg3: memref<4096xf32>, %arg4: f32)
// CHECK: %[[V:.*]] = memref.expand_shape %arg2
// CHECK: scf.for %[[I:.*]] = %arg0 to %arg1 step %c1
// CHECK: %[[IV:.*]] = arith.addi %c0{{.*}}, %{{.*}}
// CHECK: memref.load %[[V]]
// CHECK-LABEL: func.func private @kiln_task_1(
// CHECK: scf.for
// CHECK: memref.load %arg2[%{{.*}}]
// CHECK-LABEL: func.func @kiln_task_dispatch(%arg0: i32, %arg1: index, %arg2: index, %arg3: memref<4096xf32>, %arg4: memref<4096xf32>, %arg5: f32)
// CHECK: scf.if
// CHECK: call @kiln_task_0(%arg1, %arg2, %arg3, %arg4, %arg5)
// CHECK: scf.if
// CHECK: call @kiln_task_1(%arg1, %arg2, %arg3, %arg4, %arg5)
// CHECK: call @kiln_task_2(%arg1, %arg2, %arg3, %arg4, %arg5)
// CHECK-LABEL: func.func @main
// CHECK: call @kiln_parallel_for(%c0_i32, %c64_i64) : (i32, i64) -> ()
// CHECK: scf.parallel
// CHECK: call @kiln_parallel_for(%c1_i32, %c4096_i64{{.*}})
// CHECK: scf.parallel {{.*}} to (%c8)
// CHECK: scf.parallel {{.*}} to (%c4096)
// CHECK: memref.alloca
// CHECK: call @kiln_parallel_for(%c2_i32, %c4096_i64)
func.func @main(%in: memref<4096xf32>, %out: memref<4096xf32>, %s: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c64 = arith.constant 64 : index
  %c4096 = arith.constant 4096 : index
  %view = memref.expand_shape %in [[0, 1]] output_shape [64, 64] : memref<4096xf32> into memref<64x64xf32>
  scf.parallel (%i, %j) = (%c0, %c0) to (%c64, %c64) step (%c1, %c1) {
    %x = memref.load %view[%i, %j] : memref<64x64xf32>
    %k = arith.muli %i, %c64 : index
    %l = arith.addi %k, %j : index
    memref.store %x, %out[%l] : memref<4096xf32>
    scf.reduce
  }
  scf.parallel (%n) = (%c0) to (%c1) step (%c1) {
    scf.parallel (%i) = (%c0) to (%c4096) step (%c1) {
      %x = memref.load %in[%i] : memref<4096xf32>
      memref.store %x, %out[%i] : memref<4096xf32>
      scf.reduce
    }
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    %x = memref.load %in[%i] : memref<4096xf32>
    memref.store %x, %out[%i] : memref<4096xf32>
    scf.reduce
  }
  %first = memref.load %in[%c0] : memref<4096xf32>
  scf.parallel (%i) = (%c0) to (%c4096) step (%c1) {
    %y = arith.addf %first, %first : f32
    memref.store %y, %out[%i] : memref<4096xf32>
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%c4096) step (%c1) {
    %t = memref.alloca() : memref<1xf32>
    %x = memref.load %in[%i] : memref<4096xf32>
    memref.store %x, %t[%c0] : memref<1xf32>
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%c4096) step (%c1) {
    %x = memref.load %in[%i] : memref<4096xf32>
    %y = arith.addf %x, %s : f32
    memref.store %y, %out[%i] : memref<4096xf32>
    scf.reduce
  }
  return
}

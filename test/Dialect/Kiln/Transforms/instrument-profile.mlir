// RUN: kiln-opt %s -kiln-instrument-profile | FileCheck %s

// Every computing kiln op of main is bracketed by the hooks with its id;
// constants and reshapes are not. One line per id names the op.
// CHECK-LABEL: module attributes {kiln.profile_ops = "conv1\09binary\0Aact\09unary\0A"}
// CHECK: func.func private @kiln_profile_enter(i32)
// CHECK: func.func private @kiln_profile_exit(i32)
// CHECK-LABEL: func.func @main
// CHECK: kiln.constant
// CHECK: %[[ID0:.*]] = arith.constant 0 : i32
// CHECK: call @kiln_profile_enter(%[[ID0]])
// CHECK-NEXT: kiln.binary add
// CHECK-NEXT: call @kiln_profile_exit(%[[ID0]])
// CHECK-NOT: call @kiln_profile_enter
// CHECK: kiln.reshape
// CHECK: %[[ID1:.*]] = arith.constant 1 : i32
// CHECK: call @kiln_profile_enter(%[[ID1]])
// CHECK-NEXT: kiln.unary relu
// CHECK-NEXT: call @kiln_profile_exit(%[[ID1]])
func.func @main(%x: tensor<2x3xf32>) -> tensor<6xf32> {
  %b = kiln.constant dense<1.0> : tensor<3xf32>
  %0 = kiln.binary add %x, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32> loc("conv1")
  %1 = kiln.reshape %0 : (tensor<2x3xf32>) -> tensor<6xf32>
  %2 = kiln.unary relu %1 : tensor<6xf32> loc("act")
  return %2 : tensor<6xf32>
}

// CHECK-LABEL: func.func @helper
// CHECK-NOT: kiln_profile
func.func @helper(%x: tensor<3xf32>) -> tensor<3xf32> {
  %0 = kiln.unary relu %x : tensor<3xf32>
  return %0 : tensor<3xf32>
}

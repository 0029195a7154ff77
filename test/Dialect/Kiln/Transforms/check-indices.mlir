// RUN: kiln-opt %s -kiln-check-indices -split-input-file -verify-diagnostics | FileCheck %s

// Indices computed at run time: their smallest and largest value become an
// extra result of main, marked with the valid range and the op's name.
// CHECK-LABEL: func @main
// CHECK-SAME: -> (tensor<2x7x8xf32>, tensor<2xi64> {kiln.check = "-10 9 lookup"})
// CHECK: %[[MAX:.*]] = arith.constant 9223372036854775807 : i64
// CHECK: %[[MIN:.*]] = arith.constant -9223372036854775808 : i64
// CHECK: %[[R:.*]]:2 = linalg.generic {{.*}}iterator_types = ["reduction", "reduction"]} ins(%arg1 : tensor<2x7xi64>)
// CHECK: arith.minsi
// CHECK: arith.maxsi
// CHECK: %[[LO:.*]] = tensor.extract %[[R]]#0
// CHECK: %[[HI:.*]] = tensor.extract %[[R]]#1
// CHECK: %[[RANGE:.*]] = tensor.from_elements %[[LO]], %[[HI]] : tensor<2xi64>
// CHECK: %[[G:.*]] = kiln.gather
// CHECK: return %[[G]], %[[RANGE]]
func.func @main(%e: tensor<10x8xf32>, %ids: tensor<2x7xi64>) -> tensor<2x7x8xf32> {
  %0 = kiln.gather %e, %ids {axis = 0 : i64} : (tensor<10x8xf32>, tensor<2x7xi64>) -> tensor<2x7x8xf32> loc("lookup")
  return %0 : tensor<2x7x8xf32>
}

// -----

// Constant indices in range (negative ones count from the end): no check.
// CHECK-LABEL: func @main
// CHECK-SAME: -> tensor<2x8xf32>
// CHECK-NOT: kiln.check
func.func @main(%e: tensor<10x8xf32>) -> tensor<2x8xf32> {
  %ids = kiln.constant dense<[-10, 9]> : tensor<2xi64>
  %0 = kiln.gather %e, %ids {axis = 0 : i64} : (tensor<10x8xf32>, tensor<2xi64>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

// A constant index out of range is a compile-time error.
func.func @main(%e: tensor<10x8xf32>) -> tensor<2x8xf32> {
  %ids = kiln.constant dense<[0, 10]> : tensor<2xi64>
  // expected-error @+1 {{index 10 is out of range for an axis of size 10 (valid: -10 to 9)}}
  %0 = kiln.gather %e, %ids {axis = 0 : i64} : (tensor<10x8xf32>, tensor<2xi64>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

// gather_elements is checked along its axis.
// CHECK-LABEL: func @main
// CHECK-SAME: tensor<2xi64> {kiln.check = "-8 7 {{.*}}"}
func.func @main(%e: tensor<10x8xf32>, %ids: tensor<2x7xi64>) -> tensor<2x7xf32> {
  %0 = kiln.gather_elements %e, %ids {axis = 1 : i64} : (tensor<10x8xf32>, tensor<2x7xi64>) -> tensor<2x7xf32>
  return %0 : tensor<2x7xf32>
}

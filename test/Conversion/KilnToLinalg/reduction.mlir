// RUN: kiln-opt %s -kiln-to-linalg -canonicalize -split-input-file | FileCheck %s

// Softmax: the max along the axis, the shifted exponentials, their sum,
// then the quotient.
// CHECK-LABEL: func @softmax
// CHECK: %[[MAX:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]
// CHECK: arith.maximumf
// CHECK: %[[MAXK:.*]] = tensor.{{expand|collapse}}_shape %[[MAX]] {{.*}} into tensor<2x1xf32>
// CHECK: %[[SHIFTED:.*]] = linalg.generic {{.*}} ins(%arg0, %[[MAXK]] : tensor<2x5xf32>, tensor<2x1xf32>)
// CHECK: arith.subf
// CHECK: %[[EXP:.*]] = linalg.generic {{.*}} ins(%[[SHIFTED]] : tensor<2x5xf32>)
// CHECK: math.exp
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]} ins(%[[EXP]]
// CHECK: %[[SUMK:.*]] = tensor.expand_shape %[[SUM]]
// CHECK: linalg.generic {{.*}} ins(%[[EXP]], %[[SUMK]] : tensor<2x5xf32>, tensor<2x1xf32>)
// CHECK: arith.divf
func.func @softmax(%x: tensor<2x5xf32>) -> tensor<2x5xf32> {
  %0 = kiln.softmax %x {axis = 1 : i64} : (tensor<2x5xf32>) -> tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// -----

// ReduceL2 squares, sums and takes the root; keepdims reshapes.
// CHECK-LABEL: func @reduce_l2
// CHECK: arith.mulf
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]
// CHECK: math.sqrt
// CHECK: tensor.expand_shape {{.*}} into tensor<2x1xf32>
func.func @reduce_l2(%x: tensor<2x3xf32>) -> tensor<2x1xf32> {
  %0 = kiln.reduce l2 %x {axes = array<i64: 1>, keepdims} : (tensor<2x3xf32>) -> tensor<2x1xf32>
  return %0 : tensor<2x1xf32>
}

// -----

// ArgMax carries the best value and its index; ties keep the first.
// CHECK-LABEL: func @argmax
// CHECK: %[[R:.*]]:2 = linalg.generic {{.*}} outs(%{{.*}}, %{{.*}} : tensor<2xf32>, tensor<2xi64>)
// CHECK: linalg.index 1
// CHECK: arith.cmpf ogt
// CHECK: return %[[R]]#1
func.func @argmax(%x: tensor<2x3xf32>) -> tensor<2xi64> {
  %0 = kiln.arg_reduce max %x {axis = 1 : i64} : (tensor<2x3xf32>) -> tensor<2xi64>
  return %0 : tensor<2xi64>
}

// --emit=graph prints kiln IR after the graph cleanups.
// RUN: kilnc %s --emit=graph | FileCheck %s
// RUN: kilnc %s --emit=graph --backend=llvm | FileCheck %s

// -o writes the same text to a file.
// RUN: rm -rf %t && mkdir %t
// RUN: kilnc %s --emit=graph -o %t/graph.mlir
// RUN: FileCheck %s < %t/graph.mlir

// --dump-dir writes every stage, numbered.
// RUN: kilnc %s --emit=graph --dump-dir %t/dump > /dev/null
// RUN: FileCheck %s < %t/dump/01-graph.mlir

// CHECK-LABEL: func.func @model
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK-NEXT: %[[T:.*]] = kiln.transpose %[[X]] {perm = array<i64: 1, 0>}
// CHECK-NEXT: %[[R:.*]] = kiln.unary relu %[[T]] : tensor<3x2xf32>
// CHECK-NEXT: return %[[R]]
func.func @model(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  %zero = kiln.constant dense<0.0> : tensor<2x3xf32>
  %0 = kiln.binary add %x, %zero : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %1 = kiln.transpose %0 {perm = array<i64: 1, 0>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  %2 = kiln.unary relu %1 : tensor<3x2xf32>
  return %2 : tensor<3x2xf32>
}

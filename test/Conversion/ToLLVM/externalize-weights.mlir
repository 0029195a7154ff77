// RUN: kiln-opt %s -kiln-externalize-weights=file=net.weights -split-input-file -verify-diagnostics | FileCheck %s

// A constant of 64 bytes or more moves to the file, at offset 0 of the
// payload after the 64-byte header; its address becomes the mapped base
// plus that offset. A smaller one and a mutable one stay.
// CHECK-LABEL: module attributes {kiln.weights = dense_resource<kiln_weights> : tensor<192xi8>}
// CHECK-NOT: @big
// CHECK: llvm.mlir.global internal constant @small
// CHECK: llvm.mlir.global internal @mutable
// CHECK: llvm.mlir.global external constant @kiln_model_weights_bytes(128 : i64)
// CHECK: llvm.mlir.global external constant @kiln_model_weights_id(
// CHECK: llvm.mlir.global external constant @kiln_model_weights_file("net.weights\00")
// CHECK-LABEL: llvm.func @use
// CHECK: %[[SLOT:.*]] = llvm.mlir.addressof @kiln_model_weights_base
// CHECK: %[[BASE:.*]] = llvm.load %[[SLOT]] {{.*}}invariant
// CHECK: %[[OFFSET:.*]] = llvm.mlir.constant(0 : i64)
// CHECK: %[[ADDR:.*]] = llvm.getelementptr inbounds %[[BASE]][%[[OFFSET]]]
// CHECK: %[[SECOND:.*]] = llvm.mlir.constant(64 : i64)
// CHECK: llvm.getelementptr inbounds %{{.*}}[%[[SECOND]]]
// CHECK: llvm.mlir.addressof @small
// The header: "KILNWTS1", then the payload's size (128, little-endian).
// CHECK: kiln_weights: "0x{{[0-9A-F]+}}4B494C4E575453318000000000000000
module {
  llvm.mlir.global internal constant @big(dense<1.5> : tensor<16xf32>) : !llvm.array<16 x f32>
  llvm.mlir.global internal constant @big2(dense<2> : tensor<8xi64>) : !llvm.array<8 x i64>
  llvm.mlir.global internal constant @small(dense<1.5> : tensor<4xf32>) : !llvm.array<4 x f32>
  llvm.mlir.global internal @mutable(dense<0.0> : tensor<16xf32>) : !llvm.array<16 x f32>
  llvm.mlir.global external constant @kiln_model_weights_bytes(0 : i64) : i64
  llvm.mlir.global external constant @kiln_model_weights_id(0 : i64) : i64
  llvm.mlir.global external constant @kiln_model_weights_file("\00") : !llvm.array<1 x i8>
  llvm.mlir.global external @kiln_model_weights_base() : !llvm.ptr {
    %0 = llvm.mlir.zero : !llvm.ptr
    llvm.return %0 : !llvm.ptr
  }
  llvm.func @use() -> !llvm.ptr {
    %0 = llvm.mlir.addressof @big : !llvm.ptr
    %1 = llvm.mlir.addressof @big2 : !llvm.ptr
    %2 = llvm.mlir.addressof @small : !llvm.ptr
    llvm.return %0 : !llvm.ptr
  }
}

// -----

// The globals kiln-emit-entry-point defines must be there.
// expected-error @+1 {{expected the global 'kiln_model_weights_bytes' of kiln-emit-entry-point}}
module {
  llvm.mlir.global internal constant @big(dense<1.5> : tensor<16xf32>) : !llvm.array<16 x f32>
}

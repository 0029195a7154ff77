// RUN: kiln-opt %s -kiln-emit-entry-point -split-input-file -verify-diagnostics | FileCheck %s

// The graph becomes internal `kiln_graph`; `kiln_model_run(ptr)` loads one
// buffer pointer per argument and calls it; the signature, profile table,
// workspace size and (empty) weights globals are defined; `kiln_model_task`
// forwards to the task dispatcher.
// CHECK-LABEL: module attributes
// CHECK: llvm.func internal @kiln_graph(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr)
// CHECK-NOT: kiln.name
// CHECK: llvm.func internal @kiln_task_dispatch
// CHECK-DAG: llvm.mlir.global external constant @kiln_model_signature("in x 1 4\0Aout y 1 4\0A\00")
// CHECK-DAG: llvm.mlir.global external constant @kiln_model_profile_ops("x\09unary\0A\00")
// CHECK-DAG: llvm.mlir.global external constant @kiln_model_workspace_bytes(256 : i64)
// CHECK-DAG: llvm.mlir.global external constant @kiln_model_weights_bytes(0 : i64)
// CHECK-DAG: llvm.mlir.global external constant @kiln_model_weights_id(0 : i64)
// CHECK-DAG: llvm.mlir.global external constant @kiln_model_weights_file("\00")
// CHECK-DAG: llvm.mlir.global external @kiln_model_weights_base()
// CHECK-LABEL: llvm.func @kiln_model_run(
// CHECK-SAME: %[[ARGS:.*]]: !llvm.ptr)
// CHECK: %[[S0:.*]] = llvm.getelementptr %[[ARGS]][0]
// CHECK: %[[B0:.*]] = llvm.load %[[S0]]
// CHECK: %[[S1:.*]] = llvm.getelementptr %[[ARGS]][1]
// CHECK: %[[B1:.*]] = llvm.load %[[S1]]
// CHECK: llvm.call @kiln_graph(%[[B0]], %[[B1]])
// CHECK-LABEL: llvm.func @kiln_model_task(
// CHECK: llvm.call @kiln_task_dispatch
module attributes {kiln.signature = "in x 1 4\0Aout y 1 4\0A", kiln.profile_ops = "x\09unary\0A", kiln.workspace_bytes = 256 : i64} {
  llvm.func @main(%x: !llvm.ptr {kiln.name = "x"}, %y: !llvm.ptr) {
    llvm.return
  }
  llvm.func @kiln_task_dispatch(%id: i32, %lo: i64, %hi: i64, %x: !llvm.ptr, %y: !llvm.ptr) {
    llvm.return
  }
}

// -----

// A model whose graph is not lowered, or without a signature, is refused.
// expected-error @+1 {{expected an LLVM function 'main' and a 'kiln.signature' attribute}}
module {
  llvm.func @main(%x: !llvm.ptr) {
    llvm.return
  }
}

// -----

module attributes {kiln.signature = "in x 1 4\0A"} {
  // expected-error @+1 {{expected the graph to take only buffer pointers}}
  llvm.func @main(%x: i64) {
    llvm.return
  }
}

// -----

// The profiling hooks run only while some thread profiles: the graph reads
// the runtime's kiln_profile_active once, at its entry, and branches
// around each call when it is zero.
// CHECK-LABEL: module attributes
// CHECK: llvm.func internal @kiln_graph(
// CHECK: %[[FLAG:.*]] = llvm.mlir.addressof @kiln_profile_active : !llvm.ptr
// CHECK: %[[ACTIVE:.*]] = llvm.load %[[FLAG]] atomic monotonic {alignment = 4 : i64} : !llvm.ptr -> i32
// CHECK: %[[ON:.*]] = llvm.icmp "ne" %[[ACTIVE]], %{{.*}} : i32
// CHECK: llvm.cond_br %[[ON]], ^[[ENTER:.*]], ^[[BODY:[^ ]*]]
// CHECK: ^[[ENTER]]:
// CHECK-NEXT: llvm.call @kiln_profile_enter(
// CHECK-NEXT: llvm.br ^[[BODY]]
// CHECK: ^[[BODY]]:
// CHECK: llvm.fadd
// CHECK: llvm.cond_br %[[ON]], ^[[EXIT:.*]], ^[[DONE:[^ ]*]]
// CHECK: ^[[EXIT]]:
// CHECK-NEXT: llvm.call @kiln_profile_exit(
// CHECK-NEXT: llvm.br ^[[DONE]]
// CHECK: ^[[DONE]]:
// CHECK-NEXT: llvm.return
// CHECK: llvm.mlir.global external @kiln_profile_active() {{.*}} : i32
module attributes {kiln.signature = "in x 1\0Aout y 1\0A", kiln.profile_ops = "x\09unary\0A"} {
  llvm.func @kiln_profile_enter(i32)
  llvm.func @kiln_profile_exit(i32)
  llvm.func @main(%x: !llvm.ptr, %y: !llvm.ptr) {
    %id = llvm.mlir.constant(0 : i32) : i32
    llvm.call @kiln_profile_enter(%id) : (i32) -> ()
    %v = llvm.load %x : !llvm.ptr -> f32
    %w = llvm.fadd %v, %v : f32
    llvm.store %w, %y : f32, !llvm.ptr
    llvm.call @kiln_profile_exit(%id) : (i32) -> ()
    llvm.return
  }
  llvm.func @kiln_task_dispatch(%id: i32, %lo: i64, %hi: i64, %x: !llvm.ptr, %y: !llvm.ptr) {
    llvm.return
  }
}

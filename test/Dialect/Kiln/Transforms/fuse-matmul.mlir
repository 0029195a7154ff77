// RUN: kiln-opt %s -kiln-fuse-matmul -split-input-file | FileCheck %s
// RUN: kiln-opt %s -kiln-fuse-matmul=report=true -split-input-file 2>&1 >/dev/null | FileCheck %s --check-prefix=REPORT

// A transformer's feed-forward layer: matmul, bias add (either operand
// order), gelu.
// CHECK-LABEL: func @feed_forward
// CHECK: %[[F:.*]] = kiln.fused_matmul %arg0, %arg1 bias %arg2 activation gelu : (tensor<2x4x8xf32>, tensor<8x16xf32>, tensor<16xf32>) -> tensor<2x4x16xf32>
// CHECK-NOT: kiln.matmul
// CHECK-NOT: kiln.binary
// CHECK-NOT: kiln.unary
// CHECK: return %[[F]]
// REPORT: remark: fused into kiln.fused_matmul: matmul, bias add kiln.binary, gelu kiln.unary
func.func @feed_forward(%x: tensor<2x4x8xf32>, %w: tensor<8x16xf32>, %b: tensor<16xf32>) -> tensor<2x4x16xf32> {
  %0 = kiln.matmul %x, %w : (tensor<2x4x8xf32>, tensor<8x16xf32>) -> tensor<2x4x16xf32>
  %1 = kiln.binary add %b, %0 : (tensor<16xf32>, tensor<2x4x16xf32>) -> tensor<2x4x16xf32>
  %2 = kiln.unary gelu %1 : tensor<2x4x16xf32>
  return %2 : tensor<2x4x16xf32>
}

// -----

// A gemm with its [N] bias takes the activation (with its parameters); a
// gemm without C takes a bias add.
// CHECK-LABEL: func @gemms
// CHECK: %[[A:.*]] = kiln.fused_matmul %arg0, %arg1 bias %arg2 activation leaky_relu {activation_alpha = 2.000000e-01 : f32}
// CHECK: %[[B:.*]] = kiln.fused_matmul %[[A]], %arg3 bias %arg2 : (tensor<4x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
// CHECK: return %[[B]]
// REPORT: remark: fused into kiln.fused_matmul: gemm, bias, leaky_relu kiln.unary
// REPORT: remark: fused into kiln.fused_matmul: gemm, bias add kiln.binary
func.func @gemms(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>, %b: tensor<8xf32>, %w2: tensor<8x8xf32>) -> tensor<4x8xf32> {
  %0 = kiln.gemm %x, %w, %b : (tensor<4x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  %1 = kiln.unary leaky_relu %0 {alpha = 0.2 : f32} : tensor<4x8xf32>
  %2 = kiln.gemm %1, %w2 : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
  %3 = kiln.binary add %2, %b : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  return %3 : tensor<4x8xf32>
}

// -----

// Near misses: the product has another user; the add broadcasts a [1, N]
// row (neither a [N] bias nor a residual); the unary is no activation; the
// gemm transposes B; a batched rhs. A gemm with only its own bias stays.
// CHECK-LABEL: func @misses
// CHECK-NOT: kiln.fused_matmul
// CHECK: return
// REPORT: remark: not fused: the product has 2 users
// REPORT: remark: not fused: the add kiln.binary is neither of a [8] bias nor of a residual of the product's shape
// REPORT: remark: not fused: 'exp' (kiln.unary) is not a fusable activation
// REPORT: remark: not fused: the gemm transposes an operand or scales the product
// REPORT: remark: not fused: the product is not [..., K] x [K, N]
// REPORT-NOT: remark
func.func @misses(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>, %r: tensor<1x8xf32>, %b: tensor<8xf32>, %bx: tensor<2x4x8xf32>, %bw: tensor<2x8x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<2x4x8xf32>, tensor<4x8xf32>) {
  %0 = kiln.matmul %x, %w : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
  %1 = kiln.unary relu %0 : tensor<4x8xf32>
  %2 = kiln.matmul %x, %w : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
  %3 = kiln.binary add %2, %r : (tensor<4x8xf32>, tensor<1x8xf32>) -> tensor<4x8xf32>
  %4 = kiln.matmul %x, %w : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
  %5 = kiln.unary exp %4 : tensor<4x8xf32>
  %6 = kiln.gemm %x, %w {trans_b} : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
  %7 = kiln.unary relu %6 : tensor<4x8xf32>
  %8 = kiln.matmul %bx, %bw : (tensor<2x4x8xf32>, tensor<2x8x8xf32>) -> tensor<2x4x8xf32>
  %9 = kiln.gemm %x, %w, %b : (tensor<4x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  return %0, %1, %3, %5, %7, %8, %9 : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<2x4x8xf32>, tensor<4x8xf32>
}

// -----

// Residual adds of the product's shape (a transformer's skip connections):
// after the bias, before the activation, either operand order, a gemm's
// own bias too; the fused op is where the add was, after the residual. An
// add after the activation stays, and the report says why.
// CHECK-LABEL: func @residuals
// CHECK: %[[A:.*]] = kiln.fused_matmul %arg0, %arg1 bias %arg2 residual %arg3 activation relu : (tensor<4x8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
// CHECK: %[[R:.*]] = kiln.unary tanh %[[A]]
// CHECK: %[[B:.*]] = kiln.fused_matmul %[[A]], %arg1 bias %arg2 residual %[[R]] : (tensor<4x8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
// CHECK: %[[C:.*]] = kiln.fused_matmul %[[B]], %arg1 bias %arg2 activation gelu
// CHECK: %[[D:.*]] = kiln.binary add %[[C]], %[[B]]
// CHECK: return %[[D]]
// REPORT: remark: fused into kiln.fused_matmul: matmul, bias add kiln.binary, residual add kiln.binary, relu kiln.unary
// REPORT: remark: fused into kiln.fused_matmul: gemm, bias, residual add kiln.binary
// REPORT: remark: fused into kiln.fused_matmul: matmul, bias add kiln.binary, gelu kiln.unary; stopped: the add kiln.binary follows the activation; a fused residual comes before it
func.func @residuals(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>, %b: tensor<8xf32>, %r: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %0 = kiln.matmul %x, %w : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
  %1 = kiln.binary add %0, %b : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  %2 = kiln.binary add %1, %r : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %3 = kiln.unary relu %2 : tensor<4x8xf32>
  %4 = kiln.gemm %3, %w, %b : (tensor<4x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  %5 = kiln.unary tanh %3 : tensor<4x8xf32>
  %6 = kiln.binary add %5, %4 : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %7 = kiln.matmul %6, %w : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
  %8 = kiln.binary add %7, %b : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  %9 = kiln.unary gelu %8 : tensor<4x8xf32>
  %10 = kiln.binary add %9, %6 : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return %10 : tensor<4x8xf32>
}

// -----

// Integer products are left alone.
// CHECK-LABEL: func @integers
// CHECK: kiln.matmul
// CHECK: kiln.unary relu
func.func @integers(%x: tensor<4x8xi32>, %w: tensor<8x8xi32>) -> tensor<4x8xi32> {
  %0 = kiln.matmul %x, %w : (tensor<4x8xi32>, tensor<8x8xi32>) -> tensor<4x8xi32>
  %1 = kiln.unary relu %0 : tensor<4x8xi32>
  return %1 : tensor<4x8xi32>
}

// -----

// Products of one input by constant weights (attention's queries, keys and
// values) become one product of the weights side by side, each result a
// slice of its columns; the constants are laid side by side row by row
// (w1 row 0 = [1, 2], w2 row 0 = [5]). A product with another activation,
// or without a bias, or by weights given at run time stays apart.
// CHECK-LABEL: func @siblings
// CHECK-DAG: %[[W:.*]] = kiln.constant dense<{{\[}}[1.000000e+00, 2.000000e+00, 5.000000e+00], [3.000000e+00, 4.000000e+00, 6.000000e+00]]> : tensor<2x3xf32>
// CHECK-DAG: %[[B:.*]] = kiln.constant dense<[1.000000e-01, 2.000000e-01, 3.000000e-01]> : tensor<3xf32>
// CHECK: %[[M:.*]] = kiln.fused_matmul %arg0, %[[W]] bias %[[B]] : (tensor<4x2xf32>, tensor<2x3xf32>, tensor<3xf32>) -> tensor<4x3xf32>
// CHECK-DAG: %[[S1:.*]] = kiln.slice %[[M]] {offsets = array<i64: 0, 0>, strides = array<i64: 1, 1>} : (tensor<4x3xf32>) -> tensor<4x2xf32>
// CHECK-DAG: %[[S2:.*]] = kiln.slice %[[M]] {offsets = array<i64: 0, 2>, strides = array<i64: 1, 1>} : (tensor<4x3xf32>) -> tensor<4x1xf32>
// CHECK-DAG: %[[R:.*]] = kiln.fused_matmul %arg0, %{{.*}} bias %{{.*}} activation relu
// CHECK-DAG: %[[N:.*]] = kiln.matmul %arg0, %{{.*}} : (tensor<4x2xf32>, tensor<2x1xf32>) -> tensor<4x1xf32>
// CHECK-DAG: %[[X:.*]] = kiln.fused_matmul %arg0, %arg1 bias
// CHECK: return %[[S1]], %[[S2]], %[[R]], %[[N]], %[[X]]
// REPORT-COUNT-2: remark: fused into kiln.fused_matmul: matmul, bias add kiln.binary
// REPORT: remark: fused into kiln.fused_matmul: matmul, bias add kiln.binary, relu kiln.unary
// REPORT: remark: fused into kiln.fused_matmul: matmul, bias add kiln.binary
// REPORT: remark: merged: columns [0, 2) of one product with 1 other(s) of the same input
// REPORT: remark: merged: columns [2, 3) of one product with 1 other(s) of the same input
func.func @siblings(%x: tensor<4x2xf32>, %wr: tensor<2x1xf32>) -> (tensor<4x2xf32>, tensor<4x1xf32>, tensor<4x1xf32>, tensor<4x1xf32>, tensor<4x1xf32>) {
  %w1 = kiln.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %b1 = kiln.constant dense<[0.1, 0.2]> : tensor<2xf32>
  %w2 = kiln.constant dense<[[5.0], [6.0]]> : tensor<2x1xf32>
  %b2 = kiln.constant dense<[0.3]> : tensor<1xf32>
  %0 = kiln.matmul %x, %w1 : (tensor<4x2xf32>, tensor<2x2xf32>) -> tensor<4x2xf32>
  %1 = kiln.binary add %0, %b1 : (tensor<4x2xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  %2 = kiln.matmul %x, %w2 : (tensor<4x2xf32>, tensor<2x1xf32>) -> tensor<4x1xf32>
  %3 = kiln.binary add %2, %b2 : (tensor<4x1xf32>, tensor<1xf32>) -> tensor<4x1xf32>
  %4 = kiln.matmul %x, %w2 : (tensor<4x2xf32>, tensor<2x1xf32>) -> tensor<4x1xf32>
  %5 = kiln.binary add %4, %b2 : (tensor<4x1xf32>, tensor<1xf32>) -> tensor<4x1xf32>
  %6 = kiln.unary relu %5 : tensor<4x1xf32>
  %7 = kiln.matmul %x, %w2 : (tensor<4x2xf32>, tensor<2x1xf32>) -> tensor<4x1xf32>
  %8 = kiln.matmul %x, %wr : (tensor<4x2xf32>, tensor<2x1xf32>) -> tensor<4x1xf32>
  %9 = kiln.binary add %8, %b2 : (tensor<4x1xf32>, tensor<1xf32>) -> tensor<4x1xf32>
  return %1, %3, %6, %7, %9 : tensor<4x2xf32>, tensor<4x1xf32>, tensor<4x1xf32>, tensor<4x1xf32>, tensor<4x1xf32>
}

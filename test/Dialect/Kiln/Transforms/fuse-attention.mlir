// RUN: kiln-opt %s -kiln-fuse-attention -split-input-file | FileCheck %s
// RUN: kiln-opt %s -kiln-fuse-attention=report=true -split-input-file 2>&1 >/dev/null | FileCheck %s --check-prefix=REPORT

// Hand-written multi-head attention: K^T from a transpose, a division by
// sqrt(d), a boolean padding mask through Where(mask, -inf, scores).
// CHECK-LABEL: func @hand_written
// CHECK: %[[K:.*]] = kiln.transpose %arg1 {perm = array<i64: 0, 1, 3, 2>} : (tensor<2x4x8x16xf32>) -> tensor<2x4x16x8xf32>
// CHECK: %[[KEEP:.*]] = kiln.unary not %arg3 : tensor<2x1x1x16xi1>
// CHECK: %[[A:.*]] = kiln.attention %arg0, %[[K]], %arg2 mask %[[KEEP]] {scale = 2.500000e-01 : f32}
// CHECK-NOT: kiln.softmax
// CHECK-NOT: kiln.matmul
// CHECK: return %[[A]]
// REPORT: remark: fused into kiln.attention (scale 0.25, with a mask)
func.func @hand_written(%q: tensor<2x4x16x8xf32>, %kt: tensor<2x4x8x16xf32>, %v: tensor<2x4x16x8xf32>, %pad: tensor<2x1x1x16xi1>) -> tensor<2x4x16x8xf32> {
  %sqrt = kiln.constant dense<4.0> : tensor<f32>
  %ninf = kiln.constant dense<0xFF800000> : tensor<f32>
  %0 = kiln.matmul %q, %kt : (tensor<2x4x16x8xf32>, tensor<2x4x8x16xf32>) -> tensor<2x4x16x16xf32>
  %1 = kiln.binary div %0, %sqrt : (tensor<2x4x16x16xf32>, tensor<f32>) -> tensor<2x4x16x16xf32>
  %2 = kiln.where %pad, %ninf, %1 : (tensor<2x1x1x16xi1>, tensor<f32>, tensor<2x4x16x16xf32>) -> tensor<2x4x16x16xf32>
  %3 = kiln.softmax %2 {axis = 3 : i64} : (tensor<2x4x16x16xf32>) -> tensor<2x4x16x16xf32>
  %4 = kiln.matmul %3, %v : (tensor<2x4x16x16xf32>, tensor<2x4x16x8xf32>) -> tensor<2x4x16x8xf32>
  return %4 : tensor<2x4x16x8xf32>
}

// -----

// PyTorch's MultiheadAttention: [B*H, L, D] tensors, q scaled first, an
// additive float mask; reshaped to rank 4 around kiln.attention.
// CHECK-LABEL: func @multihead
// CHECK: kiln.attention %{{.*}}, %{{.*}}, %{{.*}} mask %{{.*}} {scale = 5.000000e-01 : f32} : (tensor<1x8x16x4xf32>, tensor<1x8x16x4xf32>, tensor<1x8x16x4xf32>, tensor<1x8x1x16xf32>) -> tensor<1x8x16x4xf32>
// CHECK: kiln.reshape %{{.*}} : (tensor<1x8x16x4xf32>) -> tensor<8x16x4xf32>
func.func @multihead(%q: tensor<8x16x4xf32>, %kt: tensor<8x4x16xf32>, %v: tensor<8x16x4xf32>, %mask: tensor<8x1x16xf32>) -> tensor<8x16x4xf32> {
  %two = kiln.constant dense<2.0> : tensor<f32>
  %0 = kiln.binary div %q, %two : (tensor<8x16x4xf32>, tensor<f32>) -> tensor<8x16x4xf32>
  %1 = kiln.matmul %0, %kt : (tensor<8x16x4xf32>, tensor<8x4x16xf32>) -> tensor<8x16x16xf32>
  %2 = kiln.binary add %1, %mask : (tensor<8x16x16xf32>, tensor<8x1x16xf32>) -> tensor<8x16x16xf32>
  %3 = kiln.softmax %2 {axis = 2 : i64} : (tensor<8x16x16xf32>) -> tensor<8x16x16xf32>
  %4 = kiln.matmul %3, %v : (tensor<8x16x16xf32>, tensor<8x16x4xf32>) -> tensor<8x16x4xf32>
  return %4 : tensor<8x16x4xf32>
}

// -----

// Near misses: softmax on another axis; a scale that is not a constant; a
// mask that does not broadcast to the scores (it widens them).
// CHECK-LABEL: func @misses
// CHECK-NOT: kiln.attention
// REPORT: remark: attention not fused: the softmax is not over the last axis
// REPORT: remark: attention not fused: the scale is not a constant
// REPORT: remark: attention not fused: the mask does not broadcast to the scores
func.func @misses(%q: tensor<8x16x4xf32>, %kt: tensor<8x4x16xf32>, %v: tensor<8x16x4xf32>, %s: tensor<8x16x16xf32>, %wide: tensor<3x1x1x16xf32>, %v4: tensor<3x8x16x4xf32>) -> (tensor<8x16x4xf32>, tensor<8x16x4xf32>, tensor<3x8x16x4xf32>) {
  %0 = kiln.matmul %q, %kt : (tensor<8x16x4xf32>, tensor<8x4x16xf32>) -> tensor<8x16x16xf32>
  %1 = kiln.softmax %0 {axis = 1 : i64} : (tensor<8x16x16xf32>) -> tensor<8x16x16xf32>
  %2 = kiln.matmul %1, %v : (tensor<8x16x16xf32>, tensor<8x16x4xf32>) -> tensor<8x16x4xf32>
  %3 = kiln.matmul %q, %kt : (tensor<8x16x4xf32>, tensor<8x4x16xf32>) -> tensor<8x16x16xf32>
  %4 = kiln.binary mul %3, %s : (tensor<8x16x16xf32>, tensor<8x16x16xf32>) -> tensor<8x16x16xf32>
  %5 = kiln.softmax %4 {axis = 2 : i64} : (tensor<8x16x16xf32>) -> tensor<8x16x16xf32>
  %6 = kiln.matmul %5, %v : (tensor<8x16x16xf32>, tensor<8x16x4xf32>) -> tensor<8x16x4xf32>
  %7 = kiln.matmul %q, %kt : (tensor<8x16x4xf32>, tensor<8x4x16xf32>) -> tensor<8x16x16xf32>
  %8 = kiln.binary add %7, %wide : (tensor<8x16x16xf32>, tensor<3x1x1x16xf32>) -> tensor<3x8x16x16xf32>
  %9 = kiln.softmax %8 {axis = 3 : i64} : (tensor<3x8x16x16xf32>) -> tensor<3x8x16x16xf32>
  %10 = kiln.matmul %9, %v4 : (tensor<3x8x16x16xf32>, tensor<3x8x16x4xf32>) -> tensor<3x8x16x4xf32>
  return %2, %6, %10 : tensor<8x16x4xf32>, tensor<8x16x4xf32>, tensor<3x8x16x4xf32>
}

// -----

// masked_fill(mask, -1e9) as PyTorch exports it: a finite fill becomes
// `mask_fill`, so a fully masked row keeps its uniform weights. A fill of
// +inf is a near miss.
// CHECK-LABEL: func @finite_fill
// CHECK: %[[KEEP:.*]] = kiln.unary not %arg3 : tensor<1x1x1x16xi1>
// CHECK: kiln.attention %{{.*}}, %{{.*}}, %arg2 mask %[[KEEP]] {mask_fill = -1.000000e+09 : f32, scale = 1.000000e+00 : f32}
// CHECK: kiln.softmax
// REPORT: remark: fused into kiln.attention (scale 1, with a mask filled with a finite score)
// REPORT: remark: attention not fused: the mask's fill (inf) is not finite or -inf
func.func @finite_fill(%q: tensor<1x2x16x8xf32>, %kt: tensor<1x2x8x16xf32>, %v: tensor<1x2x16x8xf32>, %pad: tensor<1x1x1x16xi1>) -> (tensor<1x2x16x8xf32>, tensor<1x2x16x8xf32>) {
  %fill = kiln.constant dense<-1.0e9> : tensor<f32>
  %inf = kiln.constant dense<0x7F800000> : tensor<f32>
  %0 = kiln.matmul %q, %kt : (tensor<1x2x16x8xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x16x16xf32>
  %1 = kiln.where %pad, %fill, %0 : (tensor<1x1x1x16xi1>, tensor<f32>, tensor<1x2x16x16xf32>) -> tensor<1x2x16x16xf32>
  %2 = kiln.softmax %1 {axis = 3 : i64} : (tensor<1x2x16x16xf32>) -> tensor<1x2x16x16xf32>
  %3 = kiln.matmul %2, %v : (tensor<1x2x16x16xf32>, tensor<1x2x16x8xf32>) -> tensor<1x2x16x8xf32>
  %4 = kiln.matmul %q, %kt : (tensor<1x2x16x8xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x16x16xf32>
  %5 = kiln.where %pad, %inf, %4 : (tensor<1x1x1x16xi1>, tensor<f32>, tensor<1x2x16x16xf32>) -> tensor<1x2x16x16xf32>
  %6 = kiln.softmax %5 {axis = 3 : i64} : (tensor<1x2x16x16xf32>) -> tensor<1x2x16x16xf32>
  %7 = kiln.matmul %6, %v : (tensor<1x2x16x16xf32>, tensor<1x2x16x8xf32>) -> tensor<1x2x16x8xf32>
  return %3, %7 : tensor<1x2x16x8xf32>, tensor<1x2x16x8xf32>
}

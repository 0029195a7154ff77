// RUN: kiln-opt %s -kiln-match-activations -split-input-file | FileCheck %s
// RUN: kiln-opt %s -kiln-match-activations=report=true -split-input-file 2>&1 >/dev/null | FileCheck %s --check-prefix=REPORT

// GELU as PyTorch exports it before opset 20: (x * (erf(x / sqrt 2) + 1)) * 0.5.
// CHECK-LABEL: func @gelu_div
// CHECK-NOT: kiln.binary
// CHECK: %[[G:.*]] = kiln.unary gelu %arg0 : tensor<2x8xf32>
// CHECK-NOT: kiln.binary
// CHECK: return %[[G]]
// REPORT: remark: matched gelu: kiln.binary kiln.unary kiln.binary kiln.binary kiln.binary
func.func @gelu_div(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %sqrt2 = kiln.constant dense<1.41421354> : tensor<f32>
  %one = kiln.constant dense<1.0> : tensor<f32>
  %half = kiln.constant dense<0.5> : tensor<f32>
  %0 = kiln.binary div %x, %sqrt2 : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  %1 = kiln.unary erf %0 : tensor<2x8xf32>
  %2 = kiln.binary add %1, %one : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  %3 = kiln.binary mul %x, %2 : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %4 = kiln.binary mul %3, %half : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  return %4 : tensor<2x8xf32>
}

// -----

// The other groupings: (x * 0.5) * (1 + erf(x * 1/sqrt 2)), and
// x * ((1 + erf) * 0.5); constants of shape [1] broadcast alike.
// CHECK-LABEL: func @gelu_groupings
// REPORT-COUNT-2: remark: matched gelu
// CHECK: %[[A:.*]] = kiln.unary gelu %arg0 : tensor<4xf32>
// CHECK: %[[B:.*]] = kiln.unary gelu %[[A]] : tensor<4xf32>
// CHECK-NOT: kiln.binary
// CHECK: return %[[B]]
func.func @gelu_groupings(%x: tensor<4xf32>) -> tensor<4xf32> {
  %rsqrt2 = kiln.constant dense<0.707106769> : tensor<1xf32>
  %one = kiln.constant dense<1.0> : tensor<f32>
  %half = kiln.constant dense<0.5> : tensor<f32>
  %0 = kiln.binary mul %rsqrt2, %x : (tensor<1xf32>, tensor<4xf32>) -> tensor<4xf32>
  %1 = kiln.unary erf %0 : tensor<4xf32>
  %2 = kiln.binary add %one, %1 : (tensor<f32>, tensor<4xf32>) -> tensor<4xf32>
  %3 = kiln.binary mul %x, %half : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %4 = kiln.binary mul %3, %2 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %sqrt2 = kiln.constant dense<1.41421354> : tensor<f32>
  %6 = kiln.binary div %4, %sqrt2 : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %7 = kiln.unary erf %6 : tensor<4xf32>
  %8 = kiln.binary add %7, %one : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %9 = kiln.binary mul %8, %half : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %10 = kiln.binary mul %9, %4 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %10 : tensor<4xf32>
}

// -----

// Near misses: a scale that is not 1/sqrt(2), a shift that is not 1, and
// an intermediate (the erf) with another user. Nothing changes.
// CHECK-LABEL: func @gelu_misses
// CHECK-COUNT-3: kiln.unary erf
// CHECK-NOT: gelu
// REPORT-NOT: matched
func.func @gelu_misses(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %two = kiln.constant dense<2.0> : tensor<f32>
  %sqrt2 = kiln.constant dense<1.41421354> : tensor<f32>
  %one = kiln.constant dense<1.0> : tensor<f32>
  %half = kiln.constant dense<0.5> : tensor<f32>
  %0 = kiln.binary div %x, %two : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %1 = kiln.unary erf %0 : tensor<4xf32>
  %2 = kiln.binary add %1, %one : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %3 = kiln.binary mul %x, %2 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %4 = kiln.binary mul %3, %half : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %5 = kiln.binary div %x, %sqrt2 : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %6 = kiln.unary erf %5 : tensor<4xf32>
  %7 = kiln.binary add %6, %half : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %8 = kiln.binary mul %x, %7 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %9 = kiln.binary mul %8, %half : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %10 = kiln.binary div %x, %sqrt2 : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %11 = kiln.unary erf %10 : tensor<4xf32>
  %12 = kiln.binary add %11, %one : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %13 = kiln.binary mul %x, %12 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %14 = kiln.binary mul %13, %half : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  return %4, %9, %14, %11 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

// The tanh form, 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3))):
// as PyTorch's exporter writes it (x * (x * x), the half on the left), and
// as Hugging Face's gelu_new writes it (pow(x, 3)).
// CHECK-LABEL: func @gelu_tanh
// CHECK: %[[A:.*]] = kiln.unary gelu_tanh %arg0 : tensor<4xf32>
// CHECK: %[[B:.*]] = kiln.unary gelu_tanh %[[A]] : tensor<4xf32>
// CHECK-NOT: kiln.binary
// CHECK-NOT: kiln.unary tanh
// CHECK: return %[[B]]
// REPORT-COUNT-2: remark: matched gelu_tanh
func.func @gelu_tanh(%x: tensor<4xf32>) -> tensor<4xf32> {
  %beta = kiln.constant dense<0.797884583> : tensor<f32>
  %kappa = kiln.constant dense<4.471500e-02> : tensor<f32>
  %one = kiln.constant dense<1.0> : tensor<f32>
  %half = kiln.constant dense<0.5> : tensor<f32>
  %three = kiln.constant dense<3.0> : tensor<f32>
  %0 = kiln.binary mul %x, %x : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %1 = kiln.binary mul %x, %0 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %2 = kiln.binary mul %kappa, %1 : (tensor<f32>, tensor<4xf32>) -> tensor<4xf32>
  %3 = kiln.binary add %x, %2 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %4 = kiln.binary mul %beta, %3 : (tensor<f32>, tensor<4xf32>) -> tensor<4xf32>
  %5 = kiln.unary tanh %4 : tensor<4xf32>
  %6 = kiln.binary add %one, %5 : (tensor<f32>, tensor<4xf32>) -> tensor<4xf32>
  %7 = kiln.binary mul %x, %6 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %8 = kiln.binary mul %half, %7 : (tensor<f32>, tensor<4xf32>) -> tensor<4xf32>
  %9 = kiln.binary pow %8, %three : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %10 = kiln.binary mul %9, %kappa : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %11 = kiln.binary add %10, %8 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %12 = kiln.binary mul %11, %beta : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %13 = kiln.unary tanh %12 : tensor<4xf32>
  %14 = kiln.binary add %13, %one : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %15 = kiln.binary mul %8, %half : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %16 = kiln.binary mul %15, %14 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %16 : tensor<4xf32>
}

// -----

// Near misses of the tanh form: another kappa, a square rather than a
// cube. Nothing changes.
// CHECK-LABEL: func @gelu_tanh_misses
// CHECK-COUNT-2: kiln.unary tanh
// CHECK-NOT: gelu_tanh
// REPORT-NOT: matched gelu_tanh
func.func @gelu_tanh_misses(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %beta = kiln.constant dense<0.797884583> : tensor<f32>
  %kappa = kiln.constant dense<4.471500e-02> : tensor<f32>
  %other = kiln.constant dense<5.0e-02> : tensor<f32>
  %one = kiln.constant dense<1.0> : tensor<f32>
  %half = kiln.constant dense<0.5> : tensor<f32>
  %two = kiln.constant dense<2.0> : tensor<f32>
  %0 = kiln.binary pow %x, %two : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %1 = kiln.binary mul %kappa, %0 : (tensor<f32>, tensor<4xf32>) -> tensor<4xf32>
  %2 = kiln.binary add %x, %1 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %3 = kiln.binary mul %beta, %2 : (tensor<f32>, tensor<4xf32>) -> tensor<4xf32>
  %4 = kiln.unary tanh %3 : tensor<4xf32>
  %5 = kiln.binary add %one, %4 : (tensor<f32>, tensor<4xf32>) -> tensor<4xf32>
  %6 = kiln.binary mul %x, %5 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %7 = kiln.binary mul %half, %6 : (tensor<f32>, tensor<4xf32>) -> tensor<4xf32>
  %three = kiln.constant dense<3.0> : tensor<f32>
  %8 = kiln.binary pow %x, %three : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %9 = kiln.binary mul %other, %8 : (tensor<f32>, tensor<4xf32>) -> tensor<4xf32>
  %10 = kiln.binary add %x, %9 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %11 = kiln.binary mul %beta, %10 : (tensor<f32>, tensor<4xf32>) -> tensor<4xf32>
  %12 = kiln.unary tanh %11 : tensor<4xf32>
  %13 = kiln.binary add %one, %12 : (tensor<f32>, tensor<4xf32>) -> tensor<4xf32>
  %14 = kiln.binary mul %x, %13 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %15 = kiln.binary mul %half, %14 : (tensor<f32>, tensor<4xf32>) -> tensor<4xf32>
  return %7, %15 : tensor<4xf32>, tensor<4xf32>
}

// -----

// SiLU (x * sigmoid(x), either order) and hard swish (x * hard_sigmoid(x)
// with alpha 1/6, beta 0.5).
// CHECK-LABEL: func @gated
// CHECK: %[[S:.*]] = kiln.unary silu %arg0 : tensor<1x4x2x2xf32>
// CHECK: %[[H:.*]] = kiln.unary hard_swish %[[S]] : tensor<1x4x2x2xf32>
// CHECK: return %[[H]]
// REPORT: remark: matched silu: kiln.unary kiln.binary
// REPORT: remark: matched hard_swish: kiln.unary kiln.binary
func.func @gated(%x: tensor<1x4x2x2xf32>) -> tensor<1x4x2x2xf32> {
  %0 = kiln.unary sigmoid %x : tensor<1x4x2x2xf32>
  %1 = kiln.binary mul %0, %x : (tensor<1x4x2x2xf32>, tensor<1x4x2x2xf32>) -> tensor<1x4x2x2xf32>
  %2 = kiln.unary hard_sigmoid %1 {alpha = 0.166666672 : f32, beta = 5.000000e-01 : f32} : tensor<1x4x2x2xf32>
  %3 = kiln.binary mul %1, %2 : (tensor<1x4x2x2xf32>, tensor<1x4x2x2xf32>) -> tensor<1x4x2x2xf32>
  return %3 : tensor<1x4x2x2xf32>
}

// -----

// Near misses: the gate of another value, a gate with another user, and a
// hard sigmoid with ONNX's default alpha (0.2).
// CHECK-LABEL: func @gated_misses
// CHECK-NOT: silu
// CHECK-NOT: hard_swish
// CHECK: return
func.func @gated_misses(%x: tensor<4xf32>, %y: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %0 = kiln.unary sigmoid %y : tensor<4xf32>
  %1 = kiln.binary mul %x, %0 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %2 = kiln.unary sigmoid %x : tensor<4xf32>
  %3 = kiln.binary mul %x, %2 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %4 = kiln.unary hard_sigmoid %x : tensor<4xf32>
  %5 = kiln.binary mul %x, %4 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %1, %3, %5, %2 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

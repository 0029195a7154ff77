// A Keras-style MNIST classifier in kiln IR: three 3x3 convolutions with
// ReLU (the first two followed by 2x2 max pooling), then two dense layers
// and a softmax. The weights here are uniform placeholders; the model shows
// the graph IR that the ONNX frontend produces for this network.
func.func @main(%image: tensor<1x1x28x28xf32> {kiln.name = "image"})
    -> (tensor<1x10xf32> {kiln.name = "probabilities"}) {
  %w1 = kiln.constant dense<0.1> : tensor<32x1x3x3xf32>
  %b1 = kiln.constant dense<0.0> : tensor<32xf32>
  %w2 = kiln.constant dense<0.01> : tensor<64x32x3x3xf32>
  %b2 = kiln.constant dense<0.0> : tensor<64xf32>
  %w3 = kiln.constant dense<0.01> : tensor<64x64x3x3xf32>
  %b3 = kiln.constant dense<0.0> : tensor<64xf32>
  %w4 = kiln.constant dense<0.01> : tensor<64x576xf32>
  %b4 = kiln.constant dense<0.0> : tensor<64xf32>
  %w5 = kiln.constant dense<0.01> : tensor<10x64xf32>
  %b5 = kiln.constant dense<0.0> : tensor<10xf32>

  %c1 = kiln.conv %image, %w1, %b1 : (tensor<1x1x28x28xf32>, tensor<32x1x3x3xf32>, tensor<32xf32>) -> tensor<1x32x26x26xf32>
  %r1 = kiln.unary relu %c1 : tensor<1x32x26x26xf32>
  %p1 = kiln.pool max %r1 {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x32x26x26xf32>) -> tensor<1x32x13x13xf32>
  %c2 = kiln.conv %p1, %w2, %b2 : (tensor<1x32x13x13xf32>, tensor<64x32x3x3xf32>, tensor<64xf32>) -> tensor<1x64x11x11xf32>
  %r2 = kiln.unary relu %c2 : tensor<1x64x11x11xf32>
  %p2 = kiln.pool max %r2 {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x64x11x11xf32>) -> tensor<1x64x5x5xf32>
  %c3 = kiln.conv %p2, %w3, %b3 : (tensor<1x64x5x5xf32>, tensor<64x64x3x3xf32>, tensor<64xf32>) -> tensor<1x64x3x3xf32>
  %r3 = kiln.unary relu %c3 : tensor<1x64x3x3xf32>
  %flat = kiln.reshape %r3 : (tensor<1x64x3x3xf32>) -> tensor<1x576xf32>
  %d1 = kiln.gemm %flat, %w4, %b4 {trans_b} : (tensor<1x576xf32>, tensor<64x576xf32>, tensor<64xf32>) -> tensor<1x64xf32>
  %r4 = kiln.unary relu %d1 : tensor<1x64xf32>
  %d2 = kiln.gemm %r4, %w5, %b5 {trans_b} : (tensor<1x64xf32>, tensor<10x64xf32>, tensor<10xf32>) -> tensor<1x10xf32>
  %probs = kiln.softmax %d2 {axis = 1 : i64} : (tensor<1x10xf32>) -> tensor<1x10xf32>
  return %probs : tensor<1x10xf32>
}

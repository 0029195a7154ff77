// A small network that every stage changes: a convolution with a batch
// norm, relu and pooling to fold and fuse, a matrix product with a bias and
// an activation written as a chain of ops, and weights large enough to be
// externalized.
func.func @main(%x: tensor<1x4x8x8xf32> {kiln.name = "x"})
    -> (tensor<1x16xf32> {kiln.name = "y"}) {
  %w = kiln.constant dense<0.125> : tensor<4x4x3x3xf32>
  %b = kiln.constant dense<0.5> : tensor<4xf32>
  %scale = kiln.constant dense<2.0> : tensor<4xf32>
  %shift = kiln.constant dense<0.25> : tensor<4xf32>
  %mean = kiln.constant dense<0.1> : tensor<4xf32>
  %var = kiln.constant dense<4.0> : tensor<4xf32>
  %0 = kiln.conv %x, %w, %b {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
  %1 = kiln.batch_norm %0, %scale, %shift, %mean, %var {epsilon = 0.0 : f32} : (tensor<1x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
  %2 = kiln.unary relu %1 : tensor<1x4x8x8xf32>
  %3 = kiln.pool max %2 {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32>
  %4 = kiln.reshape %3 : (tensor<1x4x4x4xf32>) -> tensor<1x64xf32>
  %m = kiln.constant dense<0.03125> : tensor<64x16xf32>
  %mb = kiln.constant dense<-0.25> : tensor<16xf32>
  %5 = kiln.matmul %4, %m : (tensor<1x64xf32>, tensor<64x16xf32>) -> tensor<1x16xf32>
  %6 = kiln.binary add %5, %mb : (tensor<1x16xf32>, tensor<16xf32>) -> tensor<1x16xf32>
  %7 = kiln.unary sigmoid %6 : tensor<1x16xf32>
  %8 = kiln.binary mul %6, %7 : (tensor<1x16xf32>, tensor<1x16xf32>) -> tensor<1x16xf32>
  return %8 : tensor<1x16xf32>
}

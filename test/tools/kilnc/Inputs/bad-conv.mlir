// A convolution whose weight does not match the input channels.
func.func @bad(%x: tensor<1x3x8x8xf32>, %w: tensor<4x2x3x3xf32>)
    -> tensor<1x4x6x6xf32> {
  %0 = kiln.conv %x, %w : (tensor<1x3x8x8xf32>, tensor<4x2x3x3xf32>) -> tensor<1x4x6x6xf32>
  return %0 : tensor<1x4x6x6xf32>
}

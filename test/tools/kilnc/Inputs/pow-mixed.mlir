// A power of a signed base to an unsigned exponent, which kilnc does not lower.
func.func @main(%a: tensor<4xi32>, %b: tensor<4xui8>) -> tensor<4xi32> {
  %0 = kiln.binary pow %a, %b : (tensor<4xi32>, tensor<4xui8>) -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

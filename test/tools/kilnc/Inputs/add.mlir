// Names that are not file-name safe, as ONNX models often have.
func.func @main(%x: tensor<2x3xf32> {kiln.name = "x"},
                %y: tensor<3xf32> {kiln.name = "y/bias"})
    -> (tensor<2x3xf32> {kiln.name = "sum:out"}) {
  %0 = kiln.binary add %x, %y : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

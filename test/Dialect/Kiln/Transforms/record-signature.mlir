// RUN: kiln-opt %s -kiln-record-signature -split-input-file | FileCheck %s

// One line per input and output of main: direction, name, ONNX dtype code
// and dims; results marked by kiln-check-indices are listed as checks.
// CHECK-LABEL: module attributes
// CHECK-SAME: kiln.signature = "in x 1 2x3\0Ain ids 7 4\0Aout y 1 2x3\0Aout mask 9 4\0Acheck -5 4 lookup\0A"
func.func @main(%x: tensor<2x3xf32> {kiln.name = "x"}, %ids: tensor<4xi64> {kiln.name = "ids"})
    -> (tensor<2x3xf32> {kiln.name = "y"}, tensor<4xi1> {kiln.name = "mask"},
        tensor<2xi64> {kiln.check = "-5 4 lookup"}) {
  %m = kiln.constant dense<true> : tensor<4xi1>
  %r = kiln.constant dense<[0, 4]> : tensor<2xi64>
  return %x, %m, %r : tensor<2x3xf32>, tensor<4xi1>, tensor<2xi64>
}

// -----

// Unsigned and half-precision element types keep their own codes; a
// scalar's dims are "-".
// CHECK-LABEL: module attributes
// CHECK-SAME: kiln.signature = "in a 2 3\0Ain b 10 3\0Aout c 16 -\0A"
func.func @main(%a: tensor<3xui8> {kiln.name = "a"}, %b: tensor<3xf16> {kiln.name = "b"})
    -> (tensor<bf16> {kiln.name = "c"}) {
  %c = kiln.constant dense<1.0> : tensor<bf16>
  return %c : tensor<bf16>
}

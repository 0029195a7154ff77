// RUN: kiln-opt %s -kiln-signless-integers -split-input-file -verify-diagnostics | FileCheck %s

// Unsigned tensors become signless, constants keep their bits, and the ops
// whose result depends on signedness are marked.
// CHECK-LABEL: func @retype
// CHECK-SAME: (%[[A:.*]]: tensor<4xi8>, %[[X:.*]]: tensor<4xf32>) -> (tensor<4xi8>, tensor<4xi1>, tensor<4xf32>, tensor<2x2xi8>, tensor<4xi16>)
// CHECK: %[[C:.*]] = kiln.constant dense<[-1, -56, 0, 1]> : tensor<4xi8>
// CHECK: %[[D:.*]] = kiln.binary div %[[A]], %[[C]] {is_unsigned} : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi8>
// CHECK: kiln.binary add %[[D]], %[[C]] {is_unsigned}
// CHECK: kiln.compare lt %[[A]], %[[C]] {is_unsigned}
// CHECK: kiln.cast %[[A]] {from_unsigned} : tensor<4xi8> to tensor<4xf32>
// CHECK: kiln.reshape %{{.*}} : (tensor<4xi8>) -> tensor<2x2xi8>
// CHECK: kiln.cast %[[X]] {to_unsigned} : tensor<4xf32> to tensor<4xi16>
// CHECK: kiln.reduce max %[[A]] {axes = array<i64: 0>, is_unsigned, keepdims}
// CHECK: kiln.arg_reduce max %[[A]] {axis = 0 : i64, is_unsigned}
func.func @retype(%a: tensor<4xui8>, %x: tensor<4xf32>) -> (tensor<4xui8>, tensor<4xi1>, tensor<4xf32>, tensor<2x2xui8>, tensor<4xui16>) {
  %c = kiln.constant dense<[255, 200, 0, 1]> : tensor<4xui8>
  %0 = kiln.binary div %a, %c : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xui8>
  %1 = kiln.binary add %0, %c : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xui8>
  %2 = kiln.compare lt %a, %c : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xi1>
  %3 = kiln.cast %a : tensor<4xui8> to tensor<4xf32>
  %4 = kiln.reshape %1 : (tensor<4xui8>) -> tensor<2x2xui8>
  %5 = kiln.cast %x : tensor<4xf32> to tensor<4xui16>
  %6 = kiln.reduce max %a {axes = array<i64: 0>, keepdims} : (tensor<4xui8>) -> tensor<1xui8>
  %7 = kiln.arg_reduce max %a {axis = 0 : i64} : (tensor<4xui8>) -> tensor<i64>
  return %1, %2, %3, %4, %5 : tensor<4xui8>, tensor<4xi1>, tensor<4xf32>, tensor<2x2xui8>, tensor<4xui16>
}

// -----

// Signed and signless integers are left alone.
// CHECK-LABEL: func @signed
// CHECK: kiln.binary div %{{.*}}, %{{.*}} : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
func.func @signed(%a: tensor<4xi32>) -> tensor<4xi32> {
  %0 = kiln.binary div %a, %a : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

// pow is marked for its exponent only: a signed base with an unsigned
// exponent zero-extends the exponent; an unsigned base with a signed
// exponent is the signed case.
// CHECK-LABEL: func @pow
// CHECK: kiln.binary pow %{{.*}}, %{{.*}} {is_unsigned} : (tensor<4xi32>, tensor<4xi8>) -> tensor<4xi32>
// CHECK: kiln.binary pow %{{.*}}, %{{.*}} : (tensor<4xi8>, tensor<4xi32>) -> tensor<4xi8>
func.func @pow(%a: tensor<4xi32>, %b: tensor<4xui8>) -> (tensor<4xi32>, tensor<4xui8>) {
  %0 = kiln.binary pow %a, %b : (tensor<4xi32>, tensor<4xui8>) -> tensor<4xi32>
  %1 = kiln.binary pow %b, %a : (tensor<4xui8>, tensor<4xi32>) -> tensor<4xui8>
  return %0, %1 : tensor<4xi32>, tensor<4xui8>
}

// -----

func.func @unsupported() -> tensor<4xui8> {
  // expected-error @below {{unsupported: 'tensor.empty' on unsigned integers in the llvm backend}}
  %0 = tensor.empty() : tensor<4xui8>
  return %0 : tensor<4xui8>
}

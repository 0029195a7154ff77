// RUN: kiln-opt %s -kiln-to-linalg -split-input-file -verify-diagnostics | FileCheck %s

// CHECK-LABEL: func @constant
// CHECK: arith.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
func.func @constant() -> tensor<2xf32> {
  %0 = kiln.constant dense<[1.0, 2.0]> : tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// Broadcasting reads size-1 dims at index 0 and aligns ranks on the right.
// CHECK-DAG: #[[LHS:.*]] = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-DAG: #[[RHS:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func @broadcast_add
// CHECK: linalg.generic {indexing_maps = [#[[LHS]], #[[RHS]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%arg0, %arg1 : tensor<2x1xf32>, tensor<3xf32>)
// CHECK: arith.addf
func.func @broadcast_add(%a: tensor<2x1xf32>, %b: tensor<3xf32>) -> tensor<2x3xf32> {
  %0 = kiln.binary add %a, %b : (tensor<2x1xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// Integer mod takes the divisor's sign: the remainder is corrected when it
// is non-zero and its sign differs from the divisor's.
// CHECK-LABEL: func @int_mod
// CHECK: %[[R:.*]] = arith.remsi
// CHECK: arith.cmpi slt, %[[R]]
// CHECK: arith.xori
// CHECK: %[[FIXED:.*]] = arith.addi %[[R]]
// CHECK: arith.select %{{.*}}, %[[FIXED]], %[[R]]
func.func @int_mod(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xi32> {
  %0 = kiln.binary mod %a, %b : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

// CHECK-LABEL: func @leaky_relu
// CHECK: ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-DAG: %[[NEG:.*]] = arith.cmpf olt, %[[X]], %{{.*}}
// CHECK-DAG: %[[SCALED:.*]] = arith.mulf %[[X]], %{{.*}}
// CHECK: arith.select %[[NEG]], %[[SCALED]], %[[X]]
func.func @leaky_relu(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = kiln.unary leaky_relu %x {alpha = 0.2 : f32} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func @compare_where_cast
// CHECK: arith.cmpf olt
// CHECK: arith.select
// CHECK: arith.fptosi {{.*}} : f32 to i32
// CHECK: arith.cmpf une
func.func @compare_where_cast(%a: tensor<4xf32>, %b: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xi32>, tensor<4xi1>) {
  %c = kiln.compare lt %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
  %0 = kiln.where %c, %a, %b : (tensor<4xi1>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %1 = kiln.cast %a : tensor<4xf32> to tensor<4xi32>
  %2 = kiln.cast %a : tensor<4xf32> to tensor<4xi1>
  return %0, %1, %2 : tensor<4xf32>, tensor<4xi32>, tensor<4xi1>
}

// -----

// Signless integers marked unsigned (by kiln-signless-integers) take the
// unsigned arith ops; x / 0 stays 0.
// CHECK-LABEL: func @unsigned
// CHECK: arith.cmpi eq
// CHECK: arith.divui
// CHECK: arith.select
// CHECK: arith.remui
// CHECK: arith.maxui
// CHECK: arith.minui
// CHECK: arith.cmpi ult
// CHECK: arith.uitofp
// CHECK: arith.extui
// CHECK: arith.fptoui
// CHECK: arith.cmpi ne
// CHECK-NEXT: arith.extui
// CHECK: arith.maxui
// CHECK: arith.minui
func.func @unsigned(%a: tensor<4xi8>, %b: tensor<4xi8>, %x: tensor<4xf32>)
    -> (tensor<4xi8>, tensor<4xi8>, tensor<4xi8>, tensor<4xi8>, tensor<4xi1>,
        tensor<4xf32>, tensor<4xi32>, tensor<4xi8>, tensor<4xi8>, tensor<4xi8>) {
  %0 = kiln.binary div %a, %b {is_unsigned} : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi8>
  %1 = kiln.binary mod %a, %b {is_unsigned} : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi8>
  %2 = kiln.binary max %a, %b {is_unsigned} : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi8>
  %3 = kiln.binary min %a, %b {is_unsigned} : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi8>
  %4 = kiln.compare lt %a, %b {is_unsigned} : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi1>
  %5 = kiln.cast %a {from_unsigned} : tensor<4xi8> to tensor<4xf32>
  %6 = kiln.cast %a {from_unsigned} : tensor<4xi8> to tensor<4xi32>
  %7 = kiln.cast %x {to_unsigned} : tensor<4xf32> to tensor<4xi8>
  %8 = kiln.unary sign %a {is_unsigned} : tensor<4xi8>
  %9 = kiln.unary clip %a {alpha = 1.0e+01 : f32, beta = 2.0e+02 : f32, is_unsigned} : tensor<4xi8>
  return %0, %1, %2, %3, %4, %5, %6, %7, %8, %9 : tensor<4xi8>, tensor<4xi8>, tensor<4xi8>, tensor<4xi8>, tensor<4xi1>, tensor<4xf32>, tensor<4xi32>, tensor<4xi8>, tensor<4xi8>, tensor<4xi8>
}

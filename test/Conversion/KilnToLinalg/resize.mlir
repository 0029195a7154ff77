// RUN: kiln-opt %s -kiln-to-linalg -canonicalize -split-input-file | FileCheck %s

// Nearest, asymmetric, floor: source = floor(o / 2), clamped; unresized
// dims read their own index.
// CHECK-LABEL: func @nearest
// CHECK: linalg.generic
// CHECK: %[[I3:.*]] = linalg.index 3
// CHECK: arith.divf %{{.*}}, %{{.*}} : f32
// CHECK: math.floor
// CHECK: arith.maxsi
// CHECK: arith.minsi
// CHECK: tensor.extract %arg0[
func.func @nearest(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32> {
  %0 = kiln.resize nearest %x {scales = array<f32: 1.0, 1.0, 2.0, 2.0>, coordinate_transform = #kiln<coordinate_transform asymmetric>, nearest_mode = #kiln<nearest_mode floor>} : (tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32>
  return %0 : tensor<1x1x4x4xf32>
}

// -----

// Bilinear: four neighbours, weighted.
// CHECK-LABEL: func @linear
// CHECK-COUNT-4: tensor.extract %arg0
func.func @linear(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32> {
  %0 = kiln.resize linear %x {scales = array<f32: 1.0, 1.0, 2.0, 2.0>} : (tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32>
  return %0 : tensor<1x1x4x4xf32>
}

// -----

// Bicubic: four neighbours per resized dim from the left neighbour
// ceil(x) - 1, so sixteen reads.
// CHECK-LABEL: func @cubic
// CHECK: math.ceil
// CHECK-COUNT-16: tensor.extract %arg0
// CHECK-NOT: tensor.extract
func.func @cubic(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32> {
  %0 = kiln.resize cubic %x {scales = array<f32: 1.0, 1.0, 2.0, 2.0>} : (tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32>
  return %0 : tensor<1x1x4x4xf32>
}

// -----

// With exclude_outside, the weights of neighbours outside the input are
// zeroed and the rest divided by their sum.
// CHECK-LABEL: func @cubic_exclude_outside
// CHECK: arith.cmpf oge
// CHECK: arith.cmpf ole
// CHECK: arith.divf
// CHECK-COUNT-4: tensor.extract %arg0
func.func @cubic_exclude_outside(%x: tensor<1x4xf32>) -> tensor<1x8xf32> {
  %0 = kiln.resize cubic %x {scales = array<f32: 1.0, 2.0>, exclude_outside, cubic_coeff_a = -5.0e-01 : f32} : (tensor<1x4xf32>) -> tensor<1x8xf32>
  return %0 : tensor<1x8xf32>
}

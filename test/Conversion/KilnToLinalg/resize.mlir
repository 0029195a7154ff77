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

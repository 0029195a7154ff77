// RUN: kiln-opt %s -kiln-approximate-math | FileCheck %s

// f32 exp, tanh and erf become arithmetic (no libm call left); f64 keeps
// the math op, which the backend lowers to libm.
// CHECK-LABEL: func @functions
// CHECK-NOT: math.exp %arg0 : f32
// CHECK-NOT: math.tanh
// CHECK-NOT: math.erf
// CHECK: math.exp %arg1 : f64
func.func @functions(%x: f32, %y: f64) -> (f32, f32, f32, f64) {
  %0 = math.exp %x : f32
  %1 = math.tanh %x : f32
  %2 = math.erf %x : f32
  %3 = math.exp %y : f64
  return %0, %1, %2, %3 : f32, f32, f32, f64
}

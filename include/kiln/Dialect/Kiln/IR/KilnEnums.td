//===- KilnEnums.td - Enumerations of the kiln dialect -----*- tablegen -*-===//

#ifndef KILN_DIALECT_KILN_IR_KILNENUMS_TD
#define KILN_DIALECT_KILN_IR_KILNENUMS_TD

include "kiln/Dialect/Kiln/IR/KilnDialect.td"
include "mlir/IR/EnumAttr.td"

def Kiln_UnaryKind : I32EnumAttr<"UnaryKind", "elementwise unary function", [
    // Activations. `alpha`/`beta` name the parameters ONNX names the same way.
    I32EnumAttrCase<"relu", 0>,
    I32EnumAttrCase<"leaky_relu", 1>,        // alpha: slope (0.01)
    I32EnumAttrCase<"elu", 2>,               // alpha (1.0)
    I32EnumAttrCase<"selu", 3>,              // alpha (1.67326...), beta: gamma (1.0507...)
    I32EnumAttrCase<"celu", 4>,              // alpha (1.0)
    I32EnumAttrCase<"sigmoid", 5>,
    I32EnumAttrCase<"hard_sigmoid", 6>,      // alpha (0.2), beta (0.5)
    I32EnumAttrCase<"hard_swish", 7>,
    I32EnumAttrCase<"silu", 8>,
    I32EnumAttrCase<"mish", 9>,
    I32EnumAttrCase<"tanh", 10>,
    I32EnumAttrCase<"scaled_tanh", 11>,      // alpha * tanh(beta * x)
    I32EnumAttrCase<"affine", 12>,           // alpha * x + beta
    I32EnumAttrCase<"thresholded_relu", 13>, // alpha: threshold (1.0)
    I32EnumAttrCase<"gelu", 14>,
    I32EnumAttrCase<"gelu_tanh", 15>,
    I32EnumAttrCase<"softplus", 16>,
    I32EnumAttrCase<"softsign", 17>,
    I32EnumAttrCase<"clip", 18>,             // alpha: min (-inf), beta: max (+inf)
    I32EnumAttrCase<"shrink", 19>,           // alpha: lambd (0.5), beta: bias (0)
    // Arithmetic and transcendental functions.
    I32EnumAttrCase<"identity", 20>,
    I32EnumAttrCase<"abs", 21>,
    I32EnumAttrCase<"neg", 22>,
    I32EnumAttrCase<"sign", 23>,
    I32EnumAttrCase<"reciprocal", 24>,
    I32EnumAttrCase<"sqrt", 25>,
    I32EnumAttrCase<"exp", 26>,
    I32EnumAttrCase<"log", 27>,
    I32EnumAttrCase<"erf", 28>,
    I32EnumAttrCase<"floor", 29>,
    I32EnumAttrCase<"ceil", 30>,
    I32EnumAttrCase<"round", 31>,
    I32EnumAttrCase<"sin", 32>,
    I32EnumAttrCase<"cos", 33>,
    I32EnumAttrCase<"tan", 34>,
    I32EnumAttrCase<"asin", 35>,
    I32EnumAttrCase<"acos", 36>,
    I32EnumAttrCase<"atan", 37>,
    I32EnumAttrCase<"sinh", 38>,
    I32EnumAttrCase<"cosh", 39>,
    I32EnumAttrCase<"asinh", 40>,
    I32EnumAttrCase<"acosh", 41>,
    I32EnumAttrCase<"atanh", 42>,
    I32EnumAttrCase<"isnan", 43>,
    I32EnumAttrCase<"isinf", 44>,
    // Boolean.
    I32EnumAttrCase<"logical_not", 45, "not">
  ]> {
  let cppNamespace = "::kiln";
  let genSpecializedAttr = 0;
}

def Kiln_BinaryKind : I32EnumAttr<"BinaryKind", "elementwise binary function", [
    I32EnumAttrCase<"add", 0>,
    I32EnumAttrCase<"sub", 1>,
    I32EnumAttrCase<"mul", 2>,
    I32EnumAttrCase<"div", 3>,
    I32EnumAttrCase<"pow", 4>,
    I32EnumAttrCase<"min", 5>,
    I32EnumAttrCase<"max", 6>,
    I32EnumAttrCase<"mod", 7>,   // sign of the divisor (Python)
    I32EnumAttrCase<"fmod", 8>,  // sign of the dividend (C)
    I32EnumAttrCase<"prelu", 9>, // lhs < 0 ? lhs * rhs : lhs
    I32EnumAttrCase<"logical_and", 10, "and">,
    I32EnumAttrCase<"logical_or", 11, "or">,
    I32EnumAttrCase<"logical_xor", 12, "xor">
  ]> {
  let cppNamespace = "::kiln";
  let genSpecializedAttr = 0;
}

def Kiln_ComparePredicate : I32EnumAttr<"ComparePredicate",
    "elementwise comparison", [
    I32EnumAttrCase<"eq", 0>,
    I32EnumAttrCase<"ne", 1>,
    I32EnumAttrCase<"lt", 2>,
    I32EnumAttrCase<"le", 3>,
    I32EnumAttrCase<"gt", 4>,
    I32EnumAttrCase<"ge", 5>
  ]> {
  let cppNamespace = "::kiln";
  let genSpecializedAttr = 0;
}

def Kiln_ReduceKind : I32EnumAttr<"ReduceKind", "reduction", [
    I32EnumAttrCase<"sum", 0>,
    I32EnumAttrCase<"mean", 1>,
    I32EnumAttrCase<"max", 2>,
    I32EnumAttrCase<"min", 3>,
    I32EnumAttrCase<"prod", 4>,
    I32EnumAttrCase<"l1", 5>,
    I32EnumAttrCase<"l2", 6>,
    I32EnumAttrCase<"sum_square", 7>,
    I32EnumAttrCase<"log_sum", 8>,
    I32EnumAttrCase<"log_sum_exp", 9>
  ]> {
  let cppNamespace = "::kiln";
  let genSpecializedAttr = 0;
}

def Kiln_PoolKind : I32EnumAttr<"PoolKind", "pooling", [
    I32EnumAttrCase<"max", 0>,
    I32EnumAttrCase<"avg", 1>
  ]> {
  let cppNamespace = "::kiln";
  let genSpecializedAttr = 0;
}

def Kiln_PadMode : I32EnumAttr<"PadMode", "padding mode", [
    I32EnumAttrCase<"constant", 0>,
    I32EnumAttrCase<"reflect", 1>,
    I32EnumAttrCase<"edge", 2>,
    I32EnumAttrCase<"wrap", 3>
  ]> {
  let cppNamespace = "::kiln";
  let genSpecializedAttr = 0;
}

def Kiln_ResizeMode : I32EnumAttr<"ResizeMode", "resize interpolation", [
    I32EnumAttrCase<"nearest", 0>,
    I32EnumAttrCase<"linear", 1>,
    I32EnumAttrCase<"cubic", 2>
  ]> {
  let cppNamespace = "::kiln";
  let genSpecializedAttr = 0;
}

def Kiln_CoordinateTransform : I32EnumAttr<"CoordinateTransform",
    "mapping of resized coordinates to input coordinates", [
    I32EnumAttrCase<"half_pixel", 0>,
    I32EnumAttrCase<"half_pixel_symmetric", 1>,
    I32EnumAttrCase<"pytorch_half_pixel", 2>,
    I32EnumAttrCase<"align_corners", 3>,
    I32EnumAttrCase<"asymmetric", 4>
  ]> {
  let cppNamespace = "::kiln";
  let genSpecializedAttr = 0;
}

def Kiln_NearestMode : I32EnumAttr<"NearestMode",
    "rounding of nearest-neighbour resize", [
    I32EnumAttrCase<"round_prefer_floor", 0>,
    I32EnumAttrCase<"round_prefer_ceil", 1>,
    I32EnumAttrCase<"floor", 2>,
    I32EnumAttrCase<"ceil", 3>
  ]> {
  let cppNamespace = "::kiln";
  let genSpecializedAttr = 0;
}

def Kiln_RNNDirection : I32EnumAttr<"RNNDirection", "recurrent direction", [
    I32EnumAttrCase<"forward", 0>,
    I32EnumAttrCase<"reverse", 1>,
    I32EnumAttrCase<"bidirectional", 2>
  ]> {
  let cppNamespace = "::kiln";
  let genSpecializedAttr = 0;
}

def Kiln_UnaryKindAttr : EnumAttr<Kiln_Dialect, Kiln_UnaryKind, "unary">;
def Kiln_BinaryKindAttr : EnumAttr<Kiln_Dialect, Kiln_BinaryKind, "binary">;
def Kiln_ComparePredicateAttr : EnumAttr<Kiln_Dialect, Kiln_ComparePredicate, "predicate">;
def Kiln_ReduceKindAttr : EnumAttr<Kiln_Dialect, Kiln_ReduceKind, "reduce">;
def Kiln_PoolKindAttr : EnumAttr<Kiln_Dialect, Kiln_PoolKind, "pool">;
def Kiln_PadModeAttr : EnumAttr<Kiln_Dialect, Kiln_PadMode, "pad_mode">;
def Kiln_ResizeModeAttr : EnumAttr<Kiln_Dialect, Kiln_ResizeMode, "resize_mode">;
def Kiln_CoordinateTransformAttr : EnumAttr<Kiln_Dialect, Kiln_CoordinateTransform, "coordinate_transform">;
def Kiln_NearestModeAttr : EnumAttr<Kiln_Dialect, Kiln_NearestMode, "nearest_mode">;
def Kiln_RNNDirectionAttr : EnumAttr<Kiln_Dialect, Kiln_RNNDirection, "direction">;

def Kiln_ActivationArrayAttr : TypedArrayAttrBase<Kiln_UnaryKindAttr,
    "array of activation functions">;

#endif // KILN_DIALECT_KILN_IR_KILNENUMS_TD

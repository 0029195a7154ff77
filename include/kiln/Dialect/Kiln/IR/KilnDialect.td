//===- KilnDialect.td - The kiln graph dialect -------------*- tablegen -*-===//
//
// The kiln dialect models a deep-learning graph on statically shaped ranked
// tensors. Its ops follow ONNX semantics, with every default made explicit
// or documented, so that passes and backends never need to consult ONNX.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECT_KILN_IR_KILNDIALECT_TD
#define KILN_DIALECT_KILN_IR_KILNDIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/CommonAttrConstraints.td"

def Kiln_Dialect : Dialect {
  let name = "kiln";
  let cppNamespace = "::kiln";
  let summary = "Deep-learning graph operations on static-shape tensors";
  let description = [{
    The kiln dialect is the graph IR of the Kiln compiler. Every value is a
    ranked tensor with a static shape; symbolic dimensions are resolved by the
    frontend. Ops carry ONNX semantics (NumPy broadcasting, NCHW layout for
    convolutions and pooling, ONNX gate order for recurrent ops). Axes are
    normalized to `0 <= axis < rank`. An op whose result shape is a free
    parameter (reshape, expand, split, slice, resize, cast) takes it from its
    result type; every other op infers its result types from its operands
    and attributes. Either way a malformed op is rejected with a message
    that names the operand or attribute at fault and what was expected.
  }];
  let hasConstantMaterializer = 1;
  let useDefaultAttributePrinterParser = 1;
}

/// An i64 array whose empty value stands for the ONNX default.
def Kiln_I64Array : DefaultValuedAttr<DenseI64ArrayAttr, "{}">;

#endif // KILN_DIALECT_KILN_IR_KILNDIALECT_TD

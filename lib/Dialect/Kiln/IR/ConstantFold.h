//===- ConstantFold.h - Evaluating kiln ops on constants --------*- C++ -*-===//
//
// Folders evaluate ops whose operands are constants, so that the shape
// arithmetic exporters emit (Shape -> Gather -> Concat -> Reshape) becomes
// constants while a model is imported. Values are computed in int64 or
// double and rounded to the result type.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_LIB_DIALECT_KILN_IR_CONSTANTFOLD_H
#define KILN_LIB_DIALECT_KILN_IR_CONSTANTFOLD_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <optional>

namespace kiln::detail {

/// Folding stops at results larger than this, unless they are splats.
constexpr int64_t kMaxFoldedElements = 1 << 16;

/// One element: integers (of any width and signedness) as int64, floats
/// as double.
struct Scalar {
  bool isFloat = false;
  int64_t i = 0;
  double f = 0.0;
  static Scalar ofInt(int64_t v) { return {false, v, 0.0}; }
  static Scalar ofFloat(double v) { return {true, 0, v}; }
  double asDouble() const { return isFloat ? f : (double)i; }
};

/// Reads element `index` (row-major) of a dense constant.
Scalar readScalar(mlir::DenseElementsAttr attr, int64_t index);

/// Builds a constant of `type` from row-major scalars (converted to its
/// element type).
mlir::DenseElementsAttr buildConstant(mlir::RankedTensorType type,
                                      llvm::ArrayRef<Scalar> values);

/// Evaluates `fn` elementwise over NumPy-broadcast `operands` (all dense
/// constants) into `resultType`. Returns null when an operand is not a
/// dense constant, the result is too large, or `fn` declines an element.
mlir::DenseElementsAttr foldElementwise(
    llvm::ArrayRef<mlir::Attribute> operands, mlir::RankedTensorType resultType,
    llvm::function_ref<std::optional<Scalar>(llvm::ArrayRef<Scalar>)> fn);

/// Row-major strides of `shape`.
llvm::SmallVector<int64_t> stridesOf(llvm::ArrayRef<int64_t> shape);

/// Folds by gathering: result element `i` is input element `indexOf(i)`.
/// Returns null when the input is not a constant or the result is too large
/// (for weight blobs: larger than the input); a splat input gives a splat
/// result.
mlir::Attribute
foldByIndex(mlir::Attribute input, mlir::RankedTensorType resultType,
            llvm::function_ref<int64_t(llvm::ArrayRef<int64_t>)> indexOf);

} // namespace kiln::detail

#endif // KILN_LIB_DIALECT_KILN_IR_CONSTANTFOLD_H

//===- Resize.cpp - Resize ------------------------------------------------===//

#include "ConstantFold.h"
#include "OpChecker.h"
#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::detail;

LogicalResult ResizeOp::verify() {
  auto input = getInput().getType(), output = getOutput().getType();
  if (input.getElementType() != output.getElementType() ||
      input.getRank() != output.getRank())
    return emitOpError("expected a result of rank ")
           << input.getRank() << " and element type " << input.getElementType()
           << ", got " << output;
  ArrayRef<float> scales = getScales();
  if ((int64_t)scales.size() != input.getRank())
    return emitOpError("expected 'scales' to have ")
           << input.getRank() << " values (one per dim), got " << scales.size();
  if (llvm::any_of(scales, [](float s) { return !(s > 0.0f); }))
    return emitOpError("expected 'scales' values to be positive");
  if (llvm::any_of(output.getShape(), [](int64_t d) { return d == 0; }) ||
      llvm::any_of(input.getShape(), [](int64_t d) { return d == 0; }))
    return emitOpError("cannot resize to or from an empty tensor");
  return success();
}

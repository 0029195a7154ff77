//===- BackendOps.cpp - Ops that stand for backend library calls ----------===//

#include "kiln/Dialect/Kiln/IR/KilnOps.h"

using namespace mlir;
using namespace kiln;

//===----------------------------------------------------------------------===//
// DnnlCallOp
//===----------------------------------------------------------------------===//

LogicalResult DnnlCallOp::verify() {
  if (getOutputs().empty())
    return emitOpError("expected at least one output");
  bool onTensors = llvm::isa<RankedTensorType>(getOutputs().front().getType());
  for (Value operand : getOperands()) {
    auto shaped = llvm::dyn_cast<ShapedType>(operand.getType());
    if (!shaped.hasStaticShape())
      return emitOpError("expected operands of static shape, got ")
             << operand.getType();
    if (llvm::isa<RankedTensorType>(shaped) != onTensors)
      return emitOpError("expected all operands to be tensors or all to be "
                         "memrefs");
  }
  if (onTensors ? getResults().getTypes() != getOutputs().getTypes()
                : !getResults().empty())
    return emitOpError("expected one result per output, of its type, on "
                       "tensors and no results on memrefs");
  // `dims`: for each operand, its rank and then as many dims, covering
  // exactly the operand's elements.
  ArrayRef<int64_t> dims = getDims();
  size_t at = 0;
  for (auto [i, operand] : llvm::enumerate(getOperands())) {
    auto shaped = llvm::cast<ShapedType>(operand.getType());
    if (at >= dims.size() || dims[at] < 0 ||
        at + 1 + dims[at] > dims.size())
      return emitOpError("expected `dims` to give a rank and dims for "
                         "operand ")
             << i;
    int64_t elements = 1;
    for (int64_t d : dims.slice(at + 1, dims[at]))
      elements *= d;
    if (elements != shaped.getNumElements())
      return emitOpError("operand ")
             << i << " has " << shaped.getNumElements()
             << " elements but its `dims` describe " << elements;
    at += 1 + dims[at];
  }
  if (at != dims.size())
    return emitOpError("expected `dims` to describe the operands only, "
                       "found extra values");
  return success();
}

void DnnlCallOp::getEffects(
    SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>
        &effects) {
  for (OpOperand &operand : getInputsMutable())
    if (llvm::isa<MemRefType>(operand.get().getType()))
      effects.emplace_back(MemoryEffects::Read::get(), &operand);
  for (OpOperand &operand : getOutputsMutable())
    if (llvm::isa<MemRefType>(operand.get().getType()))
      effects.emplace_back(MemoryEffects::Write::get(), &operand);
}

//===- BackendOps.cpp - Ops that stand for backend library calls ----------===//

#include "OpChecker.h"
#include "kiln/Dialect/Kiln/IR/KilnOps.h"

using namespace mlir;
using namespace kiln;
using kiln::detail::formatList;

//===----------------------------------------------------------------------===//
// DnnlCallOp
//===----------------------------------------------------------------------===//

SmallVector<int64_t> kiln::blockedShape(ArrayRef<int64_t> dims, int64_t block) {
  SmallVector<int64_t> shape(dims);
  shape[1] = (shape[1] + block - 1) / block;
  shape.push_back(block);
  return shape;
}

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
  ArrayRef<int64_t> layouts = getLayouts();
  if (!layouts.empty() && layouts.size() != getNumOperands())
    return emitOpError("expected one `layouts` entry per operand, got ")
           << layouts.size() << " for " << getNumOperands();
  // `dims`: for each operand, its rank and then as many dims, covering
  // exactly the operand's elements (or its blocked shape).
  ArrayRef<int64_t> dims = getDims();
  size_t at = 0;
  for (auto [i, operand] : llvm::enumerate(getOperands())) {
    auto shaped = llvm::cast<ShapedType>(operand.getType());
    if (at >= dims.size() || dims[at] < 0 || at + 1 + dims[at] > dims.size())
      return emitOpError("expected `dims` to give a rank and dims for "
                         "operand ")
             << i;
    ArrayRef<int64_t> logical = dims.slice(at + 1, dims[at]);
    at += 1 + dims[at];
    int64_t block = layouts.empty() ? 0 : layouts[i];
    if (block != 0) {
      if (block != 8 && block != 16)
        return emitOpError("expected a layout of 0, 8 or 16, got ") << block;
      if (logical.size() < 3 || logical.size() > 5)
        return emitOpError("operand ")
               << i << " in a blocked layout must have rank 3 to 5, not "
               << logical.size();
      if (shaped.getShape() != ArrayRef(blockedShape(logical, block)))
        return emitOpError("operand ")
               << i << " in the " << block
               << "-channel blocked layout needs the shape "
               << formatList(blockedShape(logical, block));
      continue;
    }
    int64_t elements = 1;
    for (int64_t d : logical)
      elements *= d;
    if (elements != shaped.getNumElements())
      return emitOpError("operand ")
             << i << " has " << shaped.getNumElements()
             << " elements but its `dims` describe " << elements;
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

//===- EmptyBoundaryTensors.cpp - Zero-size tensors at main's boundary
//-----===//
//
// kiln-empty-boundary-tensors gives zero-size inputs and outputs of `main`
// a type that the bare-pointer calling convention of the entry point can
// pass.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace kiln {
#define GEN_PASS_DEF_KILNEMPTYBOUNDARYTENSORS
#include "kiln/Codegen/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

/// A statically shaped tensor type of rank 2 or more without elements
/// (which the bare-pointer convention may not describe), else null.
RankedTensorType emptyTensor(Type type) {
  auto tensor = llvm::dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape() || tensor.getRank() < 2 ||
      tensor.getNumElements() != 0)
    return {};
  return tensor;
}

struct EmptyBoundaryTensorsPass
    : kiln::impl::KilnEmptyBoundaryTensorsBase<EmptyBoundaryTensorsPass> {
  void runOnOperation() override {
    auto func = getOperation().lookupSymbol<func::FuncOp>("main");
    if (!func || func.isExternal())
      return;
    OpBuilder b(&getContext());
    auto flat = [](RankedTensorType type) {
      return RankedTensorType::get({0}, type.getElementType());
    };
    SmallVector<Type> inputs(func.getArgumentTypes());
    SmallVector<Type> results(func.getResultTypes());
    b.setInsertionPointToStart(&func.getBody().front());
    for (BlockArgument arg : func.getArguments()) {
      RankedTensorType type = emptyTensor(arg.getType());
      if (!type)
        continue;
      arg.replaceAllUsesWith(tensor::EmptyOp::create(
          b, arg.getLoc(), type.getShape(), type.getElementType()));
      arg.setType(flat(type));
      inputs[arg.getArgNumber()] = arg.getType();
    }
    func.walk([&](func::ReturnOp ret) {
      b.setInsertionPoint(ret);
      for (OpOperand &operand : ret->getOpOperands()) {
        RankedTensorType type = emptyTensor(operand.get().getType());
        if (!type)
          continue;
        operand.set(tensor::EmptyOp::create(
            b, ret.getLoc(), ArrayRef<int64_t>{0}, type.getElementType()));
        results[operand.getOperandNumber()] = flat(type);
      }
    });
    func.setFunctionType(FunctionType::get(&getContext(), inputs, results));
  }
};

} // namespace

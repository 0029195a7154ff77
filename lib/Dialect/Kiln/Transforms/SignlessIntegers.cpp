//===- SignlessIntegers.cpp - Unsigned tensors to signless ones -----------===//
//
// The kiln graph keeps ONNX's unsigned integer types (`ui8` ... `ui64`),
// which the signature and the runtime's input checks need. Upstream
// arithmetic takes signless integers and puts signedness in the op instead
// (`arith.divui`, `arith.cmpi ult`, `arith.uitofp`). Before lowering, this
// pass retypes every unsigned tensor to the signless type of its width and
// records on each op whose result depends on it that its integers are
// unsigned, which the lowering then reads.
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/Kiln/IR/KilnOps.h"
#include "kiln/Dialect/Kiln/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/TypeSwitch.h"

namespace kiln {
#define GEN_PASS_DEF_KILNSIGNLESSINTEGERS
#include "kiln/Dialect/Kiln/Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

/// The element type of a tensor of unsigned integers, else null.
static IntegerType unsignedElement(Type type) {
  auto tensor = llvm::dyn_cast<RankedTensorType>(type);
  auto integer =
      tensor ? llvm::dyn_cast<IntegerType>(tensor.getElementType()) : nullptr;
  return integer && integer.isUnsigned() ? integer : nullptr;
}

/// `type` with unsigned integer elements made signless.
static Type signless(Type type) {
  IntegerType element = unsignedElement(type);
  if (!element)
    return type;
  return llvm::cast<RankedTensorType>(type).clone(
      IntegerType::get(type.getContext(), element.getWidth()));
}

/// Marks `op` for its unsigned operands, or reports why it cannot be.
static LogicalResult markUnsigned(Operation *op) {
  auto anyUnsigned = [](TypeRange types) {
    return llvm::any_of(types, [](Type t) { return unsignedElement(t); });
  };
  if (!anyUnsigned(op->getOperandTypes()) && !anyUnsigned(op->getResultTypes()))
    return success();
  UnitAttr unit = UnitAttr::get(op->getContext());
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case<UnaryOp, CompareOp, ReduceOp, ArgReduceOp>([&](auto typed) {
        typed.setIsUnsignedAttr(unit);
        return success();
      })
      .Case([&](BinaryOp binary) {
        // Operands share their type, except for pow, where only the
        // exponent's signedness matters (products wrap alike).
        if (binary.getKind() != BinaryKind::pow ||
            unsignedElement(binary.getRhs().getType()))
          binary.setIsUnsignedAttr(unit);
        return success();
      })
      .Case([&](CastOp cast) {
        if (unsignedElement(cast.getInput().getType()))
          cast.setFromUnsignedAttr(unit);
        if (unsignedElement(cast.getType()))
          cast.setToUnsignedAttr(unit);
        return success();
      })
      // Ops that move bits, or wrap around alike for both signednesses.
      .Case<ConstantOp, ReshapeOp, TransposeOp, ConcatOp, SplitOp, SliceOp,
            GatherOp, GatherElementsOp, ExpandOp, PadOp, WhereOp, MatMulOp,
            func::ReturnOp, func::CallOp>([](Operation *) { return success(); })
      .Default([&](Operation *) -> LogicalResult {
        return op->emitError() << "unsupported: '" << op->getName()
                               << "' on unsigned integers in the llvm backend";
      });
}

/// The constant `value` with signless elements (the same bits).
static Attribute signlessValue(Attribute value) {
  auto typed = llvm::dyn_cast<TypedAttr>(value);
  if (!typed || !unsignedElement(typed.getType()))
    return value;
  auto type = llvm::cast<ShapedType>(signless(typed.getType()));
  if (auto dense = llvm::dyn_cast<DenseElementsAttr>(value))
    return dense.bitcast(type.getElementType());
  if (auto resource = llvm::dyn_cast<DenseResourceElementsAttr>(value))
    return DenseResourceElementsAttr::get(type, resource.getRawHandle());
  return nullptr;
}

namespace {
struct SignlessIntegersPass
    : kiln::impl::KilnSignlessIntegersBase<SignlessIntegersPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    bool ok = true;
    module.walk([&](Operation *op) {
      if (failed(markUnsigned(op)))
        ok = false;
    });
    if (!ok)
      return signalPassFailure();
    WalkResult walk = module.walk([&](Operation *op) {
      if (auto constant = llvm::dyn_cast<ConstantOp>(op)) {
        Attribute value = signlessValue(constant.getValue());
        if (!value) {
          op->emitError() << "unsupported: a constant of unsigned integers "
                             "stored as "
                          << constant.getValue();
          return WalkResult::interrupt();
        }
        constant.setValueAttr(llvm::cast<ElementsAttr>(value));
      }
      if (auto func = llvm::dyn_cast<func::FuncOp>(op)) {
        auto type = func.getFunctionType();
        auto convert = [](TypeRange types) {
          return llvm::map_to_vector(types, signless);
        };
        func.setFunctionType(FunctionType::get(op->getContext(),
                                               convert(type.getInputs()),
                                               convert(type.getResults())));
      }
      for (Value result : op->getResults())
        result.setType(signless(result.getType()));
      for (Region &region : op->getRegions())
        for (Block &block : region)
          for (BlockArgument arg : block.getArguments())
            arg.setType(signless(arg.getType()));
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      signalPassFailure();
  }
};
} // namespace

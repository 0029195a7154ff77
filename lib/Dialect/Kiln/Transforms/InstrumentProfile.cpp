//===- Profile.cpp - Per-op timing hooks
//-----------------------------------===//
//
// kiln-instrument-profile brackets every computing kiln op of `main` with
// calls to the runtime's kiln_profile_enter(id) / kiln_profile_exit(id)
// and records "NAME<TAB>OP" per id in `kiln.profile_ops`, which
// kiln-emit-entry-point turns into the `kiln_model_profile_ops` global.
// The hooks return at once unless the executable runs with --profile.
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/Kiln/IR/KilnOps.h"
#include "kiln/Dialect/Kiln/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/Path.h"

namespace kiln {
#define GEN_PASS_DEF_KILNINSTRUMENTPROFILE
#include "kiln/Dialect/Kiln/Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {
struct InstrumentProfilePass
    : kiln::impl::KilnInstrumentProfileBase<InstrumentProfilePass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto func = module.lookupSymbol<func::FuncOp>("main");
    if (!func || func.isExternal())
      return;
    MLIRContext *ctx = &getContext();
    OpBuilder b(ctx);
    b.setInsertionPointToStart(module.getBody());
    auto hookType = b.getFunctionType({b.getI32Type()}, {});
    for (StringRef name : {kiln::abi::kProfileEnter, kiln::abi::kProfileExit}) {
      if (module.lookupSymbol(name))
        continue;
      auto hook = func::FuncOp::create(b, module.getLoc(), name, hookType);
      hook.setPrivate();
    }
    std::string table;
    int32_t id = 0;
    for (Operation &op : llvm::make_early_inc_range(func.getBody().front())) {
      if (op.getDialect() == nullptr ||
          op.getDialect()->getNamespace() != "kiln" ||
          llvm::isa<kiln::ConstantOp, kiln::ReshapeOp>(op))
        continue;
      b.setInsertionPoint(&op);
      Value idValue = arith::ConstantIntOp::create(b, op.getLoc(), id, 32);
      func::CallOp::create(b, op.getLoc(), kiln::abi::kProfileEnter,
                           TypeRange{}, ValueRange{idValue});
      b.setInsertionPointAfter(&op);
      func::CallOp::create(b, op.getLoc(), kiln::abi::kProfileExit, TypeRange{},
                           ValueRange{idValue});
      table += kiln::nodeLabel(&op, id) + "\t" +
               op.getName().stripDialect().str() + "\n";
      ++id;
    }
    module->setAttr("kiln.profile_ops", StringAttr::get(ctx, table));
  }
};
} // namespace

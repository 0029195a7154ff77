//===- EmitEntryPoint.cpp - The runtime's view of a compiled model --------===//
//
// kiln-emit-entry-point turns the signature kiln-record-signature wrote into
// the `kiln_model_signature` global and defines `kiln_model_run`, the one
// entry point the runtime calls (see kiln/Runtime/Runtime.h).
//
//===----------------------------------------------------------------------===//

#include "kiln/Conversion/ToLLVM/Passes.h"
#include "kiln/Runtime/ABI.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/SymbolTable.h"

namespace kiln {
#define GEN_PASS_DEF_KILNEMITENTRYPOINT
#include "kiln/Conversion/ToLLVM/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

/// Puts each call of the profiling hooks in `graph` behind a check of the
/// runtime's kiln_profile_active, read once at the graph's entry (a relaxed
/// atomic load), so that a run that is not profiled pays a branch per op,
/// not two calls.
static void guardProfileHooks(LLVM::LLVMFuncOp graph, OpBuilder &module) {
  SmallVector<LLVM::CallOp> hooks;
  graph.walk([&](LLVM::CallOp call) {
    std::optional<StringRef> callee = call.getCallee();
    if (callee && (*callee == kiln::abi::kProfileEnter ||
                   *callee == kiln::abi::kProfileExit))
      hooks.push_back(call);
  });
  if (hooks.empty())
    return;
  MLIRContext *ctx = graph.getContext();
  auto i32 = IntegerType::get(ctx, 32);
  LLVM::GlobalOp::create(module, graph.getLoc(), i32, /*isConstant=*/false,
                         LLVM::Linkage::External, kiln::abi::kProfileActive,
                         Attribute());
  auto ptr = LLVM::LLVMPointerType::get(ctx);
  // Read once per run: a thread's profiling does not start or stop within
  // one of its runs.
  OpBuilder entry = OpBuilder::atBlockBegin(&graph.getBody().front());
  Location at = graph.getLoc();
  Value flag =
      LLVM::AddressOfOp::create(entry, at, ptr, kiln::abi::kProfileActive);
  Value active = LLVM::LoadOp::create(
      entry, at, i32, flag, /*alignment=*/4, /*isVolatile=*/false,
      /*isNonTemporal=*/false, /*isInvariant=*/false,
      /*isInvariantGroup=*/false, LLVM::AtomicOrdering::monotonic);
  Value zero = LLVM::ConstantOp::create(entry, at, i32, 0);
  Value on =
      LLVM::ICmpOp::create(entry, at, LLVM::ICmpPredicate::ne, active, zero);
  for (LLVM::CallOp call : hooks) {
    Location loc = call.getLoc();
    Block *before = call->getBlock();
    Block *after = before->splitBlock(call->getNextNode());
    Block *then = new Block();
    before->getParent()->getBlocks().insert(after->getIterator(), then);
    call->moveBefore(then, then->end());
    OpBuilder b = OpBuilder::atBlockEnd(then);
    LLVM::BrOp::create(b, loc, after);
    b.setInsertionPointToEnd(before);
    LLVM::CondBrOp::create(b, loc, on, then, after);
  }
}

struct EmitEntryPointPass
    : kiln::impl::KilnEmitEntryPointBase<EmitEntryPointPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    auto graph = module.lookupSymbol<LLVM::LLVMFuncOp>("main");
    auto signature = module->getAttrOfType<StringAttr>("kiln.signature");
    if (auto unlowered = module.lookupSymbol<func::FuncOp>("main")) {
      // The bare-pointer convention leaves a function it cannot convert.
      unlowered.emitError()
          << "unsupported: the llvm backend cannot pass this model's tensors "
             "as plain buffers (zero-size tensors at the model's boundary)";
      return signalPassFailure();
    }
    if (!graph || !signature) {
      module.emitError() << "expected an LLVM function 'main' and a "
                            "'kiln.signature' attribute";
      return signalPassFailure();
    }
    // The graph gets an internal name: `main` is the executable's.
    if (failed(SymbolTable::replaceAllSymbolUses(
            graph, StringAttr::get(ctx, "kiln_graph"), module)))
      return signalPassFailure();
    SymbolTable::setSymbolName(graph, "kiln_graph");
    graph.setLinkage(LLVM::Linkage::Internal);
    // The names live on in the signature; LLVM has no use for them.
    graph.removeArgAttrsAttr();
    graph.removeResAttrsAttr();

    OpBuilder b(ctx);
    b.setInsertionPointToEnd(module.getBody());
    Location loc = module.getLoc();
    auto ptr = LLVM::LLVMPointerType::get(ctx);
    guardProfileHooks(graph, b);
    auto defineString = [&](StringRef name, StringRef value) {
      std::string text = value.str();
      text.push_back('\0');
      auto arrayType = LLVM::LLVMArrayType::get(b.getI8Type(), text.size());
      LLVM::GlobalOp::create(b, loc, arrayType, /*isConstant=*/true,
                             LLVM::Linkage::External, name,
                             b.getStringAttr(text));
    };
    defineString(kiln::abi::kModelSignature, signature.getValue());
    auto profileOps = module->getAttrOfType<StringAttr>("kiln.profile_ops");
    defineString(kiln::abi::kModelProfileOps,
                 profileOps ? profileOps.getValue() : StringRef());
    auto workspace = module->getAttrOfType<IntegerAttr>("kiln.workspace_bytes");
    LLVM::GlobalOp::create(
        b, loc, b.getI64Type(), /*isConstant=*/true, LLVM::Linkage::External,
        kiln::abi::kModelWorkspaceBytes,
        b.getI64IntegerAttr(workspace ? workspace.getInt() : 0));

    // Weights in a file beside the model (--weights=external): none here;
    // kiln-externalize-weights fills these in when it moves them.
    for (StringRef name :
         {kiln::abi::kModelWeightsBytes, kiln::abi::kModelWeightsId})
      LLVM::GlobalOp::create(b, loc, b.getI64Type(), /*isConstant=*/true,
                             LLVM::Linkage::External, name,
                             b.getI64IntegerAttr(0));
    defineString(kiln::abi::kModelWeightsFile, "");
    auto base = LLVM::GlobalOp::create(
        b, loc, ptr, /*isConstant=*/false, LLVM::Linkage::External,
        kiln::abi::kModelWeightsBase, Attribute());
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(&base.getInitializerRegion().emplaceBlock());
      LLVM::ReturnOp::create(b, loc, LLVM::ZeroOp::create(b, loc, ptr));
    }

    auto runType =
        LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx), {ptr});
    auto run = LLVM::LLVMFuncOp::create(b, loc, kiln::abi::kModelRun, runType);
    Block *body = run.addEntryBlock(b);
    b.setInsertionPointToStart(body);
    SmallVector<Value> buffers;
    unsigned count = graph.getFunctionType().getNumParams();
    for (unsigned i = 0; i < count; ++i) {
      if (graph.getFunctionType().getParamType(i) != ptr) {
        graph.emitError() << "expected the graph to take only buffer pointers";
        return signalPassFailure();
      }
      Value slot = LLVM::GEPOp::create(b, loc, ptr, ptr, body->getArgument(0),
                                       ArrayRef<LLVM::GEPArg>{(int32_t)i});
      buffers.push_back(LLVM::LoadOp::create(b, loc, ptr, slot));
    }
    LLVM::CallOp::create(b, loc, graph, buffers);
    LLVM::ReturnOp::create(b, loc, ValueRange{});

    // kiln_model_task(id, lo, hi, buffers): the runtime's threads run part
    // of a parallel loop (see kiln-parallelize); a no-op without any.
    b.setInsertionPointToEnd(module.getBody());
    auto i64 = b.getI64Type();
    auto taskType = LLVM::LLVMFunctionType::get(
        LLVM::LLVMVoidType::get(ctx), {b.getI32Type(), i64, i64, ptr});
    auto task =
        LLVM::LLVMFuncOp::create(b, loc, kiln::abi::kModelTask, taskType);
    Block *taskBody = task.addEntryBlock(b);
    b.setInsertionPointToStart(taskBody);
    if (auto dispatch =
            module.lookupSymbol<LLVM::LLVMFuncOp>("kiln_task_dispatch")) {
      dispatch.setLinkage(LLVM::Linkage::Internal);
      SmallVector<Value> args(taskBody->getArguments().take_front(3));
      unsigned params = dispatch.getFunctionType().getNumParams();
      for (unsigned i = 3; i < params; ++i) {
        Value slot =
            LLVM::GEPOp::create(b, loc, ptr, ptr, taskBody->getArgument(3),
                                ArrayRef<LLVM::GEPArg>{(int32_t)(i - 3)});
        args.push_back(LLVM::LoadOp::create(b, loc, ptr, slot));
      }
      LLVM::CallOp::create(b, loc, dispatch, args);
    }
    LLVM::ReturnOp::create(b, loc, ValueRange{});
  }
};

} // namespace

//===- EntryPoint.cpp - The runtime's view of a compiled model ------------===//
//
// kiln-record-signature writes the model's inputs and outputs as text on the
// module while it still has named tensors; kiln-emit-entry-point turns that
// text into the `kiln_model_signature` global and defines `kiln_model_run`,
// the one entry point the runtime calls (see kiln/Runtime/Runtime.h).
// kiln-empty-boundary-tensors gives zero-size inputs and outputs a type the
// bare-pointer calling convention can pass.
//
//===----------------------------------------------------------------------===//

#include "kiln/Conversion/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/Support/Path.h"

namespace kiln {
#define GEN_PASS_DEF_KILNRECORDSIGNATURE
#define GEN_PASS_DEF_KILNEMITENTRYPOINT
#define GEN_PASS_DEF_KILNEMPTYBOUNDARYTENSORS
#include "kiln/Conversion/Passes.h.inc"
} // namespace kiln

using namespace mlir;

int kiln::onnxDataType(Type type) {
  if (type.isF32())
    return 1;
  if (type.isF64())
    return 11;
  if (type.isF16())
    return 10;
  if (type.isBF16())
    return 16;
  if (type.isInteger(1))
    return 9;
  if (auto integer = llvm::dyn_cast<IntegerType>(type)) {
    bool isUnsigned = integer.isUnsigned();
    switch (integer.getWidth()) {
    case 8:
      return isUnsigned ? 2 : 3;
    case 16:
      return isUnsigned ? 4 : 5;
    case 32:
      return isUnsigned ? 12 : 6;
    case 64:
      return isUnsigned ? 13 : 7;
    }
  }
  return 0;
}

std::string kiln::nodeLabel(Operation *op, int64_t id) {
  Location loc = op->getLoc();
  if (auto fused = llvm::dyn_cast<FusedLoc>(loc);
      fused && !fused.getLocations().empty())
    loc = fused.getLocations().front();
  std::string label;
  if (auto name = llvm::dyn_cast<NameLoc>(loc))
    label = name.getName().str();
  else if (auto file = llvm::dyn_cast<FileLineColLoc>(loc))
    label = llvm::sys::path::filename(file.getFilename().getValue()).str() +
            ":" + std::to_string(file.getLine());
  if (label.empty())
    label = id >= 0 ? "#" + std::to_string(id) : "an unnamed node";
  for (char &c : label)
    if (c == '\t' || c == '\n')
      c = ' ';
  return label;
}

namespace {

struct RecordSignaturePass
    : kiln::impl::KilnRecordSignatureBase<RecordSignaturePass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    // The model is `main`, or the module's only function (kiln IR files).
    auto func = module.lookupSymbol<func::FuncOp>("main");
    auto funcs = module.getOps<func::FuncOp>();
    if (!func && std::distance(funcs.begin(), funcs.end()) == 1) {
      func = *funcs.begin();
      SymbolTable::setSymbolName(func, "main");
    }
    if (!func) {
      module.emitError() << "the model needs a function named 'main' (or a "
                            "single function)";
      return signalPassFailure();
    }
    std::string text;
    auto describe = [&](StringRef direction, Type type, StringAttr name,
                        StringRef fallback) -> LogicalResult {
      auto tensor = llvm::dyn_cast<RankedTensorType>(type);
      int code = tensor ? kiln::onnxDataType(tensor.getElementType()) : 0;
      if (!code || !tensor.hasStaticShape())
        return func.emitError() << "unsupported: a model " << direction
                                << "put of type " << type;
      std::string label = name ? name.str() : fallback.str();
      for (char &c : label)
        if (c == ' ' || c == '\n' || c == '\t')
          c = '_';
      text += direction.str() + " " + label + " " + std::to_string(code) + " ";
      if (tensor.getRank() == 0)
        text += "-";
      for (auto [i, dim] : llvm::enumerate(tensor.getShape()))
        text += (i ? "x" : "") + std::to_string(dim);
      text += "\n";
      return success();
    };
    for (unsigned i = 0; i < func.getNumArguments(); ++i)
      if (failed(describe("in", func.getArgument(i).getType(),
                          func.getArgAttrOfType<StringAttr>(i, "kiln.name"),
                          "input_" + std::to_string(i))))
        return signalPassFailure();
    for (unsigned i = 0; i < func.getNumResults(); ++i) {
      if (auto check = func.getResultAttrOfType<StringAttr>(i, "kiln.check")) {
        text += "check " + check.getValue().str() + "\n";
        continue;
      }
      if (failed(describe("out", func.getResultTypes()[i],
                          func.getResultAttrOfType<StringAttr>(i, "kiln.name"),
                          "output_" + std::to_string(i))))
        return signalPassFailure();
    }
    module->setAttr("kiln.signature", StringAttr::get(&getContext(), text));
  }
};

/// A statically shaped tensor type of rank 2 or more without elements
/// (which the bare-pointer convention may not describe), else null.
static RankedTensorType emptyTensor(Type type) {
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
    auto defineString = [&](StringRef name, StringRef value) {
      std::string text = value.str();
      text.push_back('\0');
      auto arrayType = LLVM::LLVMArrayType::get(b.getI8Type(), text.size());
      LLVM::GlobalOp::create(b, loc, arrayType, /*isConstant=*/true,
                             LLVM::Linkage::External, name,
                             b.getStringAttr(text));
    };
    defineString("kiln_model_signature", signature.getValue());
    auto profileOps = module->getAttrOfType<StringAttr>("kiln.profile_ops");
    defineString("kiln_model_profile_ops",
                 profileOps ? profileOps.getValue() : StringRef());
    auto workspace = module->getAttrOfType<IntegerAttr>("kiln.workspace_bytes");
    LLVM::GlobalOp::create(
        b, loc, b.getI64Type(), /*isConstant=*/true, LLVM::Linkage::External,
        "kiln_model_workspace_bytes",
        b.getI64IntegerAttr(workspace ? workspace.getInt() : 0));

    // Weights in a file beside the model (--weights=external): none here;
    // kilnc fills these in when it moves them (kiln::externalizeWeights).
    for (StringRef name : {"kiln_model_weights_bytes", "kiln_model_weights_id"})
      LLVM::GlobalOp::create(b, loc, b.getI64Type(), /*isConstant=*/true,
                             LLVM::Linkage::External, name,
                             b.getI64IntegerAttr(0));
    defineString("kiln_model_weights_file", "");
    auto base = LLVM::GlobalOp::create(b, loc, ptr, /*isConstant=*/false,
                                       LLVM::Linkage::External,
                                       "kiln_model_weights_base", Attribute());
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(&base.getInitializerRegion().emplaceBlock());
      LLVM::ReturnOp::create(b, loc, LLVM::ZeroOp::create(b, loc, ptr));
    }

    auto runType =
        LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx), {ptr});
    auto run = LLVM::LLVMFuncOp::create(b, loc, "kiln_model_run", runType);
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
    auto task = LLVM::LLVMFuncOp::create(b, loc, "kiln_model_task", taskType);
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

//===- LowerDnnlCalls.cpp - kiln_backend.dnnl_call to runtime calls -------===//
//
// kiln-lower-dnnl-calls runs on buffers and turns the calls into the
// program the runtime builds its oneDNN primitives from:
//
//  - `kiln_model_dnnl_program`, the records of kiln/Runtime/ABI.h;
//  - `kiln_model_dnnl_constants(index *pointers)`, which stores the address
//    of every constant operand (weights, biases), so that the runtime can
//    reorder them once per model instance;
//  - in place of each call, `kiln_dnnl_execute(id, index *pointers)` with
//    the addresses of the operands that are not constant, inputs first.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/Passes.h"
#include "kiln/Dialect/KilnBackend/IR/KilnBackend.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace kiln {
#define GEN_PASS_DEF_KILNLOWERDNNLCALLS
#include "kiln/Codegen/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;
using namespace kiln::backend;

namespace {

/// The constant global `value` reads, if it is one.
memref::GlobalOp constantGlobal(Value value, SymbolTable &symbols) {
  auto get = value.getDefiningOp<memref::GetGlobalOp>();
  if (!get)
    return nullptr;
  auto global = symbols.lookup<memref::GlobalOp>(get.getName());
  return global && global.getConstant() ? global : nullptr;
}

/// Whether `type` lays its elements out densely in row-major order.
bool isDense(MemRefType type) {
  if (type.getLayout().isIdentity())
    return true;
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(type.getStridesAndOffset(strides, offset)))
    return false;
  int64_t expected = 1;
  for (int64_t i = type.getRank() - 1; i >= 0; --i) {
    if (type.getDimSize(i) != 1 && strides[i] != expected)
      return false;
    expected *= type.getDimSize(i);
  }
  return true;
}

/// The address of `buffer`'s first element, as an index.
Value address(OpBuilder &b, Location loc, Value buffer) {
  auto metadata = memref::ExtractStridedMetadataOp::create(b, loc, buffer);
  Value base = memref::ExtractAlignedPointerAsIndexOp::create(
      b, loc, metadata.getBaseBuffer());
  int64_t bytes =
      llvm::cast<MemRefType>(buffer.getType()).getElementTypeBitWidth() / 8;
  Value offset =
      arith::MulIOp::create(b, loc, metadata.getOffset(),
                            arith::ConstantIndexOp::create(b, loc, bytes));
  return arith::AddIOp::create(b, loc, base, offset);
}

struct LowerDnnlCallsPass
    : kiln::impl::KilnLowerDnnlCallsBase<LowerDnnlCallsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<DnnlCallOp> calls;
    bool failedCall = false;
    module.walk([&](DnnlCallOp call) {
      if (!call.getResults().empty()) {
        call.emitOpError("expected a bufferized call");
        failedCall = true;
      }
      calls.push_back(call);
    });
    if (failedCall)
      return signalPassFailure();
    if (calls.empty())
      return;

    MLIRContext *ctx = &getContext();
    SymbolTable symbols(module);
    OpBuilder b(ctx);
    Location loc = module.getLoc();
    auto pointersType =
        MemRefType::get({abi::kDnnlMaxPointers}, b.getIndexType());

    b.setInsertionPointToStart(module.getBody());
    auto execute = func::FuncOp::create(
        b, loc, abi::kDnnlExecute,
        b.getFunctionType({b.getI32Type(), pointersType}, {}));
    execute.setPrivate();

    std::vector<int64_t> program;
    abi::beginDnnlProgram(program, calls.size());
    SmallVector<memref::GlobalOp> constants;
    llvm::DenseMap<Operation *, int64_t> constantIndex;
    for (auto [id, call] : llvm::enumerate(calls)) {
      ArrayRef<int64_t> dims = call.getDims();
      abi::appendDnnlRecordHead(program, call.getPrimitive(),
                                call.getInputs().size(),
                                call.getOutputs().size());
      Location callLoc = call.getLoc();
      b.setInsertionPoint(call);
      Value pointers = memref::AllocaOp::create(b, callLoc, pointersType);
      int64_t slot = 0, at = 0;
      ArrayRef<int64_t> layouts = call.getLayouts();
      SmallVector<std::pair<Value, Value>> copyBack;
      for (OpOperand &operand : call->getOpOperands()) {
        Value buffer = operand.get();
        auto type = llvm::cast<MemRefType>(buffer.getType());
        int64_t constant = -1;
        if (memref::GlobalOp global = constantGlobal(buffer, symbols)) {
          auto [it, inserted] =
              constantIndex.try_emplace(global, constants.size());
          if (inserted)
            constants.push_back(global);
          constant = it->second;
        }
        abi::DnnlOperand record;
        record.constant = constant;
        record.dtype = (int64_t)abiDType(type.getElementType());
        record.layout = layouts.empty() ? abi::kDenseLayout
                                        : layouts[operand.getOperandNumber()];
        record.dims.assign(dims.begin() + at + 1,
                           dims.begin() + at + 1 + dims[at]);
        abi::appendDnnlOperand(program, record);
        at += 1 + dims[at];
        if (constant >= 0)
          continue;
        if (slot == abi::kDnnlMaxPointers) {
          call.emitOpError("has more than ")
              << abi::kDnnlMaxPointers << " operands";
          return signalPassFailure();
        }
        // oneDNN reads plain row-major buffers: copy strided views.
        if (!isDense(type)) {
          auto dense = MemRefType::get(type.getShape(), type.getElementType());
          Value copy = memref::AllocOp::create(b, callLoc, dense);
          if (call.isDpsInit(&operand))
            copyBack.push_back({copy, buffer});
          else
            memref::CopyOp::create(b, callLoc, buffer, copy);
          buffer = copy;
        }
        memref::StoreOp::create(
            b, callLoc, address(b, callLoc, buffer), pointers,
            ValueRange{arith::ConstantIndexOp::create(b, callLoc, slot++)});
      }
      abi::appendDnnlParams(program,
                            std::vector<int64_t>(call.getParams().begin(),
                                                 call.getParams().end()),
                            std::vector<float>(call.getFparams().begin(),
                                               call.getFparams().end()));
      func::CallOp::create(
          b, callLoc, execute,
          ValueRange{arith::ConstantIntOp::create(b, callLoc, id, 32),
                     pointers});
      for (auto [copy, buffer] : copyBack)
        memref::CopyOp::create(b, callLoc, copy, buffer);
      for (auto [copy, buffer] : copyBack)
        memref::DeallocOp::create(b, callLoc, copy);
      call.erase();
    }

    abi::finishDnnlProgram(program);
    b.setInsertionPointToEnd(module.getBody());
    auto programType =
        MemRefType::get({(int64_t)program.size()}, b.getI64Type());
    memref::GlobalOp::create(
        b, loc, abi::kModelDnnlProgram, b.getStringAttr("public"), programType,
        DenseElementsAttr::get(
            RankedTensorType::get(programType.getShape(), b.getI64Type()),
            ArrayRef<int64_t>(program)),
        /*constant=*/true, /*alignment=*/nullptr);

    auto constantsType = MemRefType::get(
        {std::max<int64_t>(constants.size(), 1)}, b.getIndexType());
    auto fill = func::FuncOp::create(b, loc, abi::kModelDnnlConstants,
                                     b.getFunctionType({constantsType}, {}));
    Block *body = fill.addEntryBlock();
    b.setInsertionPointToStart(body);
    for (auto [i, global] : llvm::enumerate(constants)) {
      Value value = memref::GetGlobalOp::create(b, loc, global.getType(),
                                                global.getSymName());
      memref::StoreOp::create(
          b, loc, address(b, loc, value), body->getArgument(0),
          ValueRange{arith::ConstantIndexOp::create(b, loc, i)});
    }
    func::ReturnOp::create(b, loc);
  }
};

} // namespace

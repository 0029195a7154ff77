//===- LowerDnnlCalls.cpp - kiln.dnnl_call to runtime calls ---------------===//
//
// Bufferization of kiln.dnnl_call (inputs read, outputs written in full),
// and kiln-lower-dnnl-calls, which runs on buffers and turns the calls into
// the program the runtime builds its oneDNN primitives from:
//
//  - `kiln_model_dnnl_program`, a constant i64 array: "KILN" magic,
//    version, its own length, the primitive count, then per primitive its kind,
//    input and output counts, per operand (constant index or -1, ONNX dtype,
//    layout, rank, dims), its params and its fparams (as f32 bit patterns);
//  - `kiln_model_dnnl_constants(index *pointers)`, which stores the address
//    of every constant operand (weights, biases), so that the runtime can
//    reorder them once per model instance;
//  - in place of each call, `kiln_dnnl_execute(id, index *pointers)` with
//    the addresses of the operands that are not constant, inputs first.
//
//===----------------------------------------------------------------------===//

#include "kiln/Conversion/Passes.h"
#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/Dialect/Bufferization/IR/DstBufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/DialectRegistry.h"

namespace kiln {
#define GEN_PASS_DEF_KILNLOWERDNNLCALLS
#include "kiln/Conversion/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

struct DnnlCallBufferization
    : bufferization::DstBufferizableOpInterfaceExternalModel<
          DnnlCallBufferization, DnnlCallOp> {
  bool bufferizesToMemoryRead(Operation *op, OpOperand &operand,
                              const bufferization::AnalysisState &) const {
    // Outputs are written in full, and read only when accumulating.
    return llvm::cast<DnnlCallOp>(op).getAccumulate() ||
           !llvm::cast<DestinationStyleOpInterface>(op).isDpsInit(&operand);
  }

  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const bufferization::BufferizationOptions &options,
                          bufferization::BufferizationState &state) const {
    auto call = llvm::cast<DnnlCallOp>(op);
    auto buffers = [&](ValueRange values,
                       SmallVectorImpl<Value> &out) -> LogicalResult {
      for (Value value : values) {
        FailureOr<Value> buffer =
            bufferization::getBuffer(rewriter, value, options, state);
        if (failed(buffer))
          return failure();
        out.push_back(*buffer);
      }
      return success();
    };
    SmallVector<Value> inputs, outputs;
    if (failed(buffers(call.getInputs(), inputs)) ||
        failed(buffers(call.getOutputs(), outputs)))
      return failure();
    rewriter.setInsertionPoint(op);
    DnnlCallOp::create(rewriter, op->getLoc(), TypeRange{}, call.getPrimitive(),
                       call.getDims(), call.getLayouts(), call.getParams(),
                       call.getFparams(), call.getAccumulate(), inputs,
                       outputs);
    bufferization::replaceOpWithBufferizedValues(rewriter, op, outputs);
    return success();
  }
};

constexpr int64_t kMaxPointers = 16;

int64_t kindCode(StringRef primitive) {
  return llvm::StringSwitch<int64_t>(primitive)
      .Case("conv", 1)
      .Case("deconv", 2)
      .Case("matmul", 3)
      .Case("pool", 4)
      .Case("batch_norm", 5)
      .Case("layer_norm", 6)
      .Case("softmax", 7)
      .Case("log_softmax", 8)
      .Case("lrn", 9)
      .Case("reorder", 10)
      .Case("rnn", 11)
      .Case("gru", 12)
      .Case("lstm", 13)
      .Default(0);
}

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
    auto pointersType = MemRefType::get({kMaxPointers}, b.getIndexType());

    b.setInsertionPointToStart(module.getBody());
    auto execute = func::FuncOp::create(
        b, loc, "kiln_dnnl_execute",
        b.getFunctionType({b.getI32Type(), pointersType}, {}));
    execute.setPrivate();

    SmallVector<int64_t> program = {0x4b494c4e, 1, 0, (int64_t)calls.size()};
    SmallVector<memref::GlobalOp> constants;
    llvm::DenseMap<Operation *, int64_t> constantIndex;
    for (auto [id, call] : llvm::enumerate(calls)) {
      ArrayRef<int64_t> dims = call.getDims();
      program.append({kindCode(call.getPrimitive()),
                      (int64_t)call.getInputs().size(),
                      (int64_t)call.getOutputs().size()});
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
        program.append(
            {constant, onnxDataType(type.getElementType()),
             layouts.empty() ? 0 : layouts[operand.getOperandNumber()]});
        program.append(dims.begin() + at, dims.begin() + at + 1 + dims[at]);
        at += 1 + dims[at];
        if (constant >= 0)
          continue;
        if (slot == kMaxPointers) {
          call.emitOpError("has more than ") << kMaxPointers << " operands";
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
      program.push_back(call.getParams().size());
      llvm::append_range(program, call.getParams());
      program.push_back(call.getFparams().size());
      for (float value : call.getFparams())
        program.push_back(llvm::bit_cast<uint32_t>(value));
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

    program[2] = program.size();
    b.setInsertionPointToEnd(module.getBody());
    auto programType =
        MemRefType::get({(int64_t)program.size()}, b.getI64Type());
    memref::GlobalOp::create(
        b, loc, "kiln_model_dnnl_program", b.getStringAttr("public"),
        programType,
        DenseElementsAttr::get(
            RankedTensorType::get(programType.getShape(), b.getI64Type()),
            ArrayRef<int64_t>(program)),
        /*constant=*/true, /*alignment=*/nullptr);

    auto constantsType = MemRefType::get(
        {std::max<int64_t>(constants.size(), 1)}, b.getIndexType());
    auto fill = func::FuncOp::create(b, loc, "kiln_model_dnnl_constants",
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

void kiln::registerDnnlBufferization(DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, KilnDialect *) {
    DnnlCallOp::attachInterface<DnnlCallBufferization>(*ctx);
  });
}

//===- BufferizableOpInterfaceImpl.cpp - Bufferizing backend ops ----------===//
//
// One-shot bufferization of the kiln_backend ops: each becomes the same op
// on the buffers of its operands, with no results.
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/KilnBackend/IR/BufferizableOpInterfaceImpl.h"
#include "kiln/Dialect/KilnBackend/IR/KilnBackend.h"

#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/Dialect/Bufferization/IR/DstBufferizableOpInterfaceImpl.h"
#include "mlir/IR/DialectRegistry.h"

using namespace mlir;
using namespace kiln::backend;

namespace {

/// kiln_backend.dnnl_call: inputs read, outputs written in full (and read
/// too when the primitive accumulates into them).
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

/// Bufferizes a destination-style kernel op whose last operand is its
/// destination, written in full before it is read: the same op on the
/// operands' buffers, without results.
template <typename OpTy>
struct KernelBufferization
    : bufferization::DstBufferizableOpInterfaceExternalModel<
          KernelBufferization<OpTy>, OpTy> {
  bool bufferizesToMemoryRead(Operation *op, OpOperand &operand,
                              const bufferization::AnalysisState &) const {
    return !llvm::cast<DestinationStyleOpInterface>(op).isDpsInit(&operand);
  }

  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const bufferization::BufferizationOptions &options,
                          bufferization::BufferizationState &state) const {
    SmallVector<Value> buffers;
    for (Value value : op->getOperands()) {
      FailureOr<Value> buffer =
          bufferization::getBuffer(rewriter, value, options, state);
      if (failed(buffer))
        return failure();
      buffers.push_back(*buffer);
    }
    rewriter.setInsertionPoint(op);
    OperationState bufferized(op->getLoc(), op->getName());
    bufferized.addOperands(buffers);
    bufferized.propertiesAttr = op->getPropertiesAsAttribute();
    for (NamedAttribute attr : op->getDiscardableAttrs())
      bufferized.addAttribute(attr.getName(), attr.getValue());
    rewriter.create(bufferized);
    bufferization::replaceOpWithBufferizedValues(rewriter, op, buffers.back());
    return success();
  }
};

} // namespace

void kiln::backend::registerBufferizableOpInterfaceExternalModels(
    DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, KilnBackendDialect *) {
    DnnlCallOp::attachInterface<DnnlCallBufferization>(*ctx);
    ConvPoolOp::attachInterface<KernelBufferization<ConvPoolOp>>(*ctx);
    FlashAttentionOp::attachInterface<KernelBufferization<FlashAttentionOp>>(
        *ctx);
  });
}

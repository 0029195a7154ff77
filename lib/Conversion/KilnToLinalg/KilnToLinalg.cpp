//===- KilnToLinalg.cpp - The kiln-to-linalg pass -------------------------===//

#include "kiln/Conversion/KilnToLinalg/KilnToLinalg.h"
#include "Utils.h"
#include "kiln/Conversion/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Transforms/DialectConversion.h"
#include "llvm/ADT/TypeSwitch.h"

namespace kiln {
#define GEN_PASS_DEF_CONVERTKILNTOLINALG
#include "kiln/Conversion/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

void kiln::populateKilnToLinalgPatterns(RewritePatternSet &patterns) {
  lowering::populateElementwisePatterns(patterns);
  lowering::populateConvolutionPatterns(patterns);
  lowering::populateMatmulPatterns(patterns);
  lowering::populateNormalizationPatterns(patterns);
  lowering::populateDataMovementPatterns(patterns);
  lowering::populateAttentionPatterns(patterns);
  lowering::populateRecurrentPatterns(patterns);
  lowering::populateResizePatterns(patterns);
}

/// Reports what the llvm backend cannot lower yet, before trying.
static LogicalResult checkSupported(ModuleOp module) {
  bool ok = true;
  module.walk([&](Operation *op) {
    auto resize = llvm::dyn_cast<ResizeOp>(op);
    if (resize && resize.getMode() == ResizeMode::cubic) {
      op->emitError() << "unsupported: 'kiln.resize cubic' is not lowered by "
                         "the llvm backend yet";
      ok = false;
      return;
    }
    if (!llvm::isa<KilnDialect>(op->getDialect()))
      return;
    auto lens = llvm::TypeSwitch<Operation *, Value>(op)
                    .Case<RNNOp, GRUOp, LSTMOp>(
                        [](auto rnn) { return rnn.getSequenceLens(); })
                    .Default([](Operation *) { return Value(); });
    if (lens) {
      op->emitError() << "unsupported: 'sequence_lens' of recurrent layers in "
                         "the llvm backend";
      ok = false;
      return;
    }
  });
  return success(ok);
}

namespace {
struct ConvertKilnToLinalgPass
    : kiln::impl::ConvertKilnToLinalgBase<ConvertKilnToLinalgPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (failed(checkSupported(module)))
      return signalPassFailure();
    ConversionTarget target(getContext());
    target.addIllegalDialect<KilnDialect>();
    // Library calls and kernels lowered on buffers stay for bufferization.
    target.addLegalOp<DnnlCallOp, FlashAttentionOp, ConvPoolOp>();
    target.addLegalDialect<arith::ArithDialect, linalg::LinalgDialect,
                           math::MathDialect, scf::SCFDialect,
                           tensor::TensorDialect, func::FuncDialect>();
    RewritePatternSet patterns(&getContext());
    populateKilnToLinalgPatterns(patterns);
    if (failed(applyPartialConversion(module, target, std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace

//===- KilnToLinalg.cpp - The kiln-to-linalg pass -------------------------===//

#include "kiln/Conversion/KilnToLinalg/Passes.h"
#include "kiln/Conversion/Utils/LoweringUtils.h"
#include "kiln/Dialect/KilnBackend/IR/KilnBackend.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Transforms/DialectConversion.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace kiln {
#define GEN_PASS_DEF_CONVERTKILNTOLINALG
#include "kiln/Conversion/KilnToLinalg/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;
using namespace kiln::backend;

void kiln::populateKilnToLinalgPatterns(RewritePatternSet &patterns) {
  lowering::populateElementwisePatterns(patterns);
  lowering::populateConvolutionPatterns(patterns);
  lowering::populateMatmulPatterns(patterns);
  lowering::populateNormalizationPatterns(patterns);
  lowering::populateReductionPatterns(patterns);
  lowering::populateDataMovementPatterns(patterns);
  lowering::populateAttentionPatterns(patterns);
  lowering::populateRecurrentPatterns(patterns);
  lowering::populateResizePatterns(patterns);
}

namespace {
struct ConvertKilnToLinalgPass
    : kiln::impl::ConvertKilnToLinalgBase<ConvertKilnToLinalgPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    ConversionTarget target(getContext());
    target.addIllegalDialect<KilnDialect>();
    // Library calls and kernels lowered on buffers stay for bufferization.
    target.addLegalOp<DnnlCallOp, FlashAttentionOp, ConvPoolOp>();
    target.addLegalDialect<arith::ArithDialect, linalg::LinalgDialect,
                           math::MathDialect, scf::SCFDialect,
                           tensor::TensorDialect, func::FuncDialect>();
    RewritePatternSet patterns(&getContext());
    populateKilnToLinalgPatterns(patterns);
    if (failed(applyPartialConversion(module, target, std::move(patterns)))) {
      signalPassFailure();
      return;
    }
    // The attention kernels alone: nothing else is folded here.
    SmallVector<Operation *> attention;
    module.walk([&](FlashAttentionOp op) { attention.push_back(op); });
    if (attention.empty())
      return;
    RewritePatternSet layouts(&getContext());
    lowering::populateAttentionLayoutPatterns(layouts);
    (void)applyOpPatternsGreedily(
        attention, std::move(layouts),
        GreedyRewriteConfig()
            .setStrictness(GreedyRewriteStrictness::ExistingOps)
            .enableFolding(false)
            .enableConstantCSE(false));
  }
};
} // namespace

//===- FuseElementwise.cpp - Elementwise chains into one loop nest --------===//

#include "kiln/Codegen/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace kiln {
#define GEN_PASS_DEF_KILNFUSEELEMENTWISE
#include "kiln/Codegen/Passes.h.inc"
} // namespace kiln

using namespace mlir;

/// Whether `op` is a generic whose loops are all parallel.
static bool isElementwise(Operation *op) {
  auto generic = llvm::dyn_cast_if_present<linalg::GenericOp>(op);
  return generic && generic.getNumLoops() == generic.getNumParallelLoops();
}

namespace {

/// tensor.pad(tensor.expand_shape(x)) -> tensor.expand_shape(tensor.pad(x))
/// when every padded dim is a dim of x unchanged (its own group), so that
/// the pad meets x's producer.
struct PadThroughExpandShape : OpRewritePattern<tensor::PadOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tensor::PadOp pad,
                                PatternRewriter &rewriter) const override {
    auto expand = pad.getSource().getDefiningOp<tensor::ExpandShapeOp>();
    Value fill = pad.getConstantPaddingValue();
    if (!expand || !fill || !expand->hasOneUse() ||
        !pad.getResultType().hasStaticShape() ||
        !expand.getSrcType().hasStaticShape())
      return failure();
    SmallVector<int64_t> low = llvm::to_vector(pad.getStaticLow()),
                         high = llvm::to_vector(pad.getStaticHigh());
    if (llvm::any_of(low, ShapedType::isDynamic) ||
        llvm::any_of(high, ShapedType::isDynamic))
      return failure();
    int64_t srcRank = expand.getSrcType().getRank();
    SmallVector<int64_t> srcLow(srcRank, 0), srcHigh(srcRank, 0);
    for (auto [i, group] : llvm::enumerate(expand.getReassociationIndices())) {
      for (int64_t d : group) {
        if (low[d] == 0 && high[d] == 0)
          continue;
        if (group.size() != 1)
          return failure();
        srcLow[i] = low[d];
        srcHigh[i] = high[d];
      }
    }
    SmallVector<int64_t> srcShape(expand.getSrcType().getShape());
    for (int64_t i = 0; i < srcRank; ++i)
      srcShape[i] += srcLow[i] + srcHigh[i];
    Location loc = pad.getLoc();
    auto inner = tensor::PadOp::create(
        rewriter, loc, expand.getSrcType().clone(srcShape), expand.getSrc(),
        getAsIndexOpFoldResult(rewriter.getContext(), srcLow),
        getAsIndexOpFoldResult(rewriter.getContext(), srcHigh), fill);
    rewriter.replaceOpWithNewOp<tensor::ExpandShapeOp>(
        pad, pad.getResultType(), inner.getResult(),
        expand.getReassociationIndices());
    return success();
  }
};

/// tensor.pad(x) of the only result of a parallel linalg op (its only
/// use) -> x inserted into the padding value's fill: bufferized after
/// empty-tensor elimination, the producer writes into the padded buffer.
struct PadOfParallelProducer : OpRewritePattern<tensor::PadOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tensor::PadOp pad,
                                PatternRewriter &rewriter) const override {
    Value source = pad.getSource();
    auto producer = source.getDefiningOp<linalg::LinalgOp>();
    Value fill = pad.getConstantPaddingValue();
    if (!producer || !fill || producer->getNumResults() != 1 ||
        !source.hasOneUse() ||
        producer.getNumLoops() != producer.getNumParallelLoops() ||
        !pad.getResultType().hasStaticShape() ||
        llvm::any_of(pad.getStaticLow(), ShapedType::isDynamic))
      return failure();
    Location loc = pad.getLoc();
    RankedTensorType type = pad.getResultType();
    // A tensor of its own (not CSE'd with another pad's), filled before
    // the producer, so that empty-tensor elimination can hand the producer
    // its slice.
    OpBuilder::InsertionGuard guard(rewriter);
    // (Where the padding value is available there: defined before it in
    // its block, or in a block around it.)
    Operation *anchor = fill.getParentBlock()->findAncestorOpInBlock(*producer);
    Operation *fillDef = fill.getDefiningOp();
    bool before = anchor && (!fillDef || fillDef->isBeforeInBlock(anchor));
    if (before)
      rewriter.setInsertionPoint(producer);
    Value full =
        linalg::FillOp::create(rewriter, loc, fill,
                               ValueRange{bufferization::AllocTensorOp::create(
                                   rewriter, loc, type, ValueRange{})})
            .getResult(0);
    auto sourceType = llvm::cast<RankedTensorType>(source.getType());
    SmallVector<int64_t> ones(type.getRank(), 1);
    rewriter.setInsertionPoint(pad);
    rewriter.replaceOpWithNewOp<tensor::InsertSliceOp>(
        pad, source, full, ValueRange{}, ValueRange{}, ValueRange{},
        pad.getStaticLow(), sourceType.getShape(), ones);
    return success();
  }
};

struct FuseElementwisePass
    : kiln::impl::KilnFuseElementwiseBase<FuseElementwisePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    linalg::populateElementwiseOpsFusionPatterns(
        patterns, [](OpOperand *operand) {
          Operation *producer = operand->get().getDefiningOp();
          return isElementwise(producer) &&
                 isElementwise(operand->getOwner()) &&
                 operand->get().hasOneUse();
        });
    patterns.add<PadThroughExpandShape, PadOfParallelProducer>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace

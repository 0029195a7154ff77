//===- Normalization.cpp - Batch, layer and response normalization --------===//

#include "kiln/Conversion/Utils/LoweringUtils.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::lowering;

namespace {

/// kiln.batch_norm -> (x - mean) * scale / sqrt(var + eps) + bias, with
/// the per-channel parameters broadcast along dim 1.
struct BatchNormLowering : OpRewritePattern<BatchNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BatchNormOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = op.getType();
    SmallVector<int64_t> channelShape(type.getRank() - 1, 1);
    channelShape[0] = type.getDimSize(1);
    SmallVector<Value> operands = {op.getInput()};
    for (Value param : {op.getScale(), op.getBias(), op.getMean(), op.getVar()})
      operands.push_back(reshape(rewriter, loc, param, channelShape));
    float epsilon = op.getEpsilon().convertToFloat();
    Value result = elementwise(
        rewriter, loc, type, operands,
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          Value eps = scalar(b, l, args[0].getType(), epsilon);
          Value stddev = math::SqrtOp::create(
              b, l, arith::AddFOp::create(b, l, args[4], eps));
          Value centered = arith::SubFOp::create(b, l, args[0], args[3]);
          Value normalized = arith::DivFOp::create(b, l, centered, stddev);
          return arith::AddFOp::create(
              b, l, arith::MulFOp::create(b, l, normalized, args[1]), args[2]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// kiln.layer_norm -> mean and variance over the trailing dims, then
/// normalize, scale and shift.
struct LayerNormLowering : OpRewritePattern<LayerNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LayerNormOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = op.getType();
    SmallVector<int64_t> axes;
    for (int64_t d = op.getAxis(); d < type.getRank(); ++d)
      axes.push_back(d);
    Value mean = meanKept(rewriter, loc, op.getInput(), axes);
    Value centered =
        elementwise(rewriter, loc, type, {op.getInput(), mean},
                    [](OpBuilder &b, Location l, ValueRange args) -> Value {
                      return arith::SubFOp::create(b, l, args[0], args[1]);
                    });
    Value squared = elementwise(rewriter, loc, type, centered,
                                [](OpBuilder &b, Location l, ValueRange args) {
                                  return mul(b, l, args[0], args[0]);
                                });
    Value var = meanKept(rewriter, loc, squared, axes);
    SmallVector<Value> operands = {centered, var, op.getScale()};
    if (op.getBias())
      operands.push_back(op.getBias());
    float epsilon = op.getEpsilon().convertToFloat();
    Value result = elementwise(
        rewriter, loc, type, operands,
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          Value eps = scalar(b, l, args[0].getType(), epsilon);
          Value stddev = math::SqrtOp::create(
              b, l, arith::AddFOp::create(b, l, args[1], eps));
          Value r = arith::MulFOp::create(
              b, l, arith::DivFOp::create(b, l, args[0], stddev), args[2]);
          return args.size() > 3
                     ? (Value)arith::AddFOp::create(b, l, r, args[3])
                     : r;
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// kiln.lrn -> squares summed over a channel window, then
/// x / (bias + alpha / size * sum)^beta.
struct LRNLowering : OpRewritePattern<LRNOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LRNOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = getContext();
    auto type = op.getType();
    Type element = type.getElementType();
    int64_t rank = type.getRank(), size = op.getSize();
    Value squares = elementwise(rewriter, loc, type, op.getInput(),
                                [](OpBuilder &b, Location l, ValueRange args) {
                                  return mul(b, l, args[0], args[0]);
                                });
    SmallVector<int64_t> low(rank, 0), high(rank, 0);
    low[1] = (size - 1) / 2;
    high[1] = size - 1 - low[1];
    Value zero = scalar(rewriter, loc, element, 0);
    Value paddedSquares = padded(rewriter, loc, squares, low, high, zero);
    Value window = tensor::EmptyOp::create(rewriter, loc,
                                           ArrayRef<int64_t>{size}, element);
    int64_t numDims = rank + 1;
    SmallVector<AffineExpr> inExprs;
    for (int64_t d = 0; d < rank; ++d)
      inExprs.push_back(d == 1 ? getAffineDimExpr(1, ctx) +
                                     getAffineDimExpr(rank, ctx)
                               : getAffineDimExpr(d, ctx));
    SmallVector<AffineMap> maps = {
        AffineMap::get(numDims, 0, inExprs, ctx),
        AffineMap::get(numDims, 0, {getAffineDimExpr(rank, ctx)}, ctx),
        AffineMap::getMultiDimIdentityMap(numDims, ctx).getMajorSubMap(rank)};
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    iterators.push_back(utils::IteratorType::reduction);
    Value sums =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{type}, ValueRange{paddedSquares, window},
            ValueRange{filled(rewriter, loc, type, zero)}, maps, iterators,
            [](OpBuilder &b, Location l, ValueRange args) {
              linalg::YieldOp::create(b, l, add(b, l, args[2], args[0]));
            })
            .getResult(0);
    float alpha = op.getAlpha().convertToFloat(),
          beta = op.getBeta().convertToFloat(),
          bias = op.getBias().convertToFloat();
    Value result = elementwise(
        rewriter, loc, type, {op.getInput(), sums},
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          Value scaled = arith::MulFOp::create(
              b, l, args[1], scalar(b, l, element, alpha / size));
          Value base =
              arith::AddFOp::create(b, l, scaled, scalar(b, l, element, bias));
          Value denom =
              math::PowFOp::create(b, l, base, scalar(b, l, element, beta));
          return arith::DivFOp::create(b, l, args[0], denom);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void kiln::lowering::populateNormalizationPatterns(
    RewritePatternSet &patterns) {
  patterns.add<BatchNormLowering, LayerNormLowering, LRNLowering>(
      patterns.getContext());
}

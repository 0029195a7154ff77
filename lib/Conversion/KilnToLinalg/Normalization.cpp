//===- Normalization.cpp - Reductions, softmax and normalizations ---------===//

#include "kiln/Conversion/Utils/LoweringUtils.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::lowering;

using Combine =
    llvm::function_ref<Value(OpBuilder &, Location, Value acc, Value x)>;

/// Reduces `input` over `axes` (dropping them) from `initValue`, combining
/// with `combine`; the result has the type of `initValue`.
static Value reduceOver(OpBuilder &b, Location loc, Value input,
                        ArrayRef<int64_t> axes, Value initValue,
                        Combine combine) {
  auto type = llvm::cast<RankedTensorType>(input.getType());
  Reduction reduction = reductionOver(type, axes);
  auto outType = RankedTensorType::get(reduction.shape, initValue.getType());
  SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(type.getRank()),
                                 reduction.outMap};
  return linalg::GenericOp::create(
             b, loc, TypeRange{outType}, ValueRange{input},
             ValueRange{filled(b, loc, outType, initValue)}, maps,
             reduction.iterators,
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               linalg::YieldOp::create(nb, nl,
                                       combine(nb, nl, args[1], args[0]));
             })
      .getResult(0);
}

/// The shape of `type` with `axes` set to 1.
static SmallVector<int64_t> keptShape(RankedTensorType type,
                                      ArrayRef<int64_t> axes) {
  SmallVector<int64_t> shape(type.getShape());
  for (int64_t a : axes)
    shape[a] = 1;
  return shape;
}

static int64_t countOver(RankedTensorType type, ArrayRef<int64_t> axes) {
  int64_t n = 1;
  for (int64_t a : axes)
    n *= type.getDimSize(a);
  return n;
}

/// Mean over `axes`, kept as size-1 dims.
static Value meanKept(OpBuilder &b, Location loc, Value input,
                      ArrayRef<int64_t> axes) {
  auto type = llvm::cast<RankedTensorType>(input.getType());
  Type element = type.getElementType();
  Value sum = reduceOver(b, loc, input, axes, scalar(b, loc, element, 0), add);
  Value inverse = scalar(b, loc, element, 1.0 / countOver(type, axes));
  Value kept = reshape(b, loc, sum, keptShape(type, axes));
  return elementwise(b, loc, llvm::cast<RankedTensorType>(kept.getType()), kept,
                     [&](OpBuilder &nb, Location nl, ValueRange args) {
                       return mul(nb, nl, args[0], inverse);
                     });
}

Value kiln::lowering::softmax(OpBuilder &b, Location loc, Value input,
                              int64_t axis, bool isLog) {
  auto type = llvm::cast<RankedTensorType>(input.getType());
  Type element = type.getElementType();
  SmallVector<int64_t> kept = keptShape(type, {axis});
  Value max =
      reshape(b, loc,
              reduceOver(b, loc, input, {axis}, lowest(b, loc, element),
                         [](OpBuilder &nb, Location l, Value acc, Value x) {
                           return maximum(nb, l, acc, x);
                         }),
              kept);
  Value shifted =
      elementwise(b, loc, type, {input, max},
                  [](OpBuilder &nb, Location l, ValueRange args) -> Value {
                    return arith::SubFOp::create(nb, l, args[0], args[1]);
                  });
  Value exps =
      elementwise(b, loc, type, shifted,
                  [](OpBuilder &nb, Location l, ValueRange args) -> Value {
                    return math::ExpOp::create(nb, l, args[0]);
                  });
  // Half-precision sums accumulate in f32, then round, as NumPy's do.
  Value sum;
  if (element.isF16() || element.isBF16()) {
    Type f32 = b.getF32Type();
    sum = reduceOver(b, loc, exps, {axis}, scalar(b, loc, f32, 0),
                     [&](OpBuilder &nb, Location l, Value acc, Value x) {
                       return add(nb, l, acc,
                                  arith::ExtFOp::create(nb, l, f32, x));
                     });
    sum = convertFloats(b, loc, sum, element);
  } else {
    sum = reduceOver(b, loc, exps, {axis}, scalar(b, loc, element, 0), add);
  }
  sum = reshape(b, loc, sum, kept);
  if (isLog)
    return elementwise(b, loc, type, {shifted, sum},
                       [](OpBuilder &nb, Location l, ValueRange args) -> Value {
                         return arith::SubFOp::create(
                             nb, l, args[0],
                             math::LogOp::create(nb, l, args[1]));
                       });
  return elementwise(b, loc, type, {exps, sum},
                     [](OpBuilder &nb, Location l, ValueRange args) -> Value {
                       return arith::DivFOp::create(nb, l, args[0], args[1]);
                     });
}

namespace {

/// kiln.reduce -> linalg.generic reduction, with the kind's pre- and
/// post-processing.
struct ReduceLowering : OpRewritePattern<ReduceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReduceOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto inType = op.getInput().getType();
    Type element = inType.getElementType();
    ArrayRef<int64_t> axes = op.getAxes();
    ReduceKind kind = op.getKind();
    bool isUnsigned = op.getIsUnsigned();
    Value input = op.getInput();
    // Elementwise part before the reduction.
    if (kind == ReduceKind::l1 || kind == ReduceKind::l2 ||
        kind == ReduceKind::sum_square || kind == ReduceKind::log_sum_exp) {
      input =
          elementwise(rewriter, loc, inType, input,
                      [&](OpBuilder &b, Location l, ValueRange args) -> Value {
                        if (kind == ReduceKind::l1)
                          return applyUnary(b, l, UnaryKind::abs, args[0], 0, 0,
                                            isUnsigned);
                        if (kind == ReduceKind::log_sum_exp)
                          return math::ExpOp::create(b, l, args[0]);
                        return mul(b, l, args[0], args[0]);
                      });
    }
    Value init;
    Combine combine = add;
    auto max = [&](OpBuilder &b, Location l, Value x, Value y) {
      return maximum(b, l, x, y, isUnsigned);
    };
    auto min = [&](OpBuilder &b, Location l, Value x, Value y) {
      return minimum(b, l, x, y, isUnsigned);
    };
    switch (kind) {
    case ReduceKind::max:
      init = lowest(rewriter, loc, element, isUnsigned);
      combine = max;
      break;
    case ReduceKind::min:
      init = highest(rewriter, loc, element, isUnsigned);
      combine = min;
      break;
    case ReduceKind::prod:
      init = scalar(rewriter, loc, element, 1);
      combine = mul;
      break;
    default:
      init = scalar(rewriter, loc, element, 0);
    }
    Value reduced = reduceOver(rewriter, loc, input, axes, init, combine);
    auto reducedType = llvm::cast<RankedTensorType>(reduced.getType());
    // Elementwise part after it.
    if (kind == ReduceKind::mean || kind == ReduceKind::l2 ||
        kind == ReduceKind::log_sum || kind == ReduceKind::log_sum_exp) {
      double count = countOver(inType, axes);
      reduced = elementwise(
          rewriter, loc, reducedType, reduced,
          [&](OpBuilder &b, Location l, ValueRange args) -> Value {
            if (kind == ReduceKind::mean && llvm::isa<IntegerType>(element)) {
              // Integer means round toward zero.
              Value n = scalar(b, l, element, count);
              return isUnsigned
                         ? (Value)arith::DivUIOp::create(b, l, args[0], n)
                         : (Value)arith::DivSIOp::create(b, l, args[0], n);
            }
            if (kind == ReduceKind::mean)
              return mul(b, l, args[0], scalar(b, l, element, 1.0 / count));
            if (kind == ReduceKind::l2)
              return math::SqrtOp::create(b, l, args[0]);
            return math::LogOp::create(b, l, args[0]);
          });
    }
    rewriter.replaceOp(
        op, reshape(rewriter, loc, reduced, op.getType().getShape()));
    return success();
  }
};

/// kiln.arg_reduce -> a two-result reduction carrying value and index.
struct ArgReduceLowering : OpRewritePattern<ArgReduceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ArgReduceOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto inType = op.getInput().getType();
    Type element = inType.getElementType();
    int64_t axis = op.getAxis(), rank = inType.getRank();
    bool isMax = op.getKind() == ReduceKind::max;
    bool last = op.getSelectLastIndex();
    bool isUnsigned = op.getIsUnsigned();
    Reduction reduction = reductionOver(inType, {axis});
    auto valueType = inType.clone(reduction.shape);
    auto indexType =
        RankedTensorType::get(reduction.shape, rewriter.getI64Type());
    SmallVector<AffineMap> maps = {rewriter.getMultiDimIdentityMap(rank),
                                   reduction.outMap, reduction.outMap};
    Value initValue =
        filled(rewriter, loc, valueType,
               isMax ? lowest(rewriter, loc, element, isUnsigned)
                     : highest(rewriter, loc, element, isUnsigned));
    Value initIndex = filled(rewriter, loc, indexType,
                             scalar(rewriter, loc, rewriter.getI64Type(), 0));
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{valueType, indexType},
        ValueRange{op.getInput()}, ValueRange{initValue, initIndex}, maps,
        reduction.iterators, [&](OpBuilder &b, Location l, ValueRange args) {
          Value x = args[0], best = args[1], bestIndex = args[2];
          Value index = arith::IndexCastOp::create(
              b, l, b.getI64Type(), linalg::IndexOp::create(b, l, axis));
          Value better;
          if (llvm::isa<FloatType>(element)) {
            auto pred = isMax ? (last ? arith::CmpFPredicate::OGE
                                      : arith::CmpFPredicate::OGT)
                              : (last ? arith::CmpFPredicate::OLE
                                      : arith::CmpFPredicate::OLT);
            better = arith::CmpFOp::create(b, l, pred, x, best);
          } else if (isUnsigned) {
            auto pred = isMax ? (last ? arith::CmpIPredicate::uge
                                      : arith::CmpIPredicate::ugt)
                              : (last ? arith::CmpIPredicate::ule
                                      : arith::CmpIPredicate::ult);
            better = arith::CmpIOp::create(b, l, pred, x, best);
          } else {
            auto pred = isMax ? (last ? arith::CmpIPredicate::sge
                                      : arith::CmpIPredicate::sgt)
                              : (last ? arith::CmpIPredicate::sle
                                      : arith::CmpIPredicate::slt);
            better = arith::CmpIOp::create(b, l, pred, x, best);
          }
          // The first element always counts, whatever its value.
          Value first =
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, index,
                                    scalar(b, l, b.getI64Type(), 0));
          better = arith::OrIOp::create(b, l, better, first);
          linalg::YieldOp::create(
              b, l,
              ValueRange{
                  arith::SelectOp::create(b, l, better, x, best),
                  arith::SelectOp::create(b, l, better, index, bestIndex)});
        });
    rewriter.replaceOp(op, reshape(rewriter, loc, generic.getResult(1),
                                   op.getType().getShape()));
    return success();
  }
};

/// kiln.softmax / kiln.log_softmax -> max, shifted exp, sum, normalize.
template <typename OpTy, bool isLog>
struct SoftmaxLowering : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOp(
        op, softmax(rewriter, op.getLoc(), op.getInput(), op.getAxis(), isLog));
    return success();
  }
};

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
  patterns
      .add<ReduceLowering, ArgReduceLowering, SoftmaxLowering<SoftmaxOp, false>,
           SoftmaxLowering<LogSoftmaxOp, true>, BatchNormLowering,
           LayerNormLowering, LRNLowering>(patterns.getContext());
}

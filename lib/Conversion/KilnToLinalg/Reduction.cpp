//===- Reduction.cpp - Reductions and softmax -----------------------------===//

#include "kiln/Conversion/Utils/LoweringUtils.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::lowering;

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

} // namespace

void kiln::lowering::populateReductionPatterns(RewritePatternSet &patterns) {
  patterns
      .add<ReduceLowering, ArgReduceLowering, SoftmaxLowering<SoftmaxOp, false>,
           SoftmaxLowering<LogSoftmaxOp, true>>(patterns.getContext());
}

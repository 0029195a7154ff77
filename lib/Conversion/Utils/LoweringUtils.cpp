//===- Utils.cpp - Shared helpers of the kiln-to-linalg lowering ----------===//

#include "kiln/Conversion/Utils/LoweringUtils.h"

#include "mlir/Dialect/SCF/IR/SCF.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace kiln;
using namespace kiln::lowering;

SmallVector<int64_t> kiln::lowering::orDefault(ArrayRef<int64_t> values,
                                               int64_t count,
                                               int64_t fallback) {
  if (values.empty())
    return SmallVector<int64_t>(count, fallback);
  return SmallVector<int64_t>(values);
}

Value kiln::lowering::empty(OpBuilder &b, Location loc, RankedTensorType type) {
  return tensor::EmptyOp::create(b, loc, type.getShape(),
                                 type.getElementType());
}

Value kiln::lowering::filled(OpBuilder &b, Location loc, RankedTensorType type,
                             Value value) {
  return linalg::FillOp::create(b, loc, value, empty(b, loc, type))
      .getResult(0);
}

Value kiln::lowering::scalar(OpBuilder &b, Location loc, Type type,
                             double value) {
  if (auto floatType = llvm::dyn_cast<FloatType>(type))
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(floatType, value));
  return arith::ConstantOp::create(b, loc,
                                   b.getIntegerAttr(type, (int64_t)value));
}

Value kiln::lowering::lowest(OpBuilder &b, Location loc, Type type,
                             bool isUnsigned) {
  if (auto floatType = llvm::dyn_cast<FloatType>(type))
    return arith::ConstantOp::create(
        b, loc,
        b.getFloatAttr(floatType, APFloat::getInf(floatType.getFloatSemantics(),
                                                  /*Negative=*/true)));
  unsigned width = type.getIntOrFloatBitWidth();
  return arith::ConstantOp::create(
      b, loc,
      b.getIntegerAttr(type, width == 1 || isUnsigned
                                 ? APInt(width, 0)
                                 : APInt::getSignedMinValue(width)));
}

Value kiln::lowering::highest(OpBuilder &b, Location loc, Type type,
                              bool isUnsigned) {
  if (auto floatType = llvm::dyn_cast<FloatType>(type))
    return arith::ConstantOp::create(
        b, loc,
        b.getFloatAttr(floatType,
                       APFloat::getInf(floatType.getFloatSemantics())));
  unsigned width = type.getIntOrFloatBitWidth();
  return arith::ConstantOp::create(
      b, loc,
      b.getIntegerAttr(type, width == 1 || isUnsigned
                                 ? APInt::getAllOnes(width)
                                 : APInt::getSignedMaxValue(width)));
}

AffineMap kiln::lowering::broadcastMap(MLIRContext *context,
                                       ArrayRef<int64_t> shape,
                                       ArrayRef<int64_t> resultShape) {
  SmallVector<AffineExpr> exprs;
  int64_t offset = resultShape.size() - shape.size();
  for (auto [i, dim] : llvm::enumerate(shape)) {
    if (dim == 1 && resultShape[i + offset] != 1)
      exprs.push_back(getAffineConstantExpr(0, context));
    else
      exprs.push_back(getAffineDimExpr(i + offset, context));
  }
  return AffineMap::get(resultShape.size(), 0, exprs, context);
}

Value kiln::lowering::elementwise(OpBuilder &b, Location loc,
                                  RankedTensorType resultType,
                                  ValueRange operands, BodyBuilder body) {
  MLIRContext *context = b.getContext();
  SmallVector<AffineMap> maps;
  for (Value operand : operands)
    maps.push_back(broadcastMap(
        context, llvm::cast<RankedTensorType>(operand.getType()).getShape(),
        resultType.getShape()));
  maps.push_back(b.getMultiDimIdentityMap(resultType.getRank()));
  SmallVector<utils::IteratorType> iterators(resultType.getRank(),
                                             utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{resultType}, operands,
      ValueRange{empty(b, loc, resultType)}, maps, iterators,
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        Value result = body(nested, nestedLoc, args.drop_back());
        linalg::YieldOp::create(nested, nestedLoc, result);
      });
  return generic.getResult(0);
}

Value kiln::lowering::padded(OpBuilder &b, Location loc, Value input,
                             ArrayRef<int64_t> low, ArrayRef<int64_t> high,
                             Value value) {
  if (llvm::all_of(low, [](int64_t p) { return p == 0; }) &&
      llvm::all_of(high, [](int64_t p) { return p == 0; }))
    return input;
  auto type = llvm::cast<RankedTensorType>(input.getType());
  SmallVector<int64_t> shape;
  for (auto [i, dim] : llvm::enumerate(type.getShape()))
    shape.push_back(dim + low[i] + high[i]);
  SmallVector<OpFoldResult> lowFolds, highFolds;
  for (auto [l, h] : llvm::zip(low, high)) {
    lowFolds.push_back(b.getIndexAttr(l));
    highFolds.push_back(b.getIndexAttr(h));
  }
  return tensor::PadOp::create(b, loc, type.clone(shape), input, lowFolds,
                               highFolds, value);
}

Value kiln::lowering::clampedLength(OpBuilder &b, Location loc, Value length,
                                    int64_t extent) {
  Value n = arith::IndexCastOp::create(
      b, loc, b.getIndexType(),
      tensor::ExtractOp::create(b, loc, length, ValueRange{}));
  n = arith::MaxSIOp::create(b, loc, n,
                             arith::ConstantIndexOp::create(b, loc, 0));
  return arith::MinSIOp::create(b, loc, n,
                                arith::ConstantIndexOp::create(b, loc, extent));
}

Value kiln::lowering::sliceDim(OpBuilder &b, Location loc, Value value,
                               int64_t dim, OpFoldResult offset, int64_t size) {
  auto type = llvm::cast<RankedTensorType>(value.getType());
  SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0));
  SmallVector<OpFoldResult> sizes, strides(type.getRank(), b.getIndexAttr(1));
  for (int64_t d = 0; d < type.getRank(); ++d)
    sizes.push_back(b.getIndexAttr(d == dim ? size : type.getDimSize(d)));
  offsets[dim] = offset;
  SmallVector<int64_t> shape(type.getShape());
  shape[dim] = size;
  return tensor::ExtractSliceOp::create(b, loc, type.clone(shape), value,
                                        offsets, sizes, strides);
}

Value kiln::lowering::blocksUpTo(
    OpBuilder &b, Location loc, Value init, int64_t dim, int64_t rows,
    Value count, function_ref<Value(OpBuilder &, Location, Value)> block) {
  int64_t extent = llvm::cast<RankedTensorType>(init.getType()).getDimSize(dim);
  Value blocks = arith::CeilDivUIOp::create(
      b, loc, count, arith::ConstantIndexOp::create(b, loc, rows));
  auto loop = scf::ForOp::create(
      b, loc, arith::ConstantIndexOp::create(b, loc, 0), blocks,
      arith::ConstantIndexOp::create(b, loc, 1), ValueRange{init},
      [&](OpBuilder &nb, Location l, Value i, ValueRange acc) {
        Value start = arith::MinSIOp::create(
            nb, l,
            arith::MulIOp::create(nb, l, i,
                                  arith::ConstantIndexOp::create(nb, l, rows)),
            arith::ConstantIndexOp::create(nb, l, extent - rows));
        Value part = block(nb, l, start);
        auto type = llvm::cast<RankedTensorType>(part.getType());
        SmallVector<OpFoldResult> offsets(type.getRank(), nb.getIndexAttr(0)),
            sizes, strides(type.getRank(), nb.getIndexAttr(1));
        offsets[dim] = start;
        for (int64_t d : type.getShape())
          sizes.push_back(nb.getIndexAttr(d));
        scf::YieldOp::create(
            nb, l,
            ValueRange{tensor::InsertSliceOp::create(nb, l, part, acc[0],
                                                     offsets, sizes, strides)});
      });
  return loop.getResult(0);
}

Value kiln::lowering::reshape(OpBuilder &b, Location loc, Value input,
                              ArrayRef<int64_t> shape) {
  auto type = llvm::cast<RankedTensorType>(input.getType());
  if (type.getShape() == shape)
    return input;
  // A rank-0 side reshapes with no reassociation (its other side has only
  // 1s).
  auto target = type.clone(shape);
  if (type.getRank() == 0)
    return tensor::ExpandShapeOp::create(b, loc, target, input,
                                         SmallVector<ReassociationIndices>{});
  if (shape.empty())
    return tensor::CollapseShapeOp::create(b, loc, target, input,
                                           SmallVector<ReassociationIndices>{});
  // Collapse each run of source dims to the product it shares with a run of
  // target dims, then expand that to the target's dims. Both are views once
  // bufferized as long as each collapsed run is contiguous: a slice of the
  // last dim reshaped ([17, 1, 96] sliced to [17, 1, 32] -> [17, 4, 8])
  // keeps its rows' stride instead of being copied to collapse it whole.
  SmallVector<ReassociationIndices> from, to;
  SmallVector<int64_t> common;
  ArrayRef<int64_t> source = type.getShape();
  size_t i = 0, j = 0;
  bool grouped =
      !llvm::is_contained(source, 0) && !llvm::is_contained(shape, 0);
  while (grouped && (i < source.size() || j < shape.size())) {
    if (i == source.size() || j == shape.size()) {
      // What is left on one side is 1s: they join the last run.
      for (; i < source.size(); ++i)
        from.back().push_back(i);
      for (; j < shape.size(); ++j)
        to.back().push_back(j);
      break;
    }
    ReassociationIndices f = {static_cast<int64_t>(i)},
                         t = {static_cast<int64_t>(j)};
    int64_t fp = source[i++], tp = shape[j++];
    while (fp != tp) {
      if (fp < tp && i < source.size()) {
        f.push_back(i);
        fp *= source[i++];
      } else if (tp < fp && j < shape.size()) {
        t.push_back(j);
        tp *= shape[j++];
      } else {
        grouped = false;
        break;
      }
    }
    from.push_back(f);
    to.push_back(t);
    common.push_back(fp);
  }
  if (!grouped) {
    // One dim in between.
    common = {type.getNumElements()};
    from = {llvm::to_vector(llvm::seq<int64_t>(0, type.getRank()))};
    to = {llvm::to_vector(llvm::seq<int64_t>(0, shape.size()))};
  }
  Value mid = input;
  if (common.size() != source.size())
    mid = tensor::CollapseShapeOp::create(b, loc, type.clone(common), input,
                                          from);
  if (common.size() == shape.size())
    return mid;
  return tensor::ExpandShapeOp::create(b, loc, target, mid, to);
}

Value kiln::lowering::convertFloats(OpBuilder &b, Location loc, Value value,
                                    Type element) {
  auto type = llvm::cast<RankedTensorType>(value.getType());
  bool wider = element.getIntOrFloatBitWidth() >
               type.getElementType().getIntOrFloatBitWidth();
  return elementwise(b, loc, type.clone(element), value,
                     [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
                       if (wider)
                         return arith::ExtFOp::create(nb, l, element, args[0]);
                       return arith::TruncFOp::create(nb, l, element, args[0]);
                     });
}

Value kiln::lowering::poolWindows(OpBuilder &b, Location loc, Value input,
                                  Value window, Value init, int64_t leading,
                                  ArrayRef<int64_t> strides,
                                  ArrayRef<int64_t> dilations, bool isMax,
                                  int64_t trailing) {
  MLIRContext *ctx = b.getContext();
  int64_t k = strides.size(), numDims = leading + 2 * k + trailing;
  auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
  SmallVector<AffineExpr> inExprs, winExprs, outExprs;
  for (int64_t i = 0; i < leading; ++i) {
    inExprs.push_back(d(i));
    outExprs.push_back(d(i));
  }
  for (int64_t i = 0; i < k; ++i) {
    inExprs.push_back(d(leading + k + i) * strides[i] +
                      d(leading + i) * dilations[i]);
    winExprs.push_back(d(leading + i));
    outExprs.push_back(d(leading + k + i));
  }
  for (int64_t i = leading + 2 * k; i < numDims; ++i) {
    inExprs.push_back(d(i));
    outExprs.push_back(d(i));
  }
  SmallVector<AffineMap> maps = {AffineMap::get(numDims, 0, inExprs, ctx),
                                 AffineMap::get(numDims, 0, winExprs, ctx),
                                 AffineMap::get(numDims, 0, outExprs, ctx)};
  SmallVector<utils::IteratorType> iterators(leading,
                                             utils::IteratorType::parallel);
  iterators.append(k, utils::IteratorType::reduction);
  iterators.append(k + trailing, utils::IteratorType::parallel);
  SmallVector<Type, 1> results;
  if (llvm::isa<RankedTensorType>(init.getType()))
    results.push_back(init.getType());
  auto generic = linalg::GenericOp::create(
      b, loc, results, ValueRange{input, window}, ValueRange{init}, maps,
      iterators, [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value r = isMax ? maximum(nb, nl, args[2], args[0])
                        : add(nb, nl, args[2], args[0]);
        linalg::YieldOp::create(nb, nl, r);
      });
  return results.empty() ? Value() : generic.getResult(0);
}

void kiln::lowering::multiplyAdd(OpBuilder &b, Location loc, ValueRange args) {
  linalg::YieldOp::create(b, loc,
                          add(b, loc, args[2], mul(b, loc, args[0], args[1])));
}

Reduction kiln::lowering::reductionOver(RankedTensorType type,
                                        ArrayRef<int64_t> axes) {
  Reduction result;
  SmallVector<AffineExpr> outExprs;
  MLIRContext *context = type.getContext();
  for (int64_t d = 0; d < type.getRank(); ++d) {
    bool reduced = llvm::is_contained(axes, d);
    result.iterators.push_back(reduced ? utils::IteratorType::reduction
                                       : utils::IteratorType::parallel);
    if (!reduced) {
      result.shape.push_back(type.getDimSize(d));
      outExprs.push_back(getAffineDimExpr(d, context));
    }
  }
  result.outMap = AffineMap::get(type.getRank(), 0, outExprs, context);
  return result;
}

Value kiln::lowering::add(OpBuilder &b, Location loc, Value x, Value y) {
  if (llvm::isa<FloatType>(x.getType()))
    return arith::AddFOp::create(b, loc, x, y);
  return arith::AddIOp::create(b, loc, x, y);
}

Value kiln::lowering::mul(OpBuilder &b, Location loc, Value x, Value y) {
  if (llvm::isa<FloatType>(x.getType()))
    return arith::MulFOp::create(b, loc, x, y);
  return arith::MulIOp::create(b, loc, x, y);
}

Value kiln::lowering::maximum(OpBuilder &b, Location loc, Value x, Value y,
                              bool isUnsigned) {
  if (llvm::isa<FloatType>(x.getType()))
    return arith::MaximumFOp::create(b, loc, x, y);
  if (x.getType().isInteger(1))
    return arith::OrIOp::create(b, loc, x, y);
  if (isUnsigned)
    return arith::MaxUIOp::create(b, loc, x, y);
  return arith::MaxSIOp::create(b, loc, x, y);
}

Value kiln::lowering::minimum(OpBuilder &b, Location loc, Value x, Value y,
                              bool isUnsigned) {
  if (llvm::isa<FloatType>(x.getType()))
    return arith::MinimumFOp::create(b, loc, x, y);
  if (x.getType().isInteger(1))
    return arith::AndIOp::create(b, loc, x, y);
  if (isUnsigned)
    return arith::MinUIOp::create(b, loc, x, y);
  return arith::MinSIOp::create(b, loc, x, y);
}

//===----------------------------------------------------------------------===//
// Unary functions
//===----------------------------------------------------------------------===//

Value kiln::lowering::applyActivation(OpBuilder &b, Location loc,
                                      UnaryKind kind, Value x,
                                      std::optional<APFloat> alpha,
                                      std::optional<APFloat> beta) {
  UnaryParams defaults = getUnaryParams(kind);
  return applyUnary(b, loc, kind, x,
                    alpha ? alpha->convertToFloat() : defaults.alpha,
                    beta ? beta->convertToFloat() : defaults.beta);
}

Value kiln::lowering::applyUnary(OpBuilder &b, Location loc, UnaryKind kind,
                                 Value x, float alpha, float beta,
                                 bool isUnsigned) {
  Type type = x.getType();
  bool isFloat = llvm::isa<FloatType>(type);
  auto c = [&](double v) { return scalar(b, loc, type, v); };
  auto fmul = [&](Value p, Value q) -> Value {
    return arith::MulFOp::create(b, loc, p, q);
  };
  auto fadd = [&](Value p, Value q) -> Value {
    return arith::AddFOp::create(b, loc, p, q);
  };
  auto fsub = [&](Value p, Value q) -> Value {
    return arith::SubFOp::create(b, loc, p, q);
  };
  auto fdiv = [&](Value p, Value q) -> Value {
    return arith::DivFOp::create(b, loc, p, q);
  };
  auto exp = [&](Value p) -> Value { return math::ExpOp::create(b, loc, p); };
  auto select = [&](arith::CmpFPredicate pred, Value p, Value q, Value t,
                    Value f) -> Value {
    Value cond = arith::CmpFOp::create(b, loc, pred, p, q);
    return arith::SelectOp::create(b, loc, cond, t, f);
  };
  auto sigmoid = [&](Value p) {
    return fdiv(c(1), fadd(c(1), exp(arith::NegFOp::create(b, loc, p))));
  };
  auto softplus = [&](Value p) -> Value {
    return math::LogOp::create(b, loc, fadd(exp(p), c(1)));
  };
  using P = arith::CmpFPredicate;
  switch (kind) {
  case UnaryKind::identity:
    return x;
  case UnaryKind::relu:
    if (!isFloat)
      return isUnsigned ? x : (Value)arith::MaxSIOp::create(b, loc, x, c(0));
    return arith::MaximumFOp::create(b, loc, x, c(0));
  case UnaryKind::leaky_relu:
    return select(P::OLT, x, c(0), fmul(x, c(alpha)), x);
  case UnaryKind::elu:
    return select(P::OLT, x, c(0), fmul(c(alpha), fsub(exp(x), c(1))), x);
  case UnaryKind::selu:
    return select(P::OLE, x, c(0),
                  fmul(c(beta), fsub(fmul(c(alpha), exp(x)), c(alpha))),
                  fmul(c(beta), x));
  case UnaryKind::celu: {
    Value neg = fmul(c(alpha), fsub(exp(fdiv(x, c(alpha))), c(1)));
    return fadd(arith::MaximumFOp::create(b, loc, x, c(0)),
                arith::MinimumFOp::create(b, loc, neg, c(0)));
  }
  case UnaryKind::sigmoid:
    return sigmoid(x);
  case UnaryKind::hard_sigmoid: {
    Value v = fadd(fmul(x, c(alpha)), c(beta));
    return arith::MaximumFOp::create(
        b, loc, c(0), arith::MinimumFOp::create(b, loc, c(1), v));
  }
  case UnaryKind::hard_swish: {
    Value v = fadd(fmul(x, c(1.0 / 6.0)), c(0.5));
    Value clamped = arith::MaximumFOp::create(
        b, loc, c(0), arith::MinimumFOp::create(b, loc, c(1), v));
    return fmul(x, clamped);
  }
  case UnaryKind::silu:
    return fmul(x, sigmoid(x));
  case UnaryKind::mish:
    return fmul(x, math::TanhOp::create(b, loc, softplus(x)));
  case UnaryKind::tanh:
    return math::TanhOp::create(b, loc, x);
  case UnaryKind::scaled_tanh:
    return fmul(c(alpha), math::TanhOp::create(b, loc, fmul(c(beta), x)));
  case UnaryKind::affine:
    return fadd(fmul(c(alpha), x), c(beta));
  case UnaryKind::thresholded_relu:
    return select(P::OGT, x, c(alpha), x, c(0));
  case UnaryKind::gelu:
    return fmul(fmul(c(0.5), x),
                fadd(c(1), math::ErfOp::create(b, loc, fmul(x, c(M_SQRT1_2)))));
  case UnaryKind::gelu_tanh: {
    Value cube = fmul(fmul(x, x), x);
    Value inner =
        fmul(c(std::sqrt(2.0 / M_PI)), fadd(x, fmul(c(0.044715), cube)));
    return fmul(fmul(c(0.5), x),
                fadd(c(1), math::TanhOp::create(b, loc, inner)));
  }
  case UnaryKind::softplus:
    return softplus(x);
  case UnaryKind::softsign:
    return fdiv(x, fadd(c(1), math::AbsFOp::create(b, loc, x)));
  case UnaryKind::clip: {
    if (!isFloat) {
      // Integer bounds: the float limits saturate to the type's range.
      unsigned width = type.getIntOrFloatBitWidth();
      if (isUnsigned) {
        auto bound = [&](double v) -> Value {
          APInt value = APInt::getZero(width);
          if (v >= std::ldexp(1.0, width))
            value = APInt::getAllOnes(width);
          else if (v > 0)
            value = APInt(width, (uint64_t)v);
          return arith::ConstantOp::create(b, loc,
                                           b.getIntegerAttr(type, value));
        };
        return arith::MinUIOp::create(
            b, loc, arith::MaxUIOp::create(b, loc, x, bound(alpha)),
            bound(beta));
      }
      double lo = std::max<double>(alpha, -std::ldexp(1.0, width - 1));
      double hi = std::min<double>(beta, std::ldexp(1.0, width - 1) - 1);
      return arith::MinSIOp::create(
          b, loc, arith::MaxSIOp::create(b, loc, x, c(lo)), c(hi));
    }
    // max then min, so a NaN input stays NaN.
    Value lo = select(P::OLT, x, c(alpha), c(alpha), x);
    return select(P::OGT, lo, c(beta), c(beta), lo);
  }
  case UnaryKind::shrink:
    return select(P::OLT, x, c(-alpha), fadd(x, c(beta)),
                  select(P::OGT, x, c(alpha), fsub(x, c(beta)), c(0)));
  case UnaryKind::abs:
    if (!isFloat)
      return isUnsigned ? x : (Value)math::AbsIOp::create(b, loc, x);
    return math::AbsFOp::create(b, loc, x);
  case UnaryKind::neg:
    if (!isFloat)
      return arith::SubIOp::create(b, loc, c(0), x);
    return arith::NegFOp::create(b, loc, x);
  case UnaryKind::sign: {
    if (!isFloat) {
      if (isUnsigned)
        return arith::ExtUIOp::create(
            b, loc, type,
            arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, x, c(0)));
      Value pos = arith::ExtUIOp::create(
          b, loc, type,
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt, x, c(0)));
      Value neg = arith::ExtUIOp::create(
          b, loc, type,
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, x, c(0)));
      return arith::SubIOp::create(b, loc, pos, neg);
    }
    return select(P::OGT, x, c(0), c(1), select(P::OLT, x, c(0), c(-1), x));
  }
  case UnaryKind::reciprocal:
    return fdiv(c(1), x);
  case UnaryKind::sqrt:
    return math::SqrtOp::create(b, loc, x);
  case UnaryKind::exp:
    return exp(x);
  case UnaryKind::log:
    return math::LogOp::create(b, loc, x);
  case UnaryKind::erf:
    return math::ErfOp::create(b, loc, x);
  case UnaryKind::floor:
    return math::FloorOp::create(b, loc, x);
  case UnaryKind::ceil:
    return math::CeilOp::create(b, loc, x);
  case UnaryKind::round:
    return math::RoundEvenOp::create(b, loc, x);
  case UnaryKind::sin:
    return math::SinOp::create(b, loc, x);
  case UnaryKind::cos:
    return math::CosOp::create(b, loc, x);
  case UnaryKind::tan:
    return math::TanOp::create(b, loc, x);
  case UnaryKind::asin:
    return math::AsinOp::create(b, loc, x);
  case UnaryKind::acos:
    return math::AcosOp::create(b, loc, x);
  case UnaryKind::atan:
    return math::AtanOp::create(b, loc, x);
  case UnaryKind::sinh:
    return math::SinhOp::create(b, loc, x);
  case UnaryKind::cosh:
    return math::CoshOp::create(b, loc, x);
  case UnaryKind::asinh:
    return math::AsinhOp::create(b, loc, x);
  case UnaryKind::acosh:
    return math::AcoshOp::create(b, loc, x);
  case UnaryKind::atanh:
    return math::AtanhOp::create(b, loc, x);
  case UnaryKind::isnan:
    return arith::CmpFOp::create(b, loc, P::UNO, x, x);
  case UnaryKind::isinf:
    return arith::CmpFOp::create(b, loc, P::OEQ,
                                 math::AbsFOp::create(b, loc, x),
                                 c(std::numeric_limits<double>::infinity()));
  case UnaryKind::logical_not:
    return arith::XOrIOp::create(
        b, loc, x, arith::ConstantOp::create(b, loc, b.getBoolAttr(true)));
  }
  llvm_unreachable("unknown unary kind");
}

Value kiln::lowering::reduceOver(OpBuilder &b, Location loc, Value input,
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

SmallVector<int64_t> kiln::lowering::keptShape(RankedTensorType type,
                                               ArrayRef<int64_t> axes) {
  SmallVector<int64_t> shape(type.getShape());
  for (int64_t a : axes)
    shape[a] = 1;
  return shape;
}

int64_t kiln::lowering::countOver(RankedTensorType type,
                                  ArrayRef<int64_t> axes) {
  int64_t n = 1;
  for (int64_t a : axes)
    n *= type.getDimSize(a);
  return n;
}

Value kiln::lowering::meanKept(OpBuilder &b, Location loc, Value input,
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

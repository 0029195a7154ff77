//===- Elementwise.cpp - Constants and elementwise ops to linalg ----------===//

#include "kiln/Conversion/Utils/LoweringUtils.h"

#include <cmath>

using namespace mlir;
using namespace kiln;
using namespace kiln::lowering;

namespace {

/// kiln.constant -> arith.constant (dense_resource blobs included).
struct ConstantLowering : OpRewritePattern<ConstantOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConstantOp op,
                                PatternRewriter &rewriter) const override {
    auto value = llvm::dyn_cast<TypedAttr>(op.getValue());
    if (!value)
      return rewriter.notifyMatchFailure(op, "value is not a typed attribute");
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, value);
    return success();
  }
};

/// `compute` applied to `args`, in f32 when they are f16 or bf16 floats and
/// rounded once to their type at the end, as ONNX's reference computes
/// functions such as exp and pow on half-precision tensors.
static Value inF32(OpBuilder &b, Location loc, ValueRange args,
                   llvm::function_ref<Value(ValueRange)> compute) {
  Type type = args[0].getType();
  if (!type.isF16() && !type.isBF16())
    return compute(args);
  SmallVector<Value> wide;
  for (Value arg : args)
    wide.push_back(arg.getType() == type ? (Value)arith::ExtFOp::create(
                                               b, loc, b.getF32Type(), arg)
                                         : arg);
  Value result = compute(wide);
  if (!result.getType().isF32())
    return result;
  return arith::TruncFOp::create(b, loc, type, result);
}

/// kiln.unary -> linalg.generic applying the function to each element.
struct UnaryLowering : OpRewritePattern<UnaryOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(UnaryOp op,
                                PatternRewriter &rewriter) const override {
    UnaryKind kind = op.getKind();
    float alpha = op.getAlphaOrDefault(), beta = op.getBetaOrDefault();
    bool isUnsigned = op.getIsUnsigned();
    Value result = elementwise(
        rewriter, op.getLoc(), op.getType(), op.getInput(),
        [&](OpBuilder &b, Location loc, ValueRange args) {
          return inF32(b, loc, args, [&](ValueRange x) {
            return applyUnary(b, loc, kind, x[0], alpha, beta, isUnsigned);
          });
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// The divisor integer division and remainder use: 1 where `y` is 0 or,
/// for signed operands, where x / y overflows (the smallest value divided
/// by -1), which LLVM leaves undefined and x86 traps on. With it, x % 0 is
/// 0 and MIN / -1 is MIN (the wrapped result), as in NumPy.
static Value safeDivisor(OpBuilder &b, Location loc, Value x, Value y,
                         bool isUnsigned = false) {
  Type type = y.getType();
  unsigned bits = type.getIntOrFloatBitWidth();
  auto cmp = [&](Value v, Value c) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, v, c);
  };
  auto constant = [&](const APInt &value) -> Value {
    return arith::ConstantOp::create(b, loc, b.getIntegerAttr(type, value));
  };
  Value zero = cmp(y, constant(APInt(bits, 0)));
  if (isUnsigned)
    return arith::SelectOp::create(b, loc, zero, constant(APInt(bits, 1)), y);
  Value overflow = arith::AndIOp::create(
      b, loc, cmp(x, constant(APInt::getSignedMinValue(bits))),
      cmp(y, constant(APInt::getAllOnes(bits))));
  return arith::SelectOp::create(b, loc,
                                 arith::OrIOp::create(b, loc, zero, overflow),
                                 constant(APInt(bits, 1)), y);
}

/// Float to signed integer with every input defined: NaN gives 0, values
/// beyond the type's range its smallest or largest value (LLVM's fptosi
/// leaves them undefined).
static Value saturatingFPToSI(OpBuilder &b, Location loc, Type to, Value x) {
  Type from = x.getType();
  unsigned bits = to.getIntOrFloatBitWidth();
  // -2^(bits-1) and 2^(bits-1) are exact in every float type (or +-inf
  // where they are too large for it, which compares as wanted).
  double limit = std::ldexp(1.0, bits - 1);
  Value low = arith::ConstantOp::create(b, loc, b.getFloatAttr(from, -limit));
  Value high = arith::ConstantOp::create(b, loc, b.getFloatAttr(from, limit));
  Value tooLow =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x, low);
  Value tooHigh =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGE, x, high);
  // NaN and out-of-range values never reach fptosi.
  Value outside = arith::OrIOp::create(
      b, loc, arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, x, x),
      arith::OrIOp::create(b, loc, tooLow, tooHigh));
  Value zeroF = arith::ConstantOp::create(b, loc, b.getFloatAttr(from, 0.0));
  Value converted = arith::FPToSIOp::create(
      b, loc, to, arith::SelectOp::create(b, loc, outside, zeroF, x));
  auto constant = [&](const APInt &value) -> Value {
    return arith::ConstantOp::create(b, loc, b.getIntegerAttr(to, value));
  };
  converted = arith::SelectOp::create(
      b, loc, tooLow, constant(APInt::getSignedMinValue(bits)), converted);
  return arith::SelectOp::create(
      b, loc, tooHigh, constant(APInt::getSignedMaxValue(bits)), converted);
}

/// Float to unsigned integer with every input defined: NaN and negative
/// values give 0, values beyond the type's range its largest value.
static Value saturatingFPToUI(OpBuilder &b, Location loc, Type to, Value x) {
  Type from = x.getType();
  unsigned bits = to.getIntOrFloatBitWidth();
  Value zeroF = arith::ConstantOp::create(b, loc, b.getFloatAttr(from, 0.0));
  Value high = arith::ConstantOp::create(
      b, loc, b.getFloatAttr(from, std::ldexp(1.0, bits)));
  // Not (x > 0) holds for NaN too.
  Value tooLow =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::ULE, x, zeroF);
  Value tooHigh =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGE, x, high);
  Value converted = arith::FPToUIOp::create(
      b, loc, to,
      arith::SelectOp::create(
          b, loc, arith::OrIOp::create(b, loc, tooLow, tooHigh), zeroF, x));
  return arith::SelectOp::create(
      b, loc, tooHigh,
      arith::ConstantOp::create(b, loc,
                                b.getIntegerAttr(to, APInt::getAllOnes(bits))),
      converted);
}

/// One element of a binary kind.
static Value applyBinary(OpBuilder &b, Location loc, BinaryKind kind, Value x,
                         Value y, bool isUnsigned) {
  Type type = x.getType();
  bool isFloat = llvm::isa<FloatType>(type);
  switch (kind) {
  case BinaryKind::add:
    return add(b, loc, x, y);
  case BinaryKind::sub:
    return isFloat ? (Value)arith::SubFOp::create(b, loc, x, y)
                   : (Value)arith::SubIOp::create(b, loc, x, y);
  case BinaryKind::mul:
    return mul(b, loc, x, y);
  case BinaryKind::div:
    if (isFloat)
      return arith::DivFOp::create(b, loc, x, y);
    // x / 0 is 0.
    return arith::SelectOp::create(
        b, loc,
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, y,
                              scalar(b, loc, type, 0)),
        scalar(b, loc, type, 0),
        isUnsigned ? (Value)arith::DivUIOp::create(
                         b, loc, x, safeDivisor(b, loc, x, y, true))
                   : (Value)arith::DivSIOp::create(b, loc, x,
                                                   safeDivisor(b, loc, x, y)));
  case BinaryKind::pow: {
    if (!isFloat) {
      Value exponent = y;
      if (llvm::isa<FloatType>(y.getType()))
        exponent = saturatingFPToSI(b, loc, type, y);
      else if (y.getType().getIntOrFloatBitWidth() >
               type.getIntOrFloatBitWidth())
        exponent = arith::TruncIOp::create(b, loc, type, y);
      else if (y.getType() != type)
        exponent = isUnsigned ? (Value)arith::ExtUIOp::create(b, loc, type, y)
                              : (Value)arith::ExtSIOp::create(b, loc, type, y);
      return math::IPowIOp::create(b, loc, x, exponent);
    }
    Value exponent = y;
    if (!llvm::isa<FloatType>(y.getType()))
      exponent = isUnsigned ? (Value)arith::UIToFPOp::create(b, loc, type, y)
                            : (Value)arith::SIToFPOp::create(b, loc, type, y);
    else if (y.getType() != type)
      exponent =
          y.getType().getIntOrFloatBitWidth() > type.getIntOrFloatBitWidth()
              ? (Value)arith::TruncFOp::create(b, loc, type, y)
              : (Value)arith::ExtFOp::create(b, loc, type, y);
    return math::PowFOp::create(b, loc, x, exponent);
  }
  case BinaryKind::min:
    return minimum(b, loc, x, y, isUnsigned);
  case BinaryKind::max:
    return maximum(b, loc, x, y, isUnsigned);
  case BinaryKind::fmod:
    if (isUnsigned)
      return arith::RemUIOp::create(b, loc, x, safeDivisor(b, loc, x, y, true));
    return isFloat ? (Value)arith::RemFOp::create(b, loc, x, y)
                   : (Value)arith::RemSIOp::create(b, loc, x,
                                                   safeDivisor(b, loc, x, y));
  case BinaryKind::mod: {
    // Unsigned remainders are never negative: mod is fmod.
    if (isUnsigned)
      return applyBinary(b, loc, BinaryKind::fmod, x, y, true);
    if (isFloat) {
      Value q =
          math::FloorOp::create(b, loc, arith::DivFOp::create(b, loc, x, y));
      return arith::SubFOp::create(b, loc, x,
                                   arith::MulFOp::create(b, loc, q, y));
    }
    // The remainder takes the divisor's sign.
    Value r = arith::RemSIOp::create(b, loc, x, safeDivisor(b, loc, x, y));
    Value zero = scalar(b, loc, type, 0);
    Value rNeg =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, r, zero);
    Value yNeg =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, y, zero);
    Value rNonZero =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, r, zero);
    Value fix = arith::AndIOp::create(
        b, loc, rNonZero, arith::XOrIOp::create(b, loc, rNeg, yNeg));
    return arith::SelectOp::create(b, loc, fix,
                                   arith::AddIOp::create(b, loc, r, y), r);
  }
  case BinaryKind::prelu: {
    Value neg = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x,
                                      scalar(b, loc, type, 0));
    return arith::SelectOp::create(b, loc, neg,
                                   arith::MulFOp::create(b, loc, x, y), x);
  }
  case BinaryKind::logical_and:
    return arith::AndIOp::create(b, loc, x, y);
  case BinaryKind::logical_or:
    return arith::OrIOp::create(b, loc, x, y);
  case BinaryKind::logical_xor:
    return arith::XOrIOp::create(b, loc, x, y);
  }
  llvm_unreachable("unknown binary kind");
}

/// kiln.binary -> broadcasting linalg.generic.
struct BinaryLowering : OpRewritePattern<BinaryOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BinaryOp op,
                                PatternRewriter &rewriter) const override {
    BinaryKind kind = op.getKind();
    bool isUnsigned = op.getIsUnsigned();
    Value result = elementwise(
        rewriter, op.getLoc(), op.getType(), {op.getLhs(), op.getRhs()},
        [&](OpBuilder &b, Location loc, ValueRange args) {
          if (kind != BinaryKind::pow)
            return applyBinary(b, loc, kind, args[0], args[1], isUnsigned);
          return inF32(b, loc, args, [&](ValueRange x) {
            return applyBinary(b, loc, kind, x[0], x[1], isUnsigned);
          });
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// kiln.compare -> broadcasting linalg.generic of arith.cmpf/cmpi.
struct CompareLowering : OpRewritePattern<CompareOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(CompareOp op,
                                PatternRewriter &rewriter) const override {
    ComparePredicate predicate = op.getPredicate();
    bool isUnsigned = op.getIsUnsigned();
    Value result = elementwise(
        rewriter, op.getLoc(), op.getType(), {op.getLhs(), op.getRhs()},
        [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
          if (llvm::isa<FloatType>(args[0].getType())) {
            static const arith::CmpFPredicate preds[] = {
                arith::CmpFPredicate::OEQ, arith::CmpFPredicate::UNE,
                arith::CmpFPredicate::OLT, arith::CmpFPredicate::OLE,
                arith::CmpFPredicate::OGT, arith::CmpFPredicate::OGE};
            return arith::CmpFOp::create(b, loc, preds[(int)predicate], args[0],
                                         args[1]);
          }
          bool isBool = args[0].getType().isInteger(1);
          // Booleans order false before true, as unsigned integers do.
          static const arith::CmpIPredicate signedPreds[] = {
              arith::CmpIPredicate::eq,  arith::CmpIPredicate::ne,
              arith::CmpIPredicate::slt, arith::CmpIPredicate::sle,
              arith::CmpIPredicate::sgt, arith::CmpIPredicate::sge};
          static const arith::CmpIPredicate unsignedPreds[] = {
              arith::CmpIPredicate::eq,  arith::CmpIPredicate::ne,
              arith::CmpIPredicate::ult, arith::CmpIPredicate::ule,
              arith::CmpIPredicate::ugt, arith::CmpIPredicate::uge};
          return arith::CmpIOp::create(b, loc,
                                       (isBool || isUnsigned
                                            ? unsignedPreds
                                            : signedPreds)[(int)predicate],
                                       args[0], args[1]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// kiln.where -> broadcasting linalg.generic of arith.select.
struct WhereLowering : OpRewritePattern<WhereOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(WhereOp op,
                                PatternRewriter &rewriter) const override {
    Value result = elementwise(
        rewriter, op.getLoc(), op.getType(),
        {op.getCondition(), op.getLhs(), op.getRhs()},
        [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
          return arith::SelectOp::create(b, loc, args[0], args[1], args[2]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Converts one element between float and signless integer types; integers
/// are unsigned on the side `fromUnsigned` or `toUnsigned` says.
static Value convertElement(OpBuilder &b, Location loc, Value x, Type to,
                            bool fromUnsigned, bool toUnsigned) {
  Type from = x.getType();
  if (from == to)
    return x;
  bool fromFloat = llvm::isa<FloatType>(from),
       toFloat = llvm::isa<FloatType>(to);
  if (to.isInteger(1)) {
    if (fromFloat)
      return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, x,
                                   scalar(b, loc, from, 0));
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, x,
                                 scalar(b, loc, from, 0));
  }
  unsigned fromBits = from.getIntOrFloatBitWidth(),
           toBits = to.getIntOrFloatBitWidth();
  if (fromFloat && toFloat) {
    if (fromBits == toBits) // f16 <-> bf16
      return arith::TruncFOp::create(
          b, loc, to, arith::ExtFOp::create(b, loc, b.getF32Type(), x));
    return fromBits < toBits ? (Value)arith::ExtFOp::create(b, loc, to, x)
                             : (Value)arith::TruncFOp::create(b, loc, to, x);
  }
  if (fromFloat)
    return toUnsigned ? saturatingFPToUI(b, loc, to, x)
                      : saturatingFPToSI(b, loc, to, x);
  bool zeroExtend = from.isInteger(1) || fromUnsigned;
  if (toFloat)
    return zeroExtend ? (Value)arith::UIToFPOp::create(b, loc, to, x)
                      : (Value)arith::SIToFPOp::create(b, loc, to, x);
  if (fromBits < toBits)
    return zeroExtend ? (Value)arith::ExtUIOp::create(b, loc, to, x)
                      : (Value)arith::ExtSIOp::create(b, loc, to, x);
  return arith::TruncIOp::create(b, loc, to, x);
}

/// kiln.cast -> linalg.generic of arith conversions.
struct CastLowering : OpRewritePattern<CastOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(CastOp op,
                                PatternRewriter &rewriter) const override {
    Type to = op.getType().getElementType();
    bool fromUnsigned = op.getFromUnsigned(), toUnsigned = op.getToUnsigned();
    Value result = elementwise(
        rewriter, op.getLoc(), op.getType(), op.getInput(),
        [&](OpBuilder &b, Location loc, ValueRange args) {
          return convertElement(b, loc, args[0], to, fromUnsigned, toUnsigned);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void kiln::lowering::populateElementwisePatterns(RewritePatternSet &patterns) {
  patterns.add<ConstantLowering, UnaryLowering, BinaryLowering, CompareLowering,
               WhereLowering, CastLowering>(patterns.getContext());
}

//===- Elementwise.cpp - Constants, elementwise ops and casts -------------===//

#include "ConstantFold.h"
#include "OpChecker.h"
#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace kiln;
using namespace kiln::detail;

//===----------------------------------------------------------------------===//
// ConstantOp
//===----------------------------------------------------------------------===//

LogicalResult ConstantOp::inferReturnTypes(MLIRContext *,
                                           std::optional<Location> loc,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &types) {
  OpChecker check(loc, getOperationName());
  auto value = llvm::dyn_cast_if_present<ElementsAttr>(adaptor.getValueAttr());
  if (!value)
    return check.fail("expected a 'value' elements attribute");
  auto type = llvm::dyn_cast<RankedTensorType>(value.getType());
  if (!type || !type.hasStaticShape())
    return check.fail("expected 'value' to have a statically shaped tensor "
                      "type, got ",
                      value.getType());
  types.push_back(type);
  return success();
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValueAttr(); }

//===----------------------------------------------------------------------===//
// UnaryOp
//===----------------------------------------------------------------------===//

UnaryParams kiln::getUnaryParams(UnaryKind kind) {
  const float inf = std::numeric_limits<float>::infinity();
  switch (kind) {
  case UnaryKind::leaky_relu:
    return {true, false, 0.01f, 0.0f};
  case UnaryKind::elu:
  case UnaryKind::celu:
  case UnaryKind::thresholded_relu:
    return {true, false, 1.0f, 0.0f};
  case UnaryKind::selu:
    return {true, true, 1.67326319217681884765625f, 1.05070102214813232421875f};
  case UnaryKind::hard_sigmoid:
    return {true, true, 0.2f, 0.5f};
  case UnaryKind::scaled_tanh:
    return {true, true, 1.0f, 1.0f};
  case UnaryKind::affine:
    return {true, true, 1.0f, 0.0f};
  case UnaryKind::clip:
    return {true, true, -inf, inf};
  case UnaryKind::shrink:
    return {true, true, 0.5f, 0.0f};
  default:
    return {};
  }
}

float UnaryOp::getAlphaOrDefault() {
  if (std::optional<APFloat> alpha = getAlpha())
    return alpha->convertToFloat();
  return getUnaryParams(getKind()).alpha;
}

float UnaryOp::getBetaOrDefault() {
  if (std::optional<APFloat> beta = getBeta())
    return beta->convertToFloat();
  return getUnaryParams(getKind()).beta;
}

/// Kinds defined on integers as well as floats.
static bool acceptsIntegers(UnaryKind kind) {
  switch (kind) {
  case UnaryKind::relu:
  case UnaryKind::abs:
  case UnaryKind::neg:
  case UnaryKind::sign:
  case UnaryKind::clip:
  case UnaryKind::identity:
    return true;
  default:
    return false;
  }
}

LogicalResult UnaryOp::inferReturnTypes(MLIRContext *ctx,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  OpChecker check(loc, getOperationName());
  RankedTensorType input = check.tensor(adaptor.getInput(), "input");
  if (!input)
    return failure();
  UnaryKind kind = adaptor.getKind();
  Type element = input.getElementType();
  bool isBool = element.isInteger(1);
  if (kind == UnaryKind::logical_not) {
    if (!isBool)
      return check.fail("'not' expects an i1 input, got ", element);
  } else if (isBool ||
             (!llvm::isa<FloatType>(element) && !acceptsIntegers(kind))) {
    return check.fail(
        "'", stringifyUnaryKind(kind), "' expects a floating-point",
        acceptsIntegers(kind) ? " or integer" : "", " input, got ", element);
  }
  if (failed(check.activationParams(kind, adaptor.getAlpha().has_value(),
                                    adaptor.getBeta().has_value())))
    return failure();
  if (kind == UnaryKind::isnan || kind == UnaryKind::isinf)
    types.push_back(input.clone(IntegerType::get(ctx, 1)));
  else
    types.push_back(input);
  return success();
}

/// Evaluates the unary kinds that shape computations use.
static std::optional<Scalar> evalUnary(UnaryKind kind, Scalar x) {
  if (!x.isFloat) {
    switch (kind) {
    case UnaryKind::neg:
      return Scalar::ofInt(-x.i);
    case UnaryKind::abs:
      return Scalar::ofInt(x.i < 0 ? -x.i : x.i);
    case UnaryKind::relu:
      return Scalar::ofInt(x.i < 0 ? 0 : x.i);
    case UnaryKind::sign:
      return Scalar::ofInt((x.i > 0) - (x.i < 0));
    case UnaryKind::logical_not:
      return Scalar::ofInt(!x.i);
    default:
      return std::nullopt;
    }
  }
  double f = x.f;
  switch (kind) {
  case UnaryKind::neg:
    return Scalar::ofFloat(-f);
  case UnaryKind::abs:
    return Scalar::ofFloat(std::fabs(f));
  case UnaryKind::relu:
    return Scalar::ofFloat(f < 0 ? 0.0 : f);
  case UnaryKind::sqrt:
    return Scalar::ofFloat(std::sqrt(f));
  case UnaryKind::reciprocal:
    return Scalar::ofFloat(1.0 / f);
  case UnaryKind::floor:
    return Scalar::ofFloat(std::floor(f));
  case UnaryKind::ceil:
    return Scalar::ofFloat(std::ceil(f));
  case UnaryKind::round:
    return Scalar::ofFloat(std::nearbyint(f));
  case UnaryKind::isnan:
    return Scalar::ofInt(std::isnan(f));
  case UnaryKind::isinf:
    return Scalar::ofInt(std::isinf(f));
  default:
    return std::nullopt;
  }
}

OpFoldResult UnaryOp::fold(FoldAdaptor adaptor) {
  if (getKind() == UnaryKind::identity)
    return getInput();
  UnaryKind kind = getKind();
  return foldElementwise(
      adaptor.getOperands(), getType(),
      [&](ArrayRef<Scalar> x) { return evalUnary(kind, x[0]); });
}

//===----------------------------------------------------------------------===//
// BinaryOp, CompareOp, WhereOp
//===----------------------------------------------------------------------===//

/// Broadcasts the shapes of `values`, reporting incompatible ones.
static FailureOr<SmallVector<int64_t>>
broadcastOperands(const OpChecker &check, ArrayRef<RankedTensorType> types) {
  SmallVector<int64_t> shape;
  for (RankedTensorType type : types) {
    auto next = broadcastShapes(shape, type.getShape());
    if (!next) {
      std::string shapes;
      for (RankedTensorType t : types)
        shapes += (shapes.empty() ? "" : ", ") + formatList(t.getShape());
      return check.fail("operand shapes ", shapes,
                        " are not broadcast-compatible");
    }
    shape = std::move(*next);
  }
  return shape;
}

LogicalResult BinaryOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  OpChecker check(loc, getOperationName());
  RankedTensorType lhs = check.tensor(adaptor.getLhs(), "lhs");
  RankedTensorType rhs = lhs ? check.tensor(adaptor.getRhs(), "rhs") : nullptr;
  if (!rhs)
    return failure();
  BinaryKind kind = adaptor.getKind();
  Type element = lhs.getElementType();
  bool logical = kind == BinaryKind::logical_and ||
                 kind == BinaryKind::logical_or ||
                 kind == BinaryKind::logical_xor;
  if (logical) {
    if (!element.isInteger(1) || !rhs.getElementType().isInteger(1))
      return check.fail("'", stringifyBinaryKind(kind),
                        "' expects i1 operands, got ", element, " and ",
                        rhs.getElementType());
  } else {
    if (element.isInteger(1) || rhs.getElementType().isInteger(1))
      return check.fail("'", stringifyBinaryKind(kind),
                        "' expects numeric operands, got ", element, " and ",
                        rhs.getElementType());
    if (kind != BinaryKind::pow &&
        failed(check.sameElementType(rhs, "rhs", element)))
      return failure();
    if (kind == BinaryKind::prelu && !llvm::isa<FloatType>(element))
      return check.fail("'prelu' expects floating-point operands, got ",
                        element);
  }
  auto shape = broadcastOperands(check, {lhs, rhs});
  if (failed(shape))
    return failure();
  types.push_back(RankedTensorType::get(*shape, element));
  return success();
}

/// Whether `value` is a constant splat equal to `expected`.
static bool isSplatOf(Attribute value, double expected) {
  auto splat = llvm::dyn_cast_if_present<SplatElementsAttr>(value);
  if (!splat)
    return false;
  Type element = splat.getElementType();
  if (llvm::isa<FloatType>(element))
    return splat.getSplatValue<APFloat>().convertToDouble() == expected;
  if (element.isInteger(1))
    return false;
  return splat.getSplatValue<APInt>().getSExtValue() == (int64_t)expected;
}

/// Evaluates a binary kind on two elements; nothing when the result is not
/// defined at compile time (integer division by zero, overflow).
static std::optional<Scalar> evalBinary(BinaryKind kind, Scalar a, Scalar b) {
  if (!a.isFloat && !b.isFloat) {
    int64_t x = a.i, y = b.i, r = 0;
    switch (kind) {
    case BinaryKind::add:
      if (__builtin_add_overflow(x, y, &r))
        return std::nullopt;
      return Scalar::ofInt(r);
    case BinaryKind::sub:
      if (__builtin_sub_overflow(x, y, &r))
        return std::nullopt;
      return Scalar::ofInt(r);
    case BinaryKind::mul:
      if (__builtin_mul_overflow(x, y, &r))
        return std::nullopt;
      return Scalar::ofInt(r);
    case BinaryKind::div:
      if (y == 0 || (x == INT64_MIN && y == -1))
        return std::nullopt;
      return Scalar::ofInt(x / y);
    case BinaryKind::mod:
    case BinaryKind::fmod: {
      if (y == 0 || (x == INT64_MIN && y == -1))
        return std::nullopt;
      int64_t m = x % y;
      if (kind == BinaryKind::mod && m != 0 && ((m < 0) != (y < 0)))
        m += y;
      return Scalar::ofInt(m);
    }
    case BinaryKind::min:
      return Scalar::ofInt(std::min(x, y));
    case BinaryKind::max:
      return Scalar::ofInt(std::max(x, y));
    case BinaryKind::logical_and:
      return Scalar::ofInt(x && y);
    case BinaryKind::logical_or:
      return Scalar::ofInt(x || y);
    case BinaryKind::logical_xor:
      return Scalar::ofInt((x != 0) != (y != 0));
    default:
      return std::nullopt;
    }
  }
  double x = a.asDouble(), y = b.asDouble();
  switch (kind) {
  case BinaryKind::add:
    return Scalar::ofFloat(x + y);
  case BinaryKind::sub:
    return Scalar::ofFloat(x - y);
  case BinaryKind::mul:
    return Scalar::ofFloat(x * y);
  case BinaryKind::div:
    return Scalar::ofFloat(x / y);
  case BinaryKind::pow:
    return Scalar::ofFloat(std::pow(x, y));
  case BinaryKind::min:
    return Scalar::ofFloat(std::isnan(x) || std::isnan(y) ? NAN
                                                          : std::min(x, y));
  case BinaryKind::max:
    return Scalar::ofFloat(std::isnan(x) || std::isnan(y) ? NAN
                                                          : std::max(x, y));
  case BinaryKind::fmod:
    return Scalar::ofFloat(std::fmod(x, y));
  case BinaryKind::mod:
    return Scalar::ofFloat(x - std::floor(x / y) * y);
  case BinaryKind::prelu:
    return Scalar::ofFloat(x < 0 ? x * y : x);
  default:
    return std::nullopt;
  }
}

OpFoldResult BinaryOp::fold(FoldAdaptor adaptor) {
  BinaryKind kind = getKind();
  if (Attribute folded = foldElementwise(
          adaptor.getOperands(), getType(),
          [&](ArrayRef<Scalar> x) { return evalBinary(kind, x[0], x[1]); }))
    return folded;
  // x op neutral -> x, when the neutral operand does not change the shape.
  Type resultType = getType();
  auto identityOf = [&](BinaryKind k) -> std::optional<double> {
    switch (k) {
    case BinaryKind::add:
    case BinaryKind::sub:
      return 0.0;
    case BinaryKind::mul:
    case BinaryKind::div:
    case BinaryKind::pow:
      return 1.0;
    default:
      return std::nullopt;
    }
  };
  std::optional<double> neutral = identityOf(kind);
  if (!neutral)
    return {};
  if (getLhs().getType() == resultType && isSplatOf(adaptor.getRhs(), *neutral))
    return getLhs();
  bool commutative = kind == BinaryKind::add || kind == BinaryKind::mul;
  if (commutative && getRhs().getType() == resultType &&
      isSplatOf(adaptor.getLhs(), *neutral))
    return getRhs();
  return {};
}

LogicalResult CompareOp::inferReturnTypes(MLIRContext *ctx,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  OpChecker check(loc, getOperationName());
  RankedTensorType lhs = check.tensor(adaptor.getLhs(), "lhs");
  RankedTensorType rhs = lhs ? check.tensor(adaptor.getRhs(), "rhs") : nullptr;
  if (!rhs || failed(check.sameElementType(rhs, "rhs", lhs.getElementType())))
    return failure();
  auto shape = broadcastOperands(check, {lhs, rhs});
  if (failed(shape))
    return failure();
  types.push_back(RankedTensorType::get(*shape, IntegerType::get(ctx, 1)));
  return success();
}

OpFoldResult CompareOp::fold(FoldAdaptor adaptor) {
  ComparePredicate predicate = getPredicate();
  return foldElementwise(adaptor.getOperands(), getType(),
                         [&](ArrayRef<Scalar> x) -> std::optional<Scalar> {
                           bool isFloat = x[0].isFloat;
                           double a = x[0].asDouble(), b = x[1].asDouble();
                           int64_t i = x[0].i, j = x[1].i;
                           switch (predicate) {
                           case ComparePredicate::eq:
                             return Scalar::ofInt(isFloat ? a == b : i == j);
                           case ComparePredicate::ne:
                             return Scalar::ofInt(isFloat ? a != b : i != j);
                           case ComparePredicate::lt:
                             return Scalar::ofInt(isFloat ? a < b : i < j);
                           case ComparePredicate::le:
                             return Scalar::ofInt(isFloat ? a <= b : i <= j);
                           case ComparePredicate::gt:
                             return Scalar::ofInt(isFloat ? a > b : i > j);
                           case ComparePredicate::ge:
                             return Scalar::ofInt(isFloat ? a >= b : i >= j);
                           }
                           return std::nullopt;
                         });
}

LogicalResult WhereOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  OpChecker check(loc, getOperationName());
  RankedTensorType cond = check.tensor(adaptor.getCondition(), "condition");
  RankedTensorType lhs = cond ? check.tensor(adaptor.getLhs(), "lhs") : nullptr;
  RankedTensorType rhs = lhs ? check.tensor(adaptor.getRhs(), "rhs") : nullptr;
  if (!rhs || failed(check.sameElementType(rhs, "rhs", lhs.getElementType())))
    return failure();
  auto shape = broadcastOperands(check, {cond, lhs, rhs});
  if (failed(shape))
    return failure();
  types.push_back(RankedTensorType::get(*shape, lhs.getElementType()));
  return success();
}

OpFoldResult WhereOp::fold(FoldAdaptor adaptor) {
  if (getLhs() == getRhs() && getLhs().getType() == getType())
    return getLhs();
  return foldElementwise(adaptor.getOperands(), getType(),
                         [](ArrayRef<Scalar> x) -> std::optional<Scalar> {
                           return x[0].i ? x[1] : x[2];
                         });
}

//===----------------------------------------------------------------------===//
// CastOp
//===----------------------------------------------------------------------===//

LogicalResult CastOp::verify() {
  auto input = getInput().getType(), output = getOutput().getType();
  if (input.getShape() != output.getShape())
    return emitOpError("expected the result shape ")
           << formatList(output.getShape()) << " to match the input's, "
           << formatList(input.getShape());
  return success();
}

OpFoldResult CastOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  bool toBool = getType().getElementType().isInteger(1);
  return foldElementwise(adaptor.getOperands(), getType(),
                         [&](ArrayRef<Scalar> x) -> std::optional<Scalar> {
                           if (toBool)
                             return Scalar::ofInt(x[0].asDouble() != 0.0);
                           return x[0];
                         });
}

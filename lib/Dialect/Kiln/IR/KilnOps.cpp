//===- KilnOps.cpp - Constants, elementwise ops and reductions ------------===//
//
// This file also holds the ODS-generated op definitions; the shape rules of
// the other op families live in ConvOps.cpp, TensorOps.cpp and
// RecurrentOps.cpp.
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/Kiln/IR/KilnOps.h"
#include "OpChecker.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"

#include <limits>

using namespace mlir;
using namespace kiln;
using namespace kiln::detail;

#define GET_OP_CLASSES
#include "kiln/Dialect/Kiln/IR/KilnOps.cpp.inc"

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

OpFoldResult UnaryOp::fold(FoldAdaptor) {
  if (getKind() == UnaryKind::identity)
    return getInput();
  return {};
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

OpFoldResult BinaryOp::fold(FoldAdaptor adaptor) {
  // x op neutral -> x, when the neutral operand does not change the shape.
  Type resultType = getType();
  BinaryKind kind = getKind();
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

//===----------------------------------------------------------------------===//
// Softmax and reductions
//===----------------------------------------------------------------------===//

template <typename Adaptor>
static LogicalResult inferSoftmax(StringRef name, std::optional<Location> loc,
                                  Adaptor adaptor,
                                  SmallVectorImpl<Type> &types) {
  OpChecker check(loc, name);
  RankedTensorType input = check.tensor(adaptor.getInput(), "input");
  if (!input || failed(check.axis(adaptor.getAxis(), input.getRank())))
    return failure();
  types.push_back(input);
  return success();
}

LogicalResult SoftmaxOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  return inferSoftmax(getOperationName(), loc, adaptor, types);
}

LogicalResult LogSoftmaxOp::inferReturnTypes(MLIRContext *,
                                             std::optional<Location> loc,
                                             Adaptor adaptor,
                                             SmallVectorImpl<Type> &types) {
  return inferSoftmax(getOperationName(), loc, adaptor, types);
}

/// Shape after reducing `axes` of `shape`.
static SmallVector<int64_t>
reducedShape(ArrayRef<int64_t> shape, ArrayRef<int64_t> axes, bool keepdims) {
  SmallVector<int64_t> result;
  for (auto [i, dim] : llvm::enumerate(shape)) {
    if (!llvm::is_contained(axes, (int64_t)i))
      result.push_back(dim);
    else if (keepdims)
      result.push_back(1);
  }
  return result;
}

LogicalResult ReduceOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  OpChecker check(loc, getOperationName());
  RankedTensorType input = check.tensor(adaptor.getInput(), "input");
  if (!input)
    return failure();
  ArrayRef<int64_t> axes = adaptor.getAxes();
  for (auto [i, axis] : llvm::enumerate(axes)) {
    if (axis < 0 || axis >= input.getRank())
      return check.fail("expected 'axes' in [0, ", input.getRank(), "), got ",
                        formatList(axes));
    if (i > 0 && axes[i - 1] >= axis)
      return check.fail("expected 'axes' to be sorted and unique, got ",
                        formatList(axes));
  }
  ReduceKind kind = adaptor.getKind();
  Type element = input.getElementType();
  bool needsFloat = kind == ReduceKind::mean || kind == ReduceKind::l2 ||
                    kind == ReduceKind::log_sum ||
                    kind == ReduceKind::log_sum_exp;
  if (element.isInteger(1) || (needsFloat && !llvm::isa<FloatType>(element)))
    return check.fail("'", stringifyReduceKind(kind),
                      "' reduction does not accept element type ", element);
  types.push_back(RankedTensorType::get(
      reducedShape(input.getShape(), axes, adaptor.getKeepdims()), element));
  return success();
}

OpFoldResult ReduceOp::fold(FoldAdaptor) {
  if (!getAxes().empty())
    return {};
  switch (getKind()) {
  case ReduceKind::sum:
  case ReduceKind::mean:
  case ReduceKind::max:
  case ReduceKind::min:
  case ReduceKind::prod:
    return getInput();
  default:
    return {};
  }
}

LogicalResult ArgReduceOp::inferReturnTypes(MLIRContext *ctx,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  OpChecker check(loc, getOperationName());
  RankedTensorType input = check.tensor(adaptor.getInput(), "input");
  if (!input)
    return failure();
  ReduceKind kind = adaptor.getKind();
  if (kind != ReduceKind::max && kind != ReduceKind::min)
    return check.fail("expected 'kind' to be max or min, got ",
                      stringifyReduceKind(kind));
  int64_t axis = adaptor.getAxis();
  if (failed(check.axis(axis, input.getRank())))
    return failure();
  if (input.getDimSize(axis) == 0)
    return check.fail("cannot take the arg", stringifyReduceKind(kind),
                      " of an empty dim");
  types.push_back(RankedTensorType::get(
      reducedShape(input.getShape(), {axis}, adaptor.getKeepdims()),
      IntegerType::get(ctx, 64)));
  return success();
}

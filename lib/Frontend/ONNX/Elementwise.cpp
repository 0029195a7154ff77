//===- Elementwise.cpp - ONNX elementwise operators -----------------------===//

#include "NodeContext.h"

#include <limits>

using namespace mlir;
using namespace kiln;
using namespace kiln::onnx_frontend;

/// Builds kiln.unary `kind` on `x` with optional alpha/beta.
static FailureOr<Value> buildUnary(NodeContext &ctx, UnaryKind kind, Value x,
                                   std::optional<float> alpha,
                                   std::optional<float> beta) {
  SmallVector<NamedAttribute> attrs = {
      ctx.named("kind", UnaryKindAttr::get(ctx.context(), kind))};
  if (alpha)
    attrs.push_back(ctx.named("alpha", ctx.f32(*alpha)));
  if (beta)
    attrs.push_back(ctx.named("beta", ctx.f32(*beta)));
  return ctx.create<UnaryOp>(x, attrs);
}

/// Builds kiln.unary `kind` on input 0 with optional alpha/beta.
static LogicalResult importUnary(NodeContext &ctx, UnaryKind kind,
                                 std::optional<float> alpha = std::nullopt,
                                 std::optional<float> beta = std::nullopt) {
  auto x = ctx.required(0, "X");
  if (failed(x))
    return failure();
  return ctx.setResult(buildUnary(ctx, kind, *x, alpha, beta));
}

/// A unary operator with its ONNX attributes mapped to alpha and beta.
template <UnaryKind kind> static LogicalResult simpleUnary(NodeContext &ctx) {
  return importUnary(ctx, kind);
}

template <UnaryKind kind, const char *alphaName, const char *betaName = nullptr>
static LogicalResult paramUnary(NodeContext &ctx) {
  UnaryParams defaults = getUnaryParams(kind);
  auto alpha = ctx.getFloat(alphaName, defaults.alpha);
  if (failed(alpha))
    return failure();
  std::optional<float> beta;
  if constexpr (betaName != nullptr) {
    auto b = ctx.getFloat(betaName, defaults.beta);
    if (failed(b))
      return failure();
    beta = *b;
  }
  return importUnary(ctx, kind, *alpha, beta);
}

static const char kAlpha[] = "alpha";
static const char kBeta[] = "beta";
static const char kGamma[] = "gamma";
static const char kLambd[] = "lambd";
static const char kBias[] = "bias";

static LogicalResult importGelu(NodeContext &ctx) {
  auto approximate = ctx.getString("approximate", "none");
  if (failed(approximate))
    return failure();
  if (*approximate == "none")
    return importUnary(ctx, UnaryKind::gelu);
  if (*approximate == "tanh")
    return importUnary(ctx, UnaryKind::gelu_tanh);
  return ctx.emitError() << "attribute 'approximate' must be \"none\" or "
                            "\"tanh\", got \""
                         << *approximate << "\"";
}

static LogicalResult importIsInf(NodeContext &ctx) {
  auto negative = ctx.getInt("detect_negative", 1);
  auto positive = ctx.getInt("detect_positive", 1);
  auto x = ctx.required(0, "X");
  if (failed(negative) || failed(positive) || failed(x))
    return failure();
  auto isInf = ctx.unary(UnaryKind::isinf, *x);
  if (failed(isInf))
    return failure();
  Value result = *isInf;
  if (!*negative || !*positive) {
    Type element = NodeContext::typeOf(*x).getElementType();
    ComparePredicate sign =
        *positive ? ComparePredicate::gt : ComparePredicate::lt;
    auto signOk = ctx.create<CompareOp>(
        {*x, ctx.scalar(0.0, element)},
        {ctx.named("predicate",
                   ComparePredicateAttr::get(ctx.context(), sign))});
    if (failed(signOk))
      return failure();
    auto both = ctx.binary(BinaryKind::logical_and, result, *signOk);
    if (failed(both))
      return failure();
    result = *both;
    if (!*negative && !*positive) {
      auto none = ctx.binary(BinaryKind::logical_and, result,
                             ctx.scalar(0, ctx.builder().getI1Type()));
      if (failed(none))
        return failure();
      result = *none;
    }
  }
  ctx.setOutput(0, result);
  return success();
}

static LogicalResult importClip(NodeContext &ctx) {
  // Before opset 11 the bounds are attributes; later they are optional
  // scalar inputs. A constant bound goes into kiln.unary clip; one computed
  // at run time (a graph input, say) becomes a max or a min with the input,
  // in ONNX's order: min(max(x, min), max).
  const float inf = std::numeric_limits<float>::infinity();
  std::optional<float> lo, hi;
  Value loValue, hiValue;
  if (ctx.opset < 11) {
    auto min = ctx.getFloat("min", -inf), max = ctx.getFloat("max", inf);
    if (failed(min) || failed(max))
      return failure();
    lo = *min;
    hi = *max;
  } else {
    for (unsigned i : {1u, 2u}) {
      if (!ctx.hasInput(i))
        continue;
      auto bound = ctx.scalarInput(i, i == 1 ? "min" : "max");
      if (failed(bound))
        return failure();
      if (bound->constant)
        (i == 1 ? lo : hi) = (float)*bound->constant;
      else
        (i == 1 ? loValue : hiValue) = bound->runtime;
    }
  }
  if (!loValue && !hiValue)
    return importUnary(ctx, UnaryKind::clip, lo, hi);
  auto x = ctx.required(0, "input");
  if (failed(x))
    return failure();
  FailureOr<Value> result = *x;
  if (loValue)
    result = ctx.binary(BinaryKind::max, *result, loValue);
  if (succeeded(result) && (lo || hi))
    result = buildUnary(ctx, UnaryKind::clip, *result, lo, hi);
  if (succeeded(result) && hiValue)
    result = ctx.binary(BinaryKind::min, *result, hiValue);
  return ctx.setResult(result);
}

static LogicalResult importIdentity(NodeContext &ctx) {
  return ctx.setResult(ctx.required(0, "input"));
}

static LogicalResult importDropout(NodeContext &ctx) {
  // Inference: the identity. The mask output and training mode are not.
  if (ctx.outputUsed(1))
    return ctx.unsupported("the 'mask' output of Dropout");
  if (ctx.hasInput(2)) {
    auto training = ctx.requireInts(2, "training_mode");
    if (failed(training))
      return failure();
    if (!training->empty() && (*training)[0] != 0)
      return ctx.unsupported("Dropout in training mode");
  }
  auto isTest = ctx.getInt("is_test", 1);
  if (failed(isTest))
    return failure();
  if (ctx.opset < 7 && !*isTest)
    return ctx.unsupported("Dropout in training mode");
  return importIdentity(ctx);
}

//===----------------------------------------------------------------------===//
// Binary and variadic operators
//===----------------------------------------------------------------------===//

/// Rejects the pre-opset-7 broadcasting that aligns the right operand at an
/// axis instead of at the end.
static LogicalResult checkLegacyBroadcast(NodeContext &ctx) {
  if (ctx.opset >= 7 || !ctx.hasAttr("axis"))
    return success();
  return ctx.unsupported("legacy broadcasting with 'axis' (opset < 7)");
}

template <BinaryKind kind> static LogicalResult simpleBinary(NodeContext &ctx) {
  auto a = ctx.required(0, "A");
  auto b = ctx.required(1, "B");
  if (failed(a) || failed(b) || failed(checkLegacyBroadcast(ctx)))
    return failure();
  return ctx.setResult(ctx.binary(kind, *a, *b));
}

static LogicalResult importPRelu(NodeContext &ctx) {
  auto x = ctx.required(0, "X");
  auto slope = ctx.required(1, "slope");
  if (failed(x) || failed(slope))
    return failure();
  // Before opset 7 a 1-d slope holds one value per channel (dim 1).
  Value s = *slope;
  auto xType = NodeContext::typeOf(*x), sType = NodeContext::typeOf(s);
  if (ctx.opset < 7 && sType.getRank() == 1 && xType.getRank() > 2 &&
      sType.getDimSize(0) == xType.getDimSize(1) &&
      xType.getDimSize(1) != xType.getShape().back()) {
    SmallVector<int64_t> shape(xType.getRank() - 1, 1);
    shape[0] = sType.getDimSize(0);
    auto reshaped = ctx.reshape(s, shape);
    if (failed(reshaped))
      return failure();
    s = *reshaped;
  }
  return ctx.setResult(ctx.binary(BinaryKind::prelu, *x, s));
}

static LogicalResult importMod(NodeContext &ctx) {
  auto fmod = ctx.getInt("fmod", 0);
  if (failed(fmod))
    return failure();
  auto a = ctx.required(0, "A");
  if (failed(a))
    return failure();
  if (!*fmod && llvm::isa<FloatType>(NodeContext::typeOf(*a).getElementType()))
    return ctx.emitError() << "Mod of floating-point values needs fmod = 1";
  return *fmod ? simpleBinary<BinaryKind::fmod>(ctx)
               : simpleBinary<BinaryKind::mod>(ctx);
}

template <ComparePredicate predicate>
static LogicalResult simpleCompare(NodeContext &ctx) {
  auto a = ctx.required(0, "A");
  auto b = ctx.required(1, "B");
  if (failed(a) || failed(b))
    return failure();
  return ctx.setResult(ctx.create<CompareOp>(
      {*a, *b}, {ctx.named("predicate", ComparePredicateAttr::get(
                                            ctx.context(), predicate))}));
}

static LogicalResult importWhere(NodeContext &ctx) {
  auto c = ctx.required(0, "condition");
  auto x = ctx.required(1, "X");
  auto y = ctx.required(2, "Y");
  if (failed(c) || failed(x) || failed(y))
    return failure();
  return ctx.setResult(ctx.create<WhereOp>({*c, *x, *y}));
}

/// Sum, Mean, Max, Min: a chain of binary ops over every input.
template <BinaryKind kind, bool mean = false>
static LogicalResult importVariadic(NodeContext &ctx) {
  if (ctx.numInputs() == 0)
    return ctx.emitError() << "expected at least one input";
  auto acc = ctx.required(0, "data_0");
  if (failed(acc))
    return failure();
  Value result = *acc;
  for (unsigned i = 1; i < ctx.numInputs(); ++i) {
    auto next = ctx.required(i, "data_" + std::to_string(i));
    if (failed(next))
      return failure();
    auto combined = ctx.binary(kind, result, *next);
    if (failed(combined))
      return failure();
    result = *combined;
  }
  if (mean && ctx.numInputs() > 1) {
    Type element = NodeContext::typeOf(result).getElementType();
    auto divided = ctx.binary(BinaryKind::div, result,
                              ctx.scalar(ctx.numInputs(), element));
    if (failed(divided))
      return failure();
    result = *divided;
  }
  ctx.setOutput(0, result);
  return success();
}

static LogicalResult importCast(NodeContext &ctx) {
  auto x = ctx.required(0, "input");
  auto to = ctx.getInt("to", 0);
  if (failed(x) || failed(to))
    return failure();
  Type element = convertDataType(ctx.context(), *to);
  if (!element)
    return ctx.unsupported("Cast to " + dataTypeName(*to));
  return ctx.setResult(ctx.cast(*x, element));
}

static LogicalResult importCastLike(NodeContext &ctx) {
  auto x = ctx.required(0, "input");
  auto like = ctx.required(1, "target_type");
  if (failed(x) || failed(like))
    return failure();
  return ctx.setResult(
      ctx.cast(*x, NodeContext::typeOf(*like).getElementType()));
}

void kiln::onnx_frontend::registerElementwiseOps(HandlerTable &table) {
  using K = UnaryKind;
  table["Relu"] = simpleUnary<K::relu>;
  table["Sigmoid"] = simpleUnary<K::sigmoid>;
  table["HardSwish"] = simpleUnary<K::hard_swish>;
  table["Mish"] = simpleUnary<K::mish>;
  table["Tanh"] = simpleUnary<K::tanh>;
  table["Softplus"] = simpleUnary<K::softplus>;
  table["Softsign"] = simpleUnary<K::softsign>;
  table["Abs"] = simpleUnary<K::abs>;
  table["Neg"] = simpleUnary<K::neg>;
  table["Sign"] = simpleUnary<K::sign>;
  table["Reciprocal"] = simpleUnary<K::reciprocal>;
  table["Sqrt"] = simpleUnary<K::sqrt>;
  table["Exp"] = simpleUnary<K::exp>;
  table["Log"] = simpleUnary<K::log>;
  table["Erf"] = simpleUnary<K::erf>;
  table["Floor"] = simpleUnary<K::floor>;
  table["Ceil"] = simpleUnary<K::ceil>;
  table["Round"] = simpleUnary<K::round>;
  table["Sin"] = simpleUnary<K::sin>;
  table["Cos"] = simpleUnary<K::cos>;
  table["Tan"] = simpleUnary<K::tan>;
  table["Asin"] = simpleUnary<K::asin>;
  table["Acos"] = simpleUnary<K::acos>;
  table["Atan"] = simpleUnary<K::atan>;
  table["Sinh"] = simpleUnary<K::sinh>;
  table["Cosh"] = simpleUnary<K::cosh>;
  table["Asinh"] = simpleUnary<K::asinh>;
  table["Acosh"] = simpleUnary<K::acosh>;
  table["Atanh"] = simpleUnary<K::atanh>;
  table["IsNaN"] = simpleUnary<K::isnan>;
  table["Not"] = simpleUnary<K::logical_not>;
  table["LeakyRelu"] = paramUnary<K::leaky_relu, kAlpha>;
  table["Elu"] = paramUnary<K::elu, kAlpha>;
  table["Selu"] = paramUnary<K::selu, kAlpha, kGamma>;
  table["Celu"] = paramUnary<K::celu, kAlpha>;
  table["HardSigmoid"] = paramUnary<K::hard_sigmoid, kAlpha, kBeta>;
  table["ThresholdedRelu"] = paramUnary<K::thresholded_relu, kAlpha>;
  table["Shrink"] = paramUnary<K::shrink, kLambd, kBias>;
  table["Gelu"] = importGelu;
  table["IsInf"] = importIsInf;
  table["Clip"] = importClip;
  table["Identity"] = importIdentity;
  table["Dropout"] = importDropout;

  using B = BinaryKind;
  table["Add"] = simpleBinary<B::add>;
  table["Sub"] = simpleBinary<B::sub>;
  table["Mul"] = simpleBinary<B::mul>;
  table["Div"] = simpleBinary<B::div>;
  table["Pow"] = simpleBinary<B::pow>;
  table["PRelu"] = importPRelu;
  table["And"] = simpleBinary<B::logical_and>;
  table["Or"] = simpleBinary<B::logical_or>;
  table["Xor"] = simpleBinary<B::logical_xor>;
  table["Mod"] = importMod;
  table["Sum"] = importVariadic<B::add>;
  table["Mean"] = importVariadic<B::add, true>;
  table["Max"] = importVariadic<B::max>;
  table["Min"] = importVariadic<B::min>;

  using P = ComparePredicate;
  table["Equal"] = simpleCompare<P::eq>;
  table["Less"] = simpleCompare<P::lt>;
  table["LessOrEqual"] = simpleCompare<P::le>;
  table["Greater"] = simpleCompare<P::gt>;
  table["GreaterOrEqual"] = simpleCompare<P::ge>;
  table["Where"] = importWhere;
  table["Cast"] = importCast;
  table["CastLike"] = importCastLike;
}

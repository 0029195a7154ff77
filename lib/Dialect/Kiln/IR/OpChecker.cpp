//===- OpChecker.cpp - Shared validation for kiln ops ---------------------===//

#include "OpChecker.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::detail;

std::string kiln::detail::formatList(ArrayRef<int64_t> values) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << '[';
  llvm::interleaveComma(values, os);
  os << ']';
  return text;
}

std::optional<SmallVector<int64_t>>
kiln::detail::broadcastShapes(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  SmallVector<int64_t> result(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < a.size() ? a[a.size() - 1 - i] : 1;
    int64_t db = i < b.size() ? b[b.size() - 1 - i] : 1;
    if (da != db && da != 1 && db != 1)
      return std::nullopt;
    result[rank - 1 - i] = da == 1 ? db : da;
  }
  return result;
}

bool kiln::detail::broadcastsTo(ArrayRef<int64_t> from, ArrayRef<int64_t> to) {
  if (from.size() > to.size())
    return false;
  for (size_t i = 0; i < from.size(); ++i) {
    int64_t f = from[from.size() - 1 - i], t = to[to.size() - 1 - i];
    if (f != t && f != 1)
      return false;
  }
  return true;
}

int64_t kiln::detail::numElements(ArrayRef<int64_t> shape) {
  int64_t count = 1;
  for (int64_t dim : shape)
    count *= dim;
  return count;
}

RankedTensorType OpChecker::tensor(Value value, StringRef name) const {
  auto type = llvm::dyn_cast_if_present<RankedTensorType>(
      value ? value.getType() : Type());
  if (!type || !type.hasStaticShape()) {
    (void)fail("expected '", name, "' to be a statically shaped tensor, got ",
               value ? value.getType() : Type());
    return {};
  }
  return type;
}

LogicalResult OpChecker::sameElementType(RankedTensorType type, StringRef name,
                                         Type expected) const {
  if (type.getElementType() == expected)
    return success();
  return fail("expected '", name, "' to have element type ", expected, ", got ",
              type.getElementType());
}

LogicalResult OpChecker::shape(RankedTensorType type, StringRef name,
                               ArrayRef<int64_t> expected) const {
  if (type.getShape() == expected)
    return success();
  return fail("expected '", name, "' of shape ", formatList(expected), ", got ",
              formatList(type.getShape()));
}

LogicalResult OpChecker::axis(int64_t axis, int64_t rank,
                              StringRef name) const {
  if (axis >= 0 && axis < rank)
    return success();
  return fail("expected '", name, "' in [0, ", rank, "), got ", axis);
}

FailureOr<SmallVector<int64_t>>
OpChecker::positiveArray(ArrayRef<int64_t> values, int64_t count,
                         StringRef name, int64_t fallback) const {
  if (values.empty())
    return SmallVector<int64_t>(count, fallback);
  if ((int64_t)values.size() != count)
    return fail("expected '", name, "' to have ", count,
                " values (one per spatial dim), got ", values.size());
  if (llvm::any_of(values, [](int64_t v) { return v <= 0; }))
    return fail("expected '", name, "' values to be positive, got ",
                formatList(values));
  return SmallVector<int64_t>(values);
}

FailureOr<SmallVector<int64_t>> OpChecker::padsArray(ArrayRef<int64_t> values,
                                                     int64_t count,
                                                     StringRef name) const {
  if (values.empty())
    return SmallVector<int64_t>(2 * count, 0);
  if ((int64_t)values.size() != 2 * count)
    return fail("expected '", name, "' to have ", 2 * count,
                " values (begin then end of each spatial dim), got ",
                values.size());
  if (llvm::any_of(values, [](int64_t v) { return v < 0; }))
    return fail("expected '", name, "' values to be non-negative, got ",
                formatList(values));
  return SmallVector<int64_t>(values);
}

LogicalResult OpChecker::activationParams(UnaryKind kind, bool hasAlpha,
                                          bool hasBeta,
                                          StringRef prefix) const {
  UnaryParams params = getUnaryParams(kind);
  if (hasAlpha && !params.hasAlpha)
    return fail("'", prefix, "alpha' is not a parameter of '",
                stringifyUnaryKind(kind), "'");
  if (hasBeta && !params.hasBeta)
    return fail("'", prefix, "beta' is not a parameter of '",
                stringifyUnaryKind(kind), "'");
  return success();
}

FailureOr<SmallVector<int64_t>>
kiln::detail::windowOutputShape(const OpChecker &check,
                                ArrayRef<int64_t> inputShape, int64_t channels,
                                ArrayRef<Window> windows, bool ceilMode) {
  SmallVector<int64_t> result(inputShape);
  result[1] = channels;
  for (auto [i, w] : llvm::enumerate(windows)) {
    int64_t in = inputShape[i + 2];
    int64_t extent = (w.kernel - 1) * w.dilation + 1;
    int64_t padded = in + w.padBegin + w.padEnd;
    if (padded < extent)
      return check.fail("window extent ", extent, " exceeds the padded input (",
                        padded, ") along spatial dim ", i);
    int64_t span = padded - extent;
    int64_t out =
        (ceilMode ? (span + w.stride - 1) / w.stride : span / w.stride) + 1;
    // A last window that would start inside the end padding is dropped.
    if (ceilMode && (out - 1) * w.stride >= in + w.padBegin)
      --out;
    result[i + 2] = out;
  }
  return result;
}

FailureOr<ConvOperands> kiln::detail::checkConvOperands(
    const OpChecker &check, Value inputValue, Value weightValue, int64_t group,
    ArrayRef<int64_t> strides, ArrayRef<int64_t> dilations,
    ArrayRef<int64_t> pads) {
  ConvOperands result;
  result.input = check.tensor(inputValue, "input");
  result.weight = result.input ? check.tensor(weightValue, "weight") : nullptr;
  if (!result.weight)
    return failure();
  int64_t rank = result.input.getRank();
  if (rank < 3 || rank > 5)
    return check.fail("expected 'input' of rank 3 to 5 (N x C x 1-3 spatial "
                      "dims), got rank ",
                      rank);
  if (result.weight.getRank() != rank)
    return check.fail("expected 'weight' of rank ", rank,
                      " like the input, got rank ", result.weight.getRank());
  if (failed(check.sameElementType(result.weight, "weight",
                                   result.input.getElementType())))
    return failure();
  if (group < 1)
    return check.fail("expected 'group' to be positive, got ", group);
  int64_t channels = result.input.getDimSize(1);
  if (channels % group != 0)
    return check.fail("expected the input channels (", channels,
                      ") to be divisible by 'group' (", group, ")");
  int64_t spatial = rank - 2;
  auto checkedStrides = check.positiveArray(strides, spatial, "strides");
  if (failed(checkedStrides))
    return failure();
  auto checkedDilations = check.positiveArray(dilations, spatial, "dilations");
  if (failed(checkedDilations))
    return failure();
  auto checkedPads = check.padsArray(pads, spatial);
  if (failed(checkedPads))
    return failure();
  result.strides = std::move(*checkedStrides);
  result.dilations = std::move(*checkedDilations);
  result.pads = std::move(*checkedPads);
  return result;
}

LogicalResult kiln::detail::checkBias(const OpChecker &check, Value biasValue,
                                      Type element, int64_t channels) {
  if (!biasValue)
    return success();
  RankedTensorType bias = check.tensor(biasValue, "bias");
  if (!bias || failed(check.sameElementType(bias, "bias", element)))
    return failure();
  return check.shape(bias, "bias", {channels});
}

FailureOr<SmallVector<int64_t>>
kiln::detail::inferConvShape(const OpChecker &check, Value inputValue,
                             Value weightValue, Value biasValue,
                             ArrayRef<int64_t> stridesAttr,
                             ArrayRef<int64_t> dilationsAttr,
                             ArrayRef<int64_t> padsAttr, int64_t group) {
  auto conv = checkConvOperands(check, inputValue, weightValue, group,
                                stridesAttr, dilationsAttr, padsAttr);
  if (failed(conv))
    return failure();
  RankedTensorType input = conv->input, weight = conv->weight;
  int64_t channels = input.getDimSize(1);
  int64_t outChannels = weight.getDimSize(0);
  if (outChannels % group != 0)
    return check.fail("expected the output channels (", outChannels,
                      ") to be divisible by 'group' (", group, ")");
  if (weight.getDimSize(1) != channels / group)
    return check.fail("expected weight dim 1 to be input channels / group = ",
                      channels / group, ", got ", weight.getDimSize(1));
  if (failed(checkBias(check, biasValue, input.getElementType(), outChannels)))
    return failure();
  int64_t spatial = input.getRank() - 2;
  SmallVector<Window> windows;
  for (int64_t i = 0; i < spatial; ++i)
    windows.push_back({weight.getDimSize(i + 2), conv->strides[i],
                       conv->dilations[i], conv->pads[i],
                       conv->pads[i + spatial]});
  return windowOutputShape(check, input.getShape(), outChannels, windows,
                           /*ceilMode=*/false);
}

FailureOr<SmallVector<int64_t>> kiln::detail::inferPoolShape(
    const OpChecker &check, ArrayRef<int64_t> inputShape, PoolKind kind,
    ArrayRef<int64_t> kernelAttr, ArrayRef<int64_t> stridesAttr,
    ArrayRef<int64_t> dilationsAttr, ArrayRef<int64_t> padsAttr, bool ceilMode,
    bool countIncludePad, StringRef prefix) {
  int64_t rank = inputShape.size();
  if (rank < 3 || rank > 5)
    return check.fail("expected a pooling input of rank 3 to 5 (N x C x 1-3 "
                      "spatial dims), got rank ",
                      rank);
  int64_t spatial = rank - 2;
  std::string kernelName = (prefix + "kernel_shape").str();
  if (kernelAttr.empty())
    return check.fail("expected '", kernelName, "' to be given");
  auto kernel = check.positiveArray(kernelAttr, spatial, kernelName);
  if (failed(kernel))
    return failure();
  auto strides =
      check.positiveArray(stridesAttr, spatial, (prefix + "strides").str());
  if (failed(strides))
    return failure();
  auto dilations =
      check.positiveArray(dilationsAttr, spatial, (prefix + "dilations").str());
  if (failed(dilations))
    return failure();
  auto pads = check.padsArray(padsAttr, spatial, (prefix + "pads").str());
  if (failed(pads))
    return failure();
  if (countIncludePad && kind != PoolKind::avg)
    return check.fail("'", prefix,
                      "count_include_pad' applies only to average pooling");
  SmallVector<Window> windows;
  for (int64_t i = 0; i < spatial; ++i) {
    // A window that lies entirely in the padding has no input to pool.
    if ((*pads)[i] >= (*kernel)[i] || (*pads)[i + spatial] >= (*kernel)[i])
      return check.fail("expected '", prefix,
                        "pads' to be smaller than the kernel, got ",
                        formatList(*pads), " for kernel ", formatList(*kernel));
    windows.push_back({(*kernel)[i], (*strides)[i], (*dilations)[i], (*pads)[i],
                       (*pads)[i + spatial]});
  }
  return windowOutputShape(check, inputShape, inputShape[1], windows, ceilMode);
}

/// Checks a fused op's activation and the alpha/beta given with it.
LogicalResult kiln::detail::checkActivation(const OpChecker &check,
                                            std::optional<UnaryKind> activation,
                                            bool hasAlpha, bool hasBeta) {
  if (!activation) {
    if (hasAlpha || hasBeta)
      return check.fail("'activation_alpha' and 'activation_beta' need an "
                        "'activation'");
    return success();
  }
  if (*activation == UnaryKind::logical_not ||
      *activation == UnaryKind::isnan || *activation == UnaryKind::isinf)
    return check.fail("'", stringifyUnaryKind(*activation),
                      "' is not an activation");
  return check.activationParams(*activation, hasAlpha, hasBeta, "activation_");
}

/// `x + y` as a kiln.binary add.
FailureOr<Value> kiln::detail::add(OpBuilder &b, Location loc, Value x,
                                   Value y) {
  FailureOr<BinaryOp> sum = createChecked<BinaryOp>(
      b, loc, {x, y},
      {b.getNamedAttr("kind",
                      BinaryKindAttr::get(b.getContext(), BinaryKind::add))});
  if (failed(sum))
    return failure();
  return sum->getResult();
}

/// `activation` (with its alpha and beta, when given) as a kiln.unary on
/// `value`.
FailureOr<Value> kiln::detail::activate(OpBuilder &b, Location loc, Value value,
                                        UnaryKind activation, FloatAttr alpha,
                                        FloatAttr beta) {
  SmallVector<NamedAttribute> attrs = {
      b.getNamedAttr("kind", UnaryKindAttr::get(b.getContext(), activation))};
  if (alpha)
    attrs.push_back(b.getNamedAttr("alpha", alpha));
  if (beta)
    attrs.push_back(b.getNamedAttr("beta", beta));
  FailureOr<UnaryOp> unary = createChecked<UnaryOp>(b, loc, {value}, attrs);
  if (failed(unary))
    return failure();
  return unary->getResult();
}

//===- Neural.cpp - ONNX convolution, pooling, normalization, products ----===//

#include "NodeContext.h"

#include <cmath>

using namespace mlir;
using namespace kiln;
using namespace kiln::onnx_frontend;

/// The attribute for a per-dim list; empty when every value is the default,
/// which the kiln ops read as that default.
static DenseI64ArrayAttr
elideDefault(NodeContext &ctx, ArrayRef<int64_t> values, int64_t fallback) {
  if (llvm::all_of(values, [&](int64_t v) { return v == fallback; }))
    return ctx.i64s({});
  return ctx.i64s(values);
}

/// Convolutions, pooling and normalizations compute in floating point.
static LogicalResult checkFloat(NodeContext &ctx, RankedTensorType type) {
  if (llvm::isa<FloatType>(type.getElementType()))
    return success();
  std::string name;
  llvm::raw_string_ostream os(name);
  os << type.getElementType();
  return ctx.unsupported(ctx.node.op_type() + " on " + name +
                         " (Kiln computes it in floating point only)");
}

//===----------------------------------------------------------------------===//
// Windows: auto_pad, strides, dilations
//===----------------------------------------------------------------------===//

namespace {
/// The spatial attributes of a convolution or pooling node, resolved.
struct WindowAttrs {
  SmallVector<int64_t> kernel, strides, dilations, pads;
};
} // namespace

/// Reads strides/dilations/pads/auto_pad for `kernel` over the spatial dims
/// of `inputShape`, turning auto_pad into explicit pads.
static FailureOr<WindowAttrs> readWindow(NodeContext &ctx,
                                         ArrayRef<int64_t> inputShape,
                                         ArrayRef<int64_t> kernel) {
  int64_t spatial = kernel.size();
  WindowAttrs w;
  w.kernel.assign(kernel.begin(), kernel.end());
  auto strides = ctx.getInts("strides");
  auto dilations = ctx.getInts("dilations");
  auto pads = ctx.getInts("pads");
  auto autoPad = ctx.getString("auto_pad", "NOTSET");
  if (failed(strides) || failed(dilations) || failed(pads) || failed(autoPad))
    return failure();
  auto spatialList = [&](SmallVector<int64_t> &values, StringRef name,
                         int64_t count) -> LogicalResult {
    if (values.empty())
      values.assign(count, name == "pads" ? 0 : 1);
    if ((int64_t)values.size() != count)
      return ctx.emitError() << "attribute '" << name << "' has "
                             << values.size() << " values, expected " << count
                             << " for " << spatial << " spatial dims";
    return success();
  };
  w.strides = *strides;
  w.dilations = *dilations;
  if (failed(spatialList(w.strides, "strides", spatial)) ||
      failed(spatialList(w.dilations, "dilations", spatial)))
    return failure();
  for (int64_t s : w.strides)
    if (s <= 0)
      return ctx.emitError() << "attribute 'strides' must be positive";
  for (int64_t d : w.dilations)
    if (d <= 0)
      return ctx.emitError() << "attribute 'dilations' must be positive";
  if (failed(ctx.checkRange("attribute 'strides'", w.strides, 1, kMaxWindow)) ||
      failed(
          ctx.checkRange("attribute 'dilations'", w.dilations, 1, kMaxWindow)))
    return failure();
  if (*autoPad == "NOTSET") {
    w.pads = *pads;
    if (failed(spatialList(w.pads, "pads", 2 * spatial)))
      return failure();
    for (int64_t p : w.pads)
      if (p < 0)
        return ctx.emitError() << "attribute 'pads' must be non-negative";
    if (failed(ctx.checkRange("attribute 'pads'", w.pads, 0, kMaxWindow)))
      return failure();
    return w;
  }
  if (*autoPad == "VALID") {
    w.pads.assign(2 * spatial, 0);
    return w;
  }
  if (*autoPad != "SAME_UPPER" && *autoPad != "SAME_LOWER")
    return ctx.emitError() << "attribute 'auto_pad' must be NOTSET, VALID, "
                              "SAME_UPPER or SAME_LOWER, got '"
                           << *autoPad << "'";
  w.pads.assign(2 * spatial, 0);
  for (int64_t i = 0; i < spatial; ++i) {
    int64_t in = inputShape[i + 2];
    int64_t out = (in + w.strides[i] - 1) / w.strides[i];
    int64_t extent = (w.kernel[i] - 1) * w.dilations[i] + 1;
    int64_t total =
        std::max<int64_t>(0, (out - 1) * w.strides[i] + extent - in);
    int64_t small = total / 2, large = total - small;
    bool upper = *autoPad == "SAME_UPPER";
    w.pads[i] = upper ? small : large;
    w.pads[i + spatial] = upper ? large : small;
  }
  return w;
}

static FailureOr<SmallVector<int64_t>> kernelOf(NodeContext &ctx,
                                                RankedTensorType weight) {
  auto kernel = ctx.getInts("kernel_shape");
  if (failed(kernel))
    return failure();
  ArrayRef<int64_t> fromWeight = weight.getShape().drop_front(2);
  if (!kernel->empty() && ArrayRef<int64_t>(*kernel) != fromWeight)
    return ctx.emitError() << "attribute 'kernel_shape' does not match the "
                              "weight's spatial dims";
  return SmallVector<int64_t>(fromWeight);
}

static LogicalResult checkSpatialInput(NodeContext &ctx, RankedTensorType x) {
  if (x.getRank() < 3 || x.getRank() > 5)
    return ctx.unsupported("input of rank " + Twine(x.getRank()) +
                           " (Kiln handles 1 to 3 spatial dims)");
  return checkFloat(ctx, x);
}

/// The input and weight of Conv and ConvTranspose, checked alike.
static LogicalResult convOperands(NodeContext &ctx, Value &x, Value &w) {
  auto input = ctx.required(0, "X");
  auto weight = ctx.required(1, "W");
  if (failed(input) || failed(weight))
    return failure();
  auto xType = NodeContext::typeOf(*input),
       wType = NodeContext::typeOf(*weight);
  if (failed(checkSpatialInput(ctx, xType)))
    return failure();
  if (wType.getRank() != xType.getRank())
    return ctx.emitError() << "weight of rank " << wType.getRank()
                           << " does not match the input's rank "
                           << xType.getRank();
  x = *input;
  w = *weight;
  return success();
}

static LogicalResult importConv(NodeContext &ctx) {
  Value x, w;
  if (failed(convOperands(ctx, x, w)))
    return failure();
  auto xType = NodeContext::typeOf(x), wType = NodeContext::typeOf(w);
  auto kernel = kernelOf(ctx, wType);
  auto group = ctx.getInt("group", 1);
  if (failed(kernel) || failed(group))
    return failure();
  auto window = readWindow(ctx, xType.getShape(), *kernel);
  if (failed(window))
    return failure();
  SmallVector<Value> operands = {x, w};
  if (Value b = ctx.input(2))
    operands.push_back(b);
  return ctx.setResult(ctx.create<ConvOp>(
      operands,
      {ctx.named("strides", elideDefault(ctx, window->strides, 1)),
       ctx.named("dilations", elideDefault(ctx, window->dilations, 1)),
       ctx.named("pads", elideDefault(ctx, window->pads, 0)),
       ctx.named("group", ctx.i64(*group))}));
}

static LogicalResult importConvTranspose(NodeContext &ctx) {
  Value x, w;
  if (failed(convOperands(ctx, x, w)))
    return failure();
  auto xType = NodeContext::typeOf(x), wType = NodeContext::typeOf(w);
  int64_t spatial = xType.getRank() - 2;
  auto kernel = kernelOf(ctx, wType);
  auto group = ctx.getInt("group", 1);
  auto outputShape = ctx.getInts("output_shape");
  auto outputPadding = ctx.getInts("output_padding");
  auto autoPad = ctx.getString("auto_pad", "NOTSET");
  if (failed(kernel) || failed(group) || failed(outputShape) ||
      failed(outputPadding) || failed(autoPad))
    return failure();
  // Strides and dilations as for Conv; pads are resolved below.
  auto window = readWindow(ctx, xType.getShape(), *kernel);
  if (failed(window))
    return failure();
  if (outputPadding->empty())
    outputPadding->assign(spatial, 0);
  if ((int64_t)outputPadding->size() != spatial)
    return ctx.emitError() << "attribute 'output_padding' has "
                           << outputPadding->size() << " values, expected "
                           << spatial;
  if (failed(ctx.checkRange("attribute 'output_padding'", *outputPadding, 0,
                            kMaxWindow)) ||
      failed(ctx.checkRange("attribute 'output_shape'", *outputShape, 0,
                            kMaxElements)))
    return failure();
  SmallVector<int64_t> pads = window->pads;
  bool same = *autoPad == "SAME_UPPER" || *autoPad == "SAME_LOWER";
  if (!outputShape->empty() || same) {
    // The output size is given (or implied by SAME): derive the pads.
    SmallVector<int64_t> target;
    if (!outputShape->empty()) {
      ArrayRef<int64_t> given = *outputShape;
      if ((int64_t)given.size() == spatial + 2)
        given = given.drop_front(2);
      if ((int64_t)given.size() != spatial)
        return ctx.emitError()
               << "attribute 'output_shape' has " << outputShape->size()
               << " values, expected " << spatial;
      target.assign(given.begin(), given.end());
    } else {
      for (int64_t i = 0; i < spatial; ++i)
        target.push_back(xType.getDimSize(i + 2) * window->strides[i]);
    }
    for (int64_t i = 0; i < spatial; ++i) {
      int64_t extent = ((*kernel)[i] - 1) * window->dilations[i] + 1;
      int64_t total = window->strides[i] * (xType.getDimSize(i + 2) - 1) +
                      (*outputPadding)[i] + extent - target[i];
      if (total < 0)
        return ctx.unsupported("an 'output_shape' larger than the "
                               "convolution's full output");
      int64_t half = total / 2;
      bool lower = *autoPad == "SAME_LOWER";
      pads[i] = lower ? total - half : half;
      pads[i + spatial] = lower ? half : total - half;
      if (*autoPad != "SAME_UPPER" && *autoPad != "SAME_LOWER") {
        // NOTSET with output_shape: ONNX puts the larger half first.
        pads[i] = total - half;
        pads[i + spatial] = half;
      }
    }
  }
  SmallVector<Value> operands = {x, w};
  if (Value b = ctx.input(2))
    operands.push_back(b);
  return ctx.setResult(ctx.create<ConvTransposeOp>(
      operands,
      {ctx.named("strides", elideDefault(ctx, window->strides, 1)),
       ctx.named("dilations", elideDefault(ctx, window->dilations, 1)),
       ctx.named("pads", elideDefault(ctx, pads, 0)),
       ctx.named("output_padding", elideDefault(ctx, *outputPadding, 0)),
       ctx.named("group", ctx.i64(*group))}));
}

template <PoolKind kind> static LogicalResult importPool(NodeContext &ctx) {
  auto x = ctx.required(0, "X");
  if (failed(x))
    return failure();
  auto xType = NodeContext::typeOf(*x);
  if (failed(checkSpatialInput(ctx, xType)))
    return failure();
  if (ctx.outputUsed(1))
    return ctx.unsupported("the 'Indices' output of MaxPool");
  auto kernel = ctx.getInts("kernel_shape");
  auto ceilMode = ctx.getInt("ceil_mode", 0);
  auto countIncludePad = ctx.getInt("count_include_pad", 0);
  if (failed(kernel) || failed(ceilMode) || failed(countIncludePad))
    return failure();
  if ((int64_t)kernel->size() != xType.getRank() - 2)
    return ctx.emitError() << "attribute 'kernel_shape' has " << kernel->size()
                           << " values, expected " << xType.getRank() - 2;
  for (int64_t k : *kernel)
    if (k <= 0)
      return ctx.emitError() << "attribute 'kernel_shape' must be positive";
  if (failed(
          ctx.checkRange("attribute 'kernel_shape'", *kernel, 1, kMaxElements)))
    return failure();
  auto window = readWindow(ctx, xType.getShape(), *kernel);
  if (failed(window))
    return failure();
  SmallVector<NamedAttribute> attrs = {
      ctx.named("kind", PoolKindAttr::get(ctx.context(), kind)),
      ctx.named("kernel_shape", ctx.i64s(*kernel)),
      ctx.named("strides", elideDefault(ctx, window->strides, 1)),
      ctx.named("dilations", elideDefault(ctx, window->dilations, 1)),
      ctx.named("pads", elideDefault(ctx, window->pads, 0))};
  if (*ceilMode)
    attrs.push_back(ctx.named("ceil_mode", ctx.builder().getUnitAttr()));
  if (kind == PoolKind::avg && *countIncludePad)
    attrs.push_back(
        ctx.named("count_include_pad", ctx.builder().getUnitAttr()));
  return ctx.setResult(ctx.create<PoolOp>(*x, attrs));
}

template <PoolKind kind>
static LogicalResult importGlobalPool(NodeContext &ctx) {
  auto x = ctx.required(0, "X");
  if (failed(x))
    return failure();
  return ctx.setResult(ctx.create<GlobalPoolOp>(
      *x, {ctx.named("kind", PoolKindAttr::get(ctx.context(), kind))}));
}

//===----------------------------------------------------------------------===//
// Normalization
//===----------------------------------------------------------------------===//

static LogicalResult importBatchNorm(NodeContext &ctx) {
  for (unsigned i = 1; i < 5; ++i)
    if (ctx.outputUsed(i))
      return ctx.unsupported("the training outputs of BatchNormalization");
  auto training = ctx.getInt("training_mode", 0);
  auto spatial = ctx.getInt("spatial", 1);
  auto epsilon = ctx.getFloat("epsilon", 1e-5f);
  if (failed(training) || failed(spatial) || failed(epsilon))
    return failure();
  if (*training)
    return ctx.unsupported("BatchNormalization in training mode");
  if (!*spatial)
    return ctx.unsupported("BatchNormalization with spatial = 0");
  SmallVector<Value> operands;
  const char *names[] = {"X", "scale", "B", "input_mean", "input_var"};
  for (unsigned i = 0; i < 5; ++i) {
    auto v = ctx.required(i, names[i]);
    if (failed(v))
      return failure();
    operands.push_back(*v);
  }
  return ctx.setResult(ctx.create<BatchNormOp>(
      operands, {ctx.named("epsilon", ctx.f32(*epsilon))}));
}

/// (x - mean) / sqrt(var + epsilon) over `axes`, from kiln primitives.
namespace {
/// Mean and inverse standard deviation over some axes (kept as size-1
/// dims), and the input normalized with them.
struct Moments {
  Value mean, invStdDev, normalized;
};
} // namespace

/// (x - mean) / sqrt(var + epsilon) over `axes`, from kiln primitives.
static FailureOr<Moments> normalize(NodeContext &ctx, Value x,
                                    ArrayRef<int64_t> axes, float epsilon) {
  Type element = NodeContext::typeOf(x).getElementType();
  auto mean = ctx.reduce(ReduceKind::mean, x, axes, /*keepdims=*/true);
  if (failed(mean))
    return failure();
  auto centered = ctx.binary(BinaryKind::sub, x, *mean);
  if (failed(centered))
    return failure();
  auto squared = ctx.binary(BinaryKind::mul, *centered, *centered);
  if (failed(squared))
    return failure();
  auto var = ctx.reduce(ReduceKind::mean, *squared, axes, true);
  if (failed(var))
    return failure();
  auto shifted =
      ctx.binary(BinaryKind::add, *var, ctx.scalar(epsilon, element));
  if (failed(shifted))
    return failure();
  auto stddev = ctx.unary(UnaryKind::sqrt, *shifted);
  if (failed(stddev))
    return failure();
  auto inverse = ctx.unary(UnaryKind::reciprocal, *stddev);
  auto normalized = ctx.binary(BinaryKind::div, *centered, *stddev);
  if (failed(inverse) || failed(normalized))
    return failure();
  return Moments{*mean, *inverse, *normalized};
}

static LogicalResult importInstanceNorm(NodeContext &ctx) {
  auto x = ctx.required(0, "input");
  auto scale = ctx.required(1, "scale");
  auto bias = ctx.required(2, "B");
  auto epsilon = ctx.getFloat("epsilon", 1e-5f);
  if (failed(x) || failed(scale) || failed(bias) || failed(epsilon))
    return failure();
  auto xType = NodeContext::typeOf(*x);
  if (xType.getRank() < 3)
    return ctx.emitError() << "expected an input of rank 3 or more";
  SmallVector<int64_t> axes, channelShape = {xType.getDimSize(1)};
  for (int64_t d = 2; d < xType.getRank(); ++d) {
    axes.push_back(d);
    channelShape.push_back(1);
  }
  for (Value param : {*scale, *bias})
    if (NodeContext::typeOf(param).getShape() !=
        ArrayRef<int64_t>{xType.getDimSize(1)})
      return ctx.emitError() << "expected 'scale' and 'B' of shape ["
                             << xType.getDimSize(1) << "]";
  auto moments = normalize(ctx, *x, axes, *epsilon);
  auto s = ctx.reshape(*scale, channelShape);
  auto b = ctx.reshape(*bias, channelShape);
  if (failed(moments) || failed(s) || failed(b))
    return failure();
  auto scaled = ctx.binary(BinaryKind::mul, moments->normalized, *s);
  if (failed(scaled))
    return failure();
  return ctx.setResult(ctx.binary(BinaryKind::add, *scaled, *b));
}

static LogicalResult importMeanVarianceNorm(NodeContext &ctx) {
  auto x = ctx.required(0, "X");
  auto axes = ctx.getInts("axes");
  if (failed(x) || failed(axes))
    return failure();
  int64_t rank = NodeContext::typeOf(*x).getRank();
  if (!ctx.hasAttr("axes"))
    *axes = {0, 2, 3};
  SmallVector<int64_t> normalized;
  for (int64_t a : *axes) {
    auto axis = ctx.normalizeAxis(a, rank, "axes");
    if (failed(axis))
      return failure();
    normalized.push_back(*axis);
  }
  llvm::sort(normalized);
  auto moments = normalize(ctx, *x, normalized, 1e-9f);
  if (failed(moments))
    return failure();
  ctx.setOutput(0, moments->normalized);
  return success();
}

/// LayerNormalization with its Mean and InvStdDev outputs: decomposed, in
/// the stash type (float32 unless stash_type says the input's type).
static LogicalResult importLayerNormWithMoments(NodeContext &ctx, Value x,
                                                Value scale, int64_t axis,
                                                float epsilon) {
  auto stash = ctx.getInt("stash_type", 1);
  if (failed(stash))
    return failure();
  Type element = NodeContext::typeOf(x).getElementType();
  Type computeType = *stash == 1 ? ctx.builder().getF32Type() : element;
  auto wide = ctx.cast(x, computeType);
  if (failed(wide))
    return failure();
  SmallVector<int64_t> axes;
  for (int64_t d = axis; d < NodeContext::typeOf(x).getRank(); ++d)
    axes.push_back(d);
  auto moments = normalize(ctx, *wide, axes, epsilon);
  if (failed(moments))
    return failure();
  auto normalized = ctx.cast(moments->normalized, element);
  if (failed(normalized))
    return failure();
  auto y = ctx.binary(BinaryKind::mul, *normalized, scale);
  if (failed(y))
    return failure();
  if (Value bias = ctx.input(2)) {
    y = ctx.binary(BinaryKind::add, *y, bias);
    if (failed(y))
      return failure();
  }
  ctx.setOutput(0, *y);
  ctx.setOutput(1, moments->mean);
  ctx.setOutput(2, moments->invStdDev);
  return success();
}

static LogicalResult importLayerNorm(NodeContext &ctx) {
  auto x = ctx.required(0, "X");
  auto scale = ctx.required(1, "Scale");
  auto axisAttr = ctx.getInt("axis", -1);
  auto epsilon = ctx.getFloat("epsilon", 1e-5f);
  if (failed(x) || failed(scale) || failed(axisAttr) || failed(epsilon))
    return failure();
  auto axis = ctx.normalizeAxis(*axisAttr, NodeContext::typeOf(*x).getRank());
  if (failed(axis))
    return failure();
  if (ctx.outputUsed(1) || ctx.outputUsed(2))
    return importLayerNormWithMoments(ctx, *x, *scale, *axis, *epsilon);
  SmallVector<Value> operands = {*x, *scale};
  if (Value b = ctx.input(2))
    operands.push_back(b);
  return ctx.setResult(ctx.create<LayerNormOp>(
      operands, {ctx.named("axis", ctx.i64(*axis)),
                 ctx.named("epsilon", ctx.f32(*epsilon))}));
}

/// RMSNormalization: x / sqrt(mean(x^2) + epsilon) * scale over the dims
/// from `axis` on, computed in the stash type.
static LogicalResult importRMSNorm(NodeContext &ctx) {
  auto x = ctx.required(0, "X");
  auto scale = ctx.required(1, "scale");
  auto axisAttr = ctx.getInt("axis", -1);
  auto epsilon = ctx.getFloat("epsilon", 1e-5f);
  auto stash = ctx.getInt("stash_type", 1);
  if (failed(x) || failed(scale) || failed(axisAttr) || failed(epsilon) ||
      failed(stash))
    return failure();
  auto type = NodeContext::typeOf(*x);
  if (failed(checkFloat(ctx, type)))
    return failure();
  auto axis = ctx.normalizeAxis(*axisAttr, type.getRank());
  if (failed(axis))
    return failure();
  Type element = type.getElementType();
  Type computeType = *stash == 1 ? ctx.builder().getF32Type() : element;
  auto wide = ctx.cast(*x, computeType);
  if (failed(wide))
    return failure();
  SmallVector<int64_t> axes;
  for (int64_t d = *axis; d < type.getRank(); ++d)
    axes.push_back(d);
  auto squared = ctx.binary(BinaryKind::mul, *wide, *wide);
  if (failed(squared))
    return failure();
  auto meanSquare = ctx.reduce(ReduceKind::mean, *squared, axes, true);
  if (failed(meanSquare))
    return failure();
  auto shifted = ctx.binary(BinaryKind::add, *meanSquare,
                            ctx.scalar(*epsilon, computeType));
  if (failed(shifted))
    return failure();
  auto rms = ctx.unary(UnaryKind::sqrt, *shifted);
  if (failed(rms))
    return failure();
  auto normalized = ctx.binary(BinaryKind::div, *wide, *rms);
  if (failed(normalized))
    return failure();
  auto narrow = ctx.cast(*normalized, element);
  if (failed(narrow))
    return failure();
  return ctx.setResult(ctx.binary(BinaryKind::mul, *narrow, *scale));
}

static LogicalResult importLRN(NodeContext &ctx) {
  auto x = ctx.required(0, "X");
  auto size = ctx.getInt("size", 0);
  auto alpha = ctx.getFloat("alpha", 1e-4f);
  auto beta = ctx.getFloat("beta", 0.75f);
  auto bias = ctx.getFloat("bias", 1.0f);
  if (failed(x) || failed(size) || failed(alpha) || failed(beta) ||
      failed(bias))
    return failure();
  if (!ctx.hasAttr("size"))
    return ctx.emitError() << "attribute 'size' is required";
  return ctx.setResult(ctx.create<LRNOp>(
      *x,
      {ctx.named("size", ctx.i64(*size)), ctx.named("alpha", ctx.f32(*alpha)),
       ctx.named("beta", ctx.f32(*beta)), ctx.named("bias", ctx.f32(*bias))}));
}

//===----------------------------------------------------------------------===//
// Products and softmax
//===----------------------------------------------------------------------===//

static LogicalResult importMatMul(NodeContext &ctx) {
  auto a = ctx.required(0, "A");
  auto b = ctx.required(1, "B");
  if (failed(a) || failed(b))
    return failure();
  return ctx.setResult(ctx.create<MatMulOp>({*a, *b}));
}

static LogicalResult importGemm(NodeContext &ctx) {
  auto a = ctx.required(0, "A");
  auto b = ctx.required(1, "B");
  auto transA = ctx.getInt("transA", 0);
  auto transB = ctx.getInt("transB", 0);
  auto alpha = ctx.getFloat("alpha", 1.0f);
  auto beta = ctx.getFloat("beta", 1.0f);
  if (failed(a) || failed(b) || failed(transA) || failed(transB) ||
      failed(alpha) || failed(beta))
    return failure();
  SmallVector<Value> operands = {*a, *b};
  if (Value c = ctx.input(2))
    operands.push_back(c);
  SmallVector<NamedAttribute> attrs = {ctx.named("alpha", ctx.f32(*alpha)),
                                       ctx.named("beta", ctx.f32(*beta))};
  if (*transA)
    attrs.push_back(ctx.named("trans_a", ctx.builder().getUnitAttr()));
  if (*transB)
    attrs.push_back(ctx.named("trans_b", ctx.builder().getUnitAttr()));
  return ctx.setResult(ctx.create<GemmOp>(operands, attrs));
}

template <typename OpTy> static LogicalResult importSoftmax(NodeContext &ctx) {
  auto x = ctx.required(0, "input");
  if (failed(x))
    return failure();
  auto type = NodeContext::typeOf(*x);
  int64_t rank = type.getRank();
  bool coerce2d = ctx.opset < 13;
  auto axisAttr = ctx.getInt("axis", coerce2d ? 1 : -1);
  if (failed(axisAttr))
    return failure();
  if (rank == 0)
    return ctx.emitError() << "expected an input of rank 1 or more";
  auto axis = ctx.normalizeAxis(*axisAttr, rank);
  if (failed(axis))
    return failure();
  Value input = *x;
  int64_t softmaxAxis = *axis;
  if (coerce2d && *axis != rank - 1) {
    // Before opset 13 the input is flattened to 2-d at `axis`.
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < rank; ++d)
      (d < *axis ? outer : inner) *= type.getDimSize(d);
    auto flat = ctx.reshape(input, {outer, inner});
    if (failed(flat))
      return failure();
    input = *flat;
    softmaxAxis = 1;
  }
  auto result =
      ctx.create<OpTy>(input, {ctx.named("axis", ctx.i64(softmaxAxis))});
  if (failed(result))
    return failure();
  return ctx.setResult(ctx.reshape(*result, type.getShape()));
}

void kiln::onnx_frontend::registerNeuralOps(HandlerTable &table) {
  table["Conv"] = importConv;
  table["ConvTranspose"] = importConvTranspose;
  table["MaxPool"] = importPool<PoolKind::max>;
  table["AveragePool"] = importPool<PoolKind::avg>;
  table["GlobalMaxPool"] = importGlobalPool<PoolKind::max>;
  table["GlobalAveragePool"] = importGlobalPool<PoolKind::avg>;
  table["BatchNormalization"] = importBatchNorm;
  table["InstanceNormalization"] = importInstanceNorm;
  table["MeanVarianceNormalization"] = importMeanVarianceNorm;
  table["LayerNormalization"] = importLayerNorm;
  table["RMSNormalization"] = importRMSNorm;
  table["LRN"] = importLRN;
  table["MatMul"] = importMatMul;
  table["Gemm"] = importGemm;
  table["Softmax"] = importSoftmax<SoftmaxOp>;
  table["LogSoftmax"] = importSoftmax<LogSoftmaxOp>;
}

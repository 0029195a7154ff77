//===- Convolution.cpp - ONNX convolutions and pooling --------------------===//

#include "NodeContext.h"

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

void kiln::onnx_frontend::registerConvolutionOps(HandlerTable &table) {
  table["Conv"] = importConv;
  table["ConvTranspose"] = importConvTranspose;
  table["MaxPool"] = importPool<PoolKind::max>;
  table["AveragePool"] = importPool<PoolKind::avg>;
  table["GlobalMaxPool"] = importGlobalPool<PoolKind::max>;
  table["GlobalAveragePool"] = importGlobalPool<PoolKind::avg>;
}

//===- Resize.cpp - ONNX Resize and Upsample ------------------------------===//

#include "NodeContext.h"

#include "mlir/IR/Verifier.h"

#include <cmath>

using namespace mlir;
using namespace kiln;
using namespace kiln::onnx_frontend;

//===----------------------------------------------------------------------===//
// Resize and Upsample
//===----------------------------------------------------------------------===//

static LogicalResult buildResize(NodeContext &ctx, Value x, StringRef modeName,
                                 SmallVector<double> scales,
                                 SmallVector<int64_t> sizes,
                                 CoordinateTransform transform,
                                 NearestMode nearest, float cubicA,
                                 bool excludeOutside) {
  auto type = NodeContext::typeOf(x);
  int64_t rank = type.getRank();
  ResizeMode mode;
  if (modeName == "nearest")
    mode = ResizeMode::nearest;
  else if (modeName == "linear" || modeName == "bilinear")
    mode = ResizeMode::linear;
  else if (modeName == "cubic")
    mode = ResizeMode::cubic;
  else
    return ctx.emitError() << "attribute 'mode' must be nearest, linear or "
                              "cubic, got '"
                           << modeName << "'";
  SmallVector<int64_t> shape;
  SmallVector<float> factors;
  if (!sizes.empty()) {
    if ((int64_t)sizes.size() != rank)
      return ctx.emitError() << "'sizes' has " << sizes.size()
                             << " values for an input of rank " << rank;
    for (int64_t d = 0; d < rank; ++d) {
      if (sizes[d] <= 0)
        return ctx.emitError() << "'sizes' must be positive";
      shape.push_back(sizes[d]);
      factors.push_back((float)sizes[d] / (float)type.getDimSize(d));
    }
  } else {
    if ((int64_t)scales.size() != rank)
      return ctx.emitError() << "'scales' has " << scales.size()
                             << " values for an input of rank " << rank;
    for (int64_t d = 0; d < rank; ++d) {
      if (!(scales[d] > 0))
        return ctx.emitError() << "'scales' must be positive";
      float scale = (float)scales[d];
      shape.push_back((int64_t)std::floor(type.getDimSize(d) * scale));
      factors.push_back(scale);
    }
  }
  SmallVector<NamedAttribute> attrs = {
      ctx.named("mode", ResizeModeAttr::get(ctx.context(), mode)),
      ctx.named("scales", ctx.builder().getDenseF32ArrayAttr(factors)),
      ctx.named("coordinate_transform",
                CoordinateTransformAttr::get(ctx.context(), transform)),
      ctx.named("nearest_mode", NearestModeAttr::get(ctx.context(), nearest)),
      ctx.named("cubic_coeff_a", ctx.f32(cubicA))};
  if (excludeOutside)
    attrs.push_back(ctx.named("exclude_outside", ctx.builder().getUnitAttr()));
  return ctx.setResult(ctx.createTyped<ResizeOp>(type.clone(shape), x, attrs));
}

static LogicalResult importResize(NodeContext &ctx) {
  auto x = ctx.required(0, "X");
  auto modeName = ctx.getString("mode", "nearest");
  auto transformName =
      ctx.getString("coordinate_transformation_mode",
                    ctx.opset < 11 ? "asymmetric" : "half_pixel");
  auto nearestName = ctx.getString(
      "nearest_mode", ctx.opset < 11 ? "floor" : "round_prefer_floor");
  auto cubicA = ctx.getFloat("cubic_coeff_a", -0.75f);
  auto exclude = ctx.getInt("exclude_outside", 0);
  auto antialias = ctx.getInt("antialias", 0);
  auto axes = ctx.getInts("axes");
  auto policy = ctx.getString("keep_aspect_ratio_policy", "stretch");
  if (failed(x) || failed(modeName) || failed(transformName) ||
      failed(nearestName) || failed(cubicA) || failed(exclude) ||
      failed(antialias) || failed(axes) || failed(policy))
    return failure();
  if (*antialias)
    return ctx.unsupported("Resize with antialias");
  if (*policy != "stretch")
    return ctx.unsupported("keep_aspect_ratio_policy '" + *policy + "'");
  std::optional<CoordinateTransform> transform =
      symbolizeCoordinateTransform(*transformName);
  if (!transform)
    return ctx.unsupported("coordinate_transformation_mode '" + *transformName +
                           "'");
  std::optional<NearestMode> nearest = symbolizeNearestMode(*nearestName);
  if (!nearest)
    return ctx.emitError() << "attribute 'nearest_mode' is invalid: '"
                           << *nearestName << "'";
  int64_t rank = NodeContext::typeOf(*x).getRank();
  SmallVector<double> scales;
  SmallVector<int64_t> sizes;
  unsigned scalesIndex = ctx.opset < 11 ? 1 : 2;
  if (ctx.hasInput(scalesIndex)) {
    auto s = ctx.requireFloats(scalesIndex, "scales");
    if (failed(s))
      return failure();
    scales = *s;
  }
  if (ctx.opset >= 11 && ctx.hasInput(3)) {
    auto s = ctx.requireInts(3, "sizes");
    if (failed(s))
      return failure();
    sizes = *s;
  }
  if (!scales.empty() && !sizes.empty())
    return ctx.emitError() << "only one of 'scales' and 'sizes' may be given";
  if (scales.empty() && sizes.empty())
    return ctx.emitError() << "one of 'scales' and 'sizes' must be given";
  if (!axes->empty()) {
    // Values for the listed axes only: the others keep their size.
    SmallVector<double> fullScales(rank, 1.0);
    SmallVector<int64_t> fullSizes(NodeContext::typeOf(*x).getShape());
    for (auto [i, a] : llvm::enumerate(*axes)) {
      auto axis = ctx.normalizeAxis(a, rank, "axes");
      if (failed(axis))
        return failure();
      if (!scales.empty() && i < scales.size())
        fullScales[*axis] = scales[i];
      if (!sizes.empty() && i < sizes.size())
        fullSizes[*axis] = sizes[i];
    }
    if (!scales.empty())
      scales = fullScales;
    else
      sizes = fullSizes;
  }
  return buildResize(ctx, *x, *modeName, scales, sizes, *transform, *nearest,
                     *cubicA, *exclude);
}

static LogicalResult importUpsample(NodeContext &ctx) {
  auto x = ctx.required(0, "X");
  auto modeName = ctx.getString("mode", "nearest");
  if (failed(x) || failed(modeName))
    return failure();
  SmallVector<double> scales;
  if (ctx.opset < 9) {
    auto s = ctx.getFloats("scales");
    if (failed(s))
      return failure();
    scales.assign(s->begin(), s->end());
  } else {
    auto s = ctx.requireFloats(1, "scales");
    if (failed(s))
      return failure();
    scales = *s;
  }
  return buildResize(ctx, *x, *modeName, scales, {},
                     CoordinateTransform::asymmetric, NearestMode::floor,
                     -0.75f, false);
}

void kiln::onnx_frontend::registerResizeOps(HandlerTable &table) {
  table["Resize"] = importResize;
  table["Upsample"] = importUpsample;
}

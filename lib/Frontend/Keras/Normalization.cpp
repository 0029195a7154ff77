//===- Normalization.cpp - Batch, layer and unit normalization ------------===//

#include "LayerContext.h"

#include <cmath>

using namespace mlir;
using namespace kiln;
using namespace kiln::keras_frontend;
using llvm::SmallVector;

static LogicalResult importBatchNorm(LayerContext &ctx) {
  if (failed(ctx.expectInputs(1, 1)))
    return failure();
  if (failed(ctx.refuseSet("renorm", "batch renormalization")))
    return failure();
  auto axes = ctx.getInts("axis", 0, -1);
  auto epsilon = ctx.getFloat("epsilon", 1e-3);
  auto center = ctx.getBool("center", true);
  auto scale = ctx.getBool("scale", true);
  if (failed(axes) || failed(epsilon) || failed(center) || failed(scale))
    return failure();
  KTensor in = ctx.inputs[0];
  SmallVector<int64_t> shape = ctx.kerasShape(in);
  int64_t rank = shape.size();
  if (axes->size() != 1)
    return ctx.unsupported("batch normalization over several axes");
  auto axis = ctx.normalizeAxis((*axes)[0], rank);
  if (failed(axis))
    return failure();
  if (*axis == 0)
    return ctx.unsupported("batch normalization over the batch axis");
  int64_t channels = shape[*axis];
  // Weights in Keras' order: gamma (scale), beta (center), moving mean,
  // moving variance.
  int next = 0;
  auto slot = [&]() { return "vars/" + std::to_string(next++); };
  SmallVector<float> gamma(channels, 1.0f), beta(channels, 0.0f);
  if (*scale) {
    auto w = ctx.weight(slot(), "gamma", {channels});
    if (failed(w))
      return failure();
    gamma.assign(w->data.begin(), w->data.end());
  }
  if (*center) {
    auto w = ctx.weight(slot(), "beta", {channels});
    if (failed(w))
      return failure();
    beta.assign(w->data.begin(), w->data.end());
  }
  auto mean = ctx.weight(slot(), "moving_mean", {channels});
  if (failed(mean))
    return failure();
  auto variance = ctx.weight(slot(), "moving_variance", {channels});
  if (failed(variance))
    return failure();

  if (in.layout == Layout::FlatChannelsFirst) {
    auto v = ctx.keras(in);
    if (failed(v))
      return failure();
    in.value = *v;
    in.layout = Layout::Keras;
  }
  // The channel dim as the tensor is held.
  int64_t physical = *axis;
  if (in.layout == Layout::ChannelsFirst)
    physical = *axis == rank - 1 ? 1 : *axis + 1;
  if (physical == 1) {
    auto y =
        ctx.create<BatchNormOp>({in.value, ctx.constant(gamma, {channels}),
                                 ctx.constant(beta, {channels}),
                                 ctx.constant(*mean), ctx.constant(*variance)},
                                {ctx.named("epsilon", ctx.f32(*epsilon))});
    return ctx.bindLike(in, y);
  }
  // Another axis: x * s + (beta - mean * s), s = gamma / sqrt(var + eps).
  SmallVector<float> s(channels), shift(channels);
  for (int64_t c = 0; c < channels; ++c) {
    s[c] = gamma[c] / std::sqrt(variance->data[c] + (float)*epsilon);
    shift[c] = beta[c] - mean->data[c] * s[c];
  }
  SmallVector<int64_t> bshape(rank, 1);
  bshape[physical] = channels;
  auto scaled = ctx.binary(BinaryKind::mul, in.value, ctx.constant(s, bshape));
  if (failed(scaled))
    return failure();
  auto y = ctx.binary(BinaryKind::add, *scaled, ctx.constant(shift, bshape));
  return ctx.bindLike(in, y);
}

static LogicalResult importLayerNorm(LayerContext &ctx) {
  if (failed(ctx.expectInputs(1, 1)))
    return failure();
  if (failed(ctx.refuseSet("rms_scaling", "RMS scaling")))
    return failure();
  auto axes = ctx.getInts("axis", 0, -1);
  auto epsilon = ctx.getFloat("epsilon", 1e-3);
  auto center = ctx.getBool("center", true);
  auto scale = ctx.getBool("scale", true);
  if (failed(axes) || failed(epsilon) || failed(center) || failed(scale))
    return failure();
  auto x = ctx.keras(ctx.inputs[0]);
  if (failed(x))
    return failure();
  auto shape = LayerContext::typeOf(*x).getShape();
  int64_t rank = shape.size();
  SmallVector<int64_t> normalized;
  for (int64_t a : *axes) {
    auto n = ctx.normalizeAxis(a, rank);
    if (failed(n))
      return failure();
    normalized.push_back(*n);
  }
  llvm::sort(normalized);
  for (size_t i = 0; i < normalized.size(); ++i)
    if (normalized[i] != rank - (int64_t)normalized.size() + (int64_t)i)
      return ctx.unsupported("layer normalization over axes that are not "
                             "the last ones");
  int64_t first = normalized.front();
  if (first == 0)
    return ctx.unsupported("layer normalization over the batch axis");
  SmallVector<int64_t> wshape(shape.begin() + first, shape.end());
  int64_t count = 1;
  for (int64_t d : wshape)
    count *= d;
  int next = 0;
  auto slot = [&]() { return "vars/" + std::to_string(next++); };
  Value gamma, beta;
  if (*scale) {
    auto w = ctx.weight(slot(), "gamma", wshape);
    if (failed(w))
      return failure();
    gamma = ctx.constant(*w);
  } else {
    gamma = ctx.constant(SmallVector<float>(count, 1.0f), wshape);
  }
  if (*center) {
    auto w = ctx.weight(slot(), "beta", wshape);
    if (failed(w))
      return failure();
    beta = ctx.constant(*w);
  }
  SmallVector<Value> operands = {*x, gamma};
  if (beta)
    operands.push_back(beta);
  auto y = ctx.create<LayerNormOp>(operands,
                                   {ctx.named("axis", ctx.i64(first)),
                                    ctx.named("epsilon", ctx.f32(*epsilon))});
  if (failed(y))
    return failure();
  ctx.setOutput(*y);
  return success();
}

static LogicalResult importUnitNorm(LayerContext &ctx) {
  if (failed(ctx.expectInputs(1, 1)))
    return failure();
  auto axes = ctx.getInts("axis", 0, -1);
  if (failed(axes))
    return failure();
  auto x = ctx.keras(ctx.inputs[0]);
  if (failed(x))
    return failure();
  int64_t rank = LayerContext::typeOf(*x).getRank();
  SmallVector<int64_t> normalized;
  for (int64_t a : *axes) {
    auto n = ctx.normalizeAxis(a, rank);
    if (failed(n))
      return failure();
    normalized.push_back(*n);
  }
  auto y = ctx.l2Normalize(*x, normalized);
  if (failed(y))
    return failure();
  ctx.setOutput(*y);
  return success();
}

void kiln::keras_frontend::registerNormalizationLayers(LayerTable &table) {
  table["BatchNormalization"] = {
      importBatchNorm, true,
      "axis (one, any), epsilon, center, scale, moving statistics; renorm "
      "is refused"};
  table["LayerNormalization"] = {
      importLayerNorm, true,
      "axis (the last axes), epsilon, center, scale; rms_scaling is refused"};
  table["UnitNormalization"] = {importUnitNorm, true, "axis"};
}

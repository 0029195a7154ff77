//===- Normalization.cpp - ONNX normalizations ----------------------------===//

#include "NodeContext.h"

#include <cmath>

using namespace mlir;
using namespace kiln;
using namespace kiln::onnx_frontend;

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

void kiln::onnx_frontend::registerNormalizationOps(HandlerTable &table) {
  table["BatchNormalization"] = importBatchNorm;
  table["InstanceNormalization"] = importInstanceNorm;
  table["MeanVarianceNormalization"] = importMeanVarianceNorm;
  table["LayerNormalization"] = importLayerNorm;
  table["RMSNormalization"] = importRMSNorm;
  table["LRN"] = importLRN;
}

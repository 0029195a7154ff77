//===- Convolution.cpp - Convolutions, pooling, padding, resizing ---------===//
//
// Channels-last tensors run channels-first inside Kiln (the layout oneDNN
// and Kiln's kernels are fastest in); kernels are permuted at import.
//
//===----------------------------------------------------------------------===//

#include "LayerContext.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::keras_frontend;
using llvm::SmallVector;
using llvm::StringRef;

/// The spatial rank of a layer class ("Conv2D" -> 2), or 0.
static int64_t spatialRank(StringRef cls) {
  for (int64_t r = 1; r <= 3; ++r)
    if (cls.contains((llvm::Twine(r) + "D").str()))
      return r;
  return 0;
}

namespace {
/// The input of a windowed layer, channels-first, with its data format.
struct WindowInput {
  Value value;
  bool channelsLast;
  int64_t channels;
  SmallVector<int64_t> spatial;
};
} // namespace

static FailureOr<WindowInput> windowInput(LayerContext &ctx, int64_t rank) {
  if (failed(ctx.expectInputs(1, 1)))
    return failure();
  auto format = ctx.getString("data_format", "channels_last");
  if (failed(format))
    return failure();
  if (*format != "channels_last" && *format != "channels_first")
    return ctx.emitError() << "unknown data_format '" << *format << "'";
  WindowInput in;
  in.channelsLast = *format == "channels_last";
  const KTensor &t = ctx.inputs[0];
  FailureOr<Value> v = in.channelsLast ? ctx.channelsFirst(t) : ctx.keras(t);
  if (failed(v))
    return failure();
  in.value = *v;
  auto shape = LayerContext::typeOf(in.value).getShape();
  if ((int64_t)shape.size() != rank + 2)
    return ctx.emitError() << "the layer takes a rank-" << rank + 2
                           << " input, not rank " << shape.size();
  in.channels = shape[1];
  in.spatial.assign(shape.begin() + 2, shape.end());
  return in;
}

static void bindWindowOutput(LayerContext &ctx, const WindowInput &in,
                             Value value) {
  ctx.setOutput(value, in.channelsLast ? Layout::ChannelsFirst : Layout::Keras);
  ctx.outputs.back().mask = {};
}

/// Reads `padding` and returns ONNX pads (begins then ends).
static FailureOr<SmallVector<int64_t>>
windowPads(LayerContext &ctx, ArrayRef<int64_t> spatial,
           ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
           ArrayRef<int64_t> dilations, bool allowCausal) {
  auto padding = ctx.getString("padding", "valid");
  if (failed(padding))
    return failure();
  int64_t rank = spatial.size();
  SmallVector<int64_t> pads(2 * rank, 0);
  if (*padding == "valid")
    return pads;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t effective = (kernel[d] - 1) * dilations[d] + 1;
    if (*padding == "same") {
      auto [before, after] = samePads(spatial[d], effective, strides[d]);
      pads[d] = before;
      pads[rank + d] = after;
    } else if (*padding == "causal" && allowCausal) {
      pads[d] = effective - 1;
    } else {
      return ctx.unsupported("padding '" + *padding + "'");
    }
  }
  return pads;
}

static LogicalResult checkWindow(LayerContext &ctx, StringRef what,
                                 ArrayRef<int64_t> values) {
  for (int64_t v : values)
    if (v < 1 || v > (int64_t(1) << 20))
      return ctx.emitError() << what << " must lie in [1, 2^20]";
  return success();
}

//===----------------------------------------------------------------------===//
// Convolutions
//===----------------------------------------------------------------------===//

/// Conv1D/2D/3D, and the depthwise and separable convolutions.
static LogicalResult importConv(LayerContext &ctx) {
  StringRef cls = ctx.className;
  int64_t rank = spatialRank(cls);
  bool depthwise = cls.starts_with("Depthwise");
  bool separable = cls.starts_with("Separable");
  if (failed(ctx.refuseSet("lora_rank", "LoRA adapters")) ||
      failed(ctx.refuseSet("quantization_config", "quantized weights")))
    return failure();
  auto in = windowInput(ctx, rank);
  if (failed(in))
    return failure();
  auto kernel = ctx.getInts("kernel_size", rank);
  auto strides = ctx.getInts("strides", rank, 1);
  auto dilations = ctx.getInts("dilation_rate", rank, 1);
  auto groups = ctx.getInt("groups", 1);
  auto useBias = ctx.getBool("use_bias", true);
  if (failed(kernel) || failed(strides) || failed(dilations) ||
      failed(groups) || failed(useBias) ||
      failed(checkWindow(ctx, "kernel_size", *kernel)) ||
      failed(checkWindow(ctx, "strides", *strides)) ||
      failed(checkWindow(ctx, "dilation_rate", *dilations)))
    return failure();
  auto pads = windowPads(ctx, in->spatial, *kernel, *strides, *dilations,
                         rank == 1 && !depthwise && !separable);
  if (failed(pads))
    return failure();
  int64_t channels = in->channels;
  SmallVector<int64_t> kdims(kernel->begin(), kernel->end());

  // Keras kernel [k..., in/groups, out] -> ONNX [out, in/groups, k...].
  SmallVector<int64_t> toOnnx = {rank + 1, rank};
  for (int64_t d = 0; d < rank; ++d)
    toOnnx.push_back(d);

  auto convolve =
      [&](Value x, const WeightArray &w, Value bias,
          ArrayRef<int64_t> convStrides, ArrayRef<int64_t> convDilations,
          ArrayRef<int64_t> convPads, int64_t group) -> FailureOr<Value> {
    SmallVector<Value> operands = {x, ctx.constant(w)};
    if (bias)
      operands.push_back(bias);
    return ctx.create<ConvOp>(operands,
                              {ctx.named("strides", ctx.i64s(convStrides)),
                               ctx.named("dilations", ctx.i64s(convDilations)),
                               ctx.named("pads", ctx.i64s(convPads)),
                               ctx.named("group", ctx.i64(group))});
  };

  Value x = in->value;
  int64_t outChannels;
  FailureOr<Value> y;
  if (depthwise || separable) {
    auto multiplier = ctx.getInt("depth_multiplier", 1);
    if (failed(multiplier))
      return failure();
    if (*multiplier < 1 || *multiplier > (1 << 16))
      return ctx.emitError() << "depth_multiplier is out of range";
    SmallVector<int64_t> shape = kdims;
    shape.append({channels, *multiplier});
    // Keras 3 names a DepthwiseConv's kernel "kernel", tf.keras and
    // SeparableConv "depthwise_kernel".
    StringRef h5Name = depthwise && !ctx.hasWeight("vars/0", "depthwise_kernel")
                           ? "kernel"
                           : "depthwise_kernel";
    auto dw = ctx.weight("vars/0", h5Name, shape);
    if (failed(dw))
      return failure();
    // [k..., in, mult] -> [k..., 1, in*mult] -> [in*mult, 1, k...].
    WeightArray w = *dw;
    w.shape = kdims;
    w.shape.append({1, channels * *multiplier});
    w = permute(w, toOnnx);
    int64_t mid = channels * *multiplier;
    Value bias;
    if (depthwise && *useBias) {
      auto b = ctx.weight("vars/1", "bias", {mid});
      if (failed(b))
        return failure();
      bias = ctx.constant(*b);
    }
    y = convolve(x, w, bias, *strides, *dilations, *pads, channels);
    outChannels = mid;
    if (succeeded(y) && separable) {
      auto filters = ctx.getInt("filters");
      if (failed(filters))
        return failure();
      SmallVector<int64_t> pshape(rank, 1);
      pshape.append({mid, *filters});
      auto pw = ctx.weight("vars/1", "pointwise_kernel", pshape);
      if (failed(pw))
        return failure();
      Value pbias;
      if (*useBias) {
        auto b = ctx.weight("vars/2", "bias", {*filters});
        if (failed(b))
          return failure();
        pbias = ctx.constant(*b);
      }
      SmallVector<int64_t> ones(rank, 1), zeros(2 * rank, 0);
      y = convolve(*y, permute(*pw, toOnnx), pbias, ones, ones, zeros, 1);
      outChannels = *filters;
    }
  } else {
    auto filters = ctx.getInt("filters");
    if (failed(filters))
      return failure();
    if (*groups < 1 || channels % *groups || *filters % *groups)
      return ctx.emitError()
             << "groups = " << *groups << " does not divide " << channels
             << " input and " << *filters << " output channels";
    SmallVector<int64_t> shape = kdims;
    shape.append({channels / *groups, *filters});
    auto w = ctx.weight("vars/0", "kernel", shape);
    if (failed(w))
      return failure();
    Value bias;
    if (*useBias) {
      auto b = ctx.weight("vars/1", "bias", {*filters});
      if (failed(b))
        return failure();
      bias = ctx.constant(*b);
    }
    y = convolve(x, permute(*w, toOnnx), bias, *strides, *dilations, *pads,
                 *groups);
    outChannels = *filters;
  }
  (void)outChannels;
  if (failed(y))
    return failure();
  auto out = ctx.configActivation(*y);
  if (failed(out))
    return failure();
  bindWindowOutput(ctx, *in, *out);
  return success();
}

static LogicalResult importConvTranspose(LayerContext &ctx) {
  int64_t rank = spatialRank(ctx.className);
  auto in = windowInput(ctx, rank);
  if (failed(in))
    return failure();
  auto filters = ctx.getInt("filters");
  auto kernel = ctx.getInts("kernel_size", rank);
  auto strides = ctx.getInts("strides", rank, 1);
  auto dilations = ctx.getInts("dilation_rate", rank, 1);
  auto useBias = ctx.getBool("use_bias", true);
  auto padding = ctx.getString("padding", "valid");
  if (failed(filters) || failed(kernel) || failed(strides) ||
      failed(dilations) || failed(useBias) || failed(padding) ||
      failed(checkWindow(ctx, "kernel_size", *kernel)) ||
      failed(checkWindow(ctx, "strides", *strides)) ||
      failed(checkWindow(ctx, "dilation_rate", *dilations)))
    return failure();
  if (*padding != "same" && *padding != "valid")
    return ctx.unsupported("padding '" + *padding + "'");
  if (ctx.has("groups")) {
    auto groups = ctx.getInt("groups", 1);
    if (failed(groups))
      return failure();
    if (*groups != 1)
      return ctx.unsupported("groups in a transposed convolution");
  }
  std::optional<SmallVector<int64_t>> outputPadding;
  if (ctx.has("output_padding")) {
    auto op = ctx.getInts("output_padding", rank);
    if (failed(op))
      return failure();
    outputPadding = *op;
  }
  bool same = *padding == "same";
  SmallVector<int64_t> pads(2 * rank, 0), extra(rank, 0);
  for (int64_t d = 0; d < rank; ++d) {
    int64_t size = in->spatial[d], k = (*kernel)[d], s = (*strides)[d];
    int64_t effective = (k - 1) * (*dilations)[d] + 1;
    // Keras' output length (deconv_output_length).
    int64_t out;
    if (!outputPadding) {
      out = same ? size * s : size * s + std::max<int64_t>(effective - s, 0);
    } else {
      int64_t pad = same ? effective / 2 : 0;
      out = (size - 1) * s + effective - 2 * pad + (*outputPadding)[d];
    }
    // TensorFlow computes it as the gradient of a convolution from `out`
    // to `size`: SAME crops total/2 before, the rest after; VALID crops
    // nothing before. What the crop does not reach is output padding.
    int64_t full = (size - 1) * s + effective;
    int64_t total = std::max<int64_t>(full - out, 0);
    int64_t before = same ? total / 2 : 0;
    int64_t rest = full - before - out;
    if (rest >= 0) {
      pads[d] = before;
      pads[rank + d] = rest;
    } else {
      pads[d] = before;
      extra[d] = -rest;
    }
    if (out < 1)
      return ctx.emitError() << "the output would be empty";
  }
  // Keras kernel [k..., out, in] -> ONNX ConvTranspose [in, out, k...].
  SmallVector<int64_t> shape(kernel->begin(), kernel->end());
  shape.append({*filters, in->channels});
  auto w = ctx.weight("vars/0", "kernel", shape);
  if (failed(w))
    return failure();
  SmallVector<int64_t> perm = {rank + 1, rank};
  for (int64_t d = 0; d < rank; ++d)
    perm.push_back(d);
  SmallVector<Value> operands = {in->value, ctx.constant(permute(*w, perm))};
  if (*useBias) {
    auto b = ctx.weight("vars/1", "bias", {*filters});
    if (failed(b))
      return failure();
    operands.push_back(ctx.constant(*b));
  }
  auto y = ctx.create<ConvTransposeOp>(
      operands, {ctx.named("strides", ctx.i64s(*strides)),
                 ctx.named("dilations", ctx.i64s(*dilations)),
                 ctx.named("pads", ctx.i64s(pads)),
                 ctx.named("output_padding", ctx.i64s(extra)),
                 ctx.named("group", ctx.i64(1))});
  if (failed(y))
    return failure();
  auto out = ctx.configActivation(*y);
  if (failed(out))
    return failure();
  bindWindowOutput(ctx, *in, *out);
  return success();
}

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

static LogicalResult importPool(LayerContext &ctx) {
  StringRef cls = ctx.className;
  int64_t rank = spatialRank(cls);
  bool isMax = cls.starts_with("Max");
  auto in = windowInput(ctx, rank);
  if (failed(in))
    return failure();
  auto pool = ctx.getInts("pool_size", rank, 2);
  if (failed(pool))
    return failure();
  auto strides = ctx.has("strides") ? ctx.getInts("strides", rank)
                                    : FailureOr<SmallVector<int64_t>>(*pool);
  if (failed(strides) || failed(checkWindow(ctx, "pool_size", *pool)) ||
      failed(checkWindow(ctx, "strides", *strides)))
    return failure();
  SmallVector<int64_t> ones(rank, 1);
  auto pads = windowPads(ctx, in->spatial, *pool, *strides, ones, false);
  if (failed(pads))
    return failure();
  SmallVector<NamedAttribute> attrs = {
      ctx.named("kind",
                PoolKindAttr::get(ctx.context(),
                                  isMax ? PoolKind::max : PoolKind::avg)),
      ctx.named("kernel_shape", ctx.i64s(*pool)),
      ctx.named("strides", ctx.i64s(*strides)),
      ctx.named("dilations", ctx.i64s(ones)),
      ctx.named("pads", ctx.i64s(*pads))};
  // `same` averages leave the padded cells out (count_include_pad off).
  auto y = ctx.create<PoolOp>({in->value}, attrs);
  if (failed(y))
    return failure();
  bindWindowOutput(ctx, *in, *y);
  return success();
}

static LogicalResult importGlobalPool(LayerContext &ctx) {
  StringRef cls = ctx.className;
  int64_t rank = spatialRank(cls);
  bool isMax = cls.starts_with("GlobalMax");
  auto keepdims = ctx.getBool("keepdims", false);
  if (failed(keepdims))
    return failure();
  const KTensor &t = ctx.inputs.empty() ? KTensor() : ctx.inputs[0];
  // A masked GlobalAveragePooling1D averages the unmasked steps only.
  if (!isMax && rank == 1 && t.mask && t.layout == Layout::Keras) {
    auto format = ctx.getString("data_format", "channels_last");
    if (failed(format))
      return failure();
    if (*format == "channels_last") {
      Type f32 = ctx.builder().getF32Type();
      auto m = ctx.cast(t.mask, f32);
      if (failed(m))
        return failure();
      auto shape = LayerContext::typeOf(*m).getShape();
      auto m3 = ctx.reshape(*m, {shape[0], shape[1], 1});
      if (failed(m3))
        return failure();
      auto masked = ctx.binary(BinaryKind::mul, t.value, *m3);
      if (failed(masked))
        return failure();
      auto sum = ctx.reduce(ReduceKind::sum, *masked, {1}, *keepdims);
      auto count = ctx.reduce(ReduceKind::sum, *m3, {1}, *keepdims);
      if (failed(sum) || failed(count))
        return failure();
      auto mean = ctx.binary(BinaryKind::div, *sum, *count);
      if (failed(mean))
        return failure();
      ctx.setOutput(*mean);
      ctx.outputs.back().mask = {};
      return success();
    }
  }
  auto in = windowInput(ctx, rank);
  if (failed(in))
    return failure();
  auto y = ctx.create<GlobalPoolOp>(
      {in->value},
      {ctx.named("kind",
                 PoolKindAttr::get(ctx.context(),
                                   isMax ? PoolKind::max : PoolKind::avg))});
  if (failed(y))
    return failure();
  if (*keepdims) {
    bindWindowOutput(ctx, *in, *y);
    return success();
  }
  auto flat =
      ctx.reshape(*y, {LayerContext::typeOf(*y).getDimSize(0), in->channels});
  if (failed(flat))
    return failure();
  ctx.setOutput(*flat);
  ctx.outputs.back().mask = {};
  return success();
}

//===----------------------------------------------------------------------===//
// Padding, cropping, upsampling
//===----------------------------------------------------------------------===//

/// Reads ZeroPadding/Cropping's `padding`/`cropping`: an int, a list of
/// ints (symmetric per dim) or a list of pairs.
static FailureOr<SmallVector<int64_t>>
beforeAfter(LayerContext &ctx, StringRef key, int64_t rank) {
  const llvm::json::Value *v = ctx.config.get(key);
  SmallVector<int64_t> result(2 * rank, 0);
  if (!v)
    return ctx.emitError() << "the config has no '" << key << "'";
  auto bad = [&]() {
    return ctx.emitError() << "config '" << key
                           << "' must be an int, ints or pairs of ints";
  };
  if (std::optional<int64_t> i = v->getAsInteger()) {
    std::fill(result.begin(), result.end(), *i);
  } else if (const llvm::json::Array *a = v->getAsArray()) {
    if ((int64_t)a->size() != rank && !(rank == 1 && a->size() == 2))
      return bad();
    if (rank == 1 && a->size() == 2 && (*a)[0].getAsInteger()) {
      result[0] = *(*a)[0].getAsInteger();
      result[1] = (*a)[1].getAsInteger().value_or(-1);
    } else {
      for (int64_t d = 0; d < rank; ++d) {
        const llvm::json::Value &e = (*a)[d];
        if (std::optional<int64_t> i = e.getAsInteger()) {
          result[d] = result[rank + d] = *i;
        } else if (const llvm::json::Array *pair = e.getAsArray()) {
          if (pair->size() != 2 || !(*pair)[0].getAsInteger() ||
              !(*pair)[1].getAsInteger())
            return bad();
          result[d] = *(*pair)[0].getAsInteger();
          result[rank + d] = *(*pair)[1].getAsInteger();
        } else {
          return bad();
        }
      }
    }
  } else {
    return bad();
  }
  for (int64_t p : result)
    if (p < 0 || p > (int64_t(1) << 20))
      return ctx.emitError() << "config '" << key << "' is out of range";
  return result;
}

static LogicalResult importZeroPadding(LayerContext &ctx) {
  int64_t rank = spatialRank(ctx.className);
  auto in = windowInput(ctx, rank);
  if (failed(in))
    return failure();
  auto pads = beforeAfter(ctx, "padding", rank);
  if (failed(pads))
    return failure();
  SmallVector<int64_t> all(2 * (rank + 2), 0);
  for (int64_t d = 0; d < rank; ++d) {
    all[2 + d] = (*pads)[d];
    all[rank + 2 + 2 + d] = (*pads)[rank + d];
  }
  auto y = ctx.create<PadOp>(
      {in->value},
      {ctx.named("mode", PadModeAttr::get(ctx.context(), PadMode::constant)),
       ctx.named("pads", ctx.i64s(all))});
  if (failed(y))
    return failure();
  bindWindowOutput(ctx, *in, *y);
  return success();
}

static LogicalResult importCropping(LayerContext &ctx) {
  int64_t rank = spatialRank(ctx.className);
  auto in = windowInput(ctx, rank);
  if (failed(in))
    return failure();
  auto crops = beforeAfter(ctx, "cropping", rank);
  if (failed(crops))
    return failure();
  Value v = in->value;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t size = in->spatial[d];
    int64_t begin = (*crops)[d], end = size - (*crops)[rank + d];
    if (begin >= end)
      return ctx.emitError() << "cropping leaves nothing of dim " << d + 1
                             << " (size " << size << ")";
    auto s = ctx.slice(v, 2 + d, begin, end);
    if (failed(s))
      return failure();
    v = *s;
  }
  bindWindowOutput(ctx, *in, v);
  return success();
}

static LogicalResult importUpSampling(LayerContext &ctx) {
  int64_t rank = spatialRank(ctx.className);
  auto in = windowInput(ctx, rank);
  if (failed(in))
    return failure();
  auto size = ctx.getInts(rank == 1 ? "size" : "size", rank, 2);
  auto interpolation = ctx.getString("interpolation", "nearest");
  if (failed(size) || failed(interpolation) ||
      failed(checkWindow(ctx, "size", *size)))
    return failure();
  SmallVector<float> scales = {1.0f, 1.0f};
  for (int64_t s : *size)
    scales.push_back((float)s);
  SmallVector<NamedAttribute> attrs = {
      ctx.named("scales", ctx.builder().getDenseF32ArrayAttr(scales))};
  if (*interpolation == "nearest") {
    attrs.push_back(ctx.named(
        "mode", ResizeModeAttr::get(ctx.context(), ResizeMode::nearest)));
    attrs.push_back(
        ctx.named("coordinate_transform",
                  CoordinateTransformAttr::get(
                      ctx.context(), CoordinateTransform::asymmetric)));
    attrs.push_back(
        ctx.named("nearest_mode",
                  NearestModeAttr::get(ctx.context(), NearestMode::floor)));
  } else if (*interpolation == "bilinear") {
    attrs.push_back(ctx.named(
        "mode", ResizeModeAttr::get(ctx.context(), ResizeMode::linear)));
    attrs.push_back(
        ctx.named("coordinate_transform",
                  CoordinateTransformAttr::get(
                      ctx.context(), CoordinateTransform::half_pixel)));
  } else {
    return ctx.unsupported("interpolation '" + *interpolation + "'");
  }
  auto inType = LayerContext::typeOf(in->value);
  SmallVector<int64_t> outShape(inType.getShape());
  for (int64_t d = 0; d < rank; ++d)
    outShape[2 + d] *= (*size)[d];
  auto y = ctx.createTyped<ResizeOp>(
      RankedTensorType::get(outShape, inType.getElementType()), {in->value},
      attrs);
  if (failed(y))
    return failure();
  bindWindowOutput(ctx, *in, *y);
  return success();
}

void kiln::keras_frontend::registerConvolutionLayers(LayerTable &table) {
  for (const char *cls : {"Conv1D", "Conv2D", "Conv3D"})
    table[cls] = {importConv, false,
                  "filters, kernel_size, strides, dilation_rate, groups, "
                  "padding valid/same (causal for Conv1D), data_format, "
                  "activation, use_bias"};
  for (const char *cls : {"DepthwiseConv1D", "DepthwiseConv2D"})
    table[cls] = {importConv, false,
                  "kernel_size, strides, dilation_rate, depth_multiplier, "
                  "padding valid/same, data_format, activation, use_bias"};
  for (const char *cls : {"SeparableConv1D", "SeparableConv2D"})
    table[cls] = {importConv, false,
                  "filters, kernel_size, strides, dilation_rate, "
                  "depth_multiplier, padding valid/same, data_format, "
                  "activation, use_bias"};
  for (const char *cls :
       {"Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose"})
    table[cls] = {importConvTranspose, false,
                  "filters, kernel_size, strides, dilation_rate, padding "
                  "valid/same, output_padding, data_format, activation, "
                  "use_bias"};
  for (const char *cls :
       {"MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D",
        "AveragePooling2D", "AveragePooling3D"})
    table[cls] = {importPool, false,
                  "pool_size, strides, padding valid/same (same averages "
                  "leave the padded cells out), data_format"};
  for (const char *cls : {"GlobalAveragePooling1D", "GlobalAveragePooling2D",
                          "GlobalAveragePooling3D", "GlobalMaxPooling1D",
                          "GlobalMaxPooling2D", "GlobalMaxPooling3D"})
    table[cls] = {importGlobalPool, false,
                  "keepdims, data_format; GlobalAveragePooling1D averages "
                  "the unmasked steps of a masked input"};
  for (const char *cls : {"ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D"})
    table[cls] = {importZeroPadding, false, "padding, data_format"};
  for (const char *cls : {"Cropping1D", "Cropping2D", "Cropping3D"})
    table[cls] = {importCropping, false, "cropping, data_format"};
  for (const char *cls : {"UpSampling2D", "UpSampling3D"})
    table[cls] = {importUpSampling, false,
                  "size, interpolation nearest/bilinear, data_format"};
}

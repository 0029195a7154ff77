//===- Core.cpp - Dense, activations, reshaping, merging, embedding -------===//

#include "LayerContext.h"

#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/StringExtras.h"

#include <cstring>

#include <cmath>

using namespace mlir;
using namespace kiln;
using namespace kiln::keras_frontend;
namespace json = llvm::json;
using llvm::SmallVector;
using llvm::StringRef;

/// The physical axis of Keras axis `axis` (normalized) of a tensor held in
/// `layout` with physical rank `rank`.
static int64_t physicalAxis(Layout layout, int64_t axis, int64_t rank) {
  if (layout != Layout::ChannelsFirst || axis == 0)
    return axis;
  return axis == rank - 1 ? 1 : axis + 1;
}

/// Applies an activation to a tensor in any layout (softmaxes along the
/// physical dim of Keras' `axis`).
static LogicalResult activate(LayerContext &ctx, const KTensor &in,
                              StringRef fn, int64_t axis = -1) {
  int64_t rank = LayerContext::typeOf(in.value).getRank();
  auto a = ctx.normalizeAxis(axis, rank);
  if (failed(a))
    return failure();
  return ctx.bindLike(
      in, ctx.activation(in.value, fn, physicalAxis(in.layout, *a, rank)));
}

//===----------------------------------------------------------------------===//
// Dense
//===----------------------------------------------------------------------===//

static LogicalResult importDense(LayerContext &ctx) {
  if (failed(ctx.expectInputs(1, 1)))
    return failure();
  if (failed(ctx.refuseSet("lora_rank", "LoRA adapters")) ||
      failed(ctx.refuseSet("quantization_config", "quantized weights")))
    return failure();
  auto units = ctx.getInt("units");
  auto useBias = ctx.getBool("use_bias", true);
  if (failed(units) || failed(useBias))
    return failure();
  const KTensor &in = ctx.inputs[0];
  SmallVector<int64_t> shape = ctx.kerasShape(in);
  int64_t features = shape.back();
  auto kernel = ctx.weight("vars/0", "kernel", {features, *units});
  if (failed(kernel))
    return failure();
  Value x;
  if (in.layout == Layout::FlatChannelsFirst) {
    // The input is flattened channels-first: permute the kernel's rows
    // instead of the activations.
    SmallVector<int64_t> kerasDims(in.flatDims.begin() + 1, in.flatDims.end());
    kerasDims.push_back(in.flatDims[0]);
    kerasDims.push_back(*units);
    WeightArray shaped = *kernel;
    shaped.shape = kerasDims;
    int64_t k = (int64_t)kerasDims.size() - 2;
    SmallVector<int64_t> perm = {k};
    for (int64_t d = 0; d < k; ++d)
      perm.push_back(d);
    perm.push_back(k + 1);
    *kernel = permute(shaped, perm);
    kernel->shape = {features, *units};
    x = in.value;
  } else {
    auto v = ctx.keras(in);
    if (failed(v))
      return failure();
    x = *v;
  }
  Value w = ctx.constant(*kernel);
  Value bias;
  if (*useBias) {
    auto b = ctx.weight("vars/1", "bias", {*units});
    if (failed(b))
      return failure();
    bias = ctx.constant(*b);
  }
  FailureOr<Value> y;
  if (LayerContext::typeOf(x).getRank() == 2) {
    SmallVector<Value> operands = {x, w};
    if (bias)
      operands.push_back(bias);
    y = ctx.create<GemmOp>(operands);
  } else {
    y = ctx.create<MatMulOp>({x, w});
    if (succeeded(y) && bias)
      y = ctx.binary(BinaryKind::add, *y, bias);
  }
  if (failed(y))
    return failure();
  auto out = ctx.configActivation(*y);
  if (failed(out))
    return failure();
  ctx.setOutput(*out);
  return success();
}

//===----------------------------------------------------------------------===//
// Activations
//===----------------------------------------------------------------------===//

static LogicalResult importActivation(LayerContext &ctx) {
  if (failed(ctx.expectInputs(1, 1)))
    return failure();
  const json::Value *v = ctx.config.get("activation");
  if (!v || !v->getAsString()) {
    auto out = ctx.configActivation(ctx.inputs[0].value);
    if (failed(out))
      return failure();
    ctx.setOutput(*out, ctx.inputs[0].layout);
    ctx.outputs.back().flatDims = ctx.inputs[0].flatDims;
    return success();
  }
  return activate(ctx, ctx.inputs[0], *v->getAsString());
}

static LogicalResult importReLU(LayerContext &ctx) {
  if (failed(ctx.expectInputs(1, 1)))
    return failure();
  auto maxValue = ctx.has("max_value") ? ctx.getFloat("max_value")
                                       : FailureOr<double>(INFINITY);
  auto slope = ctx.getFloat("negative_slope", 0.0);
  auto threshold = ctx.getFloat("threshold", 0.0);
  if (failed(maxValue) || failed(slope) || failed(threshold))
    return failure();
  if (*maxValue < 0)
    return ctx.emitError() << "max_value must not be negative";
  KTensor in = ctx.inputs[0];
  Value x = in.value;
  Type f32 = ctx.builder().getF32Type();
  FailureOr<Value> y;
  if (*threshold == 0 && *slope == 0) {
    y = std::isinf(*maxValue)
            ? ctx.unary(UnaryKind::relu, x)
            : ctx.unary(UnaryKind::clip, x, 0.0f, (float)*maxValue);
  } else {
    if (*threshold == 0) {
      y = ctx.unary(UnaryKind::leaky_relu, x, (float)*slope);
    } else {
      // x >= threshold ? x : slope * (x - threshold)
      auto ge = ctx.create<CompareOp>(
          {x, ctx.scalar(*threshold, f32)},
          {ctx.named("predicate", ComparePredicateAttr::get(
                                      ctx.context(), ComparePredicate::ge))});
      auto shifted =
          ctx.binary(BinaryKind::sub, x, ctx.scalar(*threshold, f32));
      if (failed(ge) || failed(shifted))
        return failure();
      auto scaled =
          ctx.binary(BinaryKind::mul, *shifted, ctx.scalar(*slope, f32));
      if (failed(scaled))
        return failure();
      y = ctx.create<WhereOp>({*ge, x, *scaled});
    }
    if (succeeded(y) && !std::isinf(*maxValue))
      y = ctx.binary(BinaryKind::min, *y, ctx.scalar(*maxValue, f32));
  }
  return ctx.bindLike(in, y);
}

static LogicalResult importLeakyReLU(LayerContext &ctx) {
  if (failed(ctx.expectInputs(1, 1)))
    return failure();
  // Keras 3 names it negative_slope, tf.keras alpha; both default to 0.3.
  auto slope = ctx.has("negative_slope") ? ctx.getFloat("negative_slope")
                                         : ctx.getFloat("alpha", 0.3);
  if (failed(slope))
    return failure();
  const KTensor &in = ctx.inputs[0];
  return ctx.bindLike(
      in, ctx.unary(UnaryKind::leaky_relu, in.value, (float)*slope));
}

static LogicalResult importELU(LayerContext &ctx) {
  if (failed(ctx.expectInputs(1, 1)))
    return failure();
  auto alpha = ctx.getFloat("alpha", 1.0);
  if (failed(alpha))
    return failure();
  const KTensor &in = ctx.inputs[0];
  return ctx.bindLike(in, ctx.unary(UnaryKind::elu, in.value, (float)*alpha));
}

static LogicalResult importSoftmax(LayerContext &ctx) {
  if (failed(ctx.expectInputs(1, 1)))
    return failure();
  auto axes = ctx.getInts("axis", 0, -1);
  if (failed(axes))
    return failure();
  if (axes->size() != 1)
    return ctx.unsupported("softmax over several axes");
  return activate(ctx, ctx.inputs[0], "softmax", (*axes)[0]);
}

static LogicalResult importPReLU(LayerContext &ctx) {
  if (failed(ctx.expectInputs(1, 1)))
    return failure();
  KTensor in = ctx.inputs[0];
  SmallVector<int64_t> shape = ctx.kerasShape(in);
  auto shared = ctx.getInts("shared_axes", 0, 0);
  if (failed(shared))
    return failure();
  SmallVector<int64_t> alphaShape(shape.begin() + 1, shape.end());
  if (ctx.has("shared_axes"))
    for (int64_t axis : *shared) {
      if (axis < 1 || axis >= (int64_t)shape.size())
        return ctx.emitError() << "shared axis " << axis << " is out of range";
      alphaShape[axis - 1] = 1;
    }
  auto alpha = ctx.weight("vars/0", "alpha", alphaShape);
  if (failed(alpha))
    return failure();
  WeightArray a = *alpha;
  if (in.layout == Layout::ChannelsFirst) {
    int64_t r = (int64_t)a.shape.size();
    SmallVector<int64_t> perm = {r - 1};
    for (int64_t d = 0; d < r - 1; ++d)
      perm.push_back(d);
    a = permute(a, perm);
  } else if (in.layout == Layout::FlatChannelsFirst) {
    auto x = ctx.keras(in);
    if (failed(x))
      return failure();
    in.value = *x;
    in.layout = Layout::Keras;
  }
  SmallVector<int64_t> broadcast = {1};
  broadcast.append(a.shape.begin(), a.shape.end());
  a.shape = broadcast;
  auto y = ctx.binary(BinaryKind::prelu, in.value, ctx.constant(a));
  return ctx.bindLike(in, y);
}

/// Dropout, noise and regularization layers: the identity at inference.
static LogicalResult importIdentity(LayerContext &ctx) {
  if (failed(ctx.expectInputs(1, 1)))
    return failure();
  ctx.outputs.push_back(ctx.inputs[0]);
  return success();
}

//===----------------------------------------------------------------------===//
// Reshaping
//===----------------------------------------------------------------------===//

static LogicalResult importFlatten(LayerContext &ctx) {
  if (failed(ctx.expectInputs(1, 1)))
    return failure();
  auto format = ctx.getString("data_format", "channels_last");
  if (failed(format))
    return failure();
  if (*format != "channels_last")
    return ctx.unsupported("Flatten with data_format '" + *format + "'");
  const KTensor &in = ctx.inputs[0];
  auto shape = LayerContext::typeOf(in.value).getShape();
  int64_t count = 1;
  for (int64_t d : shape.drop_front())
    count *= d;
  KTensor out;
  if (in.layout == Layout::ChannelsFirst) {
    auto flat = ctx.reshape(in.value, {shape[0], count});
    if (failed(flat))
      return failure();
    out.value = *flat;
    out.layout = Layout::FlatChannelsFirst;
    out.flatDims.assign(shape.begin() + 1, shape.end());
  } else if (in.layout == Layout::FlatChannelsFirst) {
    out = in;
  } else {
    auto flat = ctx.reshape(in.value, {shape[0], count});
    if (failed(flat))
      return failure();
    out.value = *flat;
  }
  ctx.outputs.push_back(out);
  return success();
}

/// The float data of a kiln.constant, or none.
static std::optional<std::vector<float>> constantData(Value value) {
  auto op = value.getDefiningOp<ConstantOp>();
  if (!op || !LayerContext::typeOf(value).getElementType().isF32())
    return std::nullopt;
  Attribute attr = op.getValue();
  if (auto dense = llvm::dyn_cast<DenseElementsAttr>(attr)) {
    auto values = dense.getValues<float>();
    return std::vector<float>(values.begin(), values.end());
  }
  if (auto resource = llvm::dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return std::nullopt;
    ArrayRef<char> bytes = blob->getData();
    std::vector<float> data(bytes.size() / sizeof(float));
    std::memcpy(data.data(), bytes.data(), data.size() * sizeof(float));
    return data;
  }
  return std::nullopt;
}

/// Reshaping the output of a Dense (and the activations and batch norms
/// after it) to a channels-last image: permutes the Dense's output columns
/// (and the batch norms' parameters) instead, so that its result is the
/// image channels-first with no transpose. Returns the new value, or null
/// when the producer is not such a Dense.
static Value reshapeDenseChannelsFirst(LayerContext &ctx, Value x,
                                       ArrayRef<int64_t> kerasShape) {
  // Nothing but the reshape may read the chain: `x` is not used yet, each
  // value before it once.
  if (!x.use_empty())
    return {};
  SmallVector<BatchNormOp> norms;
  Value v = x;
  while (true) {
    Operation *def = v.getDefiningOp();
    Value next;
    if (auto unary = llvm::dyn_cast_or_null<UnaryOp>(def)) {
      next = unary.getInput();
    } else if (auto norm = llvm::dyn_cast_or_null<BatchNormOp>(def)) {
      norms.push_back(norm);
      next = norm.getInput();
    } else {
      break;
    }
    v = next;
    if (!v.hasOneUse())
      return {};
  }
  auto gemm = v.getDefiningOp<GemmOp>();
  if (!gemm || gemm.getTransA() || gemm.getTransB() ||
      gemm.getAlpha().convertToFloat() != 1.0f ||
      gemm.getBeta().convertToFloat() != 1.0f || !gemm.getC())
    return {};
  int64_t units = LayerContext::typeOf(gemm.getB()).getDimSize(1);
  int64_t channels = kerasShape.back();
  int64_t spatial = units / channels;
  // Column j of the channels-first order (c * spatial + s) is column
  // s * channels + c of Keras'.
  auto permuted = [&](Value constant,
                      int64_t rows) -> std::optional<std::vector<float>> {
    auto data = constantData(constant);
    if (!data || (int64_t)data->size() != rows * units || !constant.hasOneUse())
      return std::nullopt;
    std::vector<float> out(data->size());
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t s = 0; s < spatial; ++s)
        for (int64_t r = 0; r < rows; ++r)
          out[r * units + c * spatial + s] =
              (*data)[r * units + s * channels + c];
    return out;
  };
  int64_t rows = LayerContext::typeOf(gemm.getB()).getDimSize(0);
  struct Replacement {
    Operation *op;
    unsigned operand;
    std::vector<float> data;
    SmallVector<int64_t> shape;
  };
  SmallVector<Replacement> replacements;
  auto plan = [&](Operation *op, unsigned operand, int64_t r) {
    auto data = permuted(op->getOperand(operand), r);
    if (!data)
      return false;
    SmallVector<int64_t> shape =
        r == 1 ? SmallVector<int64_t>{units} : SmallVector<int64_t>{r, units};
    replacements.push_back({op, operand, std::move(*data), shape});
    return true;
  };
  if (!plan(gemm, 1, rows) || !plan(gemm, 2, 1))
    return {};
  for (BatchNormOp norm : norms)
    for (unsigned operand = 1; operand <= 4; ++operand)
      if (!plan(norm, operand, 1))
        return {};
  for (Replacement &r : replacements) {
    OpBuilder::InsertionGuard guard(ctx.builder());
    ctx.builder().setInsertionPoint(r.op);
    Value old = r.op->getOperand(r.operand);
    r.op->setOperand(r.operand, ctx.constant(r.data, r.shape));
    old.getDefiningOp()->erase();
  }
  return x;
}

static LogicalResult importReshape(LayerContext &ctx) {
  if (failed(ctx.expectInputs(1, 1)))
    return failure();
  auto target = ctx.getInts("target_shape", 0);
  if (failed(target))
    return failure();
  auto x = ctx.keras(ctx.inputs[0]);
  if (failed(x))
    return failure();
  auto shape = LayerContext::typeOf(*x).getShape();
  int64_t count = 1;
  for (int64_t d : shape.drop_front())
    count *= d;
  SmallVector<int64_t> result = {shape[0]};
  int64_t known = 1, unknown = -1;
  for (auto [i, d] : llvm::enumerate(*target)) {
    if (d == -1) {
      if (unknown >= 0)
        return ctx.emitError() << "target_shape has two -1 dims";
      unknown = i + 1;
      result.push_back(1);
      continue;
    }
    if (d <= 0)
      return ctx.emitError() << "target_shape has a dim " << d;
    known *= d;
    result.push_back(d);
    if (known > count)
      break;
  }
  if (unknown >= 0 && known > 0 && count % known == 0)
    result[unknown] = count / known;
  int64_t total = 1;
  for (int64_t d : ArrayRef<int64_t>(result).drop_front())
    total *= d;
  if (total != count) {
    InFlightDiagnostic diag = ctx.emitError();
    diag << "cannot reshape " << count << " elements to [";
    llvm::interleaveComma(*target, diag);
    return diag << "]";
  }
  // [B, N] -> [B, spatial..., C] from a Dense: keep it channels-first.
  if (ctx.inputs[0].layout == Layout::Keras && shape.size() == 2 &&
      (result.size() == 4 || result.size() == 5)) {
    if (Value permuted = reshapeDenseChannelsFirst(ctx, *x, result)) {
      SmallVector<int64_t> physical = {result[0], result.back()};
      physical.append(result.begin() + 1, result.end() - 1);
      auto y = ctx.reshape(permuted, physical);
      if (failed(y))
        return failure();
      ctx.setOutput(*y, Layout::ChannelsFirst);
      ctx.outputs.back().mask = {};
      return success();
    }
  }
  auto y = ctx.reshape(*x, result);
  if (failed(y))
    return failure();
  ctx.setOutput(*y);
  ctx.outputs.back().mask = {};
  return success();
}

static LogicalResult importPermute(LayerContext &ctx) {
  if (failed(ctx.expectInputs(1, 1)))
    return failure();
  auto dims = ctx.getInts("dims", 0);
  if (failed(dims))
    return failure();
  auto x = ctx.keras(ctx.inputs[0]);
  if (failed(x))
    return failure();
  int64_t rank = LayerContext::typeOf(*x).getRank();
  SmallVector<int64_t> perm = {0};
  SmallVector<bool> seen(rank, false);
  for (int64_t d : *dims) {
    if (d < 1 || d >= rank || seen[d])
      return ctx.emitError() << "dims is not a permutation of 1.." << rank - 1;
    seen[d] = true;
    perm.push_back(d);
  }
  if ((int64_t)perm.size() != rank)
    return ctx.emitError() << "dims is not a permutation of 1.." << rank - 1;
  auto y = ctx.transpose(*x, perm);
  if (failed(y))
    return failure();
  ctx.setOutput(*y);
  ctx.outputs.back().mask = {};
  return success();
}

static LogicalResult importRepeatVector(LayerContext &ctx) {
  if (failed(ctx.expectInputs(1, 1)))
    return failure();
  auto n = ctx.getInt("n");
  if (failed(n))
    return failure();
  if (*n < 1 || *n > (int64_t(1) << 24))
    return ctx.emitError() << "n = " << *n << " is out of range";
  auto x = ctx.keras(ctx.inputs[0]);
  if (failed(x))
    return failure();
  auto type = LayerContext::typeOf(*x);
  if (type.getRank() != 2)
    return ctx.emitError() << "RepeatVector takes a rank-2 input";
  auto expanded = ctx.reshape(*x, {type.getDimSize(0), 1, type.getDimSize(1)});
  if (failed(expanded))
    return failure();
  auto y = ctx.createTyped<ExpandOp>(
      RankedTensorType::get({type.getDimSize(0), *n, type.getDimSize(1)},
                            type.getElementType()),
      {*expanded});
  if (failed(y))
    return failure();
  ctx.setOutput(*y);
  return success();
}

//===----------------------------------------------------------------------===//
// Merging
//===----------------------------------------------------------------------===//

/// Whether all inputs share a layout (and physical shape) so that an
/// elementwise merge can run on them as they are held.
static bool sameLayout(ArrayRef<KTensor> inputs) {
  for (const KTensor &t : inputs)
    if (t.layout != inputs[0].layout || t.flatDims != inputs[0].flatDims ||
        t.value.getType() != inputs[0].value.getType())
      return false;
  return true;
}

/// The AND of the inputs' masks (null when none has one).
static FailureOr<Value> mergeMasks(LayerContext &ctx) {
  Value mask;
  for (const KTensor &t : ctx.inputs) {
    if (!t.mask)
      continue;
    if (!mask) {
      mask = t.mask;
      continue;
    }
    auto both = ctx.binary(BinaryKind::logical_and, mask, t.mask);
    if (failed(both))
      return failure();
    mask = *both;
  }
  return mask;
}

static LogicalResult importElementwiseMerge(LayerContext &ctx) {
  if (ctx.inputs.size() < 1)
    return ctx.emitError() << "the layer takes a list of tensors";
  StringRef cls = ctx.className;
  if (cls == "Subtract" && ctx.inputs.size() != 2)
    return ctx.emitError() << "Subtract takes exactly 2 tensors";
  bool keep = sameLayout(ctx.inputs);
  SmallVector<Value> values;
  for (const KTensor &t : ctx.inputs) {
    if (keep) {
      values.push_back(t.value);
      continue;
    }
    auto v = ctx.keras(t);
    if (failed(v))
      return failure();
    values.push_back(*v);
  }
  BinaryKind kind = BinaryKind::add;
  if (cls == "Subtract")
    kind = BinaryKind::sub;
  else if (cls == "Multiply")
    kind = BinaryKind::mul;
  else if (cls == "Maximum")
    kind = BinaryKind::max;
  else if (cls == "Minimum")
    kind = BinaryKind::min;
  Value acc = values[0];
  for (Value v : ArrayRef<Value>(values).drop_front()) {
    auto next = ctx.binary(kind, acc, v);
    if (failed(next))
      return failure();
    acc = *next;
  }
  if (cls == "Average") {
    auto mean = ctx.binary(
        BinaryKind::div, acc,
        ctx.scalar((double)values.size(), ctx.builder().getF32Type()));
    if (failed(mean))
      return failure();
    acc = *mean;
  }
  auto mask = mergeMasks(ctx);
  if (failed(mask))
    return failure();
  KTensor out;
  out.value = acc;
  out.layout = keep ? ctx.inputs[0].layout : Layout::Keras;
  out.flatDims = keep ? ctx.inputs[0].flatDims : SmallVector<int64_t>();
  out.mask = *mask;
  ctx.outputs.push_back(out);
  return success();
}

static LogicalResult importConcatenate(LayerContext &ctx) {
  if (ctx.inputs.empty())
    return ctx.emitError() << "the layer takes a list of tensors";
  auto axis = ctx.getInt("axis", -1);
  if (failed(axis))
    return failure();
  int64_t rank = LayerContext::typeOf(ctx.inputs[0].value).getRank();
  auto a = ctx.normalizeAxis(*axis, rank);
  if (failed(a))
    return failure();
  bool channelsFirst = true;
  for (const KTensor &t : ctx.inputs)
    channelsFirst &= t.layout == Layout::ChannelsFirst;
  SmallVector<Value> values;
  for (const KTensor &t : ctx.inputs) {
    FailureOr<Value> v =
        channelsFirst ? FailureOr<Value>(t.value) : ctx.keras(t);
    if (failed(v))
      return failure();
    values.push_back(*v);
  }
  int64_t physical =
      channelsFirst ? physicalAxis(Layout::ChannelsFirst, *a, rank) : *a;
  auto y = ctx.concat(values, physical);
  if (failed(y))
    return failure();
  KTensor out;
  out.value = *y;
  out.layout = channelsFirst ? Layout::ChannelsFirst : Layout::Keras;
  ctx.outputs.push_back(out);
  return success();
}

static LogicalResult importDot(LayerContext &ctx) {
  if (failed(ctx.expectInputs(2, 2)))
    return failure();
  auto axes = ctx.getInts("axes", 0);
  auto normalize = ctx.getBool("normalize", false);
  if (failed(axes) || failed(normalize))
    return failure();
  auto x = ctx.keras(ctx.inputs[0]);
  auto y = ctx.keras(ctx.inputs[1]);
  if (failed(x) || failed(y))
    return failure();
  int64_t rx = LayerContext::typeOf(*x).getRank();
  int64_t ry = LayerContext::typeOf(*y).getRank();
  if (rx != ry || rx < 2 || rx > 3)
    return ctx.unsupported("Dot of tensors of ranks " + llvm::Twine(rx) +
                           " and " + llvm::Twine(ry) +
                           " (Kiln reads ranks 2 and 3)");
  SmallVector<int64_t> ax = *axes;
  if (ax.size() == 1)
    ax.push_back(ax[0]);
  if (ax.size() != 2)
    return ctx.emitError() << "axes must be one or two integers";
  for (int64_t &a : ax) {
    auto n = ctx.normalizeAxis(a, rx);
    if (failed(n))
      return failure();
    if (*n == 0)
      return ctx.unsupported("Dot over the batch axis");
    a = *n;
  }
  Value lhs = *x, rhs = *y;
  if (*normalize) {
    auto l = ctx.l2Normalize(lhs, {ax[0]});
    auto r = ctx.l2Normalize(rhs, {ax[1]});
    if (failed(l) || failed(r))
      return failure();
    lhs = *l;
    rhs = *r;
  }
  FailureOr<Value> result;
  if (rx == 2) {
    auto product = ctx.binary(BinaryKind::mul, lhs, rhs);
    if (failed(product))
      return failure();
    result = ctx.reduce(ReduceKind::sum, *product, {1}, true);
  } else {
    // Batched: move the contracted axes to lhs's last and rhs's middle.
    auto l = ax[0] == 2 ? FailureOr<Value>(lhs) : ctx.transpose(lhs, {0, 2, 1});
    auto r = ax[1] == 1 ? FailureOr<Value>(rhs) : ctx.transpose(rhs, {0, 2, 1});
    if (failed(l) || failed(r))
      return failure();
    result = ctx.create<MatMulOp>({*l, *r});
  }
  if (failed(result))
    return failure();
  ctx.setOutput(*result);
  ctx.outputs.back().mask = {};
  return success();
}

//===----------------------------------------------------------------------===//
// Embedding and preprocessing
//===----------------------------------------------------------------------===//

static LogicalResult importEmbedding(LayerContext &ctx) {
  if (failed(ctx.expectInputs(1, 1)))
    return failure();
  if (failed(ctx.refuseSet("lora_rank", "LoRA adapters")) ||
      failed(ctx.refuseSet("quantization_config", "quantized weights")) ||
      failed(ctx.refuseSet("sparse", "sparse gradients")))
    return failure();
  auto inputDim = ctx.getInt("input_dim");
  auto outputDim = ctx.getInt("output_dim");
  auto maskZero = ctx.getBool("mask_zero", false);
  if (failed(inputDim) || failed(outputDim) || failed(maskZero))
    return failure();
  auto table = ctx.weight("vars/0", "embeddings", {*inputDim, *outputDim});
  if (failed(table))
    return failure();
  auto ids = ctx.keras(ctx.inputs[0]);
  if (failed(ids))
    return failure();
  Type element = LayerContext::typeOf(*ids).getElementType();
  Value indices = *ids;
  if (llvm::isa<FloatType>(element)) {
    // Keras casts float ids to int32.
    auto cast = ctx.cast(indices, ctx.builder().getI32Type());
    if (failed(cast))
      return failure();
    indices = *cast;
  }
  auto y = ctx.create<GatherOp>({ctx.constant(*table), indices},
                                {ctx.named("axis", ctx.i64(0))});
  if (failed(y))
    return failure();
  KTensor out;
  out.value = *y;
  if (*maskZero) {
    Type idType = LayerContext::typeOf(indices).getElementType();
    auto mask = ctx.create<CompareOp>(
        {indices, ctx.scalar(0, idType)},
        {ctx.named("predicate", ComparePredicateAttr::get(
                                    ctx.context(), ComparePredicate::ne))});
    if (failed(mask))
      return failure();
    out.mask = *mask;
  }
  ctx.outputs.push_back(out);
  return success();
}

/// A per-channel or scalar preprocessing constant from a config value.
static FailureOr<SmallVector<float>> floatList(LayerContext &ctx,
                                               StringRef key) {
  const json::Value *v = ctx.config.get(key);
  SmallVector<float> values;
  if (!v)
    return values;
  if (std::optional<double> d = v->getAsNumber()) {
    values.push_back(*d);
    return values;
  }
  // Nested lists broadcast like NumPy; flatten them.
  SmallVector<const json::Value *> stack = {v};
  while (!stack.empty()) {
    const json::Value *top = stack.pop_back_val();
    if (std::optional<double> d = top->getAsNumber()) {
      values.push_back(*d);
    } else if (const json::Array *a = top->getAsArray()) {
      for (size_t i = a->size(); i > 0; --i)
        stack.push_back(&(*a)[i - 1]);
      if (values.size() + stack.size() > (1u << 24))
        return ctx.emitError() << "config '" << key << "' is too large";
    } else {
      return ctx.emitError() << "config '" << key << "' must hold numbers";
    }
  }
  return values;
}

/// A constant of per-last-axis (Keras) `values` shaped to broadcast against
/// `in` as it is held.
static FailureOr<Value> channelConstant(LayerContext &ctx, const KTensor &in,
                                        ArrayRef<float> values) {
  SmallVector<int64_t> shape = ctx.kerasShape(in);
  int64_t rank = shape.size();
  if (values.size() == 1)
    return ctx.constant(values, {});
  if ((int64_t)values.size() != shape.back())
    return ctx.emitError() << "the layer holds " << values.size()
                           << " values for " << shape.back() << " channels";
  SmallVector<int64_t> bshape(rank, 1);
  if (in.layout == Layout::ChannelsFirst)
    bshape[1] = values.size();
  else if (in.layout == Layout::Keras)
    bshape[rank - 1] = values.size();
  else
    return failure();
  return ctx.constant(values, bshape);
}

static LogicalResult importRescaling(LayerContext &ctx) {
  if (failed(ctx.expectInputs(1, 1)))
    return failure();
  auto scale = floatList(ctx, "scale");
  auto offset = floatList(ctx, "offset");
  if (failed(scale) || failed(offset))
    return failure();
  if (scale->empty())
    return ctx.emitError() << "the config has no 'scale'";
  KTensor in = ctx.inputs[0];
  if (in.layout == Layout::FlatChannelsFirst ||
      (scale->size() > 1 || offset->size() > 1)) {
    if (in.layout == Layout::FlatChannelsFirst) {
      auto v = ctx.keras(in);
      if (failed(v))
        return failure();
      in.value = *v;
      in.layout = Layout::Keras;
    }
  }
  Value x = in.value;
  if (!llvm::isa<FloatType>(LayerContext::typeOf(x).getElementType())) {
    auto cast = ctx.cast(x, ctx.builder().getF32Type());
    if (failed(cast))
      return failure();
    x = *cast;
  }
  auto s = channelConstant(ctx, in, *scale);
  if (failed(s))
    return failure();
  auto y = ctx.binary(BinaryKind::mul, x, *s);
  if (failed(y))
    return failure();
  if (!offset->empty()) {
    auto o = channelConstant(ctx, in, *offset);
    if (failed(o))
      return failure();
    y = ctx.binary(BinaryKind::add, *y, *o);
  }
  return ctx.bindLike(in, y);
}

static LogicalResult importNormalization(LayerContext &ctx) {
  if (failed(ctx.expectInputs(1, 1)))
    return failure();
  if (failed(ctx.refuseSet("invert", "the inverse normalization")))
    return failure();
  auto axes = ctx.getInts("axis", 0, -1);
  if (failed(axes))
    return failure();
  KTensor in = ctx.inputs[0];
  SmallVector<int64_t> shape = ctx.kerasShape(in);
  int64_t rank = shape.size();
  if (axes->size() != 1 || ((*axes)[0] != -1 && (*axes)[0] != rank - 1))
    return ctx.unsupported("Normalization over axes other than the last");
  int64_t channels = shape.back();
  SmallVector<float> mean, variance;
  if (ctx.has("mean")) {
    auto m = floatList(ctx, "mean");
    auto v = floatList(ctx, "variance");
    if (failed(m) || failed(v))
      return failure();
    mean = *m;
    variance = *v;
  } else {
    auto m = ctx.weight("vars/0", "mean", {channels});
    auto v = ctx.weight("vars/1", "variance", {channels});
    if (failed(m) || failed(v))
      return failure();
    mean.assign(m->data.begin(), m->data.end());
    variance.assign(v->data.begin(), v->data.end());
  }
  if (mean.size() != variance.size())
    return ctx.emitError() << "mean and variance differ in size";
  if (in.layout == Layout::FlatChannelsFirst) {
    auto v = ctx.keras(in);
    if (failed(v))
      return failure();
    in.value = *v;
    in.layout = Layout::Keras;
  }
  // (x - mean) / max(sqrt(variance), epsilon), epsilon = 1e-7.
  SmallVector<float> inverse;
  for (float v : variance)
    inverse.push_back(1.0f / std::max(std::sqrt(v), 1e-7f));
  auto m = channelConstant(ctx, in, mean);
  auto s = channelConstant(ctx, in, inverse);
  if (failed(m) || failed(s))
    return failure();
  auto centered = ctx.binary(BinaryKind::sub, in.value, *m);
  if (failed(centered))
    return failure();
  auto y = ctx.binary(BinaryKind::mul, *centered, *s);
  return ctx.bindLike(in, y);
}

static LogicalResult importMasking(LayerContext &ctx) {
  if (failed(ctx.expectInputs(1, 1)))
    return failure();
  auto maskValue = ctx.getFloat("mask_value", 0.0);
  if (failed(maskValue))
    return failure();
  auto x = ctx.keras(ctx.inputs[0]);
  if (failed(x))
    return failure();
  auto type = LayerContext::typeOf(*x);
  if (type.getRank() != 3)
    return ctx.unsupported("Masking of a tensor of rank other than 3");
  auto ne = ctx.create<CompareOp>(
      {*x, ctx.scalar(*maskValue, type.getElementType())},
      {ctx.named("predicate", ComparePredicateAttr::get(
                                  ctx.context(), ComparePredicate::ne))});
  if (failed(ne))
    return failure();
  auto asFloat = ctx.cast(*ne, type.getElementType());
  if (failed(asFloat))
    return failure();
  auto any = ctx.reduce(ReduceKind::max, *asFloat, {2}, false);
  if (failed(any))
    return failure();
  auto mask = ctx.create<CompareOp>(
      {*any, ctx.scalar(0, type.getElementType())},
      {ctx.named("predicate", ComparePredicateAttr::get(
                                  ctx.context(), ComparePredicate::ne))});
  auto keep = ctx.reduce(ReduceKind::max, *asFloat, {2}, true);
  if (failed(mask) || failed(keep))
    return failure();
  auto y = ctx.binary(BinaryKind::mul, *x, *keep);
  if (failed(y))
    return failure();
  KTensor out;
  out.value = *y;
  out.mask = *mask;
  ctx.outputs.push_back(out);
  return success();
}

//===----------------------------------------------------------------------===//
// Keras 3 ops in functional graphs
//===----------------------------------------------------------------------===//

/// Argument `i` of an op call: a tensor (in Keras' order) or a number.
static FailureOr<Value> opOperand(LayerContext &ctx, size_t i, Type like) {
  if (i >= ctx.args.size())
    return ctx.emitError() << "the op has no argument " << i;
  const json::Value &arg = ctx.args[i];
  if (const json::Object *object = arg.getAsObject()) {
    std::optional<int64_t> index = object->getInteger("__tensor__");
    if (index && *index >= 0 && *index < (int64_t)ctx.inputs.size())
      return ctx.keras(ctx.inputs[*index]);
  }
  if (std::optional<double> d = arg.getAsNumber()) {
    if (!like)
      like = ctx.builder().getF32Type();
    return ctx.scalar(*d, like);
  }
  if (std::optional<bool> b = arg.getAsBoolean())
    return ctx.scalar(*b ? 1 : 0, like ? like : ctx.builder().getF32Type());
  return ctx.unsupported("argument " + llvm::Twine(i) + " of the op");
}

static LogicalResult importBinaryOp(LayerContext &ctx) {
  StringRef cls = ctx.className;
  auto lhs = opOperand(ctx, 0, Type());
  if (failed(lhs))
    return failure();
  auto rhs = opOperand(ctx, 1, LayerContext::typeOf(*lhs).getElementType());
  if (failed(rhs))
    return failure();
  Value l = *lhs, r = *rhs;
  // A number against a tensor takes the tensor's element type.
  if (LayerContext::typeOf(l).getRank() == 0 &&
      LayerContext::typeOf(r).getElementType() !=
          LayerContext::typeOf(l).getElementType()) {
    auto c = ctx.cast(l, LayerContext::typeOf(r).getElementType());
    if (failed(c))
      return failure();
    l = *c;
  }
  FailureOr<Value> y;
  static const llvm::StringMap<ComparePredicate> compares = {
      {"NotEqual", ComparePredicate::ne},
      {"Equal", ComparePredicate::eq},
      {"Greater", ComparePredicate::gt},
      {"GreaterEqual", ComparePredicate::ge},
      {"Less", ComparePredicate::lt},
      {"LessEqual", ComparePredicate::le}};
  static const llvm::StringMap<BinaryKind> binaries = {
      {"Add", BinaryKind::add},
      {"Subtract", BinaryKind::sub},
      {"Multiply", BinaryKind::mul},
      {"Divide", BinaryKind::div},
      {"TrueDivide", BinaryKind::div},
      {"Maximum", BinaryKind::max},
      {"Minimum", BinaryKind::min},
      {"Power", BinaryKind::pow},
      {"LogicalAnd", BinaryKind::logical_and},
      {"LogicalOr", BinaryKind::logical_or}};
  if (auto it = compares.find(cls); it != compares.end())
    y = ctx.create<CompareOp>(
        {l, r}, {ctx.named("predicate", ComparePredicateAttr::get(
                                            ctx.context(), it->second))});
  else if (cls == "Matmul")
    y = ctx.create<MatMulOp>({l, r});
  else
    y = ctx.binary(binaries.lookup(cls), l, r);
  return ctx.bindPlain(y);
}

static LogicalResult importUnaryOp(LayerContext &ctx) {
  static const llvm::StringMap<UnaryKind> kinds = {
      {"Exp", UnaryKind::exp},
      {"Log", UnaryKind::log},
      {"Sqrt", UnaryKind::sqrt},
      {"Tanh", UnaryKind::tanh},
      {"Abs", UnaryKind::abs},
      {"Negative", UnaryKind::neg},
      {"Sigmoid", UnaryKind::sigmoid},
      {"Relu", UnaryKind::relu},
      {"LogicalNot", UnaryKind::logical_not}};
  auto x = opOperand(ctx, 0, Type());
  if (failed(x))
    return failure();
  auto y = ctx.unary(kinds.lookup(ctx.className), *x);
  return ctx.bindPlain(y);
}

static LogicalResult importSquareOp(LayerContext &ctx) {
  auto x = opOperand(ctx, 0, Type());
  if (failed(x))
    return failure();
  auto y = ctx.binary(BinaryKind::mul, *x, *x);
  return ctx.bindPlain(y);
}

static LogicalResult importReduceOp(LayerContext &ctx) {
  static const llvm::StringMap<ReduceKind> kinds = {{"Sum", ReduceKind::sum},
                                                    {"Mean", ReduceKind::mean},
                                                    {"Max", ReduceKind::max},
                                                    {"Min", ReduceKind::min},
                                                    {"Prod", ReduceKind::prod}};
  auto x = opOperand(ctx, 0, Type());
  auto keepdims = ctx.getBool("keepdims", false);
  if (failed(x) || failed(keepdims))
    return failure();
  int64_t rank = LayerContext::typeOf(*x).getRank();
  SmallVector<int64_t> axes;
  if (ctx.has("axis")) {
    auto given = ctx.getInts("axis", 0);
    if (failed(given))
      return failure();
    for (int64_t a : *given) {
      auto n = ctx.normalizeAxis(a, rank);
      if (failed(n))
        return failure();
      axes.push_back(*n);
    }
  } else {
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  }
  auto y = ctx.reduce(kinds.lookup(ctx.className), *x, axes, *keepdims);
  return ctx.bindPlain(y);
}

static LogicalResult importCastOp(LayerContext &ctx) {
  auto x = opOperand(ctx, 0, Type());
  auto dtype = ctx.getString("dtype", "float32");
  if (failed(x) || failed(dtype))
    return failure();
  Builder &b = ctx.builder();
  Type element;
  if (*dtype == "float32")
    element = b.getF32Type();
  else if (*dtype == "int32")
    element = b.getI32Type();
  else if (*dtype == "int64")
    element = b.getI64Type();
  else if (*dtype == "bool")
    element = b.getI1Type();
  else
    return ctx.unsupported("cast to '" + *dtype + "'");
  auto y = ctx.cast(*x, element);
  return ctx.bindPlain(y);
}

static LogicalResult importExpandDimsOp(LayerContext &ctx) {
  auto x = opOperand(ctx, 0, Type());
  auto axis = ctx.getInt("axis");
  if (failed(x) || failed(axis))
    return failure();
  auto shape = llvm::to_vector(LayerContext::typeOf(*x).getShape());
  auto a = ctx.normalizeAxis(*axis, shape.size() + 1);
  if (failed(a))
    return failure();
  shape.insert(shape.begin() + *a, 1);
  auto y = ctx.reshape(*x, shape);
  return ctx.bindPlain(y);
}

static LogicalResult importReshapeOp(LayerContext &ctx) {
  auto x = opOperand(ctx, 0, Type());
  auto shape = ctx.getInts("newshape", 0);
  if (failed(x) || failed(shape))
    return failure();
  auto type = LayerContext::typeOf(*x);
  int64_t count = type.getNumElements(), known = 1, unknown = -1;
  SmallVector<int64_t> result;
  for (auto [i, d] : llvm::enumerate(*shape)) {
    if (d == -1 && unknown < 0) {
      unknown = i;
      result.push_back(1);
      continue;
    }
    if (d < 0)
      return ctx.emitError() << "malformed newshape";
    known *= d;
    result.push_back(d);
  }
  if (unknown >= 0 && known > 0)
    result[unknown] = count / known;
  auto y = ctx.reshape(*x, result);
  return ctx.bindPlain(y);
}

static LogicalResult importTransposeOp(LayerContext &ctx) {
  auto x = opOperand(ctx, 0, Type());
  if (failed(x))
    return failure();
  int64_t rank = LayerContext::typeOf(*x).getRank();
  SmallVector<int64_t> perm;
  if (ctx.has("axes")) {
    auto axes = ctx.getInts("axes", rank);
    if (failed(axes))
      return failure();
    perm = *axes;
  } else {
    for (int64_t d = rank - 1; d >= 0; --d)
      perm.push_back(d);
  }
  auto y = ctx.transpose(*x, perm);
  return ctx.bindPlain(y);
}

/// InputLayers are the model's inputs; one is never called.
static LogicalResult importInputLayer(LayerContext &ctx) {
  return ctx.emitError() << "an InputLayer is called on a tensor";
}

void kiln::keras_frontend::registerCoreLayers(LayerTable &table) {
  table["InputLayer"] = {importInputLayer, false,
                         "batch_shape (Keras 3), batch_input_shape "
                         "(tf.keras), shape; dtype float32, int32 or int64; "
                         "sparse and ragged inputs are refused"};
  table["Dense"] = {importDense, true,
                    "units, activation, use_bias; inputs of any rank (the "
                    "last axis); LoRA and quantized kernels are refused"};
  table["Activation"] = {importActivation, true,
                         "every built-in activation string"};
  table["ReLU"] = {importReLU, true, "max_value, negative_slope, threshold"};
  table["LeakyReLU"] = {importLeakyReLU, true,
                        "negative_slope (Keras 3), alpha (tf.keras); default "
                        "0.3"};
  table["ELU"] = {importELU, true, "alpha"};
  table["Softmax"] = {importSoftmax, true, "axis (one axis)"};
  table["PReLU"] = {importPReLU, true, "alpha weight, shared_axes"};
  for (const char *identity :
       {"Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
        "GaussianNoise", "GaussianDropout", "AlphaDropout",
        "ActivityRegularization"})
    table[identity] = {importIdentity, true, "the identity at inference"};
  table["Flatten"] = {importFlatten, false, "data_format channels_last"};
  table["Reshape"] = {importReshape, false, "target_shape (one -1 allowed)"};
  table["Permute"] = {importPermute, false, "dims"};
  table["RepeatVector"] = {importRepeatVector, false, "n"};
  for (const char *merge :
       {"Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"})
    table[merge] = {importElementwiseMerge, true,
                    "any number of inputs (Subtract: two); masks are ANDed"};
  table["Concatenate"] = {importConcatenate, false, "axis"};
  table["Dot"] = {importDot, false, "axes, normalize; inputs of rank 2 or 3"};
  table["Embedding"] = {importEmbedding, false,
                        "input_dim, output_dim, mask_zero (the mask reaches "
                        "the layers that use it); int or float ids"};
  table["Rescaling"] = {importRescaling, true,
                        "scale, offset (scalars or per channel)"};
  table["Normalization"] = {importNormalization, true,
                            "mean and variance from the config or the "
                            "adapted weights, over the last axis; invert is "
                            "refused"};
  table["Masking"] = {importMasking, false,
                      "mask_value, on rank-3 (batch, time, features) inputs"};
  for (const char *op :
       {"NotEqual", "Equal", "Greater", "GreaterEqual", "Less", "LessEqual",
        "Add", "Subtract", "Multiply", "Divide", "TrueDivide", "Maximum",
        "Minimum", "Power", "LogicalAnd", "LogicalOr", "Matmul"})
    table[(llvm::Twine("ops.") + op).str()] = {
        importBinaryOp, false, "Keras 3 op in a functional graph"};
  for (const char *op : {"Exp", "Log", "Sqrt", "Tanh", "Abs", "Negative",
                         "Sigmoid", "Relu", "LogicalNot"})
    table[(llvm::Twine("ops.") + op).str()] = {
        importUnaryOp, false, "Keras 3 op in a functional graph"};
  table["ops.Square"] = {importSquareOp, false,
                         "Keras 3 op in a functional graph"};
  for (const char *op : {"Sum", "Mean", "Max", "Min", "Prod"})
    table[(llvm::Twine("ops.") + op).str()] = {importReduceOp, false,
                                               "Keras 3 op: axis, keepdims"};
  table["ops.Cast"] = {importCastOp, false, "Keras 3 op: dtype"};
  table["ops.ExpandDims"] = {importExpandDimsOp, false, "Keras 3 op: axis"};
  table["ops.Reshape"] = {importReshapeOp, false, "Keras 3 op: newshape"};
  table["ops.Transpose"] = {importTransposeOp, false, "Keras 3 op: axes"};
}

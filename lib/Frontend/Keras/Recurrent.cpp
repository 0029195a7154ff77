//===- Recurrent.cpp - SimpleRNN, GRU, LSTM and their wrappers ------------===//
//
// Keras' recurrent layers become kiln.rnn/gru/lstm (ONNX semantics): the
// kernels are transposed and, for LSTM, their gates reordered (Keras i, f,
// c, o; ONNX i, o, f, c). A Keras mask becomes `sequence_lens` (its count
// of true steps), which is exact for the masks Embedding(mask_zero=True)
// gives on sequences padded at the end.
//
//===----------------------------------------------------------------------===//

#include "LayerContext.h"
#include "ModelImporter.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::keras_frontend;
namespace json = llvm::json;
using llvm::SmallVector;
using llvm::StringRef;

namespace {
enum class CellKind { SimpleRNN, GRU, LSTM };

struct RecurrentSpec {
  CellKind kind;
  int64_t units = 0;
  std::string activation = "tanh", recurrentActivation = "sigmoid";
  bool useBias = true, resetAfter = true, returnSequences = false,
       returnState = false, goBackwards = false, timeMajor = false;
  int64_t gates() const {
    return kind == CellKind::SimpleRNN ? 1 : kind == CellKind::GRU ? 3 : 4;
  }
};
} // namespace

static std::optional<CellKind> cellKind(StringRef cls) {
  if (cls == "SimpleRNN")
    return CellKind::SimpleRNN;
  if (cls == "GRU" || cls == "CuDNNGRU")
    return CellKind::GRU;
  if (cls == "LSTM" || cls == "CuDNNLSTM")
    return CellKind::LSTM;
  return std::nullopt;
}

/// Reads a recurrent layer's config (`ctx.config` is the layer's own, or
/// the wrapped layer's for Bidirectional).
static FailureOr<RecurrentSpec> readSpec(LayerContext &ctx, CellKind kind) {
  RecurrentSpec spec;
  spec.kind = kind;
  if (failed(ctx.refuseSet("stateful", "state kept between calls")))
    return failure();
  auto units = ctx.getInt("units");
  auto activation = ctx.getString("activation", "tanh");
  auto recurrent = ctx.getString("recurrent_activation", "sigmoid");
  auto useBias = ctx.getBool("use_bias", true);
  auto resetAfter = ctx.getBool("reset_after", kind == CellKind::GRU);
  auto sequences = ctx.getBool("return_sequences", false);
  auto state = ctx.getBool("return_state", false);
  auto backwards = ctx.getBool("go_backwards", false);
  auto timeMajor = ctx.getBool("time_major", false);
  if (failed(units) || failed(activation) || failed(recurrent) ||
      failed(useBias) || failed(resetAfter) || failed(sequences) ||
      failed(state) || failed(backwards) || failed(timeMajor))
    return failure();
  if (*units < 1 || *units > (1 << 20))
    return ctx.emitError() << "units = " << *units << " is out of range";
  spec.units = *units;
  spec.activation = *activation;
  spec.recurrentActivation = *recurrent;
  spec.useBias = *useBias;
  spec.resetAfter = kind == CellKind::GRU && *resetAfter;
  spec.returnSequences = *sequences;
  spec.returnState = *state;
  spec.goBackwards = *backwards;
  spec.timeMajor = *timeMajor;
  return spec;
}

/// The ONNX gate order's Keras block for each ONNX block.
static SmallVector<int64_t> gateOrder(CellKind kind) {
  if (kind == CellKind::LSTM)
    return {0, 3, 1, 2}; // ONNX i, o, f, c from Keras i, f, c, o
  if (kind == CellKind::GRU)
    return {0, 1, 2};
  return {0};
}

/// Keras [rows, G*H] -> ONNX [G*H, rows] in ONNX gate order.
static void appendTransposedGates(const WeightArray &w, int64_t hidden,
                                  ArrayRef<int64_t> order,
                                  std::vector<float> &out) {
  int64_t rows = w.shape[0], cols = w.shape[1];
  for (int64_t g : order)
    for (int64_t h = 0; h < hidden; ++h)
      for (int64_t r = 0; r < rows; ++r)
        out.push_back(w.data[r * cols + g * hidden + h]);
}

static void appendGates(ArrayRef<float> b, int64_t hidden,
                        ArrayRef<int64_t> order, std::vector<float> &out) {
  for (int64_t g : order)
    for (int64_t h = 0; h < hidden; ++h)
      out.push_back(b[g * hidden + h]);
}

namespace {
/// One direction's weights in ONNX form.
struct DirectionWeights {
  std::vector<float> w, r, b;
};
} // namespace

static FailureOr<DirectionWeights>
readDirection(LayerContext &ctx, const RecurrentSpec &spec, int64_t inputSize,
              StringRef kerasPrefix, StringRef h5Prefix) {
  int64_t h = spec.units, g = spec.gates();
  auto kernel = ctx.weight((kerasPrefix + "cell/vars/0").str(),
                           (h5Prefix + "kernel").str(), {inputSize, g * h});
  if (failed(kernel))
    return failure();
  auto recurrent =
      ctx.weight((kerasPrefix + "cell/vars/1").str(),
                 (h5Prefix + "recurrent_kernel").str(), {h, g * h});
  if (failed(recurrent))
    return failure();
  DirectionWeights d;
  SmallVector<int64_t> order = gateOrder(spec.kind);
  appendTransposedGates(*kernel, h, order, d.w);
  appendTransposedGates(*recurrent, h, order, d.r);
  if (spec.useBias) {
    SmallVector<int64_t> shape = {g * h};
    if (spec.resetAfter)
      shape = {2, g * h};
    auto bias = ctx.weight((kerasPrefix + "cell/vars/2").str(),
                           (h5Prefix + "bias").str(), shape);
    if (failed(bias))
      return failure();
    ArrayRef<float> all(bias->data);
    appendGates(all.take_front(g * h), h, order, d.b);
    if (spec.resetAfter)
      appendGates(all.drop_front(g * h), h, order, d.b);
    else
      d.b.resize(2 * g * h, 0.0f);
  } else {
    d.b.assign(2 * g * h, 0.0f);
  }
  return d;
}

/// The kiln unary of a Keras activation inside a recurrent cell, with its
/// alpha and beta.
static FailureOr<std::tuple<UnaryKind, float, float>>
cellActivation(LayerContext &ctx, StringRef name) {
  auto with = [](UnaryKind kind) {
    UnaryParams p = getUnaryParams(kind);
    return std::make_tuple(kind, p.alpha, p.beta);
  };
  if (name == "tanh")
    return with(UnaryKind::tanh);
  if (name == "sigmoid")
    return with(UnaryKind::sigmoid);
  if (name == "relu")
    return with(UnaryKind::relu);
  if (name == "hard_sigmoid")
    return std::make_tuple(UnaryKind::hard_sigmoid,
                           ctx.legacyDialect() ? 0.2f : 1.0f / 6.0f, 0.5f);
  if (name == "softsign")
    return with(UnaryKind::softsign);
  if (name == "softplus")
    return with(UnaryKind::softplus);
  if (name == "elu")
    return with(UnaryKind::elu);
  if (name == "linear")
    return std::make_tuple(UnaryKind::affine, 1.0f, 0.0f);
  return ctx.unsupported("activation '" + name + "' in a recurrent layer");
}

namespace {
struct RecurrentResult {
  /// y: [T, dirs, B, H] (sequence first); y_h, y_c: [dirs, B, H].
  Value y, yh, yc;
};
} // namespace

/// Runs a kiln recurrent op on `x` (Keras order [B, T, I], or [T, B, I]
/// when time_major) in one or both directions.
static FailureOr<RecurrentResult>
runRecurrent(LayerContext &ctx, const RecurrentSpec &spec, Value x, Value mask,
             ArrayRef<DirectionWeights> weights, RNNDirection direction,
             Value h0, Value c0) {
  int64_t h = spec.units, g = spec.gates();
  int64_t dirs = weights.size();
  auto seqFirst =
      spec.timeMajor ? FailureOr<Value>(x) : ctx.transpose(x, {1, 0, 2});
  if (failed(seqFirst))
    return failure();
  int64_t inputSize = LayerContext::typeOf(x).getDimSize(2);
  std::vector<float> w, r, b;
  for (const DirectionWeights &d : weights) {
    w.insert(w.end(), d.w.begin(), d.w.end());
    r.insert(r.end(), d.r.begin(), d.r.end());
    b.insert(b.end(), d.b.begin(), d.b.end());
  }
  SmallVector<Value> operands = {
      *seqFirst, ctx.constant(w, {dirs, g * h, inputSize}),
      ctx.constant(r, {dirs, g * h, h}), ctx.constant(b, {dirs, 2 * g * h})};
  SmallVector<int32_t> segments = {1, 1, 1, 1};
  Value lens;
  if (mask) {
    auto ints = ctx.cast(mask, ctx.builder().getI32Type());
    if (failed(ints))
      return failure();
    auto count =
        ctx.reduce(ReduceKind::sum, *ints, {spec.timeMajor ? 0 : 1}, false);
    if (failed(count))
      return failure();
    lens = *count;
  }
  for (Value v : {lens, h0}) {
    segments.push_back(v ? 1 : 0);
    if (v)
      operands.push_back(v);
  }
  if (spec.kind == CellKind::LSTM) {
    segments.push_back(c0 ? 1 : 0);
    if (c0)
      operands.push_back(c0);
    segments.push_back(0);
  }
  // Default activations are left implicit (oneDNN runs only those).
  SmallVector<Attribute> kinds;
  SmallVector<float> alphas, betas;
  bool defaults =
      spec.activation == "tanh" && (spec.kind == CellKind::SimpleRNN ||
                                    spec.recurrentActivation == "sigmoid");
  bool needParams = false;
  if (!defaults) {
    SmallVector<std::string> names;
    if (spec.kind != CellKind::SimpleRNN)
      names.push_back(spec.recurrentActivation);
    names.push_back(spec.activation);
    if (spec.kind == CellKind::LSTM)
      names.push_back(spec.activation);
    for (int64_t d = 0; d < dirs; ++d)
      for (const std::string &name : names) {
        auto act = cellActivation(ctx, name);
        if (failed(act))
          return failure();
        auto [kind, alpha, beta] = *act;
        kinds.push_back(UnaryKindAttr::get(ctx.context(), kind));
        alphas.push_back(alpha);
        betas.push_back(beta);
        UnaryParams p = getUnaryParams(kind);
        needParams |= p.hasAlpha || p.hasBeta;
      }
  }
  if (!needParams) {
    alphas.clear();
    betas.clear();
  }
  SmallVector<NamedAttribute> attrs = {
      ctx.named("operandSegmentSizes",
                ctx.builder().getDenseI32ArrayAttr(segments)),
      ctx.named("direction", RNNDirectionAttr::get(ctx.context(), direction)),
      ctx.named("hidden_size", ctx.i64(h)),
      ctx.named("activations", ctx.builder().getArrayAttr(kinds)),
      ctx.named("activation_alpha", ctx.builder().getDenseF32ArrayAttr(alphas)),
      ctx.named("activation_beta", ctx.builder().getDenseF32ArrayAttr(betas))};
  if (spec.kind == CellKind::GRU && spec.resetAfter)
    attrs.push_back(
        ctx.named("linear_before_reset", ctx.builder().getUnitAttr()));
  FailureOr<Operation *> op;
  if (spec.kind == CellKind::SimpleRNN)
    op = ctx.createOp<RNNOp>(operands, attrs);
  else if (spec.kind == CellKind::GRU)
    op = ctx.createOp<GRUOp>(operands, attrs);
  else
    op = ctx.createOp<LSTMOp>(operands, attrs);
  if (failed(op))
    return failure();
  RecurrentResult result;
  result.y = (*op)->getResult(0);
  result.yh = (*op)->getResult(1);
  if (spec.kind == CellKind::LSTM)
    result.yc = (*op)->getResult(2);
  return result;
}

/// Direction `d` of y [T, dirs, B, H] in Keras order [B, T, H] (or
/// [T, B, H] when time_major).
static FailureOr<Value> sequenceOf(LayerContext &ctx, const RecurrentSpec &spec,
                                   Value y, int64_t d) {
  auto shape = LayerContext::typeOf(y).getShape();
  auto one = ctx.slice(y, 1, d, d + 1);
  if (failed(one))
    return failure();
  auto squeezed = ctx.reshape(*one, {shape[0], shape[2], shape[3]});
  if (failed(squeezed) || spec.timeMajor)
    return squeezed;
  return ctx.transpose(*squeezed, {1, 0, 2});
}

/// State `d` of [dirs, B, H] as [B, H].
static FailureOr<Value> stateOf(LayerContext &ctx, Value state, int64_t d) {
  auto shape = LayerContext::typeOf(state).getShape();
  auto one = ctx.slice(state, 0, d, d + 1);
  if (failed(one))
    return failure();
  return ctx.reshape(*one, {shape[1], shape[2]});
}

/// Reverses the time axis (1, or 0 when time_major) of a Keras sequence.
static FailureOr<Value> reverseTime(LayerContext &ctx, Value seq,
                                    int64_t axis) {
  int64_t steps = LayerContext::typeOf(seq).getDimSize(axis);
  SmallVector<int64_t> indices;
  for (int64_t t = steps - 1; t >= 0; --t)
    indices.push_back(t);
  return ctx.create<GatherOp>({seq, ctx.constantI64(indices, {steps})},
                              {ctx.named("axis", ctx.i64(axis))});
}

/// The initial states passed as `initial_state` ([h] or [h, c]) as
/// [1, B, H] each.
static LogicalResult initialStates(LayerContext &ctx, SmallVector<Value> &out) {
  const json::Value *v = ctx.kwargs.get("initial_state");
  if (!v || v->kind() == json::Value::Null)
    return success();
  SmallVector<const json::Value *> items;
  if (const json::Array *a = v->getAsArray())
    for (const json::Value &e : *a)
      items.push_back(&e);
  else
    items.push_back(v);
  for (const json::Value *item : items) {
    const json::Object *o = item->getAsObject();
    std::optional<int64_t> i = o ? o->getInteger("__tensor__") : std::nullopt;
    if (!i || *i < 0 || *i >= (int64_t)ctx.inputs.size())
      return ctx.unsupported("initial_state that is not a tensor");
    auto state = ctx.keras(ctx.inputs[*i]);
    if (failed(state))
      return failure();
    auto shape = LayerContext::typeOf(*state).getShape();
    if (shape.size() != 2)
      return ctx.emitError() << "an initial state must have rank 2";
    auto shaped = ctx.reshape(*state, {1, shape[0], shape[1]});
    if (failed(shaped))
      return failure();
    out.push_back(*shaped);
  }
  return success();
}

static LogicalResult importRecurrent(LayerContext &ctx) {
  std::optional<CellKind> kind = cellKind(ctx.className);
  if (ctx.inputs.empty())
    return ctx.emitError() << "the layer takes an input tensor";
  auto spec = readSpec(ctx, *kind);
  if (failed(spec))
    return failure();
  const KTensor &in = ctx.inputs[0];
  auto x = ctx.keras(in);
  if (failed(x))
    return failure();
  if (LayerContext::typeOf(*x).getRank() != 3)
    return ctx.emitError() << "the layer takes a rank-3 input (batch, time, "
                              "features)";
  int64_t inputSize = LayerContext::typeOf(*x).getDimSize(2);
  auto weights = readDirection(ctx, *spec, inputSize, "", "");
  if (failed(weights))
    return failure();
  SmallVector<Value> states;
  if (failed(initialStates(ctx, states)))
    return failure();
  size_t wanted = spec->kind == CellKind::LSTM ? 2 : 1;
  if (!states.empty() && states.size() != wanted)
    return ctx.emitError() << "initial_state holds " << states.size()
                           << " tensors, the layer needs " << wanted;
  Value h0 = states.empty() ? Value() : states[0];
  Value c0 = states.size() > 1 ? states[1] : Value();
  auto result = runRecurrent(ctx, *spec, *x, in.mask, {*weights},
                             spec->goBackwards ? RNNDirection::reverse
                                               : RNNDirection::forward,
                             h0, c0);
  if (failed(result))
    return failure();
  auto last = stateOf(ctx, result->yh, 0);
  if (failed(last))
    return failure();
  KTensor out;
  if (spec->returnSequences) {
    auto seq = sequenceOf(ctx, *spec, result->y, 0);
    if (failed(seq))
      return failure();
    int64_t timeAxis = spec->timeMajor ? 0 : 1;
    if (in.mask && !spec->goBackwards) {
      // Keras repeats the last output over the masked steps at the end.
      auto shape = LayerContext::typeOf(*seq).getShape();
      SmallVector<int64_t> maskShape(LayerContext::typeOf(in.mask).getShape());
      maskShape.push_back(1);
      auto m = ctx.reshape(in.mask, maskShape);
      auto lastShaped = spec->timeMajor
                            ? ctx.reshape(*last, {1, shape[1], shape[2]})
                            : ctx.reshape(*last, {shape[0], 1, shape[2]});
      if (failed(m) || failed(lastShaped))
        return failure();
      auto expanded =
          ctx.createTyped<ExpandOp>(LayerContext::typeOf(*seq), {*lastShaped});
      if (failed(expanded))
        return failure();
      seq = ctx.create<WhereOp>({*m, *seq, *expanded});
      if (failed(seq))
        return failure();
    }
    if (spec->goBackwards) {
      seq = reverseTime(ctx, *seq, timeAxis);
      if (failed(seq))
        return failure();
    }
    out.value = *seq;
    out.mask = in.mask;
  } else {
    out.value = *last;
  }
  ctx.outputs.push_back(out);
  if (spec->returnState) {
    KTensor hState;
    hState.value = *last;
    ctx.outputs.push_back(hState);
    if (spec->kind == CellKind::LSTM) {
      auto cell = stateOf(ctx, result->yc, 0);
      if (failed(cell))
        return failure();
      KTensor cState;
      cState.value = *cell;
      ctx.outputs.push_back(cState);
    }
  }
  return success();
}

static LogicalResult importBidirectional(LayerContext &ctx) {
  if (ctx.inputs.empty())
    return ctx.emitError() << "the layer takes an input tensor";
  const json::Object *wrapped = ctx.config.getObject("layer");
  const json::Object *wrappedConfig =
      wrapped ? wrapped->getObject("config") : nullptr;
  if (!wrappedConfig)
    return ctx.emitError() << "the config has no wrapped 'layer'";
  StringRef cls = wrapped->getString("class_name").value_or("");
  std::optional<CellKind> kind = cellKind(cls);
  if (!kind)
    return ctx.unsupported("Bidirectional around '" + cls + "'");
  auto mergeMode = ctx.getString("merge_mode", "concat");
  if (failed(mergeMode))
    return failure();
  if (ctx.config.get("merge_mode") &&
      ctx.config.get("merge_mode")->kind() == json::Value::Null)
    *mergeMode = "none";
  LayerContext inner(ctx.importer, ctx.layer, *wrappedConfig, cls, ctx.name,
                     ctx.loc, ctx.scope);
  auto spec = readSpec(inner, *kind);
  if (failed(spec))
    return failure();
  if (spec->goBackwards)
    return ctx.unsupported("Bidirectional around a go_backwards layer");
  if (const json::Object *backward = ctx.config.getObject("backward_layer")) {
    const json::Object *bconfig = backward->getObject("config");
    if (!bconfig || backward->getString("class_name") != cls)
      return ctx.unsupported("a backward_layer of another class");
    LayerContext binner(ctx.importer, ctx.layer, *bconfig, cls, ctx.name,
                        ctx.loc, ctx.scope);
    auto bspec = readSpec(binner, *kind);
    if (failed(bspec))
      return failure();
    if (bspec->units != spec->units || bspec->activation != spec->activation ||
        bspec->recurrentActivation != spec->recurrentActivation ||
        bspec->useBias != spec->useBias ||
        bspec->resetAfter != spec->resetAfter)
      return ctx.unsupported("a backward_layer configured unlike the "
                             "forward one");
  }
  const KTensor &in = ctx.inputs[0];
  auto x = ctx.keras(in);
  if (failed(x))
    return failure();
  if (LayerContext::typeOf(*x).getRank() != 3)
    return ctx.emitError() << "the layer takes a rank-3 input";
  int64_t inputSize = LayerContext::typeOf(*x).getDimSize(2);
  auto forward =
      readDirection(ctx, *spec, inputSize, "forward_layer/", "forward/");
  auto backward =
      readDirection(ctx, *spec, inputSize, "backward_layer/", "backward/");
  if (failed(forward) || failed(backward))
    return failure();
  if (ctx.kwargs.get("initial_state") &&
      ctx.kwargs.get("initial_state")->kind() != json::Value::Null)
    return ctx.unsupported("initial_state of a Bidirectional layer");
  auto result = runRecurrent(ctx, *spec, *x, in.mask, {*forward, *backward},
                             RNNDirection::bidirectional, Value(), Value());
  if (failed(result))
    return failure();
  SmallVector<Value> parts;
  for (int64_t d = 0; d < 2; ++d) {
    auto part = spec->returnSequences ? sequenceOf(ctx, *spec, result->y, d)
                                      : stateOf(ctx, result->yh, d);
    if (failed(part))
      return failure();
    parts.push_back(*part);
  }
  Value mask = spec->returnSequences ? in.mask : Value();
  auto push = [&](Value v, Value m) {
    KTensor t;
    t.value = v;
    t.mask = m;
    ctx.outputs.push_back(t);
  };
  if (*mergeMode == "none") {
    push(parts[0], mask);
    push(parts[1], mask);
  } else {
    FailureOr<Value> merged;
    int64_t rank = LayerContext::typeOf(parts[0]).getRank();
    if (*mergeMode == "concat")
      merged = ctx.concat(parts, rank - 1);
    else if (*mergeMode == "sum")
      merged = ctx.binary(BinaryKind::add, parts[0], parts[1]);
    else if (*mergeMode == "mul")
      merged = ctx.binary(BinaryKind::mul, parts[0], parts[1]);
    else if (*mergeMode == "ave") {
      merged = ctx.binary(BinaryKind::add, parts[0], parts[1]);
      if (succeeded(merged))
        merged = ctx.binary(BinaryKind::mul, *merged,
                            ctx.scalar(0.5, ctx.builder().getF32Type()));
    } else
      return ctx.unsupported("merge_mode '" + *mergeMode + "'");
    if (failed(merged))
      return failure();
    push(*merged, mask);
  }
  if (spec->returnState) {
    for (int64_t d = 0; d < 2; ++d) {
      auto hState = stateOf(ctx, result->yh, d);
      if (failed(hState))
        return failure();
      push(*hState, Value());
      if (spec->kind == CellKind::LSTM) {
        auto cState = stateOf(ctx, result->yc, d);
        if (failed(cState))
          return failure();
        push(*cState, Value());
      }
    }
  }
  return success();
}

static LogicalResult importTimeDistributed(LayerContext &ctx) {
  if (failed(ctx.expectInputs(1, 2)))
    return failure();
  const json::Object *wrapped = ctx.config.getObject("layer");
  const json::Object *wrappedConfig =
      wrapped ? wrapped->getObject("config") : nullptr;
  if (!wrappedConfig)
    return ctx.emitError() << "the config has no wrapped 'layer'";
  StringRef cls = wrapped->getString("class_name").value_or("");
  auto entry = ctx.importer.layers.find(cls);
  if (entry == ctx.importer.layers.end() || cls == "TimeDistributed" ||
      cellKind(cls) || cls == "Bidirectional")
    return ctx.unsupported("TimeDistributed around '" + cls + "'");
  auto x = ctx.keras(ctx.inputs[0]);
  if (failed(x))
    return failure();
  auto shape = LayerContext::typeOf(*x).getShape();
  if (shape.size() < 3)
    return ctx.emitError() << "the layer takes an input of rank 3 or more";
  SmallVector<int64_t> folded = {shape[0] * shape[1]};
  folded.append(shape.begin() + 2, shape.end());
  auto flat = ctx.reshape(*x, folded);
  if (failed(flat))
    return failure();
  WeightScope scope = ctx.scope;
  scope.path += "/layer";
  LayerContext inner(ctx.importer, ctx.layer, *wrappedConfig, cls, ctx.name,
                     ctx.loc, scope);
  KTensor t;
  t.value = *flat;
  inner.inputs.push_back(t);
  inner.args.push_back(json::Object{{"__tensor__", 0}});
  if (failed(entry->second.handler(inner)))
    return failure();
  if (inner.outputs.size() != 1)
    return ctx.unsupported("a wrapped layer with several outputs");
  auto y = inner.keras(inner.outputs[0]);
  if (failed(y))
    return failure();
  auto yshape = LayerContext::typeOf(*y).getShape();
  SmallVector<int64_t> unfolded = {shape[0], shape[1]};
  unfolded.append(yshape.begin() + 1, yshape.end());
  auto out = ctx.reshape(*y, unfolded);
  if (failed(out))
    return failure();
  ctx.setOutput(*out);
  return success();
}

void kiln::keras_frontend::registerRecurrentLayers(LayerTable &table) {
  const char *notes =
      "units, activation, recurrent_activation, use_bias, return_sequences, "
      "return_state, go_backwards, time_major, initial_state, masks (padding "
      "at the end); stateful is refused";
  table["SimpleRNN"] = {importRecurrent, false, notes};
  table["GRU"] = {importRecurrent, false,
                  "as SimpleRNN, and reset_after true or false"};
  table["LSTM"] = {importRecurrent, false, notes};
  table["Bidirectional"] = {importBidirectional, false,
                            "around SimpleRNN, GRU or LSTM; merge_mode "
                            "concat, sum, ave, mul or None; return_state"};
  table["TimeDistributed"] = {importTimeDistributed, true,
                              "around any layer but recurrent ones"};
}

//===- Attention.cpp - MultiHeadAttention and Attention -------------------===//
//
// Both become kiln.attention, with the projections as matrix products and
// the Keras masks (padding masks of the query and value, attention_mask,
// use_causal_mask) combined into one boolean mask.
//
//===----------------------------------------------------------------------===//

#include "LayerContext.h"

#include <cmath>

using namespace mlir;
using namespace kiln;
using namespace kiln::keras_frontend;
namespace json = llvm::json;
using llvm::SmallVector;
using llvm::StringRef;

/// The call's tensor named `key` (keyword), else positional `position`.
static std::optional<KTensor> callTensor(LayerContext &ctx, StringRef key,
                                         size_t position) {
  if (std::optional<KTensor> t = ctx.kwargTensor(key))
    return t;
  if (position < ctx.args.size())
    if (const json::Object *o = ctx.args[position].getAsObject())
      if (std::optional<int64_t> i = o->getInteger("__tensor__"))
        if (*i >= 0 && *i < (int64_t)ctx.inputs.size())
          return ctx.inputs[*i];
  return std::nullopt;
}

/// AND of two optional i1 masks.
static FailureOr<Value> andMasks(LayerContext &ctx, Value a, Value b) {
  if (!a)
    return b;
  if (!b)
    return a;
  return ctx.binary(BinaryKind::logical_and, a, b);
}

/// [B, T] -> [B, T, 1] (query) or [B, 1, T] (key).
static FailureOr<Value> expandMask(LayerContext &ctx, Value mask, bool query) {
  auto shape = LayerContext::typeOf(mask).getShape();
  if (shape.size() != 2)
    return ctx.emitError() << "a padding mask must have rank 2";
  return ctx.reshape(mask, query ? SmallVector<int64_t>{shape[0], shape[1], 1}
                                 : SmallVector<int64_t>{shape[0], 1, shape[1]});
}

/// The explicit attention_mask ([B, Tq, Tk], any dtype) as i1.
static FailureOr<Value> explicitMask(LayerContext &ctx) {
  std::optional<KTensor> t = ctx.kwargTensor("attention_mask");
  if (!t)
    return Value();
  auto v = ctx.keras(*t);
  if (failed(v))
    return failure();
  Type element = LayerContext::typeOf(*v).getElementType();
  if (element.isInteger(1))
    return *v;
  return ctx.create<CompareOp>(
      {*v, ctx.scalar(0, element)},
      {ctx.named("predicate", ComparePredicateAttr::get(
                                  ctx.context(), ComparePredicate::ne))});
}

/// x [B, T, D] @ kernel [D, heads, dim] + bias [heads, dim] ->
/// [B, heads, T, dim].
static FailureOr<Value> project(LayerContext &ctx, Value x, StringRef kerasName,
                                StringRef h5Name, int64_t heads, int64_t dim,
                                bool useBias) {
  auto shape = LayerContext::typeOf(x).getShape();
  int64_t d = shape[2];
  auto kernel = ctx.weight((kerasName + "/vars/0").str(),
                           (h5Name + "/kernel").str(), {d, heads, dim});
  if (failed(kernel))
    return failure();
  kernel->shape = {d, heads * dim};
  auto y = ctx.create<MatMulOp>({x, ctx.constant(*kernel)});
  if (failed(y))
    return failure();
  if (useBias) {
    auto bias = ctx.weight((kerasName + "/vars/1").str(),
                           (h5Name + "/bias").str(), {heads, dim});
    if (failed(bias))
      return failure();
    bias->shape = {heads * dim};
    y = ctx.binary(BinaryKind::add, *y, ctx.constant(*bias));
    if (failed(y))
      return failure();
  }
  auto split = ctx.reshape(*y, {shape[0], shape[1], heads, dim});
  if (failed(split))
    return failure();
  return ctx.transpose(*split, {0, 2, 1, 3});
}

static LogicalResult importMultiHeadAttention(LayerContext &ctx) {
  auto heads = ctx.getInt("num_heads");
  auto keyDim = ctx.getInt("key_dim");
  auto useBias = ctx.getBool("use_bias", true);
  if (failed(heads) || failed(keyDim) || failed(useBias))
    return failure();
  auto valueDim = ctx.getInt("value_dim", *keyDim);
  auto dropout = ctx.getFloat("dropout", 0.0);
  if (failed(valueDim) || failed(dropout))
    return failure();
  if (*heads < 1 || *keyDim < 1 || *valueDim < 1 || *heads > (1 << 16) ||
      *keyDim > (1 << 20) || *valueDim > (1 << 20))
    return ctx.emitError() << "num_heads, key_dim or value_dim is out of range";
  if (ctx.has("output_shape"))
    return ctx.unsupported("output_shape");
  if (failed(ctx.refuseSet("softmax_robust_masking", "robust masking")) ||
      failed(ctx.refuseSet("flash_attention", "")))
    return failure();
  if (ctx.kwargBool("return_attention_scores").value_or(false))
    return ctx.unsupported("return_attention_scores");
  std::optional<KTensor> query = callTensor(ctx, "query", 0);
  std::optional<KTensor> value = callTensor(ctx, "value", 1);
  if (!query || !value)
    return ctx.emitError() << "the layer takes a query and a value";
  std::optional<KTensor> key = callTensor(ctx, "key", 2);
  if (!key)
    key = value;
  auto q = ctx.keras(*query);
  auto v = ctx.keras(*value);
  auto k = ctx.keras(*key);
  if (failed(q) || failed(v) || failed(k))
    return failure();
  for (Value t : {*q, *v, *k})
    if (LayerContext::typeOf(t).getRank() != 3)
      return ctx.unsupported("attention over inputs of rank other than 3 "
                             "(attention_axes)");
  if (const json::Value *axes = ctx.config.get("attention_axes")) {
    auto list = ctx.getInts("attention_axes", 0);
    if (axes->kind() != json::Value::Null &&
        (failed(list) || list->size() != 1 ||
         ((*list)[0] != 1 && (*list)[0] != -2)))
      return ctx.unsupported("attention_axes other than the sequence axis");
  }
  int64_t outDim = LayerContext::typeOf(*q).getDimSize(2);
  auto qh = project(ctx, *q, "query_dense", "query", *heads, *keyDim, *useBias);
  auto kh = project(ctx, *k, "key_dense", "key", *heads, *keyDim, *useBias);
  auto vh =
      project(ctx, *v, "value_dense", "value", *heads, *valueDim, *useBias);
  if (failed(qh) || failed(kh) || failed(vh))
    return failure();

  // The mask: query & value & key padding masks, attention_mask, causal.
  Value mask;
  if (query->mask) {
    auto m = expandMask(ctx, query->mask, true);
    if (failed(m))
      return failure();
    mask = *m;
  }
  for (const KTensor *t : {&*value, &*key}) {
    if (!t->mask || (t == &*key && key->value == value->value))
      continue;
    auto m = expandMask(ctx, t->mask, false);
    if (failed(m))
      return failure();
    auto both = andMasks(ctx, mask, *m);
    if (failed(both))
      return failure();
    mask = *both;
  }
  auto given = explicitMask(ctx);
  if (failed(given))
    return failure();
  auto combined = andMasks(ctx, mask, *given);
  if (failed(combined))
    return failure();
  mask = *combined;
  SmallVector<Value> operands = {*qh, *kh, *vh};
  SmallVector<NamedAttribute> attrs = {
      ctx.named("scale", ctx.f32(1.0f / std::sqrt((float)*keyDim)))};
  if (mask) {
    // [B, Tq, Tk] -> [B, 1, Tq, Tk]; a mask of [B, Tq, 1] x [B, 1, Tk]
    // parts broadcasts once expanded.
    auto shape = llvm::to_vector(LayerContext::typeOf(mask).getShape());
    int64_t tq = LayerContext::typeOf(*qh).getDimSize(2);
    int64_t tk = LayerContext::typeOf(*kh).getDimSize(2);
    auto full =
        RankedTensorType::get({shape[0], tq, tk}, ctx.builder().getI1Type());
    FailureOr<Value> expanded = mask;
    if (LayerContext::typeOf(mask) != full)
      expanded = ctx.createTyped<ExpandOp>(full, {mask});
    if (failed(expanded))
      return failure();
    auto four = ctx.reshape(*expanded, {shape[0], 1, tq, tk});
    if (failed(four))
      return failure();
    operands.push_back(*four);
    // A query that sees no key (a padded one) averages all values when the
    // masked scores are set to a large negative number: tf.keras adds
    // -1e9, and Keras 3 runs dot_product_attention, which does the same.
    // Keras 3 with dropout takes its masked softmax instead, which gives
    // such rows zero weights.
    if (ctx.legacyDialect() || *dropout == 0.0)
      attrs.push_back(ctx.named("mask_fill", ctx.f32(-1e9f)));
  }
  if (ctx.kwargBool("use_causal_mask").value_or(false))
    attrs.push_back(ctx.named("is_causal", ctx.builder().getUnitAttr()));
  auto attended = ctx.create<AttentionOp>(operands, attrs);
  if (failed(attended))
    return failure();
  auto merged = ctx.transpose(*attended, {0, 2, 1, 3});
  if (failed(merged))
    return failure();
  auto qshape = LayerContext::typeOf(*q).getShape();
  auto flat = ctx.reshape(*merged, {qshape[0], qshape[1], *heads * *valueDim});
  if (failed(flat))
    return failure();
  auto kernel = ctx.weight("output_dense/vars/0", "attention_output/kernel",
                           {*heads, *valueDim, outDim});
  if (failed(kernel))
    return failure();
  kernel->shape = {*heads * *valueDim, outDim};
  auto y = ctx.create<MatMulOp>({*flat, ctx.constant(*kernel)});
  if (failed(y))
    return failure();
  if (*useBias) {
    auto bias =
        ctx.weight("output_dense/vars/1", "attention_output/bias", {outDim});
    if (failed(bias))
      return failure();
    y = ctx.binary(BinaryKind::add, *y, ctx.constant(*bias));
    if (failed(y))
      return failure();
  }
  KTensor out;
  out.value = *y;
  out.mask = query->mask;
  ctx.outputs.push_back(out);
  return success();
}

static LogicalResult importAttention(LayerContext &ctx) {
  auto scoreMode = ctx.getString("score_mode", "dot");
  auto useScale = ctx.getBool("use_scale", false);
  if (failed(scoreMode) || failed(useScale))
    return failure();
  if (*scoreMode != "dot")
    return ctx.unsupported("score_mode '" + *scoreMode + "'");
  if (ctx.has("causal") && ctx.getBool("causal", false).value_or(false))
    return ctx.unsupported("the causal option of tf.keras 2.x (use "
                           "use_causal_mask)");
  if (ctx.kwargBool("return_attention_scores").value_or(false))
    return ctx.unsupported("return_attention_scores");
  // inputs = [query, value] or [query, value, key].
  if (ctx.inputs.size() < 2)
    return ctx.emitError() << "the layer takes [query, value] or [query, "
                              "value, key]";
  const KTensor &query = ctx.inputs[0];
  const KTensor &value = ctx.inputs[1];
  const KTensor &key = ctx.inputs.size() > 2 ? ctx.inputs[2] : value;
  auto q = ctx.keras(query);
  auto v = ctx.keras(value);
  auto k = ctx.keras(key);
  if (failed(q) || failed(v) || failed(k))
    return failure();
  for (Value t : {*q, *v, *k})
    if (LayerContext::typeOf(t).getRank() != 3)
      return ctx.unsupported("Attention over inputs of rank other than 3");
  float scale = 1.0f;
  if (*useScale) {
    auto s = ctx.weight("vars/0", "scale", {});
    if (failed(s))
      return failure();
    scale = s->data[0];
  }
  auto four = [&](Value t) {
    auto shape = LayerContext::typeOf(t).getShape();
    return ctx.reshape(t, {shape[0], 1, shape[1], shape[2]});
  };
  auto q4 = four(*q), k4 = four(*k), v4 = four(*v);
  if (failed(q4) || failed(k4) || failed(v4))
    return failure();
  SmallVector<Value> operands = {*q4, *k4, *v4};
  SmallVector<NamedAttribute> attrs = {ctx.named("scale", ctx.f32(scale))};
  Value valueMask = value.mask;
  if (valueMask) {
    auto shape = LayerContext::typeOf(valueMask).getShape();
    auto m = ctx.reshape(valueMask, {shape[0], 1, 1, shape[1]});
    if (failed(m))
      return failure();
    operands.push_back(*m);
    // Keras subtracts 1e9 from masked scores.
    attrs.push_back(ctx.named("mask_fill", ctx.f32(-1e9f)));
  }
  if (ctx.kwargBool("use_causal_mask").value_or(false))
    attrs.push_back(ctx.named("is_causal", ctx.builder().getUnitAttr()));
  auto y = ctx.create<AttentionOp>(operands, attrs);
  if (failed(y))
    return failure();
  auto qshape = LayerContext::typeOf(*q).getShape();
  auto vshape = LayerContext::typeOf(*v).getShape();
  auto out = ctx.reshape(*y, {qshape[0], qshape[1], vshape[2]});
  if (failed(out))
    return failure();
  if (query.mask) {
    auto m = ctx.cast(query.mask, ctx.builder().getF32Type());
    if (failed(m))
      return failure();
    auto m3 = ctx.reshape(*m, {qshape[0], qshape[1], 1});
    if (failed(m3))
      return failure();
    out = ctx.binary(BinaryKind::mul, *out, *m3);
    if (failed(out))
      return failure();
  }
  KTensor result;
  result.value = *out;
  result.mask = query.mask;
  ctx.outputs.push_back(result);
  return success();
}

void kiln::keras_frontend::registerAttentionLayers(LayerTable &table) {
  table["MultiHeadAttention"] = {
      importMultiHeadAttention, false,
      "num_heads, key_dim, value_dim, use_bias; query, value, key, "
      "attention_mask, use_causal_mask and the inputs' padding masks; inputs "
      "of rank 3; output_shape and return_attention_scores are refused"};
  table["Attention"] = {importAttention, false,
                        "dot scores, use_scale, use_causal_mask, the value's "
                        "padding mask; score_mode concat is refused"};
}

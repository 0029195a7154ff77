//===- Recurrent.cpp - ONNX RNN, GRU, LSTM, Attention and Einsum ----------===//

#include "NodeContext.h"

#include "llvm/ADT/StringSwitch.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::onnx_frontend;

//===----------------------------------------------------------------------===//
// RNN, GRU, LSTM
//===----------------------------------------------------------------------===//

static std::optional<UnaryKind> activationKind(StringRef name) {
  return llvm::StringSwitch<std::optional<UnaryKind>>(name.lower())
      .Case("relu", UnaryKind::relu)
      .Case("tanh", UnaryKind::tanh)
      .Case("sigmoid", UnaryKind::sigmoid)
      .Case("affine", UnaryKind::affine)
      .Case("leakyrelu", UnaryKind::leaky_relu)
      .Case("thresholdedrelu", UnaryKind::thresholded_relu)
      .Case("scaledtanh", UnaryKind::scaled_tanh)
      .Case("hardsigmoid", UnaryKind::hard_sigmoid)
      .Case("elu", UnaryKind::elu)
      .Case("softsign", UnaryKind::softsign)
      .Case("softplus", UnaryKind::softplus)
      .Default(std::nullopt);
}

template <typename OpTy>
static LogicalResult importRecurrent(NodeContext &ctx, int64_t gates,
                                     int64_t activationsPerDirection,
                                     bool isLSTM) {
  auto x = ctx.required(0, "X");
  auto w = ctx.required(1, "W");
  auto r = ctx.required(2, "R");
  auto directionName = ctx.getString("direction", "forward");
  auto hiddenAttr = ctx.getInt("hidden_size", 0);
  auto activationNames = ctx.getStrings("activations");
  auto alphas = ctx.getFloats("activation_alpha");
  auto betas = ctx.getFloats("activation_beta");
  auto layout = ctx.getInt("layout", 0);
  if (failed(x) || failed(w) || failed(r) || failed(directionName) ||
      failed(hiddenAttr) || failed(activationNames) || failed(alphas) ||
      failed(betas) || failed(layout))
    return failure();
  std::optional<RNNDirection> direction = symbolizeRNNDirection(*directionName);
  if (!direction)
    return ctx.emitError() << "attribute 'direction' must be forward, reverse "
                              "or bidirectional, got '"
                           << *directionName << "'";
  int64_t dirs = *direction == RNNDirection::bidirectional ? 2 : 1;
  int64_t hidden = *hiddenAttr;
  if (!ctx.hasAttr("hidden_size")) {
    auto rType = NodeContext::typeOf(*r);
    if (rType.getRank() != 3)
      return ctx.emitError() << "attribute 'hidden_size' is required";
    hidden = rType.getDimSize(2);
  }

  // Activations with their parameters: ONNX lists alpha/beta values only
  // for the functions that take them, in order.
  SmallVector<Attribute> activations;
  SmallVector<float> activationAlpha, activationBeta;
  if (!activationNames->empty()) {
    if ((int64_t)activationNames->size() == activationsPerDirection &&
        dirs == 2)
      activationNames->append(SmallVector<std::string>(*activationNames));
    size_t nextAlpha = 0, nextBeta = 0;
    for (const std::string &name : *activationNames) {
      std::optional<UnaryKind> kind = activationKind(name);
      if (!kind)
        return ctx.unsupported("activation '" + name + "'");
      UnaryParams params = getUnaryParams(*kind);
      float alpha = params.alpha, beta = params.beta;
      if (params.hasAlpha && nextAlpha < alphas->size())
        alpha = (*alphas)[nextAlpha++];
      if (params.hasBeta && nextBeta < betas->size())
        beta = (*betas)[nextBeta++];
      activations.push_back(UnaryKindAttr::get(ctx.context(), *kind));
      activationAlpha.push_back(alpha);
      activationBeta.push_back(beta);
    }
  }

  // layout = 1 puts the batch first; kiln ops take the sequence first.
  auto toSeqFirst = [&](Value v) -> FailureOr<Value> {
    if (!v || *layout == 0)
      return v;
    return ctx.transpose(v, {1, 0, 2});
  };
  auto xs = toSeqFirst(*x);
  auto h0 = toSeqFirst(ctx.input(5));
  auto c0 = isLSTM ? toSeqFirst(ctx.input(6)) : FailureOr<Value>(Value());
  if (failed(xs) || failed(h0) || failed(c0))
    return failure();
  Value lens = ctx.input(4);
  if (lens) {
    auto cast = ctx.cast(lens, ctx.builder().getI32Type());
    if (failed(cast))
      return failure();
    lens = *cast;
  }
  SmallVector<Value> operands = {*xs, *w, *r};
  SmallVector<int32_t> segments = {1, 1, 1};
  SmallVector<Value> optional = {ctx.input(3), lens, *h0};
  if (isLSTM)
    optional.append({*c0, ctx.input(7)});
  for (Value v : optional) {
    segments.push_back(v ? 1 : 0);
    if (v)
      operands.push_back(v);
  }
  SmallVector<NamedAttribute> attrs = {
      ctx.named("operandSegmentSizes",
                ctx.builder().getDenseI32ArrayAttr(segments)),
      ctx.named("direction", RNNDirectionAttr::get(ctx.context(), *direction)),
      ctx.named("hidden_size", ctx.i64(hidden)),
      ctx.named("activations", ctx.builder().getArrayAttr(activations)),
      ctx.named("activation_alpha",
                ctx.builder().getDenseF32ArrayAttr(activationAlpha)),
      ctx.named("activation_beta",
                ctx.builder().getDenseF32ArrayAttr(activationBeta))};
  if (ctx.hasAttr("clip")) {
    auto clip = ctx.getFloat("clip", 0);
    if (failed(clip))
      return failure();
    attrs.push_back(ctx.named("clip", ctx.f32(*clip)));
  }
  if (ctx.hasAttr("linear_before_reset")) {
    auto lbr = ctx.getInt("linear_before_reset", 0);
    if (failed(lbr))
      return failure();
    if (*lbr)
      attrs.push_back(
          ctx.named("linear_before_reset", ctx.builder().getUnitAttr()));
  }
  if (ctx.hasAttr("input_forget")) {
    auto inputForget = ctx.getInt("input_forget", 0);
    if (failed(inputForget))
      return failure();
    if (*inputForget)
      attrs.push_back(ctx.named("input_forget", ctx.builder().getUnitAttr()));
  }
  auto op = createChecked<OpTy>(ctx.builder(), ctx.loc, operands, attrs);
  if (failed(op))
    return failure();
  for (unsigned i = 0; i < (*op)->getNumResults(); ++i) {
    Value result = (*op)->getResult(i);
    if (*layout != 0) {
      SmallVector<int64_t> perm = i == 0 ? SmallVector<int64_t>{2, 0, 1, 3}
                                         : SmallVector<int64_t>{1, 0, 2};
      auto transposed = ctx.transpose(result, perm);
      if (failed(transposed))
        return failure();
      result = *transposed;
    }
    ctx.setOutput(i, result);
  }
  return success();
}

static LogicalResult importRNN(NodeContext &ctx) {
  return importRecurrent<RNNOp>(ctx, 1, 1, false);
}
static LogicalResult importGRU(NodeContext &ctx) {
  return importRecurrent<GRUOp>(ctx, 3, 2, false);
}
static LogicalResult importLSTM(NodeContext &ctx) {
  return importRecurrent<LSTMOp>(ctx, 4, 3, true);
}

//===----------------------------------------------------------------------===//
// Attention (opset 23)
//===----------------------------------------------------------------------===//

/// [B, L, H*D] -> [B, H, L, D]
static FailureOr<Value> splitHeads(NodeContext &ctx, Value v, int64_t heads,
                                   StringRef name) {
  auto type = NodeContext::typeOf(v);
  if (type.getRank() == 4)
    return v;
  if (type.getRank() != 3)
    return ctx.emitError() << "input '" << name << "' must have rank 3 or 4";
  if (heads <= 0 || type.getDimSize(2) % heads != 0)
    return ctx.emitError() << "input '" << name << "' of hidden size "
                           << type.getDimSize(2)
                           << " does not split into the number of heads ("
                           << heads << ")";
  auto split = ctx.reshape(v, {type.getDimSize(0), type.getDimSize(1), heads,
                               type.getDimSize(2) / heads});
  if (failed(split))
    return failure();
  return ctx.transpose(*split, {0, 2, 1, 3});
}

static LogicalResult importAttention(NodeContext &ctx) {
  if (ctx.outputUsed(3))
    return ctx.unsupported("the 'qk_matmul_output' output of Attention");
  if (ctx.hasInput(6))
    return ctx.unsupported("input 'nonpad_kv_seqlen' of Attention");
  auto q = ctx.required(0, "Q");
  auto k = ctx.required(1, "K");
  auto v = ctx.required(2, "V");
  auto qHeads = ctx.getInt("q_num_heads", 0);
  auto kvHeads = ctx.getInt("kv_num_heads", 0);
  auto causal = ctx.getInt("is_causal", 0);
  auto softcap = ctx.getFloat("softcap", 0.0f);
  auto mode = ctx.getInt("qk_matmul_output_mode", 0);
  if (failed(q) || failed(k) || failed(v) || failed(qHeads) ||
      failed(kvHeads) || failed(causal) || failed(softcap) || failed(mode))
    return failure();
  bool threeD = NodeContext::typeOf(*q).getRank() == 3;
  auto q4 = splitHeads(ctx, *q, *qHeads, "Q");
  auto k4 = splitHeads(ctx, *k, *kvHeads, "K");
  auto v4 = splitHeads(ctx, *v, *kvHeads, "V");
  if (failed(q4) || failed(k4) || failed(v4))
    return failure();
  Value keys = *k4, values = *v4;
  int64_t past = 0;
  if (ctx.hasInput(4) != ctx.hasInput(5))
    return ctx.emitError() << "'past_key' and 'past_value' go together";
  if (ctx.hasInput(4)) {
    past = NodeContext::typeOf(ctx.input(4)).getDimSize(2);
    auto pastK = ctx.create<ConcatOp>({ctx.input(4), keys},
                                      {ctx.named("axis", ctx.i64(2))});
    auto pastV = ctx.create<ConcatOp>({ctx.input(5), values},
                                      {ctx.named("axis", ctx.i64(2))});
    if (failed(pastK) || failed(pastV))
      return failure();
    keys = *pastK;
    values = *pastV;
  }
  SmallVector<Value> operands = {*q4, keys, values};
  if (Value mask = ctx.input(3))
    operands.push_back(mask);
  SmallVector<NamedAttribute> attrs;
  if (ctx.hasAttr("scale")) {
    auto scale = ctx.getFloat("scale", 1.0f);
    if (failed(scale))
      return failure();
    attrs.push_back(ctx.named("scale", ctx.f32(*scale)));
  }
  if (*causal) {
    attrs.push_back(ctx.named("is_causal", ctx.builder().getUnitAttr()));
    if (past)
      attrs.push_back(ctx.named("causal_offset", ctx.i64(past)));
  }
  if (*softcap != 0.0f)
    attrs.push_back(ctx.named("softcap", ctx.f32(*softcap)));
  auto result = ctx.create<AttentionOp>(operands, attrs);
  if (failed(result))
    return failure();
  Value y = *result;
  if (threeD) {
    auto type = NodeContext::typeOf(y);
    auto merged = ctx.transpose(y, {0, 2, 1, 3});
    if (failed(merged))
      return failure();
    auto flat = ctx.reshape(*merged, {type.getDimSize(0), type.getDimSize(2),
                                      type.getDimSize(1) * type.getDimSize(3)});
    if (failed(flat))
      return failure();
    y = *flat;
  }
  ctx.setOutput(0, y);
  ctx.setOutput(1, keys);
  ctx.setOutput(2, values);
  return success();
}

//===----------------------------------------------------------------------===//
// Einsum, where it is a (batched) matrix product, transpose or sum
//===----------------------------------------------------------------------===//

static LogicalResult importEinsum(NodeContext &ctx) {
  auto equationAttr = ctx.getString("equation", "");
  if (failed(equationAttr))
    return failure();
  std::string equation;
  for (char c : *equationAttr)
    if (c != ' ')
      equation += c;
  if (equation.find("...") != std::string::npos)
    return ctx.unsupported("Einsum with an ellipsis");
  StringRef text(equation);
  auto [lhs, out] = text.split("->");
  bool explicitOutput = text.contains("->");
  SmallVector<StringRef> terms;
  lhs.split(terms, ',');
  if ((int64_t)terms.size() != ctx.numInputs() || terms.size() > 2)
    return ctx.unsupported("Einsum with " + Twine(ctx.numInputs()) +
                           " operands (Kiln handles 1 or 2)");
  std::string output;
  if (explicitOutput) {
    output = out.str();
  } else {
    // Implicit output: the letters used once, in alphabetical order.
    for (char c = 'A'; c <= 'z'; ++c)
      if (lhs.count(c) == 1)
        output += c;
  }
  SmallVector<Value> operands;
  llvm::DenseMap<char, int64_t> sizes;
  for (auto [i, term] : llvm::enumerate(terms)) {
    auto value = ctx.required(i, "Inputs");
    if (failed(value))
      return failure();
    auto type = NodeContext::typeOf(*value);
    if ((int64_t)term.size() != type.getRank())
      return ctx.emitError() << "Einsum term '" << term << "' does not match "
                             << "an input of rank " << type.getRank();
    for (auto [d, c] : llvm::enumerate(term)) {
      if (term.count(c) != 1)
        return ctx.unsupported("Einsum with a repeated index in one term");
      auto [it, inserted] = sizes.try_emplace(c, type.getDimSize(d));
      if (!inserted && it->second != type.getDimSize(d))
        return ctx.unsupported("Einsum that broadcasts index '" + Twine(c) +
                               "'");
    }
    operands.push_back(*value);
  }
  for (char c : output)
    if (!sizes.count(c) || StringRef(output).count(c) != 1)
      return ctx.emitError() << "Einsum output index '" << c << "' is invalid";

  // Sum away the letters that appear in one term and not in the output.
  SmallVector<std::string> termLetters;
  for (auto [i, term] : llvm::enumerate(terms)) {
    std::string kept;
    SmallVector<int64_t> axes;
    for (auto [d, c] : llvm::enumerate(term)) {
      bool elsewhere = StringRef(output).contains(c) ||
                       (terms.size() == 2 && terms[1 - i].contains(c));
      if (elsewhere)
        kept += c;
      else
        axes.push_back(d);
    }
    if (!axes.empty()) {
      auto summed = ctx.reduce(ReduceKind::sum, operands[i], axes, false);
      if (failed(summed))
        return failure();
      operands[i] = *summed;
    }
    termLetters.push_back(kept);
  }
  auto permutation = [](StringRef from, StringRef to) {
    SmallVector<int64_t> perm;
    for (char c : to)
      perm.push_back(from.find(c));
    return perm;
  };
  Value result;
  std::string resultLetters;
  if (terms.size() == 1) {
    result = operands[0];
    resultLetters = termLetters[0];
  } else {
    std::string a = termLetters[0], b = termLetters[1];
    std::string batch, aFree, bFree, contract;
    for (char c : a) {
      bool inB = StringRef(b).contains(c),
           inOut = StringRef(output).contains(c);
      (inB ? (inOut ? batch : contract) : aFree) += c;
    }
    for (char c : b)
      if (!StringRef(a).contains(c))
        bFree += c;
    auto size = [&](StringRef letters) {
      int64_t n = 1;
      for (char c : letters)
        n *= sizes[c];
      return n;
    };
    int64_t nb = size(batch), m = size(aFree), kk = size(contract),
            n = size(bFree);
    auto lhsT =
        ctx.transpose(operands[0], permutation(a, batch + aFree + contract));
    auto rhsT =
        ctx.transpose(operands[1], permutation(b, batch + contract + bFree));
    if (failed(lhsT) || failed(rhsT))
      return failure();
    auto lhs3 = ctx.reshape(*lhsT, {nb, m, kk});
    auto rhs3 = ctx.reshape(*rhsT, {nb, kk, n});
    if (failed(lhs3) || failed(rhs3))
      return failure();
    auto product = ctx.create<MatMulOp>({*lhs3, *rhs3});
    if (failed(product))
      return failure();
    resultLetters = batch + aFree + bFree;
    SmallVector<int64_t> shape;
    for (char c : resultLetters)
      shape.push_back(sizes[c]);
    auto unflat = ctx.reshape(*product, shape);
    if (failed(unflat))
      return failure();
    result = *unflat;
  }
  return ctx.setResult(
      ctx.transpose(result, permutation(resultLetters, output)));
}

void kiln::onnx_frontend::registerRecurrentOps(HandlerTable &table) {
  table["RNN"] = importRNN;
  table["GRU"] = importGRU;
  table["LSTM"] = importLSTM;
  table["Attention"] = importAttention;
  table["Einsum"] = importEinsum;
}

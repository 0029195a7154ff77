//===- MatchActivations.cpp - Activations written as chains of ops --------===//
//
// Exporters write the activations ONNX lacks (before opset 20 for GELU,
// in its erf and tanh forms; SiLU has none) as chains of elementwise ops. This
// pass turns them back into one kiln.unary, so that the fusion passes can fold
// them into the convolution or matrix product they follow, and so that they run
// as one function rather than five.
//
//===----------------------------------------------------------------------===//

#include "FusionUtils.h"
#include "kiln/Dialect/Kiln/IR/KilnOps.h"
#include "kiln/Dialect/Kiln/Transforms/Passes.h"

#include <cmath>

namespace kiln {
#define GEN_PASS_DEF_KILNMATCHACTIVATIONS
#include "kiln/Dialect/Kiln/Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;
using namespace kiln::fusion;

namespace {

/// Whether `value` is a constant f32 scalar (any shape of one element)
/// within a relative 1e-5 of `expected`.
bool isScalar(Value value, double expected) {
  std::optional<double> v = scalarConstant(value);
  return v && std::abs(*v - expected) <= 1e-5 * std::abs(expected);
}

/// The only user of `value` when it is a kiln.binary of `kind`, else null.
BinaryOp soleBinaryUser(Value value, BinaryKind kind) {
  if (!value.hasOneUse())
    return nullptr;
  auto binary = llvm::dyn_cast<BinaryOp>(*value.getUsers().begin());
  return binary && binary.getKind() == kind ? binary : nullptr;
}

/// The kiln.binary of `kind` defining `value` when `value` has no other
/// user, else null.
BinaryOp soleBinaryDef(Value value, BinaryKind kind) {
  auto binary = value.getDefiningOp<BinaryOp>();
  return binary && binary.getKind() == kind && value.hasOneUse() ? binary
                                                                 : nullptr;
}

/// A chain that computes `kind(x)` and ends at `chain.back()`.
struct Match {
  UnaryKind kind;
  Value x;
  SmallVector<Operation *> chain; // in program order of the dataflow
};

/// Completes a GELU match whose chain ends at `plusOne`, an add of 1 and
/// f(x): the product of that sum with x and 0.5, in any of the three ways
/// exporters group it.
std::optional<Match> matchHalfProduct(BinaryOp plusOne, Match match) {
  Value x = match.x, sum = plusOne.getResult();
  match.chain.push_back(plusOne);
  BinaryOp first = soleBinaryUser(sum, BinaryKind::mul);
  if (!first)
    return std::nullopt;
  Value firstOther = otherOperand(first, sum);
  if (firstOther == x) {
    // (x * (1 + f)) * 0.5
    BinaryOp half = soleBinaryUser(first.getResult(), BinaryKind::mul);
    if (!half || !isScalar(otherOperand(half, first.getResult()), 0.5))
      return std::nullopt;
    match.chain.append({first, half});
  } else if (isScalar(firstOther, 0.5)) {
    // x * ((1 + f) * 0.5)
    BinaryOp outer = soleBinaryUser(first.getResult(), BinaryKind::mul);
    if (!outer || otherOperand(outer, first.getResult()) != x)
      return std::nullopt;
    match.chain.append({first, outer});
  } else {
    // (x * 0.5) * (1 + f)
    BinaryOp half = soleBinaryDef(firstOther, BinaryKind::mul);
    if (!half || !llvm::is_contained(half->getOperands(), x) ||
        !isScalar(otherOperand(half, x), 0.5))
      return std::nullopt;
    match.chain.append({half, first});
  }
  if (match.chain.back()->getResult(0).getType() != x.getType())
    return std::nullopt;
  return match;
}

/// The add of 1 that is the only user of `value`, or null.
BinaryOp plusOneOf(Value value) {
  BinaryOp plusOne = soleBinaryUser(value, BinaryKind::add);
  return plusOne && isScalar(otherOperand(plusOne, value), 1.0) ? plusOne
                                                                : nullptr;
}

/// x * 0.5 * (1 + erf(x / sqrt(2))), anchored at the erf: the scaling of x
/// by 1/sqrt(2) (a division or a multiplication), erf, + 1, and the
/// product with x and 0.5.
std::optional<Match> matchGelu(UnaryOp erf) {
  if (erf.getKind() != UnaryKind::erf)
    return std::nullopt;
  auto scaled = erf.getInput().getDefiningOp<BinaryOp>();
  if (!scaled || !scaled.getResult().hasOneUse())
    return std::nullopt;
  Value x;
  if (scaled.getKind() == BinaryKind::div && isScalar(scaled.getRhs(), M_SQRT2))
    x = scaled.getLhs();
  else if (scaled.getKind() == BinaryKind::mul) {
    if (isScalar(scaled.getRhs(), M_SQRT1_2))
      x = scaled.getLhs();
    else if (isScalar(scaled.getLhs(), M_SQRT1_2))
      x = scaled.getRhs();
  }
  BinaryOp plusOne = plusOneOf(erf.getResult());
  if (!x || x.getType() != erf.getType() || !plusOne)
    return std::nullopt;
  return matchHalfProduct(plusOne, {UnaryKind::gelu, x, {scaled, erf}});
}

/// Whether `cube` is x^3 with no other user: pow(x, 3), x * (x * x) or
/// (x * x) * x; appends its ops to `chain`.
bool isCube(Value cube, Value x, SmallVectorImpl<Operation *> &chain) {
  if (BinaryOp pow = soleBinaryDef(cube, BinaryKind::pow)) {
    if (pow.getLhs() != x || !isScalar(pow.getRhs(), 3.0))
      return false;
    chain.push_back(pow);
    return true;
  }
  BinaryOp product = soleBinaryDef(cube, BinaryKind::mul);
  if (!product)
    return false;
  Value square = otherOperand(product, x);
  if (!llvm::is_contained(product->getOperands(), x) || square == x)
    return false;
  BinaryOp squaring = soleBinaryDef(square, BinaryKind::mul);
  if (!squaring || squaring.getLhs() != x || squaring.getRhs() != x)
    return false;
  chain.append({squaring, product});
  return true;
}

/// The tanh form, 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3))),
/// anchored at the tanh; the cube may be a pow or two products.
std::optional<Match> matchGeluTanh(UnaryOp tanh) {
  if (tanh.getKind() != UnaryKind::tanh)
    return std::nullopt;
  BinaryOp scaled = soleBinaryDef(tanh.getInput(), BinaryKind::mul);
  if (!scaled)
    return std::nullopt;
  const double sqrt2OverPi = M_2_SQRTPI * M_SQRT1_2;
  Value inner;
  if (isScalar(scaled.getLhs(), sqrt2OverPi))
    inner = scaled.getRhs();
  else if (isScalar(scaled.getRhs(), sqrt2OverPi))
    inner = scaled.getLhs();
  BinaryOp sum = inner ? soleBinaryDef(inner, BinaryKind::add) : nullptr;
  if (!sum)
    return std::nullopt;
  // x + kappa * x^3, either way round.
  for (auto [x, term] : {std::pair(sum.getLhs(), sum.getRhs()),
                         std::pair(sum.getRhs(), sum.getLhs())}) {
    BinaryOp kappa = soleBinaryDef(term, BinaryKind::mul);
    if (!kappa || x.getType() != tanh.getType())
      continue;
    Value cube;
    if (isScalar(kappa.getLhs(), 0.044715))
      cube = kappa.getRhs();
    else if (isScalar(kappa.getRhs(), 0.044715))
      cube = kappa.getLhs();
    Match match{UnaryKind::gelu_tanh, x, {}};
    if (!cube || !isCube(cube, x, match.chain))
      continue;
    BinaryOp plusOne = plusOneOf(tanh.getResult());
    if (!plusOne)
      return std::nullopt;
    match.chain.append({kappa, sum, scaled, tanh});
    return matchHalfProduct(plusOne, match);
  }
  return std::nullopt;
}

/// x * sigmoid(x) (SiLU, or swish with beta 1) and x * hard_sigmoid(x)
/// with alpha 1/6 and beta 1/2 (hard swish), anchored at the sigmoid.
std::optional<Match> matchGated(UnaryOp gate) {
  UnaryKind kind;
  if (gate.getKind() == UnaryKind::sigmoid)
    kind = UnaryKind::silu;
  else if (gate.getKind() == UnaryKind::hard_sigmoid &&
           std::abs(gate.getAlphaOrDefault() - 1.0f / 6.0f) < 1e-6f &&
           gate.getBetaOrDefault() == 0.5f)
    kind = UnaryKind::hard_swish;
  else
    return std::nullopt;
  Value x = gate.getInput();
  BinaryOp product = soleBinaryUser(gate.getResult(), BinaryKind::mul);
  if (!product || otherOperand(product, gate.getResult()) != x ||
      product.getType() != x.getType())
    return std::nullopt;
  return Match{kind, x, {gate, product}};
}

struct MatchActivationsPass
    : kiln::impl::KilnMatchActivationsBase<MatchActivationsPass> {
  using Base::Base;

  void runOnOperation() override {
    // Each anchor (an erf, a tanh or a gate) belongs to one chain at most, but
    // a chain's input may be the result of another: match each anchor after the
    // rewrites before it.
    SmallVector<UnaryOp> anchors;
    getOperation()->walk([&](UnaryOp unary) { anchors.push_back(unary); });
    for (UnaryOp anchor : anchors) {
      std::optional<Match> found = matchGelu(anchor);
      if (!found)
        found = matchGeluTanh(anchor);
      if (!found)
        found = matchGated(anchor);
      if (!found)
        continue;
      Match &match = *found;
      Operation *last = match.chain.back();
      OpBuilder b(last);
      SmallVector<NamedAttribute> attrs = {b.getNamedAttr(
          "kind", UnaryKindAttr::get(b.getContext(), match.kind))};
      FailureOr<UnaryOp> unary =
          createChecked<UnaryOp>(b, last->getLoc(), {match.x}, attrs);
      if (failed(unary))
        return signalPassFailure();
      std::string text =
          "matched " + stringifyUnaryKind(match.kind).str() + ":";
      for (Operation *op : match.chain)
        text += " " + nameOf(op);
      replaceChain(match.chain, *unary);
      if (report)
        unary->emitRemark(text);
    }
  }
};

} // namespace

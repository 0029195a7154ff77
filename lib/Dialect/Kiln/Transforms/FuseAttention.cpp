//===- FuseAttention.cpp - Scaled dot-product attention -------------------===//

#include "FusionUtils.h"
#include "kiln/Dialect/Kiln/IR/KilnOps.h"
#include "kiln/Dialect/Kiln/Transforms/Passes.h"

#include <cmath>
#include <cstdio>

namespace kiln {
#define GEN_PASS_DEF_KILNFUSEATTENTION
#include "kiln/Dialect/Kiln/Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;
using namespace kiln::fusion;

namespace {

/// What a match found, before anything is rewritten.
struct Match {
  MatMulOp scores, output;
  Value q, kT, v, mask;
  bool maskIsKeep = false;        // a boolean mask, true where keys are kept
  Value maskCondition;            // where(cond, fill, s): cond masks out
  std::optional<double> maskFill; // a finite fill (-inf is left implicit)
  double scale = 1.0;
  SmallVector<Operation *> chain; // ops replaced, first to last
};

struct FuseAttentionPass
    : kiln::impl::KilnFuseAttentionBase<FuseAttentionPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<SoftmaxOp> softmaxes;
    getOperation()->walk([&](SoftmaxOp op) { softmaxes.push_back(op); });
    for (SoftmaxOp softmax : softmaxes) {
      std::string why;
      FailureOr<Match> match = matchAt(softmax, why);
      if (failed(match)) {
        if (report && !why.empty())
          softmax.emitRemark("attention not fused: " + why);
        continue;
      }
      if (failed(rewrite(*match)))
        return signalPassFailure();
    }
  }

  /// The only user of `value` if it has one.
  static Operation *soleUser(Value value) {
    return value.hasOneUse() ? *value.getUsers().begin() : nullptr;
  }

  FailureOr<Match> matchAt(SoftmaxOp softmax, std::string &why) {
    Match m;
    RankedTensorType type = softmax.getType();
    int64_t rank = type.getRank();
    // A softmax that is not fed by a product of matrices is no attention.
    Value s = softmax.getInput();
    auto output =
        llvm::dyn_cast_if_present<MatMulOp>(soleUser(softmax.getResult()));
    if (!output || output.getLhs() != softmax.getResult()) {
      why = "";
      return failure();
    }
    if (rank != 3 && rank != 4)
      return failure();
    if ((int64_t)softmax.getAxis() != rank - 1) {
      why = "the softmax is not over the last axis";
      return failure();
    }
    // Additive or boolean mask.
    SmallVector<Operation *> chain;
    if (auto add = s.getDefiningOp<BinaryOp>();
        add && add.getKind() == BinaryKind::add) {
      // The scores keep their shape through the mask.
      auto isScores = [&](Value x) {
        return typeOf(x) == type && x.getDefiningOp() &&
               llvm::isa<MatMulOp, BinaryOp>(x.getDefiningOp());
      };
      Value lhs = add.getLhs(), rhs = add.getRhs();
      if (!isScores(lhs) && !isScores(rhs)) {
        why = "the mask does not broadcast to the scores";
        return failure();
      }
      m.mask = isScores(lhs) ? rhs : lhs;
      s = isScores(lhs) ? lhs : rhs;
      chain.push_back(add);
    } else if (auto where = s.getDefiningOp<WhereOp>()) {
      std::optional<double> fill = scalarConstant(where.getLhs());
      if (!fill || typeOf(where.getRhs()) != type) {
        why = "the mask's fill is not a constant scalar";
        return failure();
      }
      if (std::isnan(*fill) || (*fill > 0 && std::isinf(*fill))) {
        char text[32];
        std::snprintf(text, sizeof(text), "%g", *fill);
        why =
            std::string("the mask's fill (") + text + ") is not finite or -inf";
        return failure();
      }
      if (std::isfinite(*fill))
        m.maskFill = *fill;
      m.maskCondition = where.getCondition();
      s = where.getRhs();
      chain.push_back(where);
    }
    // Scale after the product.
    bool scaled = false;
    if (auto binary = s.getDefiningOp<BinaryOp>();
        binary && (binary.getKind() == BinaryKind::div ||
                   binary.getKind() == BinaryKind::mul)) {
      std::optional<double> c = scalarConstant(binary.getRhs());
      Value other = binary.getLhs();
      if (!c && binary.getKind() == BinaryKind::mul) {
        c = scalarConstant(binary.getLhs());
        other = binary.getRhs();
      }
      if (!c) {
        why = "the scale is not a constant";
        return failure();
      }
      s = other;
      m.scale = binary.getKind() == BinaryKind::div ? 1.0 / *c : *c;
      scaled = true;
      chain.push_back(binary);
    }
    m.scores = s.getDefiningOp<MatMulOp>();
    if (!m.scores) {
      why = "the scores are not a product of matrices";
      return failure();
    }
    chain.push_back(m.scores);
    for (Operation *op : chain)
      if (!op->getResult(0).hasOneUse()) {
        why = "an intermediate of the scores has another user";
        return failure();
      }
    m.q = m.scores.getLhs();
    m.kT = m.scores.getRhs();
    m.v = output.getRhs();
    // A scale applied to q first (PyTorch's MultiheadAttention).
    if (auto binary = m.q.getDefiningOp<BinaryOp>();
        !scaled && binary && binary->hasOneUse() &&
        (binary.getKind() == BinaryKind::div ||
         binary.getKind() == BinaryKind::mul)) {
      if (std::optional<double> c = scalarConstant(binary.getRhs())) {
        m.scale = binary.getKind() == BinaryKind::div ? 1.0 / *c : *c;
        m.q = binary.getLhs();
        chain.push_back(binary);
      }
    }
    RankedTensorType q = typeOf(m.q), kT = typeOf(m.kT), v = typeOf(m.v);
    if (q.getRank() != rank || kT.getRank() != rank || v.getRank() != rank ||
        q.getShape().drop_back(2) != kT.getShape().drop_back(2) ||
        q.getShape().drop_back(2) != v.getShape().drop_back(2)) {
      why = "q, k and v do not share their batch and head dims";
      return failure();
    }
    if (m.mask) {
      RankedTensorType mask = typeOf(m.mask);
      if (mask.getRank() > rank ||
          mask.getElementType() != type.getElementType()) {
        why = "the mask does not broadcast to the scores";
        return failure();
      }
      for (int64_t i = 1; i <= mask.getRank(); ++i) {
        int64_t d = mask.getDimSize(mask.getRank() - i);
        if (d != 1 && d != type.getDimSize(rank - i)) {
          why = "the mask does not broadcast to the scores";
          return failure();
        }
      }
    }
    m.output = output;
    m.chain.assign(chain.rbegin(), chain.rend());
    m.chain.push_back(softmax);
    m.chain.push_back(output);
    return m;
  }

  /// `value` with 1s prepended to rank 4.
  static Value toRank4(OpBuilder &b, Location loc, Value value) {
    RankedTensorType type = typeOf(value);
    if (type.getRank() == 4)
      return value;
    SmallVector<int64_t> shape(4 - type.getRank(), 1);
    llvm::append_range(shape, type.getShape());
    return ReshapeOp::create(b, loc, type.clone(shape), value);
  }

  LogicalResult rewrite(Match &m) {
    OpBuilder b(m.output);
    SmallVector<Location> locs;
    for (Operation *op : m.chain)
      locs.push_back(op->getLoc());
    Location loc = FusedLoc::get(b.getContext(), locs);
    RankedTensorType kT = typeOf(m.kT);
    SmallVector<int64_t> perm, kShape(kT.getShape());
    for (int64_t i = 0; i < kT.getRank(); ++i)
      perm.push_back(i);
    std::swap(perm[perm.size() - 1], perm[perm.size() - 2]);
    std::swap(kShape[kShape.size() - 1], kShape[kShape.size() - 2]);
    Value k = TransposeOp::create(b, loc, kT.clone(kShape), m.kT,
                                  b.getDenseI64ArrayAttr(perm));
    SmallVector<Value> operands = {toRank4(b, loc, m.q), toRank4(b, loc, k),
                                   toRank4(b, loc, m.v)};
    if (m.mask)
      operands.push_back(toRank4(b, loc, m.mask));
    if (m.maskCondition) {
      FailureOr<UnaryOp> keep = createChecked<UnaryOp>(
          b, loc, {m.maskCondition},
          {b.getNamedAttr("kind", UnaryKindAttr::get(b.getContext(),
                                                     UnaryKind::logical_not))});
      if (failed(keep))
        return failure();
      operands.push_back(toRank4(b, loc, keep->getResult()));
    }
    SmallVector<NamedAttribute> attrs = {
        b.getNamedAttr("scale", b.getF32FloatAttr((float)m.scale))};
    if (m.maskFill)
      attrs.push_back(
          b.getNamedAttr("mask_fill", b.getF32FloatAttr((float)*m.maskFill)));
    FailureOr<AttentionOp> attention =
        createChecked<AttentionOp>(b, loc, operands, attrs);
    if (failed(attention))
      return failure();
    Value result = attention->getResult();
    if (result.getType() != m.output.getType())
      result = ReshapeOp::create(b, loc, m.output.getType(), result);
    m.output.getResult().replaceAllUsesWith(result);
    for (Operation *op : llvm::reverse(m.chain))
      op->erase();
    if (report) {
      char scale[32];
      std::snprintf(scale, sizeof(scale), "%g", m.scale);
      attention->emitRemark("fused into kiln.attention (scale ")
          << scale << (m.mask || m.maskCondition ? ", with a mask" : "")
          << (m.maskFill ? " filled with a finite score)" : ")");
    }
    return success();
  }
};

} // namespace

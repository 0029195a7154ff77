//===- Attention.cpp - Scaled dot-product attention -----------------------===//

#include "OpChecker.h"
#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace kiln;
using namespace kiln::detail;

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

LogicalResult AttentionOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  OpChecker check(loc, getOperationName());
  RankedTensorType q = check.tensor(adaptor.getQ(), "q");
  RankedTensorType k = q ? check.tensor(adaptor.getK(), "k") : nullptr;
  RankedTensorType v = k ? check.tensor(adaptor.getV(), "v") : nullptr;
  if (!v)
    return failure();
  if (q.getRank() != 4 || k.getRank() != 4 || v.getRank() != 4)
    return check.fail("expected 'q', 'k' and 'v' of rank 4 (batch x heads x "
                      "sequence x head size), got ranks ",
                      q.getRank(), ", ", k.getRank(), " and ", v.getRank());
  if (failed(check.sameElementType(k, "k", q.getElementType())) ||
      failed(check.sameElementType(v, "v", q.getElementType())))
    return failure();
  int64_t batch = q.getDimSize(0), heads = q.getDimSize(1),
          lq = q.getDimSize(2), kvHeads = k.getDimSize(1), lk = k.getDimSize(2);
  if (k.getDimSize(0) != batch || v.getDimSize(0) != batch)
    return check.fail("expected 'q', 'k' and 'v' to share the batch size ",
                      batch);
  if (k.getDimSize(3) != q.getDimSize(3))
    return check.fail("expected 'k' head size ", k.getDimSize(3),
                      " to match 'q' head size ", q.getDimSize(3));
  if (v.getDimSize(1) != kvHeads || v.getDimSize(2) != lk)
    return check.fail("expected 'v' to have the heads and sequence length of "
                      "'k' (",
                      kvHeads, " x ", lk, "), got ", v.getDimSize(1), " x ",
                      v.getDimSize(2));
  if (kvHeads == 0 || heads % kvHeads != 0)
    return check.fail("expected the query heads (", heads,
                      ") to be a multiple of the key/value heads (", kvHeads,
                      ")");
  if (Value maskValue = adaptor.getMask()) {
    RankedTensorType mask = check.tensor(maskValue, "mask");
    if (!mask)
      return failure();
    Type element = mask.getElementType();
    if (!element.isInteger(1) && element != q.getElementType())
      return check.fail("expected 'mask' of element type i1 or ",
                        q.getElementType(), ", got ", element);
    SmallVector<int64_t> scores = {batch, heads, lq, lk};
    if (!broadcastsTo(mask.getShape(), scores))
      return check.fail("expected 'mask' of shape ",
                        formatList(mask.getShape()), " to broadcast to ",
                        formatList(scores));
  }
  if (std::optional<APFloat> fill = adaptor.getMaskFill()) {
    Value maskValue = adaptor.getMask();
    if (!maskValue || !llvm::cast<RankedTensorType>(maskValue.getType())
                           .getElementType()
                           .isInteger(1))
      return check.fail("expected 'mask_fill' only with an i1 mask");
    if (!fill->isFinite())
      return check.fail("expected 'mask_fill' to be finite");
  }
  if (std::optional<APFloat> softcap = adaptor.getSoftcap())
    if (!(softcap->convertToDouble() > 0.0))
      return check.fail("expected 'softcap' to be positive");
  if ((int64_t)adaptor.getCausalOffset() < 0)
    return check.fail("expected 'causal_offset' to be non-negative, got ",
                      (int64_t)adaptor.getCausalOffset());
  if (std::optional<APFloat> scale = adaptor.getScale())
    if (!scale->isFiniteNonZero())
      return check.fail("expected 'scale' to be finite and non-zero");
  types.push_back(RankedTensorType::get({batch, heads, lq, v.getDimSize(3)},
                                        q.getElementType()));
  return success();
}

FailureOr<Value> kiln::decomposeAttention(OpBuilder &b, AttentionOp op) {
  RankedTensorType q = op.getQ().getType(), k = op.getK().getType();
  if (op.getIsCausal() || op.getSoftcap() ||
      q.getDimSize(1) != k.getDimSize(1) || !q.getElementType().isF32())
    return failure();
  Location loc = op.getLoc();
  MLIRContext *ctx = b.getContext();
  auto make = [&](auto opType, ValueRange operands,
                  ArrayRef<NamedAttribute> attrs) -> FailureOr<Value> {
    using OpTy = decltype(opType);
    FailureOr<OpTy> created = createChecked<OpTy>(b, loc, operands, attrs);
    if (failed(created))
      return failure();
    return created->getResult();
  };
  FailureOr<Value> kT =
      make(TransposeOp(), {op.getK()},
           {b.getNamedAttr("perm", b.getDenseI64ArrayAttr({0, 1, 3, 2}))});
  if (failed(kT))
    return failure();
  FailureOr<Value> scores = make(MatMulOp(), {op.getQ(), *kT}, {});
  if (failed(scores))
    return failure();
  float scale = op.getScale() ? op.getScale()->convertToFloat()
                              : 1.0f / std::sqrt((float)q.getDimSize(3));
  auto scalarType = RankedTensorType::get({}, b.getF32Type());
  auto constant = [&](float value) {
    return ConstantOp::create(b, loc, scalarType,
                              DenseElementsAttr::get(scalarType, value))
        .getResult();
  };
  if (scale != 1.0f)
    scores = make(
        BinaryOp(), {*scores, constant(scale)},
        {b.getNamedAttr("kind", BinaryKindAttr::get(ctx, BinaryKind::mul))});
  if (failed(scores))
    return failure();
  if (Value mask = op.getMask()) {
    if (llvm::cast<RankedTensorType>(mask.getType())
            .getElementType()
            .isInteger(1))
      scores = make(WhereOp(),
                    {mask, *scores,
                     constant(op.getMaskFill()
                                  ? op.getMaskFill()->convertToFloat()
                                  : -std::numeric_limits<float>::infinity())},
                    {});
    else
      scores = make(
          BinaryOp(), {*scores, mask},
          {b.getNamedAttr("kind", BinaryKindAttr::get(ctx, BinaryKind::add))});
    if (failed(scores))
      return failure();
  }
  FailureOr<Value> probabilities = make(
      SoftmaxOp(), {*scores}, {b.getNamedAttr("axis", b.getI64IntegerAttr(3))});
  if (failed(probabilities))
    return failure();
  if (op.getMask() && !op.getMaskFill()) {
    // A row whose every key is masked gives zeros, not NaN: where the
    // probability is NaN and the score -inf, 0.
    FailureOr<Value> isNan = make(
        UnaryOp(), {*probabilities},
        {b.getNamedAttr("kind", UnaryKindAttr::get(ctx, UnaryKind::isnan))});
    FailureOr<Value> maskedOut = make(
        CompareOp(),
        {*scores, constant(-std::numeric_limits<float>::infinity())},
        {b.getNamedAttr("predicate",
                        ComparePredicateAttr::get(ctx, ComparePredicate::eq))});
    if (failed(isNan) || failed(maskedOut))
      return failure();
    FailureOr<Value> drop =
        make(BinaryOp(), {*isNan, *maskedOut},
             {b.getNamedAttr(
                 "kind", BinaryKindAttr::get(ctx, BinaryKind::logical_and))});
    if (failed(drop))
      return failure();
    probabilities =
        make(WhereOp(), {*drop, constant(0.0f), *probabilities}, {});
    if (failed(probabilities))
      return failure();
  }
  return make(MatMulOp(), {*probabilities, op.getV()}, {});
}

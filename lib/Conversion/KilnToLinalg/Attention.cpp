//===- Attention.cpp - Scaled dot-product attention to linalg -------------===//
//
// The reference decomposition: scores = q @ k^T * scale, soft-capped,
// masked (boolean, additive and causal masks), softmax over the keys, then
// the weighted sum of the values. Query heads share key/value heads in
// groups (grouped-query attention) through the maps' `h floordiv g`. On
// f32 (or narrower), the tiled kernel kiln_backend.flash_attention instead,
// the lengths padded to its blocks when they need it, and bounded by a
// padded sequence's length when kiln-bound-sequence marked the attention.
//
//===----------------------------------------------------------------------===//

#include "kiln/Conversion/Utils/LoweringUtils.h"
#include "kiln/Dialect/KilnBackend/IR/KilnBackend.h"

#include "kiln/Conversion/KilnToLinalg/Passes.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace kiln;
using namespace kiln::backend;
using namespace kiln::lowering;

/// `v` with its float elements extended to `element` (booleans and values
/// already of that type as they are).
static Value widened(OpBuilder &b, Location loc, Value v, Type element) {
  auto type = llvm::cast<RankedTensorType>(v.getType());
  if (type.getElementType() == element || type.getElementType().isInteger(1))
    return v;
  return elementwise(b, loc, type.clone(element), v,
                     [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
                       return arith::ExtFOp::create(nb, l, element, args[0]);
                     });
}

/// The largest divisor of `n` that is at most `limit`.
static int64_t divisorAtMost(int64_t n, int64_t limit) {
  for (int64_t d = std::min(n, limit); d > 1; --d)
    if (n % d == 0)
      return d;
  return 1;
}

/// The positions a block of `limit` or fewer (at least 8 of them, or all)
/// divides: `n` itself, or `n` padded to a multiple of 8.
static int64_t blockedExtent(int64_t n, int64_t limit) {
  if (divisorAtMost(n, limit) >= std::min<int64_t>(n, 8))
    return n;
  return (n + 7) / 8 * 8;
}

int64_t kiln::flashAttentionQueries(int64_t lq) {
  return blockedExtent(lq, 64);
}

int64_t kiln::flashAttentionKeys(int64_t lk) { return blockedExtent(lk, 256); }

std::optional<std::pair<int64_t, int64_t>>
kiln::flashAttentionBlocks(int64_t lq, int64_t lk) {
  // Blocks of up to 64 queries and 256 keys, at least 8 of each (or all),
  // of the lengths padded where they have no such divisor.
  if (lq < 1 || lk < 1)
    return std::nullopt;
  return std::make_pair(divisorAtMost(flashAttentionQueries(lq), 64),
                        divisorAtMost(flashAttentionKeys(lk), 256));
}

/// The blocks of an attention over a padded sequence's positions: queries
/// in blocks of 8, keys in blocks of up to 256.
constexpr int64_t kBoundedQueryBlock = 8;
constexpr int64_t kBoundedKeyBlock = 256;
/// Its keys are padded to a multiple of this (a vector of scores).
constexpr int64_t kBoundedKeys = 16;

namespace {

/// kiln.attention in the forms the matrix kernels cover -> kiln ops
/// (transpose, matmul, scale, mask, softmax, matmul), lowered in turn.
struct AttentionDecomposition : OpRewritePattern<AttentionOp> {
  AttentionDecomposition(MLIRContext *ctx)
      : OpRewritePattern(ctx, /*benefit=*/2) {}
  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    FailureOr<Value> value = decomposeAttention(rewriter, op);
    if (failed(value))
      return failure();
    rewriter.replaceOp(op, *value);
    return success();
  }
};

/// kiln.attention -> kiln_backend.flash_attention on f32 (half precision
/// widened, f64 left to the reference lowering): the keys transposed, a boolean
/// mask as i8, a mask of lower rank reshaped to rank 4.
struct FlashAttentionLowering : OpRewritePattern<AttentionOp> {
  FlashAttentionLowering(MLIRContext *ctx)
      : OpRewritePattern(ctx, /*benefit=*/3) {}
  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType qType = op.getQ().getType(), kType = op.getK().getType();
    if (qType.getElementType().getIntOrFloatBitWidth() > 32)
      return rewriter.notifyMatchFailure(op, "the kernel computes in f32");
    int64_t lq = qType.getDimSize(2), lk = kType.getDimSize(2);
    std::optional<std::pair<int64_t, int64_t>> blocks =
        flashAttentionBlocks(lq, lk);
    if (!blocks)
      return rewriter.notifyMatchFailure(op, "no block size divides the "
                                             "sequence lengths");
    auto [blockQ, blockK] = *blocks;
    // Lengths no block divides are padded; the kernel leaves out the keys
    // and queries past them (key_limit, query_limit).
    int64_t paddedQ = flashAttentionQueries(lq),
            paddedK = flashAttentionKeys(lk);
    // A padded sequence's length bounds the keys, and the queries when they
    // are its positions too (kiln-bound-sequence marks the attention): a
    // run computes the blocks of 8 queries up to the length, and the keys'
    // vectors up to it in one block (of at most 256).
    Value length = sequenceLengthOf(op);
    bool boundKeys = length && op->hasAttr("kiln.bounded_keys");
    bool boundQueries = length && op->hasAttr("kiln.bounded_queries");
    if (boundKeys) {
      paddedK = (lk + kBoundedKeys - 1) / kBoundedKeys * kBoundedKeys;
      blockK = divisorAtMost(paddedK, kBoundedKeyBlock);
    }
    if (boundQueries) {
      blockQ = kBoundedQueryBlock;
      paddedQ = (lq + blockQ - 1) / blockQ * blockQ;
    }
    Type f32 = rewriter.getF32Type();
    auto widen = [&](Value v) { return widened(rewriter, loc, v, f32); };
    Value zero = scalar(rewriter, loc, f32, 0);
    Value q = padded(rewriter, loc, widen(op.getQ()), {0, 0, 0, 0},
                     {0, 0, paddedQ - lq, 0}, zero);
    Value k = padded(rewriter, loc, widen(op.getK()), {0, 0, 0, 0},
                     {0, 0, paddedK - lk, 0}, zero);
    Value v = padded(rewriter, loc, widen(op.getV()), {0, 0, 0, 0},
                     {0, 0, paddedK - lk, 0}, zero);
    // k_t[b, h, e, j] = k[b, h, j, e]
    SmallVector<int64_t> kTShape = {kType.getDimSize(0), kType.getDimSize(1),
                                    kType.getDimSize(3), paddedK};
    Value kT = linalg::TransposeOp::create(
                   rewriter, loc, k,
                   empty(rewriter, loc, RankedTensorType::get(kTShape, f32)),
                   ArrayRef<int64_t>{0, 1, 3, 2})
                   .getResult()[0];
    // kiln-bound-sequence's mask of the length alone is the key limit's.
    Value mask;
    Value m = op.getMask();
    if (boundKeys && op->hasAttr("kiln.length_mask"))
      m = {};
    if (m) {
      auto type = llvm::cast<RankedTensorType>(m.getType());
      SmallVector<int64_t> shape(4 - type.getRank(), 1);
      llvm::append_range(shape, type.getShape());
      Type element = f32;
      if (type.getElementType().isInteger(1)) {
        element = rewriter.getI8Type();
        m = elementwise(
            rewriter, loc, type.clone(element), m,
            [&](OpBuilder &b, Location l, ValueRange args) -> Value {
              return arith::ExtUIOp::create(b, l, element, args[0]);
            });
      } else {
        m = widen(m);
      }
      mask = reshape(rewriter, loc, m, shape);
      mask = padded(rewriter, loc, mask, {0, 0, 0, 0},
                    {0, 0, shape[2] == 1 ? 0 : paddedQ - lq,
                     shape[3] == 1 ? 0 : paddedK - lk},
                    scalar(rewriter, loc, element, 0));
    }
    auto limit = [&](bool bound, int64_t n, int64_t padded) -> Value {
      if (bound)
        return length;
      if (padded == n)
        return {};
      auto type = RankedTensorType::get({}, rewriter.getI64Type());
      return arith::ConstantOp::create(
          rewriter, loc, type,
          DenseElementsAttr::get(type, rewriter.getI64IntegerAttr(n)));
    };
    Value keyLimit = limit(boundKeys, lk, paddedK);
    Value queryLimit = limit(boundQueries, lq, paddedQ);
    float scale = op.getScale() ? op.getScale()->convertToFloat()
                                : 1.0f / std::sqrt((float)qType.getDimSize(3));
    SmallVector<int64_t> outShape(op.getType().getShape());
    outShape[2] = paddedQ;
    auto outType = RankedTensorType::get(outShape, f32);
    auto flash = FlashAttentionOp::create(
        rewriter, loc, TypeRange{outType}, q, kT, v, mask, keyLimit, queryLimit,
        empty(rewriter, loc, outType), rewriter.getF32FloatAttr(scale),
        op.getIsCausalAttr(), op.getCausalOffsetAttr(), op.getSoftcapAttr(),
        op.getMaskFillAttr(), rewriter.getI64IntegerAttr(blockQ),
        rewriter.getI64IntegerAttr(blockK));
    Value result = flash.getResults()[0];
    if (paddedQ != lq)
      result = tensor::ExtractSliceOp::create(
          rewriter, loc, op.getType().clone(f32), result,
          ArrayRef<OpFoldResult>(
              SmallVector<OpFoldResult>(4, rewriter.getIndexAttr(0))),
          getAsIndexOpFoldResult(rewriter.getContext(),
                                 op.getType().getShape()),
          ArrayRef<OpFoldResult>(
              SmallVector<OpFoldResult>(4, rewriter.getIndexAttr(1))));
    if (op.getType().getElementType() != f32)
      result =
          elementwise(rewriter, loc, op.getType(), result,
                      [&](OpBuilder &b, Location l, ValueRange args) -> Value {
                        return arith::TruncFOp::create(
                            b, l, op.getType().getElementType(), args[0]);
                      });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// kiln.attention -> contraction, masking generic, softmax, contraction.
struct AttentionLowering : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = getContext();
    auto qType = op.getQ().getType(), kType = op.getK().getType();
    // Half-precision inputs are computed in f32, then rounded once.
    Type storage = qType.getElementType();
    Type element = storage.getIntOrFloatBitWidth() < 32
                       ? (Type)rewriter.getF32Type()
                       : storage;
    auto widen = [&](Value v) { return widened(rewriter, loc, v, element); };
    Value q = widen(op.getQ()), k = widen(op.getK()), v = widen(op.getV());
    int64_t batch = qType.getDimSize(0), heads = qType.getDimSize(1),
            lq = qType.getDimSize(2), headSize = qType.getDimSize(3),
            lk = kType.getDimSize(2), groupSize = heads / kType.getDimSize(1);
    float scale = op.getScale() ? op.getScale()->convertToFloat()
                                : 1.0f / std::sqrt((float)headSize);
    auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
    Value zero = scalar(rewriter, loc, element, 0);

    // scores[b, h, i, j] = sum_e q[b, h, i, e] * k[b, h / g, j, e]
    auto scoresType = RankedTensorType::get({batch, heads, lq, lk}, element);
    SmallVector<AffineMap> maps = {
        AffineMap::get(5, 0, {d(0), d(1), d(2), d(4)}, ctx),
        AffineMap::get(5, 0, {d(0), d(1).floorDiv(groupSize), d(3), d(4)}, ctx),
        AffineMap::get(5, 0, {d(0), d(1), d(2), d(3)}, ctx)};
    SmallVector<utils::IteratorType> iterators(4,
                                               utils::IteratorType::parallel);
    iterators.push_back(utils::IteratorType::reduction);
    Value scores = linalg::GenericOp::create(
                       rewriter, loc, TypeRange{scoresType}, ValueRange{q, k},
                       ValueRange{filled(rewriter, loc, scoresType, zero)},
                       maps, iterators, multiplyAdd)
                       .getResult(0);

    // Scale, soft-cap, then mask.
    std::optional<float> softcap;
    if (op.getSoftcap())
      softcap = op.getSoftcap()->convertToFloat();
    std::optional<float> fill;
    if (op.getMaskFill())
      fill = op.getMaskFill()->convertToFloat();
    bool causal = op.getIsCausal();
    int64_t causalOffset = op.getCausalOffset();
    SmallVector<Value> operands = {scores};
    Value mask = op.getMask() ? widen(op.getMask()) : Value();
    if (mask)
      operands.push_back(mask);
    Value masked = elementwise(
        rewriter, loc, scoresType, operands,
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          Value s = mul(b, l, args[0], scalar(b, l, element, scale));
          if (softcap) {
            Value cap = scalar(b, l, element, *softcap);
            s = mul(b, l, cap,
                    math::TanhOp::create(b, l,
                                         arith::DivFOp::create(b, l, s, cap)));
          }
          Value negInf =
              scalar(b, l, element, -std::numeric_limits<double>::infinity());
          if (mask) {
            if (args[1].getType().isInteger(1))
              s = arith::SelectOp::create(b, l, args[1], s,
                                          fill ? scalar(b, l, element, *fill)
                                               : negInf);
            else
              s = arith::AddFOp::create(b, l, s, args[1]);
          }
          if (causal) {
            Value i = arith::AddIOp::create(
                b, l, linalg::IndexOp::create(b, l, 2),
                arith::ConstantIndexOp::create(b, l, causalOffset));
            Value j = linalg::IndexOp::create(b, l, 3);
            Value after =
                arith::CmpIOp::create(b, l, arith::CmpIPredicate::ugt, j, i);
            s = arith::SelectOp::create(b, l, after, negInf, s);
          }
          return s;
        });
    // A fully masked row (every score -inf) gives zeros, not NaN.
    Value probabilities = softmax(rewriter, loc, masked, 3, /*isLog=*/false);
    probabilities = elementwise(
        rewriter, loc, scoresType, {probabilities, masked},
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          Value isNan = arith::CmpFOp::create(b, l, arith::CmpFPredicate::UNO,
                                              args[0], args[0]);
          Value negInf =
              scalar(b, l, element, -std::numeric_limits<double>::infinity());
          Value maskedOut = arith::CmpFOp::create(
              b, l, arith::CmpFPredicate::OEQ, args[1], negInf);
          Value drop = arith::AndIOp::create(b, l, isNan, maskedOut);
          return arith::SelectOp::create(b, l, drop, scalar(b, l, element, 0),
                                         args[0]);
        });

    // out[b, h, i, e] = sum_j p[b, h, i, j] * v[b, h / g, j, e]
    auto outType = op.getType().clone(element);
    SmallVector<AffineMap> outMaps = {
        AffineMap::get(5, 0, {d(0), d(1), d(2), d(4)}, ctx),
        AffineMap::get(5, 0, {d(0), d(1).floorDiv(groupSize), d(4), d(3)}, ctx),
        AffineMap::get(5, 0, {d(0), d(1), d(2), d(3)}, ctx)};
    Value result =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{outType}, ValueRange{probabilities, v},
            ValueRange{filled(rewriter, loc, outType, zero)}, outMaps,
            iterators, multiplyAdd)
            .getResult(0);
    if (element != storage)
      result =
          elementwise(rewriter, loc, op.getType(), result,
                      [&](OpBuilder &b, Location l, ValueRange args) -> Value {
                        return arith::TruncFOp::create(b, l, storage, args[0]);
                      });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// The tiled kernel between head transposes, as multi-head attention
/// computes it: q and v from [B, L, H, D] projections transposed to
/// [B, H, L, D], the output transposed back for the product that follows.
/// The kernel reads and writes the [B, L, H, D] tensors instead (`bshd`),
/// so that none of the three transposes is computed. Only when all three
/// fold: one of them alone would cost the kernel strided rows and save
/// little.
struct FoldHeadTransposes : OpRewritePattern<FlashAttentionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(FlashAttentionOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getBshd() || op.getResults().size() != 1)
      return failure();
    // Whether `op` swaps the heads and positions of a rank-4 tensor.
    auto swapsHeads = [](Operation *op) -> linalg::TransposeOp {
      auto transpose = llvm::dyn_cast_or_null<linalg::TransposeOp>(op);
      if (!transpose ||
          transpose.getPermutation() != ArrayRef<int64_t>{0, 2, 1, 3})
        return {};
      return transpose;
    };
    // The [B, L, H, D] tensor a heads transpose reads.
    auto beforeTranspose = [&](Value value) -> Value {
      linalg::TransposeOp transpose = swapsHeads(value.getDefiningOp());
      return transpose ? transpose.getInput() : Value();
    };
    Value q = beforeTranspose(op.getQ()), v = beforeTranspose(op.getV());
    Value result = op.getResults()[0];
    if (!q || !v || !result.hasOneUse())
      return rewriter.notifyMatchFailure(op, "not between head transposes");
    linalg::TransposeOp back = swapsHeads(*result.user_begin());
    if (!back || back.getInput() != result)
      return rewriter.notifyMatchFailure(op, "output not transposed back");
    auto type = llvm::cast<RankedTensorType>(back.getResult()[0].getType());
    rewriter.setInsertionPoint(op);
    Value init = empty(rewriter, op.getLoc(), type);
    auto flash = llvm::cast<FlashAttentionOp>(rewriter.clone(*op));
    flash.getQMutable().assign(q);
    flash.getVMutable().assign(v);
    flash.getInitMutable().assign(init);
    flash->getResult(0).setType(type);
    flash.setBshd(true);
    rewriter.replaceOp(back, flash->getResults());
    rewriter.eraseOp(op);
    return success();
  }
};

} // namespace

void kiln::lowering::populateAttentionLayoutPatterns(
    RewritePatternSet &patterns) {
  patterns.add<FoldHeadTransposes>(patterns.getContext());
}

void kiln::lowering::populateAttentionPatterns(RewritePatternSet &patterns) {
  patterns
      .add<FlashAttentionLowering, AttentionDecomposition, AttentionLowering>(
          patterns.getContext());
}

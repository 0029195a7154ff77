//===- LowerAttention.cpp - Tiled online-softmax attention kernels --------===//
//
// kiln_backend.flash_attention on buffers -> one scf.parallel over (batch,
// head, query block). For each block of keys, the scores of the block are a
// contraction (left to kiln-vectorize-contractions); each query row is then
// scaled, masked and exponentiated in vectors against its running maximum,
// the row's running sum and output rescaled by exp(old max - new max), and
// the output rows accumulate the probabilities times the values (a second
// contraction). The scores of a whole row are never stored: the scratch is
// block_q x block_k per iteration. With a key limit, the key blocks stop at
// the one holding it, and within it the products and row passes stop at it
// (in chunks of 16 keys); with a query limit, the query blocks past it are
// zeros. Without a key limit, when the blocks' sides are multiples of the
// vector width and a mask, if any, is one value per key, the rows go a
// square tile at a time instead, transposed in registers so that the
// maxima, exponentials and sums of the queries are lane-wise.
//
//===----------------------------------------------------------------------===//

#include "KernelUtils.h"
#include "kiln/Codegen/Passes.h"
#include "kiln/Dialect/KilnBackend/IR/KilnBackend.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <limits>

namespace kiln {
#define GEN_PASS_DEF_KILNLOWERATTENTION
#include "kiln/Codegen/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;
using namespace kiln::backend;

namespace {

/// The keys a block's products take at a time when a key limit falls
/// inside it.
constexpr int64_t kKeyChunk = 16;

/// Emits the kernel of one bufferized kiln_backend.flash_attention.
class KernelEmitter {
public:
  KernelEmitter(FlashAttentionOp op, int64_t vectorBits)
      : op(op), b(op), loc(op.getLoc()), f32(b.getF32Type()),
        width(std::max<int64_t>(vectorBits / 32, 1)),
        vectorType(VectorType::get({width}, f32)) {}

  void emit() {
    auto shape = [](Value v) {
      return llvm::cast<MemRefType>(v.getType()).getShape();
    };
    ArrayRef<int64_t> q = shape(op.getQ()), kT = shape(op.getKT()),
                      v = shape(op.getV());
    bshd = op.getBshd();
    batch = q[0];
    heads = bshd ? q[2] : q[1];
    lq = bshd ? q[1] : q[2];
    headSize = q[3];
    groupSize = heads / kT[1];
    lk = kT[3];
    valueSize = v[3];
    blockQ = op.getBlockQ();
    blockK = op.getBlockK();
    int64_t queryBlocks = lq / blockQ;
    int64_t iterations = batch * heads * queryBlocks;
    // The limits, clamped to [0, Lk] and [0, Lq]; read in each iteration
    // (a load outside the parallel loop would keep kiln-parallelize from
    // outlining it).
    auto limitOf = [&](Value limit, int64_t extent) -> Value {
      if (!limit)
        return {};
      Value n = arith::IndexCastOp::create(
          b, loc, b.getIndexType(),
          memref::LoadOp::create(b, loc, limit, ValueRange{}));
      n = arith::MaxSIOp::create(b, loc, n, zero());
      return arith::MinSIOp::create(b, loc, n, index(extent));
    };

    // The iterations run in at most kMaxChunks chunks, each with its own
    // scratch: scores, running maxima and running sums.
    int64_t chunks = std::min(iterations, kernels::kMaxChunks);
    Value scores = memref::AllocOp::create(
        b, loc, MemRefType::get({chunks, blockQ, blockK}, f32));
    Value maxima =
        memref::AllocOp::create(b, loc, MemRefType::get({chunks, blockQ}, f32));
    Value sums =
        memref::AllocOp::create(b, loc, MemRefType::get({chunks, blockQ}, f32));

    Value chunkScores, chunkMaxima, chunkSums;
    kernels::forEachChunk(
        b, loc, iterations, chunks,
        [&](Value c) {
          keyLimit = limitOf(op.getKeyLimit(), lk);
          queryLimit = limitOf(op.getQueryLimit(), lq);
          chunkScores = subview(scores, {c, zero(), zero()},
                                {1, blockQ, blockK}, {blockQ, blockK});
          chunkMaxima = subview(maxima, {c, zero()}, {1, blockQ}, {blockQ});
          chunkSums = subview(sums, {c, zero()}, {1, blockQ}, {blockQ});
        },
        [&](Value t) {
          Value perBatch = index(heads * queryBlocks);
          bIv = arith::DivUIOp::create(b, loc, t, perBatch);
          Value rest = arith::RemUIOp::create(b, loc, t, perBatch);
          hIv = arith::DivUIOp::create(b, loc, rest, index(queryBlocks));
          Value queryBlock =
              arith::RemUIOp::create(b, loc, rest, index(queryBlocks));
          i0 = arith::MulIOp::create(b, loc, queryBlock, index(blockQ));
          kvHead = arith::DivUIOp::create(b, loc, hIv, index(groupSize));
          emitIteration(chunkScores, chunkMaxima, chunkSums);
        });
    op.erase();
  }

private:
  Value index(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value zero() { return index(0); }
  Value constant(float v) {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
  }
  Value splat(Value scalar) {
    return vector::BroadcastOp::create(b, loc, vectorType, scalar);
  }
  Value splat(float v) { return splat(constant(v)); }
  Value negInf() { return constant(-std::numeric_limits<float>::infinity()); }

  Value subview(Value source, ArrayRef<Value> offsets, ArrayRef<int64_t> sizes,
                ArrayRef<int64_t> shape) {
    return kernels::subview(b, loc, source, offsets, sizes, shape);
  }

  /// The rows [first, first + rows) of `head` of a 4-d operand laid out
  /// B x H x L x D, or B x L x H x D with `bshd`: a rows x D view.
  Value headRows(Value source, Value head, Value first, int64_t rows) {
    int64_t depth = llvm::cast<MemRefType>(source.getType()).getShape()[3];
    if (bshd)
      return subview(source, {bIv, first, head, zero()}, {1, rows, 1, depth},
                     {rows, depth});
    return subview(source, {bIv, head, first, zero()}, {1, 1, rows, depth},
                   {rows, depth});
  }

  /// Loops over [0, n) a vector at a time: full vectors, then one masked
  /// tail. `body(j, mask, acc)` gets the first element, the lane mask (null
  /// for a full vector) and the carried values, and returns the new ones.
  SmallVector<Value>
  forVectors(int64_t n, ValueRange init,
             function_ref<SmallVector<Value>(Value, Value, ValueRange)> body) {
    SmallVector<Value> acc(init);
    int64_t full = n / width;
    if (full > 0) {
      auto loop = scf::ForOp::create(
          b, loc, zero(), index(full * width), index(width), acc,
          [&](OpBuilder &nb, Location nl, Value j, ValueRange args) {
            OpBuilder::InsertionGuard guard(b);
            b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
            scf::YieldOp::create(b, nl, body(j, Value(), args));
          });
      acc.assign(loop.getResults().begin(), loop.getResults().end());
    }
    if (int64_t rest = n % width) {
      Value mask = vector::CreateMaskOp::create(
          b, loc, VectorType::get({width}, b.getI1Type()),
          ValueRange{index(rest)});
      acc = body(index(full * width), mask, acc);
    }
    return acc;
  }

  /// forVectors over the first `count` elements (a multiple of the
  /// vector width, at most `n`) when `count` is given, else all `n`.
  SmallVector<Value>
  forVectors(int64_t n, Value count, ValueRange init,
             function_ref<SmallVector<Value>(Value, Value, ValueRange)> body) {
    if (!count)
      return forVectors(n, init, body);
    auto loop = scf::ForOp::create(
        b, loc, zero(), count, index(width), init,
        [&](OpBuilder &nb, Location nl, Value j, ValueRange args) {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
          scf::YieldOp::create(b, nl, body(j, Value(), args));
        });
    return SmallVector<Value>(loop.getResults());
  }

  Value load(Value buffer, ValueRange at, Value mask, Value passThrough) {
    auto type = VectorType::get(
        {width}, llvm::cast<MemRefType>(buffer.getType()).getElementType());
    if (!mask)
      return vector::LoadOp::create(b, loc, type, buffer, at);
    return vector::MaskedLoadOp::create(b, loc, type, buffer, at, mask,
                                        passThrough);
  }

  void store(Value value, Value buffer, ValueRange at, Value mask) {
    if (mask)
      vector::MaskedStoreOp::create(b, loc, buffer, at, mask, value);
    else
      vector::StoreOp::create(b, loc, value, buffer, at);
  }

  /// `row` *= `factor`, a vector at a time.
  void scaleRow(Value buffer, Value row, Value factor) {
    Value factors = splat(factor);
    forVectors(valueSize, {}, [&](Value j, Value mask, ValueRange) {
      Value x = load(buffer, {row, j}, mask, splat(0.0f));
      store(arith::MulFOp::create(b, loc, x, factors), buffer, {row, j}, mask);
      return SmallVector<Value>();
    });
  }

  /// `row` = 0, a vector at a time.
  void zeroRow(Value buffer, Value row) {
    forVectors(valueSize, {}, [&](Value j, Value mask, ValueRange) {
      store(splat(0.0f), buffer, {row, j}, mask);
      return SmallVector<Value>();
    });
  }

  /// Scores `s` scaled, then soft-capped when the op has a softcap.
  Value scaledAndCapped(Value s) {
    s = arith::MulFOp::create(b, loc, s, splat(op.getScale().convertToFloat()));
    if (std::optional<APFloat> softcap = op.getSoftcap()) {
      Value cap = splat(softcap->convertToFloat());
      s = arith::MulFOp::create(
          b, loc, cap,
          math::TanhOp::create(b, loc, arith::DivFOp::create(b, loc, s, cap)));
    }
    return s;
  }

  /// Scale, soft-cap, mask and causal mask of the scores s[key..key+W) of
  /// query `query`.
  Value adjust(Value s, Value query, Value key, Value laneMask) {
    s = scaledAndCapped(s);
    if (Value mask = op.getMask()) {
      ArrayRef<int64_t> m = llvm::cast<MemRefType>(mask.getType()).getShape();
      SmallVector<Value> at = {
          m[0] == 1 ? zero() : bIv, m[1] == 1 ? zero() : hIv,
          m[2] == 1 ? zero() : query, m[3] == 1 ? zero() : key};
      Type element = llvm::cast<MemRefType>(mask.getType()).getElementType();
      Value values;
      if (m[3] == 1) {
        values = vector::BroadcastOp::create(
            b, loc, VectorType::get({width}, element),
            memref::LoadOp::create(b, loc, mask, at));
      } else {
        Value none =
            element.isF32()
                ? splat(0.0f)
                : arith::ConstantOp::create(
                      b, loc,
                      DenseElementsAttr::get(VectorType::get({width}, element),
                                             b.getIntegerAttr(element, 0)));
        values = load(mask, at, laneMask, none);
      }
      if (element.isF32()) {
        s = arith::AddFOp::create(b, loc, s, values);
      } else {
        Value zeros = arith::ConstantOp::create(
            b, loc,
            DenseElementsAttr::get(llvm::cast<VectorType>(values.getType()),
                                   b.getIntegerAttr(element, 0)));
        Value keep = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne,
                                           values, zeros);
        std::optional<APFloat> fill = op.getMaskFill();
        s = arith::SelectOp::create(b, loc, keep, s,
                                    fill ? splat(fill->convertToFloat())
                                         : splat(negInf()));
      }
    }
    auto indexVector = VectorType::get({width}, b.getIndexType());
    auto keys = [&]() {
      return arith::AddIOp::create(
          b, loc, vector::StepOp::create(b, loc, indexVector),
          vector::BroadcastOp::create(b, loc, indexVector, key));
    };
    if (op.getIsCausal()) {
      // Key j is visible to query i when j <= i + causal_offset.
      Value last =
          arith::AddIOp::create(b, loc, query, index(op.getCausalOffset()));
      Value visible = arith::CmpIOp::create(
          b, loc, arith::CmpIPredicate::ule, keys(),
          vector::BroadcastOp::create(b, loc, indexVector, last));
      s = arith::SelectOp::create(b, loc, visible, s, splat(negInf()));
    }
    if (keyLimit) {
      // The keys from the limit on do not exist.
      Value present = arith::CmpIOp::create(
          b, loc, arith::CmpIPredicate::ult, keys(),
          vector::BroadcastOp::create(b, loc, indexVector, keyLimit));
      s = arith::SelectOp::create(b, loc, present, s, splat(negInf()));
    }
    return s;
  }

  /// The work of one (batch, head, query block); a block past the query
  /// limit is zeros.
  void emitIteration(Value scores, Value maxima, Value sums) {
    Value out = headRows(op.getInit(), hIv, i0, blockQ);
    if (!queryLimit)
      return emitBlock(scores, maxima, sums, out);
    Value inside = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, i0,
                                         queryLimit);
    scf::IfOp::create(
        b, loc, inside,
        [&](OpBuilder &nb, Location) {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
          emitBlock(scores, maxima, sums, out);
          scf::YieldOp::create(b, loc);
        },
        [&](OpBuilder &nb, Location) {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
          linalg::FillOp::create(b, loc, constant(0.0f), out);
          scf::YieldOp::create(b, loc);
        });
  }

  void emitBlock(Value scores, Value maxima, Value sums, Value out) {
    Value q = headRows(op.getQ(), hIv, i0, blockQ);
    linalg::FillOp::create(b, loc, constant(0.0f), out);
    linalg::FillOp::create(b, loc, negInf(), maxima);
    linalg::FillOp::create(b, loc, constant(0.0f), sums);

    // Causal attention: blocks past the last key the block's last query
    // sees hold nothing but masked scores.
    int64_t keyBlocks = lk / blockK;
    Value end = index(keyBlocks);
    if (op.getIsCausal()) {
      Value seen = arith::AddIOp::create(
          b, loc, i0, index(blockQ + op.getCausalOffset() + blockK - 1));
      end = arith::MinUIOp::create(
          b, loc, end, arith::DivUIOp::create(b, loc, seen, index(blockK)));
    }
    // c[i, j] += sum_k a[i, k] * b[k, j], left to the contraction kernels.
    auto accumulateProduct = [&](Value lhs, Value rhs, Value into) {
      MLIRContext *ctx = b.getContext();
      auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
      linalg::GenericOp::create(
          b, loc, TypeRange{}, ValueRange{lhs, rhs}, ValueRange{into},
          ArrayRef<AffineMap>{AffineMap::get(3, 0, {d(0), d(2)}, ctx),
                              AffineMap::get(3, 0, {d(2), d(1)}, ctx),
                              AffineMap::get(3, 0, {d(0), d(1)}, ctx)},
          {utils::IteratorType::parallel, utils::IteratorType::parallel,
           utils::IteratorType::reduction},
          [](OpBuilder &nb, Location nl, ValueRange args) {
            Value product = arith::MulFOp::create(nb, nl, args[0], args[1]);
            linalg::YieldOp::create(
                nb, nl,
                arith::AddFOp::create(nb, nl, args[2], product).getResult());
          });
    };

    if (keyLimit)
      end = arith::MinUIOp::create(
          b, loc, end,
          arith::CeilDivUIOp::create(b, loc, keyLimit, index(blockK)));
    // One key block: its scores, their probabilities row by row, and
    // their products with the values. The first block (peeled when every
    // query block has one) rescales nothing.
    auto emitKeyBlock = [&](Value keyBlock, bool first) {
      Value j0 = arith::MulIOp::create(b, loc, keyBlock, index(blockK));
      Value kT = subview(op.getKT(), {bIv, kvHead, zero(), j0},
                         {1, 1, headSize, blockK}, {headSize, blockK});
      Value v = headRows(op.getV(), kvHead, j0, blockK);
      // With a key limit, the keys of the block before it: the
      // products run over its chunks of kKeyChunk keys up to there
      // only, and each row's vector passes too (see emitRow).
      Value present;
      if (keyLimit) {
        present = arith::SubIOp::create(
            b, loc, arith::MaxSIOp::create(b, loc, keyLimit, j0), j0);
        present = arith::MinSIOp::create(b, loc, present, index(blockK));
      }
      Value chunks;
      if (present && blockK > kKeyChunk && blockK % kKeyChunk == 0 &&
          kKeyChunk % width == 0)
        chunks = arith::CeilDivUIOp::create(b, loc, present, index(kKeyChunk));
      // `body(scores, k_t, v)` over the chunks (or the whole block).
      auto overChunks = [&](function_ref<void(Value, Value, Value)> body) {
        if (!chunks)
          return body(scores, kT, v);
        scf::ForOp::create(
            b, loc, zero(), chunks, index(1), {},
            [&](OpBuilder &cb, Location, Value c, ValueRange) {
              OpBuilder::InsertionGuard inner(b);
              b.setInsertionPoint(cb.getInsertionBlock(),
                                  cb.getInsertionPoint());
              Value jc = arith::MulIOp::create(b, loc, c, index(kKeyChunk));
              body(subview(scores, {zero(), jc}, {blockQ, kKeyChunk},
                           {blockQ, kKeyChunk}),
                   subview(kT, {zero(), jc}, {headSize, kKeyChunk},
                           {headSize, kKeyChunk}),
                   subview(v, {jc, zero()}, {kKeyChunk, valueSize},
                           {kKeyChunk, valueSize}));
              scf::YieldOp::create(b, loc);
            });
      };
      // scores[i, j] = sum_e q[i, e] * k_t[e, j]
      overChunks([&](Value s, Value kTc, Value) {
        linalg::FillOp::create(b, loc, constant(0.0f), s);
        accumulateProduct(q, kTc, s);
      });
      if (!present && tilesFit())
        emitTiles(scores, maxima, sums, out, j0, first);
      else
        scf::ForOp::create(b, loc, zero(), index(blockQ), index(1), {},
                           [&](OpBuilder &rb, Location, Value row, ValueRange) {
                             OpBuilder::InsertionGuard guard(b);
                             b.setInsertionPoint(rb.getInsertionBlock(),
                                                 rb.getInsertionPoint());
                             emitRow(scores, maxima, sums, out, row, j0,
                                     present, first);
                             scf::YieldOp::create(b, loc);
                           });
      // out[i, e] += sum_j p[i, j] * v[j, e]
      overChunks(
          [&](Value p, Value, Value vc) { accumulateProduct(p, vc, out); });
    };
    // Every query block sees the first key block when no limit cuts the
    // keys and a causal mask shows each query its own position or later.
    bool peel = !keyLimit && (!op.getIsCausal() || op.getCausalOffset() >= 0);
    if (peel)
      emitKeyBlock(zero(), /*first=*/true);
    if (!peel || keyBlocks > 1)
      scf::ForOp::create(
          b, loc, peel ? index(1) : zero(), end, index(1), {},
          [&](OpBuilder &nb, Location, Value keyBlock, ValueRange) {
            OpBuilder::InsertionGuard guard(b);
            b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
            emitKeyBlock(keyBlock, /*first=*/false);
            scf::YieldOp::create(b, loc);
          });

    // out /= sum; a row with every key masked out (sum 0) stays zero, and
    // so does a query past the limit.
    scf::ForOp::create(
        b, loc, zero(), index(blockQ), index(1), {},
        [&](OpBuilder &nb, Location, Value row, ValueRange) {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
          Value sum = memref::LoadOp::create(b, loc, sums, ValueRange{row});
          Value positive = arith::CmpFOp::create(
              b, loc, arith::CmpFPredicate::OGT, sum, constant(0.0f));

          Value inverse = arith::SelectOp::create(
              b, loc, positive,
              arith::DivFOp::create(b, loc, constant(1.0f), sum),
              constant(0.0f));
          scaleRow(out, row, inverse);
          if (queryLimit) {
            Value outside = arith::CmpIOp::create(
                b, loc, arith::CmpIPredicate::uge,
                arith::AddIOp::create(b, loc, i0, row), queryLimit);
            scf::IfOp::create(b, loc, outside, [&](OpBuilder &eb, Location) {
              OpBuilder::InsertionGuard inner(b);
              b.setInsertionPoint(eb.getInsertionBlock(),
                                  eb.getInsertionPoint());
              zeroRow(out, row);
              scf::YieldOp::create(b, loc);
            });
          }
          scf::YieldOp::create(b, loc);
        });
  }

  /// Whether the probabilities of a key block can be computed a square
  /// tile of `width` queries x `width` keys at a time: the block's sides
  /// are multiples of the vector width, and a mask, if any, is the same
  /// for every query (a padding mask), so that a key's mask is one value.
  bool tilesFit() {
    if (width < 2 || !llvm::isPowerOf2_64(width) || blockQ % width != 0 ||
        blockK % width != 0)
      return false;
    Value mask = op.getMask();
    return !mask || llvm::cast<MemRefType>(mask.getType()).getDimSize(2) == 1;
  }

  /// Scale, soft-cap, mask and causal mask of the scores of key `key`
  /// for the `width` queries from `query` on (a transposed tile's row).
  Value adjustKey(Value s, Value query, Value key) {
    s = scaledAndCapped(s);
    if (Value mask = op.getMask()) {
      auto type = llvm::cast<MemRefType>(mask.getType());
      ArrayRef<int64_t> m = type.getShape();
      SmallVector<Value> at = {m[0] == 1 ? zero() : bIv,
                               m[1] == 1 ? zero() : hIv, zero(),
                               m[3] == 1 ? zero() : key};
      Value value = memref::LoadOp::create(b, loc, mask, at);
      if (type.getElementType().isF32()) {
        s = arith::AddFOp::create(b, loc, s, splat(value));
      } else {
        Value keep = arith::CmpIOp::create(
            b, loc, arith::CmpIPredicate::ne, value,
            arith::ConstantOp::create(
                b, loc, b.getIntegerAttr(type.getElementType(), 0)));
        std::optional<APFloat> fill = op.getMaskFill();
        s = arith::SelectOp::create(b, loc, keep, s,
                                    fill ? splat(fill->convertToFloat())
                                         : splat(negInf()));
      }
    }
    if (op.getIsCausal()) {
      // Key j is visible to query i when j <= i + causal_offset.
      auto indexVector = VectorType::get({width}, b.getIndexType());
      Value last = arith::AddIOp::create(
          b, loc, vector::StepOp::create(b, loc, indexVector),
          vector::BroadcastOp::create(
              b, loc, indexVector,
              arith::AddIOp::create(b, loc, query,
                                    index(op.getCausalOffset()))));
      Value visible = arith::CmpIOp::create(
          b, loc, arith::CmpIPredicate::ule,
          vector::BroadcastOp::create(b, loc, indexVector, key), last);
      s = arith::SelectOp::create(b, loc, visible, s, splat(negInf()));
    }
    return s;
  }

  /// The rows of a key block (no key limit) a tile of `width` queries x
  /// `width` keys at a time, transposed in registers so that a vector
  /// holds one key's scores for `width` queries: the maxima, the
  /// exponentials and the sums of the queries are lane-wise, without
  /// reductions across lanes or scalar exponentials. A first pass adjusts
  /// each tile and writes it back transposed, finding the maxima; a second
  /// exponentiates, sums and writes the probabilities back in rows.
  void emitTiles(Value scores, Value maxima, Value sums, Value out, Value j0,
                 bool first) {
    auto forTiles =
        [&](int64_t n, ValueRange init,
            function_ref<SmallVector<Value>(Value, ValueRange)> body)
        -> SmallVector<Value> {
      auto loop = scf::ForOp::create(
          b, loc, zero(), index(n), index(width), init,
          [&](OpBuilder &nb, Location nl, Value iv, ValueRange args) {
            OpBuilder::InsertionGuard guard(b);
            b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
            scf::YieldOp::create(b, nl, body(iv, args));
          });
      return SmallVector<Value>(loop.getResults());
    };
    auto plus = [&](Value v, int64_t k) {
      return arith::AddIOp::create(b, loc, v, index(k));
    };
    forTiles(blockQ, {}, [&](Value qt, ValueRange) {
      Value query = arith::AddIOp::create(b, loc, i0, qt);
      // Pass 1: tiles adjusted and stored transposed; the block's maxima.
      Value blockMax =
          forTiles(blockK, {splat(negInf())}, [&](Value kt, ValueRange acc) {
            SmallVector<Value> rows;
            for (int64_t r = 0; r < width; ++r)
              rows.push_back(load(scores, {plus(qt, r), kt}, {}, {}));
            kernels::transposeTile(b, loc, rows);
            Value top = acc[0];
            Value key = arith::AddIOp::create(b, loc, j0, kt);
            for (int64_t c = 0; c < width; ++c) {
              Value s = adjustKey(rows[c], query, plus(key, c));
              top = arith::MaxNumFOp::create(b, loc, top, s);
              store(s, scores, {plus(qt, c), kt}, {});
            }
            return SmallVector<Value>{top};
          })[0];
      Value oldMax =
          first ? splat(negInf()) : load(maxima, {qt}, Value(), Value());
      // maxnum skips a NaN score, which still reaches the output through
      // its exp and the sum.
      Value newMax = arith::MaxNumFOp::create(b, loc, oldMax, blockMax);
      // Queries with nothing visible yet keep a shift of 0: exp(-inf) = 0.
      Value nothing = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                            newMax, splat(negInf()));
      Value shift =
          arith::SelectOp::create(b, loc, nothing, splat(0.0f), newMax);
      // Pass 2: probabilities, stored back in rows; the block's sums.
      Value blockSum =
          forTiles(blockK, {splat(0.0f)}, [&](Value kt, ValueRange acc) {
            SmallVector<Value> ps;
            Value total = acc[0];
            for (int64_t c = 0; c < width; ++c) {
              Value s = load(scores, {plus(qt, c), kt}, {}, {});
              Value p = math::ExpOp::create(
                  b, loc, arith::SubFOp::create(b, loc, s, shift));
              total = arith::AddFOp::create(b, loc, total, p);
              ps.push_back(p);
            }
            kernels::transposeTile(b, loc, ps);
            for (int64_t r = 0; r < width; ++r)
              store(ps[r], scores, {plus(qt, r), kt}, {});
            return SmallVector<Value>{total};
          })[0];
      Value newSum = blockSum;
      Value factor;
      if (!first) {
        // The running sums and output rows rescaled by exp(old - new).
        factor = math::ExpOp::create(
            b, loc, arith::SubFOp::create(b, loc, oldMax, shift));
        newSum = arith::AddFOp::create(
            b, loc,
            arith::MulFOp::create(b, loc, load(sums, {qt}, {}, {}), factor),
            blockSum);
      }
      store(newSum, sums, {qt}, {});
      store(newMax, maxima, {qt}, {});
      if (factor)
        for (int64_t r = 0; r < width; ++r)
          scaleRow(out, plus(qt, r),
                   vector::ExtractOp::create(b, loc, factor, r));
      return SmallVector<Value>();
    });
  }

  /// One query row of a key block: scores adjusted in place, the new
  /// maximum, the rescaling of the running sum and output row, and the
  /// probabilities in place of the scores.
  void emitRow(Value scores, Value maxima, Value sums, Value out, Value row,
               Value j0, Value present, bool first) {
    Value query = arith::AddIOp::create(b, loc, i0, row);
    Value lowestVector = splat(negInf());
    // With `present` keys of the block before the key limit, the vectors
    // up to them (the rest of the row's probabilities are zeros).
    Value valid;
    if (present && blockK % width == 0)
      valid = arith::MulIOp::create(
          b, loc, arith::CeilDivUIOp::create(b, loc, present, index(width)),
          index(width));
    SmallVector<Value> top = forVectors(
        blockK, valid, {lowestVector},
        [&](Value j, Value mask, ValueRange acc) {
          Value s = load(scores, {row, j}, mask, lowestVector);
          s = adjust(s, query, arith::AddIOp::create(b, loc, j0, j), mask);
          if (mask)
            s = arith::SelectOp::create(b, loc, mask, s, lowestVector);
          store(s, scores, {row, j}, mask);
          return SmallVector<Value>{
              arith::MaxNumFOp::create(b, loc, acc[0], s)};
        });
    Value blockMax = vector::ReductionOp::create(
        b, loc, vector::CombiningKind::MAXNUMF, top[0]);
    Value oldMax =
        first ? negInf()
              : memref::LoadOp::create(b, loc, maxima, ValueRange{row});
    // maxnum skips a NaN score, which still reaches the output through its
    // exp and the row's sum.
    Value newMax = arith::MaxNumFOp::create(b, loc, oldMax, blockMax);
    // Rows with nothing visible yet keep a shift of 0: exp(-inf) = 0.
    Value nothing = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                          newMax, negInf());
    Value shift =
        arith::SelectOp::create(b, loc, nothing, constant(0.0f), newMax);
    // The first key block finds the running sum and output at zero: no
    // rescaling (its factor, exp(-inf), is 0).
    Value factor =
        first ? Value()
              : math::ExpOp::create(
                    b, loc, arith::SubFOp::create(b, loc, oldMax, shift));
    Value shifts = splat(shift);
    SmallVector<Value> total = forVectors(
        blockK, valid, {splat(0.0f)}, [&](Value j, Value mask, ValueRange acc) {
          Value s = load(scores, {row, j}, mask, lowestVector);
          Value p = math::ExpOp::create(
              b, loc, arith::SubFOp::create(b, loc, s, shifts));
          if (mask)
            p = arith::SelectOp::create(b, loc, mask, p, splat(0.0f));
          store(p, scores, {row, j}, mask);
          return SmallVector<Value>{arith::AddFOp::create(b, loc, acc[0], p)};
        });
    if (valid)
      scf::ForOp::create(b, loc, valid, index(blockK), index(width), {},
                         [&](OpBuilder &nb, Location nl, Value j, ValueRange) {
                           OpBuilder::InsertionGuard guard(b);
                           b.setInsertionPoint(nb.getInsertionBlock(),
                                               nb.getInsertionPoint());
                           store(splat(0.0f), scores, {row, j}, Value());
                           scf::YieldOp::create(b, nl);
                         });
    // The lanes summed as a tree (the row's sum is reassociated anyway).
    Value blockSum =
        vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD,
                                    total[0], arith::FastMathFlags::reassoc);
    Value newSum = blockSum;
    if (!first) {
      Value oldSum = memref::LoadOp::create(b, loc, sums, ValueRange{row});
      newSum = arith::AddFOp::create(
          b, loc, arith::MulFOp::create(b, loc, oldSum, factor), blockSum);
    }
    memref::StoreOp::create(b, loc, newSum, sums, ValueRange{row});
    memref::StoreOp::create(b, loc, newMax, maxima, ValueRange{row});
    if (!first)
      scaleRow(out, row, factor);
  }

  FlashAttentionOp op;
  OpBuilder b;
  Location loc;
  Type f32;
  int64_t width;
  VectorType vectorType;
  bool bshd = false;
  int64_t batch = 0, heads = 0, lq = 0, headSize = 0, groupSize = 1, lk = 0,
          valueSize = 0, blockQ = 1, blockK = 1;
  Value bIv, hIv, i0, kvHead;
  /// The op's limits, as indices, or null.
  Value keyLimit, queryLimit;
};

struct LowerAttentionPass
    : kiln::impl::KilnLowerAttentionBase<LowerAttentionPass> {
  using Base::Base;
  void runOnOperation() override {
    SmallVector<FlashAttentionOp> ops;
    getOperation()->walk([&](FlashAttentionOp op) {
      if (llvm::isa<MemRefType>(op.getInit().getType()))
        ops.push_back(op);
    });
    for (FlashAttentionOp op : ops)
      KernelEmitter(op, vectorBits).emit();
  }
};

} // namespace

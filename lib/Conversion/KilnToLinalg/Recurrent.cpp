//===- Recurrent.cpp - RNN, GRU and LSTM to linalg and scf ----------------===//
//
// Each direction projects the whole input sequence through W at once, then
// steps through time in an scf.for whose iteration values are the hidden
// (and cell) state and the sequence of outputs; each step multiplies the
// state by R and applies the gates elementwise, in ONNX's gate order and
// with ONNX's activation defaults. The two directions of a bidirectional
// layer are the iterations of an scf.forall, which run side by side, or,
// with per-entry lengths or activations that differ, unrolled at compile
// time.
// With `sequence_lens`, a batch entry's state stops changing after its
// length and its outputs there are 0; a reverse direction then reads each
// entry's own steps backwards (the projection is reordered per entry before
// the loop, and the outputs back after it). When every entry has the same
// length (a padded sequence, kiln.padded_lengths), the projection runs up
// to it in blocks of steps, and a reverse direction reads its steps from
// the length down.
//
//===----------------------------------------------------------------------===//

#include "kiln/Conversion/Utils/LoweringUtils.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::lowering;

namespace {

/// The rows of the blocks in which a padded sequence's input projection
/// runs up to its length.
constexpr int64_t kProjectionRows = 8;

/// One activation with its parameters.
struct Activation {
  UnaryKind kind;
  float alpha, beta;
  Value apply(OpBuilder &b, Location loc, Value x) const {
    return applyUnary(b, loc, kind, x, alpha, beta);
  }
};

/// What a recurrent op computes, read from RNNOp, GRUOp or LSTMOp.
struct Recurrence {
  enum Kind { RNN, GRU, LSTM } kind;
  Value x, w, r, b, sequenceLens, initialH, initialC, peepholes;
  Value wT, rT;  // w and r as [D, I, G*H] and [D, H, G*H]
  Value rPacked; // r in column panels, [D, G*H / w, H, w] (or null)
  RNNDirection direction;
  int64_t hidden;
  SmallVector<Activation> activations; // all directions
  std::optional<float> clip;
  bool linearBeforeReset = false, inputForget = false;
  bool projected = false; // x holds x @ W^T + Wb of every direction
  /// Every entry has the same length (a padded sequence's, from
  /// kiln-bound-sequence): the loop stops there and no step masks.
  bool sameLengths = false;

  int64_t gates() const { return kind == RNN ? 1 : kind == GRU ? 3 : 4; }
  int64_t perDirection() const { return kind == RNN ? 1 : kind == GRU ? 2 : 3; }
};

template <typename OpTy>
Recurrence readRecurrence(OpTy op, Recurrence::Kind kind) {
  Recurrence rec;
  rec.kind = kind;
  rec.x = op.getX();
  rec.w = op.getW();
  rec.r = op.getR();
  rec.b = op.getB();
  rec.sequenceLens = op.getSequenceLens();
  rec.sameLengths = op->hasAttr("kiln.padded_lengths");
  rec.initialH = op.getInitialH();
  rec.direction = op.getDirection();
  rec.hidden = op.getHiddenSize();
  rec.projected = op.getProjected();
  if (std::optional<APFloat> clip = op.getClip())
    rec.clip = clip->convertToFloat();
  int64_t dirs = rec.direction == RNNDirection::bidirectional ? 2 : 1;
  ArrayRef<Attribute> names = op.getActivations().getValue();
  ArrayRef<float> alphas = op.getActivationAlpha(),
                  betas = op.getActivationBeta();
  for (int64_t i = 0; i < rec.perDirection() * dirs; ++i) {
    UnaryKind fn;
    if (!names.empty())
      fn = llvm::cast<UnaryKindAttr>(names[i]).getValue();
    else // ONNX's defaults: f = sigmoid (tanh for RNN), g = h = tanh
      fn = (i % rec.perDirection() == 0 && kind != Recurrence::RNN)
               ? UnaryKind::sigmoid
               : UnaryKind::tanh;
    UnaryParams params = getUnaryParams(fn);
    rec.activations.push_back({fn, alphas.empty() ? params.alpha : alphas[i],
                               betas.empty() ? params.beta : betas[i]});
  }
  return rec;
}

/// Removes a leading size-1 dim.
Value dropFront(OpBuilder &b, Location loc, Value value) {
  auto type = llvm::cast<RankedTensorType>(value.getType());
  return reshape(b, loc, value, type.getShape().drop_front());
}

/// Weights [D, G*H, X] as [D, X, G*H], so that the products read them
/// along rows, as the contraction kernels want: a constant is transposed
/// when the model is compiled, anything else when it runs.
Value transposedWeights(OpBuilder &b, Location loc, Value weights) {
  auto type = llvm::cast<RankedTensorType>(weights.getType());
  Attribute value;
  if (matchPattern(weights, m_Constant(&value)))
    if (auto folded = llvm::dyn_cast_if_present<TypedAttr>(
            transposeConstant(value, type, {0, 2, 1})))
      return arith::ConstantOp::create(b, loc, folded);
  Value init = empty(
      b, loc,
      type.clone({type.getDimSize(0), type.getDimSize(2), type.getDimSize(1)}));
  return linalg::TransposeOp::create(b, loc, weights, init,
                                     ArrayRef<int64_t>{0, 2, 1})
      ->getResult(0);
}

/// A recurrent product of at most kPackedBatch rows against a constant R of
/// at least kPackedElements elements reads R from packed column panels.
constexpr int64_t kPackedBatch = 8;
constexpr int64_t kPackedElements = 256 * 1024;
/// Vector accumulators a panel's block of rows fills (at 16 lanes).
constexpr int64_t kPanelAccumulators = 16;
constexpr int64_t kPanelLanes = 16;

/// The width of R's column panels for a recurrent product of `batch` rows,
/// or 0 when R stays as it is. A step's product reads all of R once: from
/// [H, G*H] it reads a block of columns down the rows (short pieces of
/// many rows, which the prefetchers follow badly once several rows share a
/// block), from panels [G*H / w, H, w] each block reads one panel from
/// start to end. A panel is as wide as the batch's rows leave vector
/// accumulators: 256 columns for one row, 64 for four, 32 for eight.
int64_t packedPanel(const Recurrence &rec, int64_t batch) {
  auto type = llvm::cast<RankedTensorType>(rec.r.getType());
  int64_t columns = type.getDimSize(1), hidden = type.getDimSize(2);
  // A GRU without linear_before_reset multiplies by a slice of R's columns
  // on its own.
  if (ShapedType::isDynamic(batch) || batch > kPackedBatch ||
      !type.hasStaticShape() || columns * hidden < kPackedElements ||
      (rec.kind == Recurrence::GRU && !rec.linearBeforeReset) ||
      !matchPattern(rec.r, m_Constant()))
    return 0;
  int64_t vectors = 1;
  while (vectors * 2 * batch <= kPanelAccumulators)
    vectors *= 2;
  for (; vectors >= 1; vectors /= 2)
    if (columns % (vectors * kPanelLanes) == 0)
      return vectors * kPanelLanes;
  return 0;
}

/// Constant weights [D, G*H, H] as panels [D, G*H / panel, H, panel]:
/// packed[d, p, k, j] = r[d, p * panel + j, k]; null when not constant.
Value packedWeights(OpBuilder &b, Location loc, Value weights, int64_t panel) {
  auto type = llvm::cast<RankedTensorType>(weights.getType());
  int64_t dirs = type.getDimSize(0), columns = type.getDimSize(1),
          hidden = type.getDimSize(2);
  Attribute value;
  if (!matchPattern(weights, m_Constant(&value)))
    return {};
  auto split = type.clone({dirs, columns / panel, panel, hidden});
  auto folded = llvm::dyn_cast_if_present<TypedAttr>(
      transposeConstant(reshapeConstant(value, split), split, {0, 1, 3, 2}));
  if (!folded)
    return {};
  return arith::ConstantOp::create(b, loc, folded);
}

/// state [B, H] @ R -> [B, G*H] from R's panels [G*H / w, H, w]: a product
/// into [G*H / w, B, w] (panels outermost, so that each panel's block of
/// rows reads it alone), then laid out as [B, G*H].
Value packedProduct(OpBuilder &b, Location loc, Value state, Value panels) {
  auto panelsType = llvm::cast<RankedTensorType>(panels.getType());
  auto stateType = llvm::cast<RankedTensorType>(state.getType());
  int64_t count = panelsType.getDimSize(0), width = panelsType.getDimSize(2);
  int64_t batch = stateType.getDimSize(0);
  Type element = stateType.getElementType();
  Value product = panelProduct(b, loc, state, panels, /*panelsOutermost=*/true);
  auto rowsType = RankedTensorType::get({batch, count, width}, element);
  Value rows =
      linalg::TransposeOp::create(b, loc, product, empty(b, loc, rowsType),
                                  ArrayRef<int64_t>{1, 0, 2})
          ->getResult(0);
  return reshape(b, loc, rows, {batch, count * width});
}

/// `value` [S, B, X] with each batch entry's first lens[b] steps in reverse
/// order and zeros after them:
/// out[s, b] = s < lens[b] ? value[lens[b] - 1 - s, b] : 0.
Value reverseSteps(OpBuilder &b, Location loc, Value value, Value lens) {
  auto type = llvm::cast<RankedTensorType>(value.getType());
  int64_t seq = type.getDimSize(0);
  MLIRContext *context = b.getContext();
  SmallVector<AffineMap> maps = {
      AffineMap::get(3, 0, {getAffineDimExpr(1, context)}, context),
      b.getMultiDimIdentityMap(3)};
  SmallVector<utils::IteratorType> iterators(3, utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, TypeRange{type}, ValueRange{lens},
             ValueRange{empty(b, loc, type)}, maps, iterators,
             [&](OpBuilder &nb, Location l, ValueRange args) {
               Value s = linalg::IndexOp::create(nb, l, 0);
               Value length = arith::IndexCastOp::create(
                   nb, l, nb.getIndexType(), args[0]);
               auto index = [&](int64_t v) -> Value {
                 return arith::ConstantIndexOp::create(nb, l, v);
               };
               Value source = arith::SubIOp::create(
                   nb, l, arith::SubIOp::create(nb, l, length, index(1)), s);
               source = arith::MinSIOp::create(
                   nb, l, arith::MaxSIOp::create(nb, l, source, index(0)),
                   index(seq - 1));
               Value v = tensor::ExtractOp::create(
                   nb, l, value,
                   ValueRange{source, linalg::IndexOp::create(nb, l, 1),
                              linalg::IndexOp::create(nb, l, 2)});
               Value valid = arith::CmpIOp::create(
                   nb, l, arith::CmpIPredicate::slt, s, length);
               linalg::YieldOp::create(
                   nb, l,
                   ValueRange{arith::SelectOp::create(
                       nb, l, valid, v, scalar(nb, l, v.getType(), 0))});
             })
      .getResult(0);
}

/// Computes one direction, `dir`; returns (y [S, B, H], last h, last c).
/// With `backwardsFlag` (an i1), `dir` is the iv of the loop running both
/// directions side by side and the flag says whether the direction runs
/// backwards (`reverse` is then unused: the layer has no per-entry lengths,
/// and both directions the same activations).
std::tuple<Value, Value, Value> runDirection(OpBuilder &b, Location loc,
                                             const Recurrence &rec,
                                             OpFoldResult dir, bool reverse,
                                             Value backwardsFlag = Value()) {
  auto xType = llvm::cast<RankedTensorType>(rec.x.getType());
  Type element = xType.getElementType();
  int64_t seq = xType.getDimSize(0), batch = xType.getDimSize(1);
  int64_t hidden = rec.hidden, gates = rec.gates();
  Value zero = scalar(b, loc, element, 0);
  auto stateType = RankedTensorType::get({batch, hidden}, element);
  auto gatesType = RankedTensorType::get({batch, gates * hidden}, element);

  // W and R of this direction, [I, G*H] and [H, G*H] (no W when x holds
  // the projections).
  Value w;
  if (rec.wT)
    w = dropFront(b, loc, sliceDim(b, loc, rec.wT, 0, dir, 1));
  Value r, rPanels;
  if (rec.rPacked)
    rPanels = dropFront(b, loc, sliceDim(b, loc, rec.rPacked, 0, dir, 1));
  else
    r = dropFront(b, loc, sliceDim(b, loc, rec.rT, 0, dir, 1));
  Value wb, rb;
  if (rec.b) {
    Value bias = dropFront(b, loc, sliceDim(b, loc, rec.b, 0, dir, 1));
    wb = sliceDim(b, loc, bias, 0, b.getIndexAttr(0), gates * hidden);
    rb = sliceDim(b, loc, bias, 0, b.getIndexAttr(gates * hidden),
                  gates * hidden);
  }
  auto initial = [&](Value state) -> Value {
    if (!state)
      return filled(b, loc, stateType, zero);
    return dropFront(b, loc, sliceDim(b, loc, state, 0, dir, 1));
  };
  Value h0 = initial(rec.initialH);
  Value c0 = rec.kind == Recurrence::LSTM ? initial(rec.initialC) : Value();
  Value p;
  if (rec.peepholes)
    p = dropFront(b, loc, sliceDim(b, loc, rec.peepholes, 0, dir, 1));

  Value lower = arith::ConstantIndexOp::create(b, loc, 0);
  Value upper = arith::ConstantIndexOp::create(b, loc, seq);
  Value step = arith::ConstantIndexOp::create(b, loc, 1);
  if (rec.sequenceLens) {
    // No entry changes after the longest length: the loop stops there
    // (the steps after it output zeros, as the zero-filled y holds, and
    // the last states are those of that step). A padded sequence
    // (kiln-bound-sequence) then runs only its actual steps.
    auto longest = scf::ForOp::create(
        b, loc, lower, arith::ConstantIndexOp::create(b, loc, batch), step,
        ValueRange{lower},
        [&](OpBuilder &nb, Location l, Value i, ValueRange acc) {
          Value length = arith::IndexCastOp::create(
              nb, l, nb.getIndexType(),
              tensor::ExtractOp::create(nb, l, rec.sequenceLens,
                                        ValueRange{i}));
          scf::YieldOp::create(
              nb, l, ValueRange{arith::MaxSIOp::create(nb, l, acc[0], length)});
        });
    upper = arith::MinSIOp::create(b, loc, longest.getResult(0), upper);
  }

  // The input projection of every time step: x @ W^T + Wb, [S, B, G*H]
  // (this direction's part of x when it holds them).
  auto projType = RankedTensorType::get({seq, batch, gates * hidden}, element);
  Value proj;
  if (rec.projected) {
    OpFoldResult offset;
    if (std::optional<int64_t> d = getConstantIntValue(dir))
      offset = b.getIndexAttr(*d * gates * hidden);
    else
      offset = arith::MulIOp::create(
                   b, loc, getValueOrCreateConstantIndexOp(b, loc, dir),
                   arith::ConstantIndexOp::create(b, loc, gates * hidden))
                   .getResult();
    proj = sliceDim(b, loc, rec.x, 2, offset, gates * hidden);
  } else if (rec.sequenceLens && rec.sameLengths &&
             seq * batch > kProjectionRows) {
    // A padded sequence projects its steps up to the length only, in
    // blocks of kProjectionRows rows (the last one ending at the extent,
    // so that no block runs past it; rows computed twice are the same).
    int64_t rows = seq * batch,
            inputs =
                llvm::cast<RankedTensorType>(rec.x.getType()).getDimSize(2);
    Value flat = reshape(b, loc, rec.x, {rows, inputs});
    auto blockType =
        RankedTensorType::get({kProjectionRows, gates * hidden}, element);
    Value needed = arith::MulIOp::create(
        b, loc, upper, arith::ConstantIndexOp::create(b, loc, batch));
    Value projected = blocksUpTo(
        b, loc,
        empty(b, loc, RankedTensorType::get({rows, gates * hidden}, element)),
        0, kProjectionRows, needed,
        [&](OpBuilder &nb, Location l, Value start) {
          Value part =
              contract(nb, l, sliceDim(nb, l, flat, 0, start, kProjectionRows),
                       w, filled(nb, l, blockType, zero));
          if (wb)
            part = elementwise(nb, l, blockType, {part, wb},
                               [](OpBuilder &eb, Location el, ValueRange a) {
                                 return add(eb, el, a[0], a[1]);
                               });
          return part;
        });
    proj = reshape(b, loc, projected, {seq, batch, gates * hidden});
  } else {
    proj = contract(b, loc, rec.x, w, filled(b, loc, projType, zero));
    if (wb)
      proj = elementwise(b, loc, projType, {proj, wb},
                         [](OpBuilder &nb, Location l, ValueRange args) {
                           return add(nb, l, args[0], args[1]);
                         });
  }
  // Per-entry lengths: a reverse direction runs forward over each entry's
  // reversed steps.
  Value lens = rec.sequenceLens;
  Value lensColumn;
  // With the same length for every entry, a reverse direction reads its
  // steps from the length down instead.
  bool gathered = lens && reverse && !rec.sameLengths;
  if (lens) {
    lensColumn = reshape(b, loc, lens, {batch, 1});
    if (gathered)
      proj = reverseSteps(b, loc, proj, lens);
  }
  bool backwards = reverse && !gathered;

  ArrayRef<Activation> acts =
      ArrayRef<Activation>(rec.activations)
          .slice(getConstantIntValue(dir).value_or(0) * rec.perDirection(),
                 rec.perDirection());
  auto gate = [&](Value all, int64_t index) {
    return sliceDim(b, loc, all, 1, b.getIndexAttr(index * hidden), hidden);
  };
  auto clipped = [&](OpBuilder &nb, Location l, Value v) -> Value {
    if (!rec.clip)
      return v;
    return applyUnary(nb, l, UnaryKind::clip, v, -*rec.clip, *rec.clip);
  };
  // hidden @ R^T (+ Rb): [B, G*H]
  auto recurrent = [&](Value state) -> Value {
    Value hr =
        rPanels ? packedProduct(b, loc, state, rPanels)
                : contract(b, loc, state, r, filled(b, loc, gatesType, zero));
    if (rb)
      hr = elementwise(b, loc, gatesType, {hr, rb},
                       [](OpBuilder &nb, Location l, ValueRange args) {
                         return add(nb, l, args[0], args[1]);
                       });
    return hr;
  };

  // The states of every step live in one [S + 1, B, H] tensor (row 0 is
  // the initial state), which each step extends by a row: writing slices
  // of loop-carried tensors lets bufferization keep them in place.
  auto yType = RankedTensorType::get({seq, batch, hidden}, element);
  auto statesType = RankedTensorType::get({seq + 1, batch, hidden}, element);
  auto writeRow = [&](OpBuilder &nb, Location l, Value row, Value into,
                      OpFoldResult index) -> Value {
    SmallVector<OpFoldResult> offsets = {index, nb.getIndexAttr(0),
                                         nb.getIndexAttr(0)};
    SmallVector<OpFoldResult> sizes = {
        nb.getIndexAttr(1), nb.getIndexAttr(batch), nb.getIndexAttr(hidden)};
    SmallVector<OpFoldResult> strides(3, nb.getIndexAttr(1));
    return tensor::InsertSliceOp::create(
        nb, l, reshape(nb, l, row, {1, batch, hidden}), into, offsets, sizes,
        strides);
  };
  Value hs0 =
      writeRow(b, loc, h0, empty(b, loc, statesType), b.getIndexAttr(0));
  SmallVector<Value> inits = {hs0, filled(b, loc, yType, zero)};
  if (c0)
    inits.push_back(
        writeRow(b, loc, c0, empty(b, loc, statesType), b.getIndexAttr(0)));
  auto loop = scf::ForOp::create(
      b, loc, lower, upper, step, inits,
      [&](OpBuilder &nb, Location l, Value t, ValueRange state) {
        Value h = dropFront(nb, l, sliceDim(nb, l, state[0], 0, t, 1));
        Value y = state[1];
        Value c =
            c0 ? dropFront(nb, l, sliceDim(nb, l, state[2], 0, t, 1)) : Value();
        Value next = arith::AddIOp::create(
            nb, l, t, arith::ConstantIndexOp::create(nb, l, 1));
        Value time = t;
        auto fromEnd = [&] {
          return arith::SubIOp::create(
              nb, l,
              arith::SubIOp::create(nb, l, upper,
                                    arith::ConstantIndexOp::create(nb, l, 1)),
              t);
        };
        if (backwardsFlag)
          time = arith::SelectOp::create(nb, l, backwardsFlag, fromEnd(), t);
        else if (backwards)
          time = fromEnd();
        Value xt = dropFront(nb, l, sliceDim(nb, l, proj, 0, time, 1));
        Value hr = recurrent(h);
        Value newH, newC;
        if (rec.kind == Recurrence::RNN) {
          newH = elementwise(nb, l, stateType, {xt, hr},
                             [&](OpBuilder &eb, Location el, ValueRange a) {
                               return acts[0].apply(
                                   eb, el,
                                   clipped(eb, el, add(eb, el, a[0], a[1])));
                             });
        } else if (rec.kind == Recurrence::GRU) {
          // z, r, h gates; h~ uses r before (linear_before_reset) or after
          // the recurrent product.
          Value z = elementwise(nb, l, stateType, {gate(xt, 0), gate(hr, 0)},
                                [&](OpBuilder &eb, Location el, ValueRange a) {
                                  return acts[0].apply(
                                      eb, el,
                                      clipped(eb, el, add(eb, el, a[0], a[1])));
                                });
          Value reset = elementwise(
              nb, l, stateType, {gate(xt, 1), gate(hr, 1)},
              [&](OpBuilder &eb, Location el, ValueRange a) {
                return acts[0].apply(eb, el,
                                     clipped(eb, el, add(eb, el, a[0], a[1])));
              });
          Value candidate;
          if (rec.linearBeforeReset) {
            candidate = elementwise(
                nb, l, stateType, {gate(xt, 2), reset, gate(hr, 2)},
                [&](OpBuilder &eb, Location el, ValueRange a) {
                  return acts[1].apply(
                      eb, el,
                      clipped(eb, el,
                              add(eb, el, a[0], mul(eb, el, a[1], a[2]))));
                });
          } else {
            Value gated =
                elementwise(nb, l, stateType, {reset, h},
                            [](OpBuilder &eb, Location el, ValueRange a) {
                              return mul(eb, el, a[0], a[1]);
                            });
            Value rh =
                sliceDim(nb, l, r, 1, nb.getIndexAttr(2 * hidden), hidden);
            Value product =
                contract(nb, l, gated, rh, filled(nb, l, stateType, zero));
            SmallVector<Value> operands = {gate(xt, 2), product};
            if (rb)
              operands.push_back(
                  sliceDim(nb, l, rb, 0, nb.getIndexAttr(2 * hidden), hidden));
            candidate =
                elementwise(nb, l, stateType, operands,
                            [&](OpBuilder &eb, Location el, ValueRange a) {
                              Value s = add(eb, el, a[0], a[1]);
                              if (a.size() > 2)
                                s = add(eb, el, s, a[2]);
                              return acts[1].apply(eb, el, clipped(eb, el, s));
                            });
          }
          newH = elementwise(
              nb, l, stateType, {z, candidate, h},
              [&](OpBuilder &eb, Location el, ValueRange a) -> Value {
                // (1 - z) * h~ + z * h
                Value keep = mul(eb, el, a[0], a[2]);
                Value one = scalar(eb, el, element, 1);
                Value fresh =
                    mul(eb, el, arith::SubFOp::create(eb, el, one, a[0]), a[1]);
                return add(eb, el, fresh, keep);
              });
        } else {
          // LSTM gates i, o, f, c with optional peepholes.
          SmallVector<Value> peep(3);
          if (p)
            for (int64_t k = 0; k < 3; ++k)
              peep[k] =
                  sliceDim(nb, l, p, 0, nb.getIndexAttr(k * hidden), hidden);
          auto preact = [&](int64_t index, Value peepholeTerm, Value cell) {
            SmallVector<Value> operands = {gate(xt, index), gate(hr, index)};
            if (peepholeTerm) {
              operands.push_back(peepholeTerm);
              operands.push_back(cell);
            }
            return elementwise(nb, l, stateType, operands,
                               [&](OpBuilder &eb, Location el, ValueRange a) {
                                 Value s = add(eb, el, a[0], a[1]);
                                 if (a.size() > 2)
                                   s = add(eb, el, s, mul(eb, el, a[2], a[3]));
                                 return clipped(eb, el, s);
                               });
          };
          Value inputGate = preact(0, peep[0], c);
          inputGate =
              elementwise(nb, l, stateType, inputGate,
                          [&](OpBuilder &eb, Location el, ValueRange a) {
                            return acts[0].apply(eb, el, a[0]);
                          });
          Value forgetGate;
          if (rec.inputForget) {
            forgetGate = elementwise(
                nb, l, stateType, inputGate,
                [&](OpBuilder &eb, Location el, ValueRange a) -> Value {
                  return arith::SubFOp::create(
                      eb, el, scalar(eb, el, element, 1), a[0]);
                });
          } else {
            forgetGate =
                elementwise(nb, l, stateType, preact(2, peep[2], c),
                            [&](OpBuilder &eb, Location el, ValueRange a) {
                              return acts[0].apply(eb, el, a[0]);
                            });
          }
          Value cellIn = preact(3, Value(), Value());
          newC =
              elementwise(nb, l, stateType, {forgetGate, c, inputGate, cellIn},
                          [&](OpBuilder &eb, Location el, ValueRange a) {
                            Value kept = mul(eb, el, a[0], a[1]);
                            Value fresh =
                                mul(eb, el, a[2], acts[1].apply(eb, el, a[3]));
                            return add(eb, el, kept, fresh);
                          });
          Value outputGate =
              elementwise(nb, l, stateType, preact(1, peep[1], newC),
                          [&](OpBuilder &eb, Location el, ValueRange a) {
                            return acts[0].apply(eb, el, a[0]);
                          });
          newH = elementwise(nb, l, stateType, {outputGate, newC},
                             [&](OpBuilder &eb, Location el, ValueRange a) {
                               return mul(eb, el, a[0],
                                          acts[2].apply(eb, el, a[1]));
                             });
        }
        Value yRow = newH;
        if (lens && !rec.sameLengths) {
          // Entries past their length keep their state and output 0.
          Value step = arith::IndexCastOp::create(nb, l, nb.getI32Type(), t);
          auto valid = [&](OpBuilder &eb, Location el, Value length) {
            return arith::CmpIOp::create(eb, el, arith::CmpIPredicate::slt,
                                         step, length);
          };
          auto keep = [&](Value fresh, Value old) {
            return elementwise(
                nb, l, stateType, {fresh, old, lensColumn},
                [&](OpBuilder &eb, Location el, ValueRange a) -> Value {
                  return arith::SelectOp::create(eb, el, valid(eb, el, a[2]),
                                                 a[0], a[1]);
                });
          };
          yRow = elementwise(
              nb, l, stateType, {newH, lensColumn},
              [&](OpBuilder &eb, Location el, ValueRange a) -> Value {
                return arith::SelectOp::create(eb, el, valid(eb, el, a[1]),
                                               a[0],
                                               scalar(eb, el, element, 0));
              });
          newH = keep(newH, h);
          if (c)
            newC = keep(newC, c);
        }
        SmallVector<Value> results = {writeRow(nb, l, newH, state[0], next),
                                      writeRow(nb, l, yRow, y, time)};
        if (c)
          results.push_back(writeRow(nb, l, newC, state[2], next));
        scf::YieldOp::create(nb, l, results);
      });
  OpFoldResult lastRow =
      lens ? OpFoldResult(upper) : OpFoldResult(b.getIndexAttr(seq));
  auto last = [&](Value states) {
    return dropFront(b, loc, sliceDim(b, loc, states, 0, lastRow, 1));
  };
  Value ys = loop.getResult(1);
  if (gathered)
    ys = reverseSteps(b, loc, ys, lens);
  return {ys, last(loop.getResult(0)), c0 ? last(loop.getResult(2)) : Value()};
}

/// Whether the two directions of `rec` run side by side (the iterations
/// of an scf.forall): a bidirectional layer without per-entry lengths whose
/// directions share their activations.
bool sideBySide(const Recurrence &rec) {
  ArrayRef<Activation> acts = rec.activations;
  return rec.direction == RNNDirection::bidirectional && !rec.sequenceLens &&
         llvm::equal(acts.take_front(rec.perDirection()),
                     acts.drop_front(rec.perDirection()),
                     [](const Activation &x, const Activation &y) {
                       return x.kind == y.kind && x.alpha == y.alpha &&
                              x.beta == y.beta;
                     });
}

/// Lowers a recurrent op: each direction, then its results stacked.
LogicalResult lowerRecurrence(Operation *op, const Recurrence &rec,
                              PatternRewriter &rewriter) {
  Location loc = op->getLoc();
  int64_t dirs = rec.direction == RNNDirection::bidirectional ? 2 : 1;
  Recurrence transposed = rec;
  if (!rec.projected)
    transposed.wT = transposedWeights(rewriter, loc, rec.w);
  int64_t batch = llvm::cast<RankedTensorType>(rec.x.getType()).getDimSize(1);
  if (int64_t panel = packedPanel(rec, batch))
    transposed.rPacked = packedWeights(rewriter, loc, rec.r, panel);
  if (!transposed.rPacked)
    transposed.rT = transposedWeights(rewriter, loc, rec.r);
  // Both directions side by side: an scf.forall over the direction, which
  // kiln-parallelize hands to the runtime's threads.
  bool lstm = rec.kind == Recurrence::LSTM;
  if (sideBySide(rec)) {
    SmallVector<Value> outs;
    for (Value result : op->getResults().take_front(lstm ? 3 : 2))
      outs.push_back(
          empty(rewriter, loc, llvm::cast<RankedTensorType>(result.getType())));
    auto forall = scf::ForallOp::create(
        rewriter, loc, ArrayRef<OpFoldResult>{rewriter.getIndexAttr(2)}, outs,
        std::nullopt);
    OpBuilder before(forall.getTerminator());
    Value dir = forall.getInductionVar(0);
    Value backwards =
        arith::CmpIOp::create(before, loc, arith::CmpIPredicate::eq, dir,
                              arith::ConstantIndexOp::create(before, loc, 1));
    auto [y, h, c] = runDirection(before, loc, transposed, dir,
                                  /*reverse=*/false, backwards);
    // Each direction's results into its slice of the stacked ones.
    OpBuilder into = OpBuilder::atBlockEnd(forall.getTerminator().getBody());
    auto insert = [&](Value part, Value whole, int64_t dim) {
      auto type = llvm::cast<RankedTensorType>(whole.getType());
      SmallVector<int64_t> shape(type.getShape());
      shape[dim] = 1;
      SmallVector<OpFoldResult> offsets(type.getRank(), into.getIndexAttr(0));
      offsets[dim] = dir;
      SmallVector<OpFoldResult> sizes, strides;
      for (int64_t extent : shape) {
        sizes.push_back(into.getIndexAttr(extent));
        strides.push_back(into.getIndexAttr(1));
      }
      Value piece = reshape(before, loc, part, shape);
      tensor::ParallelInsertSliceOp::create(into, loc, piece, whole, offsets,
                                            sizes, strides);
    };
    ValueRange shared = forall.getRegionIterArgs();
    insert(y, shared[0], 1);
    insert(h, shared[1], 0);
    if (lstm)
      insert(c, shared[2], 0);
    rewriter.replaceOp(op, forall.getResults());
    return success();
  }
  SmallVector<Value> ys, hs, cs;
  for (int64_t dir = 0; dir < dirs; ++dir) {
    bool reverse = rec.direction == RNNDirection::reverse || dir == 1;
    auto [y, h, c] = runDirection(rewriter, loc, transposed,
                                  rewriter.getIndexAttr(dir), reverse);
    ys.push_back(y);
    hs.push_back(h);
    cs.push_back(c);
  }
  // Stack the directions: y [S, D, B, H], states [D, B, H].
  auto stack = [&](ArrayRef<Value> parts, int64_t dim, Type resultType) {
    auto type = llvm::cast<RankedTensorType>(resultType);
    Value result = empty(rewriter, loc, type);
    for (auto [d, part] : llvm::enumerate(parts)) {
      SmallVector<int64_t> shape(type.getShape());
      shape[dim] = 1;
      Value piece = reshape(rewriter, loc, part, shape);
      SmallVector<int64_t> offsets(type.getRank(), 0);
      offsets[dim] = d;
      result = tensor::InsertSliceOp::create(
          rewriter, loc, piece, result, ValueRange{}, ValueRange{},
          ValueRange{}, offsets, shape,
          SmallVector<int64_t>(type.getRank(), 1));
    }
    return result;
  };
  SmallVector<Value> results = {stack(ys, 1, op->getResult(0).getType()),
                                stack(hs, 0, op->getResult(1).getType())};
  if (rec.kind == Recurrence::LSTM)
    results.push_back(stack(cs, 0, op->getResult(2).getType()));
  rewriter.replaceOp(op, results);
  return success();
}

/// kiln.rnn -> per-direction scf.for over time.
struct RNNLowering : OpRewritePattern<RNNOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(RNNOp op,
                                PatternRewriter &rewriter) const override {
    return lowerRecurrence(op, readRecurrence(op, Recurrence::RNN), rewriter);
  }
};

/// kiln.gru -> per-direction scf.for over time.
struct GRULowering : OpRewritePattern<GRUOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(GRUOp op,
                                PatternRewriter &rewriter) const override {
    Recurrence rec = readRecurrence(op, Recurrence::GRU);
    rec.linearBeforeReset = op.getLinearBeforeReset();
    return lowerRecurrence(op, rec, rewriter);
  }
};

/// kiln.lstm -> per-direction scf.for over time.
struct LSTMLowering : OpRewritePattern<LSTMOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LSTMOp op,
                                PatternRewriter &rewriter) const override {
    Recurrence rec = readRecurrence(op, Recurrence::LSTM);
    rec.initialC = op.getInitialC();
    rec.peepholes = op.getP();
    rec.inputForget = op.getInputForget();
    return lowerRecurrence(op, rec, rewriter);
  }
};

} // namespace

bool kiln::lowering::recurrenceSideBySide(Operation *op) {
  if (auto rnn = llvm::dyn_cast<RNNOp>(op))
    return sideBySide(readRecurrence(rnn, Recurrence::RNN));
  if (auto gru = llvm::dyn_cast<GRUOp>(op))
    return sideBySide(readRecurrence(gru, Recurrence::GRU));
  if (auto lstm = llvm::dyn_cast<LSTMOp>(op))
    return sideBySide(readRecurrence(lstm, Recurrence::LSTM));
  return false;
}

int64_t kiln::lowering::packedRecurrencePanel(Operation *op) {
  Recurrence rec;
  if (llvm::isa<RNNOp>(op)) {
    rec.kind = Recurrence::RNN;
  } else if (auto gru = llvm::dyn_cast<GRUOp>(op)) {
    rec.kind = Recurrence::GRU;
    rec.linearBeforeReset = gru.getLinearBeforeReset();
  } else if (llvm::isa<LSTMOp>(op)) {
    rec.kind = Recurrence::LSTM;
  } else {
    return 0;
  }
  rec.x = op->getOperand(0);
  rec.r = op->getOperand(2);
  return packedPanel(
      rec, llvm::cast<RankedTensorType>(rec.x.getType()).getDimSize(1));
}

void kiln::lowering::populateRecurrentPatterns(RewritePatternSet &patterns) {
  patterns.add<RNNLowering, GRULowering, LSTMLowering>(patterns.getContext());
}

//===- SampleAxes.cpp - Following the samples through a graph -------------===//
//
// Each tensor either has one axis that holds the samples (its extent there
// is a multiple of the probe: the samples, each possibly spanning several
// entries, as after a reshape of [N, S, D] to [N*S, D]) or is the same for
// every sample. An op passes the axis on when it treats the entries along
// it independently; anything else is an error naming the op.
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/Kiln/Transforms/SampleAxes.h"

#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;

namespace {

using namespace kiln;
using Axis = std::optional<int64_t>;

class SampleFlow {
public:
  SampleFlow(int64_t probe, bool sequence) : probe(probe), sequence(sequence) {}

  Axis axisOf(Value value) const {
    auto it = axes.find(value);
    if (it == axes.end())
      return std::nullopt;
    return it->second;
  }
  /// How many blocks of all the samples the axis of `value` holds.
  int64_t outerOf(Value value) const {
    auto it = outers.find(value);
    return it == outers.end() ? 1 : it->second;
  }
  void seed(Value value, int64_t axis) { axes[value] = axis; }
  const llvm::DenseMap<Value, int64_t> &valueAxesList() const { return axes; }
  /// Whether every entry of `value` is the same constant (a splat, maybe
  /// broadcast or reshaped): it fits any number of samples, so it may stand
  /// where a tensor holding them is expected.
  static bool uniform(Value value) {
    Operation *def = value.getDefiningOp();
    if (!def)
      return false;
    if (auto constant = llvm::dyn_cast<kiln::ConstantOp>(def)) {
      auto dense = llvm::dyn_cast<DenseElementsAttr>(constant.getValue());
      return dense && dense.isSplat();
    }
    if (llvm::isa<kiln::ExpandOp, kiln::ReshapeOp, kiln::TransposeOp,
                  kiln::CastOp, kiln::UnaryOp>(def))
      return uniform(def->getOperand(0));
    return false;
  }
  static ArrayRef<int64_t> shapeOf(Value value) {
    return llvm::cast<RankedTensorType>(value.getType()).getShape();
  }

  LogicalResult visit(Operation *op);

private:
  /// Fails at `op`, saying how it mixes the samples.
  LogicalResult mixes(Operation *op, const Twine &how) {
    if (!sequence)
      return op->emitError() << "the samples along the open dim cannot vary "
                                "at run time: this op "
                             << how;
    // The same rules hold for the positions of a sequence.
    std::string text = how.str();
    for (size_t at = text.find("sample"); at != std::string::npos;
         at = text.find("sample", at + 8))
      text.replace(at, 6, "position");
    return op->emitError() << "the sequence length cannot vary at run time: "
                              "this op "
                           << text;
  }
  /// Records `axis` for `result`, checking that its extent is a multiple of
  /// the probe.
  LogicalResult set(Operation *op, Value result, Axis axis,
                    std::optional<int64_t> outer = std::nullopt) {
    if (axis) {
      int64_t o = outer ? *outer : currentOuter;
      ArrayRef<int64_t> shape = shapeOf(result);
      if (*axis < 0 || *axis >= (int64_t)shape.size() ||
          shape[*axis] % (probe * o) != 0)
        return mixes(op, "gives a result whose extent along the samples is "
                         "not a multiple of their number");
      axes[result] = *axis;
      if (o != 1)
        outers[result] = o;
    }
    return success();
  }
  /// The same axis for every result of `op`.
  LogicalResult setAll(Operation *op, Axis axis) {
    for (Value result : op->getResults())
      if (failed(set(op, result, axis)))
        return failure();
    return success();
  }
  /// Fails unless none of `values` (null ones skipped) holds samples.
  LogicalResult invariant(Operation *op, ValueRange values, StringRef what) {
    for (Value value : values)
      if (value && axisOf(value))
        return mixes(op, "takes the samples in its " + what);
    return success();
  }

  LogicalResult elementwise(Operation *op);
  LogicalResult matmul(Operation *op, Value lhs, Value rhs);
  LogicalResult reshape(Operation *op, Value input, Value output);
  /// Ops over [N, C, spatial...]: the samples must be axis 0 of the
  /// input; the other operands are the same for every sample.
  LogicalResult batchFirst(Operation *op, Value input, ValueRange others);

  LogicalResult attentionOverPositions(AttentionOp op);
  /// Whether `input` is [N, C, positions] in the sequence mode.
  bool overPositions(Value input) const {
    return sequence && axisOf(input) == 2 && shapeOf(input).size() == 3 &&
           outerOf(input) == 1;
  }
  /// A 1-d convolution over the positions that keeps their number (stride
  /// 1, as much padding as the kernel spans: Keras' `same` and `causal`).
  /// With the padded positions zeroed first (kiln-bound-sequence), each
  /// real one sees zeros past the length, as the convolution's own padding
  /// would give it.
  LogicalResult convOverPositions(Operation *op, Value input, Value output,
                                  ValueRange parameters,
                                  ArrayRef<int64_t> strides, bool pooled) {
    if (failed(invariant(op, parameters, "weights")))
      return failure();
    if (pooled || llvm::any_of(strides, [](int64_t s) { return s != 1; }) ||
        shapeOf(output)[2] != shapeOf(input)[2])
      return mixes(op, "convolves along the samples to another number of "
                       "them");
    bounded.push_back(op);
    return set(op, output, 2);
  }

public:
  /// Ops that run over the positions (sequence mode): recurrent layers
  /// over their time axis, attention over its keys.
  SmallVector<Operation *> bounded;
  /// The attention ops among them whose queries are the positions too.
  SmallVector<Operation *> positionQueries;

private:
  int64_t probe;
  bool sequence;
  /// The axis of each value that holds samples, and how many blocks of all
  /// the samples that axis holds, when more than one: a reshape of
  /// [S, N, D] to [S*N, D] interleaves them, entry s*N + n holding sample
  /// n (1 when the samples are the axis' outermost factor).
  llvm::DenseMap<Value, int64_t> axes, outers;
  /// The blocks of the operands of the op being visited.
  int64_t currentOuter = 1;
};

LogicalResult SampleFlow::elementwise(Operation *op) {
  Value result = op->getResult(0);
  ArrayRef<int64_t> out = shapeOf(result);
  int64_t rank = out.size();
  Axis axis;
  for (Value operand : op->getOperands()) {
    Axis a = axisOf(operand);
    if (!a)
      continue;
    ArrayRef<int64_t> in = shapeOf(operand);
    int64_t aligned = *a + rank - (int64_t)in.size();
    if (in[*a] != out[aligned])
      return mixes(op, "broadcasts the samples");
    if (axis && *axis != aligned)
      return mixes(op, "combines samples held along different axes");
    axis = aligned;
  }
  if (!axis)
    return success();
  for (Value operand : op->getOperands()) {
    if (axisOf(operand) || uniform(operand))
      continue;
    ArrayRef<int64_t> in = shapeOf(operand);
    int64_t local = *axis - (rank - (int64_t)in.size());
    if (local >= 0 && in[local] != 1)
      return mixes(op, "combines each sample with a different slice of a "
                       "tensor that does not hold samples");
  }
  return set(op, result, axis);
}

LogicalResult SampleFlow::matmul(Operation *op, Value lhs, Value rhs) {
  int64_t rl = shapeOf(lhs).size(), rr = shapeOf(rhs).size();
  Value result = op->getResult(0);
  int64_t ro = shapeOf(result).size();
  Axis a = axisOf(lhs), b = axisOf(rhs);
  Axis outA, outB;
  // Batch dims of the product: those of the operands, right-aligned.
  auto isBatchAxis = [&](int64_t outAxis) {
    return outAxis < ro - (rl > 1 ? 1 : 0) - (rr > 1 ? 1 : 0);
  };
  if (a) {
    if (rl == 1 || *a == rl - 1)
      return mixes(op, "contracts over the samples");
    outA = rr == 1 ? *a : (*a == rl - 2 ? ro - 2 : *a + ro - rl);
  }
  if (b) {
    if (rr == 1 || *b == rr - 2)
      return mixes(op, "contracts over the samples");
    outB = *b == rr - 1 ? ro - 1 : *b + ro - rr;
  }
  if (outA && outB && (*outA != *outB || !isBatchAxis(*outA)))
    return mixes(op, "multiplies samples held along different axes");
  Axis axis = outA ? outA : outB;
  if (!axis)
    return success();
  if (isBatchAxis(*axis)) {
    // The other operand broadcasts along a batch axis: it must do so from 1.
    for (Value operand : {lhs, rhs}) {
      if (axisOf(operand) || uniform(operand))
        continue;
      ArrayRef<int64_t> in = shapeOf(operand);
      int64_t batchRank = ro - (rl > 1 ? 1 : 0) - (rr > 1 ? 1 : 0);
      int64_t operandBatch = (int64_t)in.size() - 2;
      int64_t local = *axis - (batchRank - operandBatch);
      if (operandBatch > 0 && local >= 0 && in[local] != 1)
        return mixes(op, "multiplies each sample with a different matrix");
    }
  }
  return set(op, result, axis);
}

LogicalResult SampleFlow::reshape(Operation *op, Value input, Value output) {
  Axis a = axisOf(input);
  if (!a)
    return success();
  ArrayRef<int64_t> in = shapeOf(input), out = shapeOf(output);
  // The entries before the samples' and those of each sample, in row-major
  // order: a reshape keeps both.
  int64_t o = outerOf(input);
  int64_t before = o, perSample = in[*a] / (o * probe);
  for (int64_t i = 0; i < *a; ++i)
    before *= in[i];
  for (int64_t i = *a + 1; i < (int64_t)in.size(); ++i)
    perSample *= in[i];
  // The output axis that splits them the same way.
  int64_t outerDims = 1;
  for (int64_t j = 0; j < (int64_t)out.size(); ++j) {
    if (before % outerDims == 0) {
      int64_t blocks = before / outerDims;
      if (out[j] % (blocks * probe) == 0) {
        int64_t after = out[j] / (blocks * probe);
        for (int64_t k = j + 1; k < (int64_t)out.size(); ++k)
          after *= out[k];
        if (after == perSample)
          return set(op, output, j, blocks);
      }
    }
    outerDims *= out[j];
  }
  return mixes(op, "reshapes the samples into each other");
}

LogicalResult SampleFlow::batchFirst(Operation *op, Value input,
                                     ValueRange others) {
  Axis a = axisOf(input);
  if (a && *a != 0)
    return mixes(op, "works across the axis holding the samples");
  if (failed(invariant(op, others, "parameters")))
    return failure();
  return setAll(op, a);
}

LogicalResult SampleFlow::visit(Operation *op) {
  using namespace kiln;
  // Ops whose operands do not hold samples give results that do not.
  if (llvm::none_of(op->getOperands(),
                    [&](Value v) { return axisOf(v).has_value(); }))
    return success();
  // Operands holding samples must lay them out alike.
  std::optional<int64_t> outer;
  for (Value operand : op->getOperands()) {
    if (!axisOf(operand))
      continue;
    if (outer && *outer != outerOf(operand))
      return mixes(op, "combines samples laid out differently");
    outer = outerOf(operand);
  }
  currentOuter = *outer;
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case<UnaryOp, CastOp>([&](Operation *op) {
        return set(op, op->getResult(0), axisOf(op->getOperand(0)));
      })
      .Case<BinaryOp, CompareOp, WhereOp>(
          [&](Operation *op) { return elementwise(op); })
      .Case<SoftmaxOp, LogSoftmaxOp>([&](auto op) {
        int64_t axis = op.getAxis();
        int64_t rank = shapeOf(op.getInput()).size();
        if (axis < 0)
          axis += rank;
        if (axis == *axisOf(op.getInput())) {
          // Over the positions: the padded ones are masked out
          // (kiln-bound-sequence); each real one is normalized over the
          // real ones.
          if (!sequence || outerOf(op.getInput()) != 1)
            return mixes(op, "normalizes over the samples");
          bounded.push_back(op);
        }
        return set(op, op.getOutput(), axisOf(op.getInput()));
      })
      .Case<ReduceOp>([&](ReduceOp op) {
        int64_t a = *axisOf(op.getInput());
        ArrayRef<int64_t> reduced = op.getAxes();
        if (reduced.empty() || llvm::is_contained(reduced, a)) {
          // Over the positions of a float tensor: the padded ones are
          // masked out (kiln-bound-sequence), the result holds none.
          if (sequence && llvm::is_contained(reduced, a) &&
              outerOf(op.getInput()) == 1 &&
              llvm::isa<FloatType>(
                  llvm::cast<RankedTensorType>(op.getInput().getType())
                      .getElementType())) {
            bounded.push_back(op);
            return success();
          }
          return mixes(op, "reduces over the samples");
        }
        int64_t before =
            llvm::count_if(reduced, [&](int64_t r) { return r < a; });
        return set(op, op.getOutput(), op.getKeepdims() ? a : a - before);
      })
      .Case<ArgReduceOp>([&](ArgReduceOp op) {
        int64_t a = *axisOf(op.getInput());
        int64_t axis = op.getAxis();
        if (axis == a)
          return mixes(op, "reduces over the samples");
        return set(op, op.getOutput(),
                   op.getKeepdims() || axis > a ? a : a - 1);
      })
      .Case<ReshapeOp>([&](ReshapeOp op) {
        return reshape(op, op.getInput(), op.getOutput());
      })
      .Case<TransposeOp>([&](TransposeOp op) {
        int64_t a = *axisOf(op.getInput());
        ArrayRef<int64_t> perm = op.getPerm();
        auto it = llvm::find(perm, a);
        return set(op, op.getOutput(), int64_t(it - perm.begin()));
      })
      .Case<ConcatOp>([&](ConcatOp op) {
        Axis a;
        for (Value input : op.getInputs())
          if (!a)
            a = axisOf(input);
        for (Value input : op.getInputs())
          if (axisOf(input) != a && !uniform(input))
            return mixes(op, "joins tensors that do not all hold the "
                             "samples along the same axis");
        if (*a == (int64_t)op.getAxis())
          return mixes(op, "joins along the samples");
        return set(op, op.getOutput(), a);
      })
      .Case<SplitOp>([&](SplitOp op) {
        int64_t a = *axisOf(op.getInput());
        if (a == (int64_t)op.getAxis())
          return mixes(op, "splits the samples");
        return setAll(op, a);
      })
      .Case<SliceOp>([&](SliceOp op) {
        int64_t a = *axisOf(op.getInput());
        if (op.getOffsets()[a] != 0 || op.getStrides()[a] != 1 ||
            shapeOf(op.getInput())[a] != shapeOf(op.getOutput())[a])
          return mixes(op, "slices the samples");
        return set(op, op.getOutput(), a);
      })
      .Case<GatherOp>([&](GatherOp op) {
        Axis d = axisOf(op.getData()), i = axisOf(op.getIndices());
        int64_t axis = op.getAxis();
        if (d && i)
          return mixes(op, "gathers samples with indices that differ per "
                           "sample");
        if (i)
          return set(op, op.getOutput(), axis + *i);
        if (*d == axis)
          return mixes(op, "gathers along the samples");
        int64_t indexRank = shapeOf(op.getIndices()).size();
        return set(op, op.getOutput(), *d < axis ? *d : *d - 1 + indexRank);
      })
      .Case<GatherElementsOp>([&](GatherElementsOp op) {
        Axis d = axisOf(op.getData()), i = axisOf(op.getIndices());
        if (d != i || *d == (int64_t)op.getAxis())
          return mixes(op, "gathers across the samples");
        return set(op, op.getOutput(), d);
      })
      .Case<ExpandOp>([&](ExpandOp op) {
        int64_t a = *axisOf(op.getInput());
        ArrayRef<int64_t> in = shapeOf(op.getInput()),
                          out = shapeOf(op.getOutput());
        int64_t aligned = a + out.size() - in.size();
        if (in[a] != out[aligned])
          return mixes(op, "broadcasts the samples");
        return set(op, op.getOutput(), aligned);
      })
      .Case<PadOp>([&](PadOp op) {
        int64_t a = *axisOf(op.getInput());
        int64_t rank = shapeOf(op.getInput()).size();
        ArrayRef<int64_t> pads = op.getPads();
        if (pads[a] != 0 || pads[a + rank] != 0)
          return mixes(op, "pads along the samples");
        return set(op, op.getOutput(), a);
      })
      .Case<ResizeOp>([&](ResizeOp op) {
        int64_t a = *axisOf(op.getInput());
        if (shapeOf(op.getInput())[a] != shapeOf(op.getOutput())[a])
          return mixes(op, "resizes along the samples");
        return set(op, op.getOutput(), a);
      })
      .Case<ConvOp>([&](ConvOp op) {
        if (overPositions(op.getInput()))
          return convOverPositions(op, op.getInput(), op.getOutput(),
                                   {op.getWeight(), op.getBias()},
                                   op.getStrides(), /*pooled=*/false);
        return batchFirst(op, op.getInput(), {op.getWeight(), op.getBias()});
      })
      .Case<ConvTransposeOp>([&](ConvTransposeOp op) {
        return batchFirst(op, op.getInput(), {op.getWeight(), op.getBias()});
      })
      .Case<FusedConvTransposeOp>([&](FusedConvTransposeOp op) {
        return batchFirst(op, op.getInput(), {op.getWeight(), op.getBias()});
      })
      .Case<FusedConvOp>([&](FusedConvOp op) {
        if (op.getResidual() &&
            axisOf(op.getResidual()) != axisOf(op.getInput()))
          return mixes(op, "adds a residual that does not hold the samples "
                           "as its input does");
        if (overPositions(op.getInput()))
          return convOverPositions(op, op.getInput(), op.getOutput(),
                                   {op.getWeight(), op.getBias()},
                                   op.getStrides(), op.getPool().has_value());
        return batchFirst(op, op.getInput(), {op.getWeight(), op.getBias()});
      })
      .Case<GlobalPoolOp>([&](GlobalPoolOp op) {
        // [N, C, positions]: a pooling over the positions, the padded ones
        // masked out (kiln-bound-sequence).
        if (overPositions(op.getInput()) &&
            (op.getKind() == PoolKind::avg || op.getKind() == PoolKind::max)) {
          bounded.push_back(op);
          return success();
        }
        return batchFirst(op, op.getInput(), {});
      })
      .Case<PoolOp, LRNOp>(
          [&](Operation *op) { return batchFirst(op, op->getOperand(0), {}); })
      .Case<BatchNormOp>([&](BatchNormOp op) {
        return batchFirst(
            op, op.getInput(),
            {op.getScale(), op.getBias(), op.getMean(), op.getVar()});
      })
      .Case<LayerNormOp>([&](LayerNormOp op) {
        if (failed(invariant(op, {op.getScale(), op.getBias()}, "parameters")))
          return failure();
        int64_t a = *axisOf(op.getInput());
        int64_t axis = op.getAxis();
        if (axis < 0)
          axis += shapeOf(op.getInput()).size();
        if (a >= axis)
          return mixes(op, "normalizes over the samples");
        return set(op, op.getOutput(), a);
      })
      .Case<MatMulOp>(
          [&](MatMulOp op) { return matmul(op, op.getLhs(), op.getRhs()); })
      .Case<FusedMatMulOp>([&](FusedMatMulOp op) {
        if (failed(invariant(op, {op.getBias()}, "bias")) ||
            failed(matmul(op, op.getInput(), op.getWeight())))
          return failure();
        if (op.getResidual() &&
            axisOf(op.getResidual()) != axisOf(op.getOutput()))
          return mixes(op, "adds a residual that does not hold the samples "
                           "as its result does");
        return success();
      })
      .Case<GemmOp>([&](GemmOp op) {
        Axis a = axisOf(op.getA()), b = axisOf(op.getB());
        Axis out;
        if (a) {
          if (*a != (op.getTransA() ? 1 : 0))
            return mixes(op, "contracts over the samples");
          out = 0;
        }
        if (b) {
          if (a || *b != (op.getTransB() ? 0 : 1))
            return mixes(op, "contracts over the samples");
          out = 1;
        }
        if (Value c = op.getC()) {
          ArrayRef<int64_t> shape = shapeOf(c);
          int64_t local = out ? *out - (2 - (int64_t)shape.size()) : -1;
          Axis ca = axisOf(c);
          if (ca && (!out || *ca != local))
            return mixes(op, "adds a bias that holds the samples along "
                             "another axis");
          if (!ca && !uniform(c) && out && local >= 0 && shape[local] != 1)
            return mixes(op, "adds a different bias to each sample");
          if (ca && !out)
            out = local + (2 - (int64_t)shape.size());
        }
        return set(op, op.getOutput(), out);
      })
      .Case<AttentionOp>([&](AttentionOp op) {
        if (sequence) {
          SmallVector<Value> all = {op.getQ(), op.getK(), op.getV()};
          if (op.getMask())
            all.push_back(op.getMask());
          for (Value operand : all)
            if (Axis a = axisOf(operand);
                a && *a + 4 - (int64_t)shapeOf(operand).size() >= 2)
              return attentionOverPositions(op);
        }
        // [batch, heads, sequence, size]: the samples may be the batch or
        // the heads, the same axis in every operand that holds them.
        Axis axis;
        SmallVector<Value> operands = {op.getQ(), op.getK(), op.getV()};
        if (op.getMask())
          operands.push_back(op.getMask());
        for (Value operand : operands) {
          Axis a = axisOf(operand);
          if (!a)
            continue;
          int64_t aligned = *a + 4 - (int64_t)shapeOf(operand).size();
          if (aligned > 1 || (axis && *axis != aligned))
            return mixes(op, "attends across the samples");
          axis = aligned;
        }
        for (Value operand : operands) {
          if (axisOf(operand) || uniform(operand))
            continue;
          ArrayRef<int64_t> shape = shapeOf(operand);
          int64_t local = *axis - (4 - (int64_t)shape.size());
          if (local >= 0 && shape[local] != 1)
            return mixes(op, "attends each sample to different data");
        }
        return set(op, op.getOutput(), axis);
      })
      .Case<RNNOp, GRUOp, LSTMOp>([&](auto op) {
        if (sequence && axisOf(op.getX()) == 0) {
          // Over the time axis: the layer runs the given number of steps
          // (its sequence_lens), its outputs after them are zeros.
          if (op.getSequenceLens())
            return mixes(op, "has sequence lengths of its own");
          SmallVector<Value> others = {op.getW(), op.getR(), op.getB(),
                                       op.getInitialH()};
          if constexpr (std::is_same_v<decltype(op), LSTMOp>) {
            others.push_back(op.getInitialC());
            others.push_back(op.getP());
          }
          if (failed(invariant(op, others, "weights or initial states")))
            return failure();
          bounded.push_back(op);
          return set(op, op->getResult(0), 0);
        }
        // x [sequence, batch, input], sequence_lens [batch], the initial
        // states [directions, batch, hidden]; y [sequence, directions,
        // batch, hidden], the final states [directions, batch, hidden].
        SmallVector<std::pair<Value, int64_t>> operands = {
            {op.getX(), 1}, {op.getSequenceLens(), 0}, {op.getInitialH(), 1}};
        if constexpr (std::is_same_v<decltype(op), LSTMOp>) {
          operands.push_back({op.getInitialC(), 1});
          if (failed(invariant(op, {op.getP()}, "weights")))
            return failure();
        }
        if (failed(invariant(op, {op.getW(), op.getR(), op.getB()}, "weights")))
          return failure();
        for (auto [value, expected] : operands)
          if (value && axisOf(value) != expected && !uniform(value))
            return mixes(op, "runs over the samples");
        if (failed(set(op, op->getResult(0), 2)))
          return failure();
        for (Value result : op->getResults().drop_front())
          if (failed(set(op, result, 1)))
            return failure();
        return success();
      })
      .Default([&](Operation *op) {
        return mixes(op, "is not one Kiln can follow the samples through");
      });
}

LogicalResult SampleFlow::attentionOverPositions(AttentionOp op) {
  // [batch, heads, positions, size]: the queries' positions are
  // independent; the keys' are bounded by the length (see kiln::SampleAxes).
  auto aligned = [&](Value value) -> Axis {
    Axis a = axisOf(value);
    if (!a)
      return std::nullopt;
    return *a + 4 - (int64_t)shapeOf(value).size();
  };
  Axis q = aligned(op.getQ()), k = aligned(op.getK()), v = aligned(op.getV());
  if ((q && *q != 2) || (k && *k != 2) || (v && *v != 2) || k != v)
    return mixes(op, "attends across the samples");
  Axis mask = op.getMask() ? aligned(op.getMask()) : std::nullopt;
  if (mask && !((*mask == 2 && q) || (*mask == 3 && k)))
    return mixes(op, "masks the samples along an axis they are not on");
  // An operand that does not hold the positions must be the same for all
  // of them.
  SmallVector<std::pair<Value, int64_t>> used;
  if (q)
    used.push_back({op.getMask(), 2});
  if (k)
    used.push_back({op.getMask(), 3});
  for (auto [value, axis] : used) {
    if (!value || axisOf(value) || uniform(value))
      continue;
    ArrayRef<int64_t> shape = shapeOf(value);
    int64_t local = axis - (4 - (int64_t)shape.size());
    if (local >= 0 && shape[local] != 1)
      return mixes(op, "attends each sample to different data");
  }
  if (k)
    bounded.push_back(op);
  if (k && q)
    positionQueries.push_back(op);
  return set(op, op.getOutput(), q ? Axis(2) : std::nullopt);
}

} // namespace

FailureOr<kiln::SampleAxes>
kiln::findSampleAxes(func::FuncOp func,
                     ArrayRef<std::optional<int64_t>> inputAxes, int64_t probe,
                     bool sequence) {
  SampleFlow flow(probe, sequence);
  SampleAxes result;
  result.inputs.assign(inputAxes.begin(), inputAxes.end());
  Block &body = func.getBody().front();
  if (inputAxes.size() != body.getNumArguments())
    return func.emitError() << "expected one sample axis per input";
  for (auto [arg, axis] : llvm::zip(body.getArguments(), inputAxes))
    if (axis)
      flow.seed(arg, *axis);
  // A constant whose extent along an axis is a multiple of the padded
  // positions holds them there (the loader checked that it is the same for
  // the positions of every extent: a Range over the length, a table sliced
  // to it).
  if (sequence)
    for (auto constant : body.getOps<ConstantOp>()) {
      auto type = llvm::cast<RankedTensorType>(constant.getType());
      auto dense = llvm::dyn_cast<DenseElementsAttr>(constant.getValue());
      if (dense && dense.isSplat())
        continue;
      for (int64_t d = 0; d < type.getRank(); ++d)
        if (type.getDimSize(d) % probe == 0) {
          flow.seed(constant, d);
          break;
        }
    }
  for (Operation &op : body.without_terminator())
    if (failed(flow.visit(&op)))
      return failure();
  for (Value value : body.getTerminator()->getOperands()) {
    result.outputs.push_back(flow.axisOf(value));
    result.outputBlocks.push_back(flow.outerOf(value));
  }
  result.bounded = flow.bounded;
  result.positionQueries = flow.positionQueries;
  for (auto [value, axis] : flow.valueAxesList())
    if (flow.outerOf(value) == 1)
      result.valueAxes[value] = axis;
  return result;
}

//===- BoundSequence.cpp - Padded sequences of any length -----------------===//
//
// kiln-bound-sequence: a model whose sequence length varies at run time is
// compiled with its positions padded to an extent (see kiln::loadModel).
// The pass proves, with the sample-axis analysis in its sequence mode,
// that every op treats the positions independently but the recurrent
// layers over their time axis, attention over its keys, and reductions,
// softmaxes and 1-d convolutions over the positions, and gives those the
// actual length, one more input of the graph: as sequence_lens (the layer
// stops there; its outputs after are zeros), as a mask of the keys, and as
// a mask of the positions read (a mean divides by the length). The padding then
// never reaches the first `length` positions of an output.
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/Kiln/IR/KilnOps.h"
#include "kiln/Dialect/Kiln/IR/ShapeHelpers.h"
#include "kiln/Dialect/Kiln/Transforms/Passes.h"
#include "kiln/Dialect/Kiln/Transforms/SampleAxes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/TypeSwitch.h"

#include <limits>

namespace kiln {
#define GEN_PASS_DEF_KILNBOUNDSEQUENCE
#include "kiln/Dialect/Kiln/Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

int64_t operandRank(Value value) {
  return llvm::cast<RankedTensorType>(value.getType()).getRank();
}

/// A reduction (kiln.reduce, or kiln.global_pool over [N, C, positions]),
/// a softmax or a convolution over the positions of a padded sequence: the
/// padded ones take the kind's identity (0 for a sum or a convolution,
/// -inf for a max or a softmax, ...), and a mean divides by the length
/// instead of the extent. `valid` is [extent] i1.
LogicalResult maskPositions(OpBuilder &b, Operation *op, Value valid,
                            Value length, int64_t extent,
                            llvm::function_ref<Value(Type, double)> scalarOf) {
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(op);
  Location loc = op->getLoc();
  Value input = op->getOperand(0);
  auto type = llvm::cast<RankedTensorType>(input.getType());
  Type element = type.getElementType();
  const double inf = std::numeric_limits<double>::infinity();
  auto reduce = llvm::dyn_cast<kiln::ReduceOp>(op);
  int64_t axis = 2;
  double fill = 0.0;
  bool mean = false;
  if (reduce) {
    // The positions' axis is the reduced one that is a multiple of the
    // extent (the analysis saw them there).
    std::optional<int64_t> found;
    for (int64_t a : reduce.getAxes())
      if (type.getDimSize(a) == extent)
        found = a;
    if (!found)
      return op->emitError() << "expected the positions along a reduced axis";
    axis = *found;
    switch (reduce.getKind()) {
    case kiln::ReduceKind::max:
    case kiln::ReduceKind::log_sum_exp:
      fill = -inf;
      break;
    case kiln::ReduceKind::min:
      fill = inf;
      break;
    case kiln::ReduceKind::prod:
      fill = 1.0;
      break;
    case kiln::ReduceKind::mean:
      mean = true;
      break;
    default:
      break;
    }
  } else if (llvm::isa<kiln::ConvOp, kiln::FusedConvOp>(op)) {
    // A convolution over the positions reads zeros past the length.
  } else if (auto pool = llvm::dyn_cast<kiln::GlobalPoolOp>(op)) {
    if (pool.getKind() == kiln::PoolKind::max)
      fill = -inf;
    else
      mean = true;
  } else {
    // kiln.softmax, kiln.log_softmax: exp(-inf) adds nothing.
    axis = op->getAttrOfType<IntegerAttr>("axis").getInt();
    if (axis < 0)
      axis += type.getRank();
    fill = -inf;
  }
  SmallVector<int64_t> maskShape(type.getRank(), 1);
  maskShape[axis] = extent;
  Value mask = kiln::ReshapeOp::create(
      b, loc, RankedTensorType::get(maskShape, b.getI1Type()), valid);
  Value masked =
      kiln::WhereOp::create(b, loc, type, mask, input, scalarOf(element, fill));
  op->setOperand(0, masked);
  if (!mean)
    return success();
  // A mean over the extent, times extent / length: the mean over the
  // first `length` positions.
  b.setInsertionPointAfter(op);
  Value result = op->getResult(0);
  auto resultType = llvm::cast<RankedTensorType>(result.getType());
  Value count = kiln::CastOp::create(b, loc, RankedTensorType::get({}, element),
                                     length, false, false);
  Value scale = kiln::BinaryOp::create(
      b, loc, RankedTensorType::get({}, element), kiln::BinaryKind::div,
      scalarOf(element, (double)extent), count, false);
  Value scaled = kiln::BinaryOp::create(
      b, loc, resultType, kiln::BinaryKind::mul, result, scale, false);
  result.replaceAllUsesExcept(scaled, scaled.getDefiningOp());
  return success();
}

/// Whether `v` is zeros at the positions from the length on whatever the
/// padding holds: a transpose that kiln-to-linalg bounds (it copies the
/// first `length` positions into zeros), seen through reshapes.
bool zeroPastLength(Value v) {
  while (auto reshape = v.getDefiningOp<kiln::ReshapeOp>())
    v = reshape.getInput();
  auto transpose = v.getDefiningOp<kiln::TransposeOp>();
  return transpose && transpose->hasAttr("kiln.bounded_rows");
}

/// Gives the ops that run over the positions of a padded sequence their
/// actual number, which the graph takes as one more input, `length` (an
/// i64 scalar): recurrent layers as their sequence_lens, attention as a
/// mask of the keys before it.
LogicalResult boundPositions(func::FuncOp graph, ArrayRef<Operation *> bounded,
                             ArrayRef<Operation *> positionQueries,
                             int64_t extent) {
  MLIRContext *ctx = graph.getContext();
  OpBuilder b(ctx);
  Location loc = graph.getLoc();
  Type i64 = b.getI64Type(), i32 = b.getI32Type(), i1 = b.getI1Type();
  auto scalar = RankedTensorType::get({}, i64);
  unsigned index = graph.getNumArguments();
  NamedAttrList attrs;
  attrs.append("kiln.name", b.getStringAttr("sequence_length"));
  attrs.append("kiln.sequence_length", b.getUnitAttr());
  if (failed(
          graph.insertArgument(index, scalar, attrs.getDictionary(ctx), loc)))
    return failure();
  Value length = graph.getArgument(index);
  Block &body = graph.getBody().front();
  b.setInsertionPointToStart(&body);
  Value lengths32, keysValid, rowsValid, valid;
  // [extent] i1: position < length.
  auto validPositions = [&]() {
    if (!valid) {
      Value positions = kiln::buildPositions(b, loc, extent);
      valid = kiln::CompareOp::create(
          b, loc, RankedTensorType::get({extent}, i1),
          kiln::ComparePredicate::lt, positions, length, false);
    }
    return valid;
  };
  auto scalarOf = [&](Type element, double value) -> Value {
    auto type = RankedTensorType::get({}, element);
    return kiln::ConstantOp::create(
        b, loc, type,
        DenseElementsAttr::get(type, b.getFloatAttr(element, value)));
  };
  for (Operation *op : bounded) {
    if (llvm::isa<kiln::ReduceOp, kiln::GlobalPoolOp, kiln::SoftmaxOp,
                  kiln::LogSoftmaxOp, kiln::ConvOp, kiln::FusedConvOp>(op)) {
      if (failed(
              maskPositions(b, op, validPositions(), length, extent, scalarOf)))
        return failure();
      continue;
    }
    if (auto attention = llvm::dyn_cast<kiln::AttentionOp>(op)) {
      if (!keysValid) {
        // [1, 1, 1, extent]: key position < length.
        keysValid = kiln::ReshapeOp::create(
            b, loc, RankedTensorType::get({1, 1, 1, extent}, i1),
            validPositions());
        rowsValid = kiln::ReshapeOp::create(
            b, loc, RankedTensorType::get({1, 1, extent, 1}, i1),
            validPositions());
      }
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPoint(op);
      // The keys and values of the padded positions become zeros: whatever
      // the padding computed to (an infinity, say), a masked key then adds
      // nothing, where 0 * inf would give NaN (unless they are zeros
      // already).
      for (OpOperand *operand :
           {&attention.getKMutable(), &attention.getVMutable()}) {
        if (zeroPastLength(operand->get()))
          continue;
        auto type = llvm::cast<RankedTensorType>(operand->get().getType());
        operand->set(
            kiln::WhereOp::create(b, loc, type, rowsValid, operand->get(),
                                  scalarOf(type.getElementType(), 0.0)));
      }
      Value mask = attention.getMask();
      Value combined = keysValid;
      if (mask) {
        auto maskType = llvm::cast<RankedTensorType>(mask.getType());
        std::optional<SmallVector<int64_t>> shape =
            kiln::detail::broadcastShapes(maskType.getShape(),
                                          {1, 1, 1, extent});
        if (!shape)
          return attention.emitError()
                 << "the mask does not broadcast to the keys' positions";
        if (maskType.getElementType().isInteger(1)) {
          combined = kiln::BinaryOp::create(
              b, loc, RankedTensorType::get(*shape, i1),
              kiln::BinaryKind::logical_and, mask, keysValid, false);
        } else {
          // A float mask is added to the scores: -inf drops a key.
          Type element = maskType.getElementType();
          combined = kiln::WhereOp::create(
              b, loc, RankedTensorType::get(*shape, element), keysValid, mask,
              scalarOf(element, -std::numeric_limits<double>::infinity()));
        }
      }
      attention.getMaskMutable().assign(combined);
      // A mask of the length alone: the kernel's key limit does its work.
      if (!mask)
        attention->setAttr("kiln.length_mask", b.getUnitAttr());
      // The kernel may also skip the keys past the length, and the queries
      // when they are the positions (their outputs are padding).
      attention->setAttr("kiln.bounded_keys", b.getUnitAttr());
      if (llvm::is_contained(positionQueries, op))
        attention->setAttr("kiln.bounded_queries", b.getUnitAttr());
      continue;
    }
    if (!lengths32) {
      Value cast = kiln::CastOp::create(b, loc, RankedTensorType::get({}, i32),
                                        length, false, false);
      lengths32 = kiln::ReshapeOp::create(
          b, loc, RankedTensorType::get({1}, i32), cast);
    }
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(op);
    // x is [positions, batch, input]: one length per batch entry.
    int64_t batch =
        llvm::cast<RankedTensorType>(op->getOperand(0).getType()).getDimSize(1);
    Value lengths = lengths32;
    if (batch != 1)
      lengths = kiln::ExpandOp::create(
          b, loc, RankedTensorType::get({batch}, i32), lengths32);
    llvm::TypeSwitch<Operation *>(op)
        .Case<kiln::RNNOp, kiln::GRUOp, kiln::LSTMOp>(
            [&](auto op) { op.getSequenceLensMutable().assign(lengths); });
    // All of them the same: kiln-to-dnnl may run the layer as oneDNN's
    // primitive over the padded steps instead (see splitPaddedRecurrence).
    op->setAttr("kiln.padded_lengths", b.getUnitAttr());
  }
  return success();
}

/// Marks the ops kiln-to-linalg runs on blocks of positions up to the
/// length (`kiln.bounded_rows`: each operand's axis of the positions, -1
/// for one without them, then the result's): matrix products whose rows
/// are the positions (kiln.fused_matmul, kiln.gemm), gathers whose indices
/// are, layer norms, elementwise ops and transposes. Each axis but a
/// transpose's has only 1s before it; an elementwise operand without the
/// positions has a 1 (or nothing) on the result's axis. Runs before
/// boundPositions, whose masks give the padded positions their values and
/// so must cover them all.
void markBoundedRows(func::FuncOp graph,
                     const llvm::DenseMap<Value, int64_t> &axes,
                     int64_t extent) {
  Builder b(graph.getContext());
  auto leading = [](RankedTensorType type, int64_t axis) {
    for (int64_t d = 0; d < axis; ++d)
      if (type.getDimSize(d) != 1)
        return false;
    return true;
  };
  graph.walk([&](Operation *op) {
    // A transpose moves the positions' axis anywhere: kiln-to-linalg
    // copies the first `length` of them in one transpose.
    if (auto transpose = llvm::dyn_cast<kiln::TransposeOp>(op)) {
      auto in = axes.find(transpose.getInput());
      auto out = axes.find(transpose.getResult());
      if (in == axes.end() || out == axes.end() ||
          transpose.getPerm()[out->second] != in->second ||
          transpose.getType().getDimSize(out->second) != extent)
        return;
      op->setAttr("kiln.bounded_rows",
                  b.getDenseI64ArrayAttr({in->second, out->second}));
      return;
    }
    if (!llvm::isa<kiln::FusedMatMulOp, kiln::GemmOp, kiln::GatherOp,
                   kiln::LayerNormOp, kiln::BinaryOp, kiln::UnaryOp>(op) ||
        op->getNumResults() != 1)
      return;
    Value result = op->getResult(0);
    auto it = axes.find(result);
    auto type = llvm::dyn_cast<RankedTensorType>(result.getType());
    if (it == axes.end() || !type || type.getDimSize(it->second) != extent ||
        !leading(type, it->second))
      return;
    int64_t axis = it->second;
    // The operands taken whole whatever their shape: a product's weights
    // (and a fused product's bias, not its residual), a gather's data.
    auto fused = llvm::dyn_cast<kiln::FusedMatMulOp>(op);
    unsigned parameters =
        fused ? op->getNumOperands() - (fused.getResidual() ? 1 : 0) : 0;
    auto whole = [&](unsigned i) {
      return fused ? i > 0 && i < parameters
             : llvm::isa<kiln::GemmOp>(op)
                 ? i == 1
                 : llvm::isa<kiln::GatherOp>(op) && i == 0;
    };
    SmallVector<int64_t> marks;
    for (auto [i, operand] : llvm::enumerate(op->getOperands())) {
      auto operandType = llvm::dyn_cast<RankedTensorType>(operand.getType());
      if (!operandType)
        return;
      auto found = axes.find(operand);
      if (found != axes.end()) {
        if (operandType.getDimSize(found->second) != extent ||
            !leading(operandType, found->second))
          return;
        marks.push_back(found->second);
        continue;
      }
      // An elementwise operand (or a Gemm's addend) broadcast along the
      // positions, aligned to the result's last dims.
      int64_t aligned = axis - (type.getRank() - operandType.getRank());
      if (!whole(i) && aligned >= 0 && operandType.getDimSize(aligned) != 1)
        return;
      marks.push_back(-1);
    }
    auto othersWhole = [&](unsigned from, unsigned to) {
      return llvm::all_of(ArrayRef<int64_t>(marks).slice(from, to - from),
                          [](int64_t m) { return m < 0; });
    };
    // A matrix product's rows: not its last axis (a Gemm's first, its
    // input not transposed), a fused product's residual along the
    // result's; a gather's indices, the data whole.
    if (fused &&
        (marks[0] < 0 || marks[0] + 1 >= operandRank(op->getOperand(0)) ||
         !othersWhole(1, parameters) ||
         (fused.getResidual() && marks.back() != axis)))
      return;
    if (auto gemm = llvm::dyn_cast<kiln::GemmOp>(op);
        gemm &&
        (marks[0] != 0 || gemm.getTransA() || !othersWhole(1, marks.size())))
      return;
    if (auto gather = llvm::dyn_cast<kiln::GatherOp>(op);
        gather && (marks[0] >= 0 || marks[1] < 0 ||
                   static_cast<int64_t>(gather.getAxis()) + marks[1] != axis))
      return;
    marks.push_back(axis);
    op->setAttr("kiln.bounded_rows", b.getDenseI64ArrayAttr(marks));
  });
}

struct BoundSequencePass
    : kiln::impl::KilnBoundSequenceBase<BoundSequencePass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto symbol = module->getAttrOfType<StringAttr>("kiln.sequence_symbol");
    auto extent = module->getAttrOfType<IntegerAttr>("kiln.sequence_extent");
    if (!symbol)
      return;
    auto graph = module.lookupSymbol<func::FuncOp>("main");
    if (!graph || !extent) {
      module.emitError() << "a padded sequence needs 'main' and its extent";
      return signalPassFailure();
    }
    SmallVector<std::optional<int64_t>> axes(graph.getNumArguments());
    for (unsigned i = 0; i < graph.getNumArguments(); ++i)
      if (auto axis =
              graph.getArgAttrOfType<IntegerAttr>(i, "kiln.sequence_axis"))
        axes[i] = axis.getInt();
    FailureOr<kiln::SampleAxes> flow =
        kiln::findSampleAxes(graph, axes, extent.getInt(), /*sequence=*/true);
    if (failed(flow)) {
      module.emitError() << "the open dim '" << symbol.getValue()
                         << "' cannot vary at run time; pin it with --shape "
                         << symbol.getValue() << "=SIZE";
      return signalPassFailure();
    }
    Builder b(module.getContext());
    for (auto [i, axis] : llvm::enumerate(flow->outputs)) {
      if (!axis)
        continue;
      auto sample =
          graph.getResultAttrOfType<IntegerAttr>(i, "kiln.sample_axis");
      if ((sample && sample.getInt() == *axis) || flow->outputBlocks[i] != 1) {
        module.emitError() << "unsupported: output " << i
                           << " interleaves the positions of '"
                           << symbol.getValue()
                           << "' with another dim; pin it with --shape "
                           << symbol.getValue() << "=SIZE";
        return signalPassFailure();
      }
      graph.setResultAttr(i, "kiln.sequence_axis", b.getI64IntegerAttr(*axis));
    }
    // Matrix products, normalizations and elementwise ops over the
    // positions: kiln-to-linalg computes them up to the length.
    markBoundedRows(graph, flow->valueAxes, extent.getInt());
    if (failed(boundPositions(graph, flow->bounded, flow->positionQueries,
                              extent.getInt())))
      return signalPassFailure();
  }
};

} // namespace

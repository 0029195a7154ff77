//===- DataMovement.cpp - Reshapes, slices, gathers, pads -----------------===//

#include "ConstantFold.h"
#include "OpChecker.h"
#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::detail;

//===----------------------------------------------------------------------===//
// ReshapeOp
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::verify() {
  auto input = getInput().getType(), output = getOutput().getType();
  if (input.getElementType() != output.getElementType())
    return emitOpError("expected the result element type ")
           << output.getElementType() << " to match the input's, "
           << input.getElementType();
  if (input.getNumElements() != output.getNumElements())
    return emitOpError("cannot reshape ")
           << formatList(input.getShape()) << " (" << input.getNumElements()
           << " elements) to " << formatList(output.getShape()) << " ("
           << output.getNumElements() << " elements)";
  return success();
}

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  if (auto dense =
          llvm::dyn_cast_if_present<DenseElementsAttr>(adaptor.getInput()))
    return dense.reshape(getType());
  // reshape(reshape(x)) -> reshape(x)
  if (auto producer = getInput().getDefiningOp<ReshapeOp>()) {
    getInputMutable().assign(producer.getInput());
    return getResult();
  }
  return {};
}

//===----------------------------------------------------------------------===//
// TransposeOp
//===----------------------------------------------------------------------===//

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  OpChecker check(loc, getOperationName());
  RankedTensorType input = check.tensor(adaptor.getInput(), "input");
  if (!input)
    return failure();
  ArrayRef<int64_t> perm = adaptor.getPerm();
  SmallVector<bool> seen(input.getRank(), false);
  bool valid = (int64_t)perm.size() == input.getRank();
  for (int64_t p : perm) {
    if (!valid || p < 0 || p >= input.getRank() || seen[p]) {
      valid = false;
      break;
    }
    seen[p] = true;
  }
  if (!valid)
    return check.fail("expected 'perm' to be a permutation of [0, ",
                      input.getRank(), "), got ", formatList(perm));
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(input.getDimSize(p));
  types.push_back(input.clone(shape));
  return success();
}

OpFoldResult TransposeOp::fold(FoldAdaptor adaptor) {
  ArrayRef<int64_t> perm = getPerm();
  bool identity = true;
  for (auto [i, p] : llvm::enumerate(perm))
    identity &= (int64_t)i == p;
  if (identity)
    return getInput();
  return transposeConstant(adaptor.getInput(), getInput().getType(), perm);
}

Attribute kiln::transposeConstant(Attribute value, RankedTensorType type,
                                  ArrayRef<int64_t> perm) {
  if (!value || (int64_t)perm.size() != type.getRank())
    return {};
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(type.getDimSize(p));
  SmallVector<int64_t> strides = stridesOf(type.getShape());
  return foldByIndex(value, type.clone(shape), [&](ArrayRef<int64_t> coords) {
    int64_t index = 0;
    for (auto [i, p] : llvm::enumerate(perm))
      index += coords[i] * strides[p];
    return index;
  });
}

Attribute kiln::reshapeConstant(Attribute value, RankedTensorType type) {
  auto typed = llvm::dyn_cast_if_present<TypedAttr>(value);
  auto elements =
      typed ? llvm::dyn_cast<ShapedType>(typed.getType()) : ShapedType();
  if (!elements || !elements.hasStaticShape() ||
      elements.getNumElements() != type.getNumElements() ||
      elements.getElementType() != type.getElementType())
    return {};
  if (auto blob = llvm::dyn_cast<DenseResourceElementsAttr>(value))
    return DenseResourceElementsAttr::get(type, blob.getRawHandle());
  if (auto dense = llvm::dyn_cast<DenseElementsAttr>(value))
    return dense.reshape(type);
  return {};
}

namespace {
/// Composes transpose(transpose(x, p1), p2) into transpose(x, p1[p2]).
struct ComposeTransposes : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp op,
                                PatternRewriter &rewriter) const override {
    auto producer = op.getInput().getDefiningOp<TransposeOp>();
    if (!producer)
      return rewriter.notifyMatchFailure(op, "input is not a transpose");
    SmallVector<int64_t> perm;
    for (int64_t p : op.getPerm())
      perm.push_back(producer.getPerm()[p]);
    rewriter.replaceOpWithNewOp<TransposeOp>(op, producer.getInput(), perm);
    return success();
  }
};
} // namespace

namespace {
/// A transpose that keeps the order of the dims larger than 1 moves no data:
/// it is a reshape (e.g. NHWC -> NCHW of a one-channel image).
struct TransposeOfUnitDimsToReshape : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp op,
                                PatternRewriter &rewriter) const override {
    ArrayRef<int64_t> shape = op.getInput().getType().getShape();
    int64_t last = -1;
    for (int64_t p : op.getPerm()) {
      if (shape[p] == 1)
        continue;
      if (p < last)
        return rewriter.notifyMatchFailure(op, "the transpose moves data");
      last = p;
    }
    rewriter.replaceOpWithNewOp<ReshapeOp>(op, op.getType(), op.getInput());
    return success();
  }
};

/// transpose(reshape(x)) where the reshape merges dims of x ->
/// reshape(transpose(reshape(x))) over the finest shape both x's and the
/// reshape's dims are products of: the inner reshape only splits dims and
/// the outer one only merges dims that the transpose wrote side by side,
/// so neither moves data, even when x is a strided view (a slice of a
/// fused projection's heads). [L, B, 64] -> [L, B*4, 16] -> [B*4, L, 16]
/// becomes [L, B, 4, 16] -> [B, 4, L, 16] -> [B*4, L, 16].
struct TransposeOfMergingReshape : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp op,
                                PatternRewriter &rewriter) const override {
    auto reshape = op.getInput().getDefiningOp<ReshapeOp>();
    if (!reshape)
      return rewriter.notifyMatchFailure(op, "input is not a reshape");
    RankedTensorType source = reshape.getInput().getType(),
                     target = reshape.getType();
    if (!source.hasStaticShape() || !target.hasStaticShape())
      return rewriter.notifyMatchFailure(op, "dynamic shape");
    // The dims larger than 1 of both shapes, refined: each target dim
    // covers a run of the refined dims (none for a dim of 1).
    SmallVector<int64_t> from, into;
    for (int64_t d : source.getShape())
      if (d != 1)
        from.push_back(d);
    SmallVector<int64_t> targetDims;
    for (auto [i, d] : llvm::enumerate(target.getShape()))
      if (d != 1) {
        into.push_back(d);
        targetDims.push_back(i);
      }
    SmallVector<int64_t> refined;
    SmallVector<SmallVector<int64_t>> covers(target.getRank());
    size_t i = 0, j = 0;
    int64_t a = from.empty() ? 1 : from[0], b = into.empty() ? 1 : into[0];
    while (i < from.size() && j < into.size()) {
      int64_t c = std::min(a, b);
      if (a % c != 0 || b % c != 0)
        return rewriter.notifyMatchFailure(op, "the shapes do not refine");
      covers[targetDims[j]].push_back(refined.size());
      refined.push_back(c);
      a /= c;
      b /= c;
      if (a == 1 && ++i < from.size())
        a = from[i];
      if (b == 1 && ++j < into.size())
        b = into[j];
    }
    if (refined.size() == into.size())
      return rewriter.notifyMatchFailure(op, "the reshape merges no dims");
    SmallVector<int64_t> perm, shape;
    for (int64_t p : op.getPerm())
      for (int64_t r : covers[p]) {
        perm.push_back(r);
        shape.push_back(refined[r]);
      }
    Location loc = op.getLoc();
    Value split = ReshapeOp::create(rewriter, loc, source.clone(refined),
                                    reshape.getInput());
    Value moved = TransposeOp::create(rewriter, loc, split, perm);
    rewriter.replaceOpWithNewOp<ReshapeOp>(op, op.getType(), moved);
    return success();
  }
};

/// gemm(a, constant B, trans_b) -> gemm(a, transpose(B)): the transpose
/// folds into the weights, and the product then reads B along its rows,
/// as the backends' matrix kernels want.
struct TransposeGemmWeights : OpRewritePattern<GemmOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(GemmOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.getTransB() || !op.getB().getDefiningOp<ConstantOp>())
      return rewriter.notifyMatchFailure(op, "B is not a transposed constant");
    Value transposed = TransposeOp::create(rewriter, op.getLoc(), op.getB(),
                                           ArrayRef<int64_t>{1, 0});
    rewriter.modifyOpInPlace(op, [&] {
      op.getBMutable().assign(transposed);
      op.setTransB(false);
    });
    return success();
  }
};
} // namespace

void GemmOp::getCanonicalizationPatterns(RewritePatternSet &patterns,
                                         MLIRContext *context) {
  patterns.add<TransposeGemmWeights>(context);
}

void TransposeOp::getCanonicalizationPatterns(RewritePatternSet &patterns,
                                              MLIRContext *context) {
  patterns.add<ComposeTransposes, TransposeOfUnitDimsToReshape,
               TransposeOfMergingReshape>(context);
}

//===----------------------------------------------------------------------===//
// ConcatOp and SplitOp
//===----------------------------------------------------------------------===//

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  OpChecker check(loc, getOperationName());
  ValueRange inputs = adaptor.getInputs();
  if (inputs.empty())
    return check.fail("expected at least one input");
  RankedTensorType first = check.tensor(inputs[0], "inputs");
  if (!first)
    return failure();
  int64_t axis = adaptor.getAxis();
  if (failed(check.axis(axis, first.getRank())))
    return failure();
  SmallVector<int64_t> shape(first.getShape());
  shape[axis] = 0;
  for (Value input : inputs) {
    RankedTensorType type = check.tensor(input, "inputs");
    if (!type ||
        failed(check.sameElementType(type, "inputs", first.getElementType())))
      return failure();
    bool compatible = type.getRank() == first.getRank();
    for (int64_t d = 0; compatible && d < first.getRank(); ++d)
      compatible = d == axis || type.getDimSize(d) == first.getDimSize(d);
    if (!compatible)
      return check.fail("cannot concatenate shapes ",
                        formatList(first.getShape()), " and ",
                        formatList(type.getShape()), " along axis ", axis);
    shape[axis] += type.getDimSize(axis);
  }
  types.push_back(first.clone(shape));
  return success();
}

OpFoldResult ConcatOp::fold(FoldAdaptor adaptor) {
  if (getInputs().size() == 1)
    return getInputs()[0];
  RankedTensorType type = getType();
  if (type.getNumElements() > kMaxFoldedElements)
    return {};
  SmallVector<DenseElementsAttr> inputs;
  for (Attribute operand : adaptor.getInputs()) {
    auto dense = llvm::dyn_cast_if_present<DenseElementsAttr>(operand);
    if (!dense)
      return {};
    inputs.push_back(dense);
  }
  // Copy slabs: for each index before the axis, the inputs' rows in turn.
  int64_t axis = getAxis();
  int64_t outer = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= type.getDimSize(d);
  SmallVector<Attribute> values;
  values.reserve(type.getNumElements());
  for (int64_t o = 0; o < outer; ++o)
    for (DenseElementsAttr input : inputs) {
      int64_t slab = input.getNumElements() / std::max<int64_t>(outer, 1);
      auto all = input.getValues<Attribute>();
      for (int64_t i = 0; i < slab; ++i)
        values.push_back(*(all.begin() + (input.isSplat() ? 0 : o * slab + i)));
    }
  return DenseElementsAttr::get(type, values);
}

LogicalResult SplitOp::verify() {
  auto input = getInput().getType();
  int64_t axis = getAxis();
  if (axis < 0 || axis >= input.getRank())
    return emitOpError("expected 'axis' in [0, ")
           << input.getRank() << "), got " << axis;
  if (getOutputs().empty())
    return emitOpError("expected at least one result");
  int64_t total = 0;
  for (Type resultType : getOutputs().getTypes()) {
    auto result = llvm::cast<RankedTensorType>(resultType);
    bool compatible = result.getRank() == input.getRank() &&
                      result.getElementType() == input.getElementType();
    for (int64_t d = 0; compatible && d < input.getRank(); ++d)
      compatible = d == axis || result.getDimSize(d) == input.getDimSize(d);
    if (!compatible)
      return emitOpError("result type ") << result << " is not a piece of "
                                         << input << " along axis " << axis;
    total += result.getDimSize(axis);
  }
  if (total != input.getDimSize(axis))
    return emitOpError("result sizes along axis ")
           << axis << " add up to " << total << ", expected "
           << input.getDimSize(axis);
  return success();
}

LogicalResult SplitOp::fold(FoldAdaptor,
                            SmallVectorImpl<OpFoldResult> &results) {
  if (getOutputs().size() != 1)
    return failure();
  results.push_back(getInput());
  return success();
}

//===----------------------------------------------------------------------===//
// SliceOp
//===----------------------------------------------------------------------===//

LogicalResult SliceOp::verify() {
  auto input = getInput().getType(), output = getOutput().getType();
  int64_t rank = input.getRank();
  if (output.getElementType() != input.getElementType() ||
      output.getRank() != rank)
    return emitOpError("expected a result of rank ")
           << rank << " and element type " << input.getElementType() << ", got "
           << output;
  ArrayRef<int64_t> offsets = getOffsets(), strides = getStrides();
  if ((int64_t)offsets.size() != rank || (int64_t)strides.size() != rank)
    return emitOpError("expected 'offsets' and 'strides' to have ")
           << rank << " values (one per dim), got " << offsets.size() << " and "
           << strides.size();
  for (int64_t d = 0; d < rank; ++d) {
    if (strides[d] == 0)
      return emitOpError("expected non-zero 'strides', got ")
             << formatList(strides);
    int64_t count = output.getDimSize(d);
    if (count == 0)
      continue;
    int64_t last = offsets[d] + (count - 1) * strides[d];
    int64_t size = input.getDimSize(d);
    if (offsets[d] < 0 || offsets[d] >= size || last < 0 || last >= size)
      return emitOpError("slice along dim ")
             << d << " reads indices " << offsets[d] << " to " << last
             << ", outside [0, " << size << ")";
  }
  return success();
}

OpFoldResult SliceOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType() &&
      llvm::all_of(getOffsets(), [](int64_t o) { return o == 0; }) &&
      llvm::all_of(getStrides(), [](int64_t s) { return s == 1; }))
    return getInput();
  SmallVector<int64_t> inStrides = stridesOf(getInput().getType().getShape());
  ArrayRef<int64_t> offsets = getOffsets(), strides = getStrides();
  return foldByIndex(
      adaptor.getInput(), getType(), [&](ArrayRef<int64_t> coords) {
        int64_t index = 0;
        for (size_t d = 0; d < coords.size(); ++d)
          index += (offsets[d] + coords[d] * strides[d]) * inStrides[d];
        return index;
      });
}

//===----------------------------------------------------------------------===//
// GatherOp and ExpandOp
//===----------------------------------------------------------------------===//

/// What Gather and GatherElements check alike: tensors, the axis, and
/// no index into an empty dim.
static LogicalResult checkGatherOperands(const OpChecker &check,
                                         Value dataValue, Value indicesValue,
                                         int64_t axis, RankedTensorType &data,
                                         RankedTensorType &indices) {
  data = check.tensor(dataValue, "data");
  indices = data ? check.tensor(indicesValue, "indices") : nullptr;
  if (!indices || failed(check.axis(axis, data.getRank())))
    return failure();
  if (data.getDimSize(axis) == 0 && indices.getNumElements() != 0)
    return check.fail("cannot gather from an empty dim");
  return success();
}

LogicalResult GatherOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  OpChecker check(loc, getOperationName());
  RankedTensorType data, indices;
  int64_t axis = adaptor.getAxis();
  if (failed(checkGatherOperands(check, adaptor.getData(), adaptor.getIndices(),
                                 axis, data, indices)))
    return failure();
  SmallVector<int64_t> shape(data.getShape().take_front(axis));
  llvm::append_range(shape, indices.getShape());
  llvm::append_range(shape, data.getShape().drop_front(axis + 1));
  types.push_back(data.clone(shape));
  return success();
}

OpFoldResult GatherOp::fold(FoldAdaptor adaptor) {
  auto indices =
      llvm::dyn_cast_if_present<DenseElementsAttr>(adaptor.getIndices());
  if (!indices)
    return {};
  ArrayRef<int64_t> dataShape = getData().getType().getShape();
  SmallVector<int64_t> dataStrides = stridesOf(dataShape);
  SmallVector<int64_t> indexStrides =
      stridesOf(getIndices().getType().getShape());
  int64_t axis = getAxis(), indexRank = indexStrides.size();
  int64_t size = dataShape[axis];
  return foldByIndex(adaptor.getData(), getType(),
                     [&](ArrayRef<int64_t> coords) -> int64_t {
                       int64_t position = 0;
                       for (int64_t k = 0; k < indexRank; ++k)
                         position += coords[axis + k] * indexStrides[k];
                       int64_t index = readScalar(indices, position).i;
                       if (index < 0)
                         index += size;
                       if (index < 0 || index >= size)
                         return -1; // out of range: left to the run-time check
                       int64_t linear = index * dataStrides[axis];
                       for (int64_t d = 0; d < axis; ++d)
                         linear += coords[d] * dataStrides[d];
                       for (size_t d = axis + 1; d < dataShape.size(); ++d)
                         linear += coords[d - 1 + indexRank] * dataStrides[d];
                       return linear;
                     });
}

LogicalResult GatherElementsOp::inferReturnTypes(MLIRContext *,
                                                 std::optional<Location> loc,
                                                 Adaptor adaptor,
                                                 SmallVectorImpl<Type> &types) {
  OpChecker check(loc, getOperationName());
  RankedTensorType data, indices;
  int64_t axis = adaptor.getAxis();
  if (failed(checkGatherOperands(check, adaptor.getData(), adaptor.getIndices(),
                                 axis, data, indices)))
    return failure();
  if (indices.getRank() != data.getRank())
    return check.fail("expected 'indices' of rank ", data.getRank(),
                      " like the data, got rank ", indices.getRank());
  for (int64_t d = 0; d < data.getRank(); ++d)
    if (d != axis && indices.getDimSize(d) > data.getDimSize(d))
      return check.fail("expected 'indices' ", formatList(indices.getShape()),
                        " to fit inside the data ", formatList(data.getShape()),
                        " off the axis");
  types.push_back(data.clone(indices.getShape()));
  return success();
}

LogicalResult ExpandOp::verify() {
  auto input = getInput().getType(), output = getOutput().getType();
  if (input.getElementType() != output.getElementType())
    return emitOpError("expected the result element type ")
           << output.getElementType() << " to match the input's, "
           << input.getElementType();
  if (!broadcastsTo(input.getShape(), output.getShape()))
    return emitOpError("cannot broadcast ")
           << formatList(input.getShape()) << " to "
           << formatList(output.getShape());
  return success();
}

OpFoldResult ExpandOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  ArrayRef<int64_t> inShape = getInput().getType().getShape();
  SmallVector<int64_t> inStrides = stridesOf(inShape);
  int64_t offset = getType().getRank() - inShape.size();
  return foldByIndex(adaptor.getInput(), getType(),
                     [&](ArrayRef<int64_t> coords) {
                       int64_t index = 0;
                       for (size_t d = 0; d < inShape.size(); ++d)
                         if (inShape[d] != 1)
                           index += coords[d + offset] * inStrides[d];
                       return index;
                     });
}

//===----------------------------------------------------------------------===//
// PadOp
//===----------------------------------------------------------------------===//

LogicalResult PadOp::inferReturnTypes(MLIRContext *,
                                      std::optional<Location> loc,
                                      Adaptor adaptor,
                                      SmallVectorImpl<Type> &types) {
  OpChecker check(loc, getOperationName());
  RankedTensorType input = check.tensor(adaptor.getInput(), "input");
  if (!input)
    return failure();
  int64_t rank = input.getRank();
  ArrayRef<int64_t> pads = adaptor.getPads();
  if ((int64_t)pads.size() != 2 * rank)
    return check.fail("expected 'pads' to have ", 2 * rank,
                      " values (begin then end of each dim), got ",
                      pads.size());
  PadMode mode = adaptor.getMode();
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t size = input.getDimSize(d), begin = pads[d], end = pads[d + rank];
    int64_t out = size + begin + end;
    if (out < 0)
      return check.fail("pads ", formatList(pads), " crop dim ", d, " (size ",
                        size, ") to a negative size");
    bool grows = begin > 0 || end > 0;
    if (mode != PadMode::constant && grows && size == 0)
      return check.fail("'", stringifyPadMode(mode),
                        "' padding needs a non-empty dim ", d);
    if (mode == PadMode::reflect && std::max(begin, end) >= size)
      return check.fail("'reflect' pads must be smaller than the dim size; "
                        "dim ",
                        d, " has size ", size, ", pads ", formatList(pads));
    shape.push_back(out);
  }
  types.push_back(input.clone(shape));
  return success();
}

OpFoldResult PadOp::fold(FoldAdaptor) {
  if (llvm::all_of(getPads(), [](int64_t p) { return p == 0; }))
    return getInput();
  return {};
}

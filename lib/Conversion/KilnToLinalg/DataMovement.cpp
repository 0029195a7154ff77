//===- DataMovement.cpp - Reshapes, slices, gathers and pads to linalg ----===//

#include "kiln/Conversion/Utils/LoweringUtils.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::lowering;

/// A parallel linalg.generic over `resultType` whose body reads elements
/// itself (through linalg.index and tensor.extract).
static Value indexedGeneric(
    OpBuilder &b, Location loc, RankedTensorType resultType,
    llvm::function_ref<Value(OpBuilder &, Location, ArrayRef<Value>)> body) {
  int64_t rank = resultType.getRank();
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, TypeRange{resultType}, ValueRange{},
             ValueRange{empty(b, loc, resultType)},
             SmallVector<AffineMap>{b.getMultiDimIdentityMap(rank)}, iterators,
             [&](OpBuilder &nb, Location nl, ValueRange) {
               SmallVector<Value> indices;
               for (int64_t d = 0; d < rank; ++d)
                 indices.push_back(linalg::IndexOp::create(nb, nl, d));
               linalg::YieldOp::create(nb, nl, body(nb, nl, indices));
             })
      .getResult(0);
}

static Value indexConst(OpBuilder &b, Location loc, int64_t value) {
  return arith::ConstantIndexOp::create(b, loc, value);
}

/// A gathered index as an index value: negative ones count from the end,
/// and the rest are clamped into [0, size), so no read leaves the tensor.
static Value gatherIndex(OpBuilder &b, Location l, Value raw, int64_t size) {
  Value index = arith::IndexCastOp::create(b, l, b.getIndexType(), raw);
  Value zero = indexConst(b, l, 0), dim = indexConst(b, l, size);
  Value negative =
      arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, index, zero);
  index = arith::SelectOp::create(
      b, l, negative, arith::AddIOp::create(b, l, index, dim), index);
  index = arith::MaxSIOp::create(b, l, index, zero);
  return arith::MinSIOp::create(b, l, index, indexConst(b, l, size - 1));
}

namespace {

/// kiln.reshape -> tensor.reshape.
struct ReshapeLowering : OpRewritePattern<ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReshapeOp op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, reshape(rewriter, op.getLoc(), op.getInput(),
                                   op.getType().getShape()));
    return success();
  }
};

/// kiln.transpose -> linalg.transpose. Over a padded sequence's positions
/// (`kiln.bounded_rows`: the input's axis of them, then the result's), the
/// first `length` positions only, into zeros.
struct TransposeLowering : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    auto bound = op->getAttrOfType<DenseI64ArrayAttr>("kiln.bounded_rows");
    Value length = bound ? sequenceLengthOf(op) : Value();
    if (!length || bound.size() != 2) {
      rewriter.replaceOpWithNewOp<linalg::TransposeOp>(
          op, op.getInput(), empty(rewriter, loc, type), op.getPerm());
      return success();
    }
    int64_t inAxis = bound[0], outAxis = bound[1];
    int64_t extent = type.getDimSize(outAxis);
    Value n = clampedLength(rewriter, loc, length, extent);
    // The first n positions of `shape` along `axis`.
    auto sizes = [&](ArrayRef<int64_t> shape, int64_t axis) {
      SmallVector<OpFoldResult> result =
          getAsIndexOpFoldResult(rewriter.getContext(), shape);
      result[axis] = n;
      return result;
    };
    auto inType = op.getInput().getType();
    SmallVector<OpFoldResult> zeros(type.getRank(), rewriter.getIndexAttr(0)),
        ones(type.getRank(), rewriter.getIndexAttr(1));
    Value part =
        tensor::ExtractSliceOp::create(rewriter, loc, op.getInput(), zeros,
                                       sizes(inType.getShape(), inAxis), ones);
    SmallVector<OpFoldResult> outSizes = sizes(type.getShape(), outAxis);
    Value init =
        tensor::EmptyOp::create(rewriter, loc, outSizes, type.getElementType());
    Value moved =
        linalg::TransposeOp::create(rewriter, loc, part, init, op.getPerm())
            .getResult()[0];
    Value zero = scalar(rewriter, loc, type.getElementType(), 0);
    rewriter.replaceOpWithNewOp<tensor::InsertSliceOp>(
        op, moved, filled(rewriter, loc, type, zero), zeros, outSizes, ones);
    return success();
  }
};

/// kiln.expand -> broadcasting copy.
struct ExpandLowering : OpRewritePattern<ExpandOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ExpandOp op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOp(
        op, elementwise(rewriter, op.getLoc(), op.getType(), op.getInput(),
                        [](OpBuilder &, Location, ValueRange args) {
                          return args[0];
                        }));
    return success();
  }
};

/// kiln.concat -> tensor.insert_slice of each input into one tensor.
struct ConcatLowering : OpRewritePattern<ConcatOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConcatOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    int64_t axis = op.getAxis(), rank = op.getType().getRank();
    Value result = empty(rewriter, loc, op.getType());
    int64_t offset = 0;
    for (Value input : op.getInputs()) {
      auto type = llvm::cast<RankedTensorType>(input.getType());
      if (type.getNumElements() == 0)
        continue; // nothing to insert (and its offset may be the end)
      SmallVector<int64_t> offsets(rank, 0), strides(rank, 1);
      offsets[axis] = offset;
      result = tensor::InsertSliceOp::create(
          rewriter, loc, input, result, ValueRange{}, ValueRange{},
          ValueRange{}, offsets, type.getShape(), strides);
      offset += type.getDimSize(axis);
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// kiln.split -> one tensor.extract_slice per result.
struct SplitLowering : OpRewritePattern<SplitOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SplitOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    int64_t axis = op.getAxis(), rank = op.getInput().getType().getRank();
    SmallVector<Value> results;
    int64_t offset = 0;
    for (Type resultType : op.getResultTypes()) {
      auto type = llvm::cast<RankedTensorType>(resultType);
      SmallVector<int64_t> offsets(rank, 0), strides(rank, 1);
      offsets[axis] = offset;
      if (type.getNumElements() == 0) {
        results.push_back(empty(rewriter, loc, type));
        continue;
      }
      results.push_back(tensor::ExtractSliceOp::create(
          rewriter, loc, type, op.getInput(), ValueRange{}, ValueRange{},
          ValueRange{}, offsets, type.getShape(), strides));
      offset += type.getDimSize(axis);
    }
    rewriter.replaceOp(op, results);
    return success();
  }
};

/// kiln.slice -> tensor.extract_slice, or an indexed generic when a
/// stride is negative.
struct SliceLowering : OpRewritePattern<SliceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SliceOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    ArrayRef<int64_t> offsets = op.getOffsets(), strides = op.getStrides();
    if (llvm::all_of(strides, [](int64_t s) { return s > 0; })) {
      rewriter.replaceOpWithNewOp<tensor::ExtractSliceOp>(
          op, op.getType(), op.getInput(), ValueRange{}, ValueRange{},
          ValueRange{}, offsets, op.getType().getShape(), strides);
      return success();
    }
    Value input = op.getInput();
    Value result = indexedGeneric(
        rewriter, loc, op.getType(),
        [&](OpBuilder &b, Location l, ArrayRef<Value> indices) -> Value {
          SmallVector<Value> source;
          for (auto [d, index] : llvm::enumerate(indices))
            source.push_back(arith::AddIOp::create(
                b, l, indexConst(b, l, offsets[d]),
                arith::MulIOp::create(b, l, index,
                                      indexConst(b, l, strides[d]))));
          return tensor::ExtractOp::create(b, l, input, source);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// kiln.gather -> an indexed generic reading the indices tensor, then the
/// data. Negative indices count from the end; indices outside the dim are
/// clamped into it, so no read leaves the tensor.
struct GatherLowering : OpRewritePattern<GatherOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(GatherOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value data = op.getData(), indices = op.getIndices();
    auto dataType = op.getData().getType();
    int64_t axis = op.getAxis();
    int64_t indexRank = op.getIndices().getType().getRank();
    int64_t size = dataType.getDimSize(axis);
    Value result = indexedGeneric(
        rewriter, loc, op.getType(),
        [&](OpBuilder &b, Location l, ArrayRef<Value> out) -> Value {
          Value raw = tensor::ExtractOp::create(b, l, indices,
                                                out.slice(axis, indexRank));
          Value index = gatherIndex(b, l, raw, size);
          SmallVector<Value> source(out.take_front(axis));
          source.push_back(index);
          llvm::append_range(source, out.drop_front(axis + indexRank));
          return tensor::ExtractOp::create(b, l, data, source);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// kiln.gather_elements -> an indexed generic reading the index at the
/// same position, then the data with that index along the axis (negative
/// indices wrap, the rest are clamped into range).
struct GatherElementsLowering : OpRewritePattern<GatherElementsOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(GatherElementsOp op,
                                PatternRewriter &rewriter) const override {
    Value data = op.getData(), indices = op.getIndices();
    int64_t axis = op.getAxis();
    int64_t size = op.getData().getType().getDimSize(axis);
    Value result = indexedGeneric(
        rewriter, op.getLoc(), op.getType(),
        [&](OpBuilder &b, Location l, ArrayRef<Value> out) -> Value {
          Value raw = tensor::ExtractOp::create(b, l, indices, out);
          Value index = gatherIndex(b, l, raw, size);
          SmallVector<Value> source(out);
          source[axis] = index;
          return tensor::ExtractOp::create(b, l, data, source);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// kiln.pad -> tensor.pad (after cropping negative pads) for constant
/// padding; an indexed generic mapping each output index into the input
/// for reflect, edge and wrap.
struct PadLowering : OpRewritePattern<PadOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(PadOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto inType = op.getInput().getType();
    int64_t rank = inType.getRank();
    ArrayRef<int64_t> pads = op.getPads();
    Type element = inType.getElementType();
    if (op.getMode() == PadMode::constant) {
      SmallVector<int64_t> offsets, sizes, low, high;
      for (int64_t d = 0; d < rank; ++d) {
        int64_t begin = pads[d], end = pads[d + rank];
        offsets.push_back(std::max<int64_t>(0, -begin));
        sizes.push_back(inType.getDimSize(d) + std::min<int64_t>(0, begin) +
                        std::min<int64_t>(0, end));
        low.push_back(std::max<int64_t>(0, begin));
        high.push_back(std::max<int64_t>(0, end));
      }
      Value input = op.getInput();
      if (sizes != SmallVector<int64_t>(inType.getShape()))
        input = tensor::ExtractSliceOp::create(
            rewriter, loc, inType.clone(sizes), input, ValueRange{},
            ValueRange{}, ValueRange{}, offsets, sizes,
            SmallVector<int64_t>(rank, 1));
      double value = op.getValue().convertToDouble();
      rewriter.replaceOp(op, padded(rewriter, loc, input, low, high,
                                    scalar(rewriter, loc, element, value)));
      return success();
    }
    PadMode mode = op.getMode();
    Value input = op.getInput();
    Value result = indexedGeneric(
        rewriter, loc, op.getType(),
        [&](OpBuilder &b, Location l, ArrayRef<Value> out) -> Value {
          SmallVector<Value> source;
          for (int64_t d = 0; d < rank; ++d) {
            int64_t size = inType.getDimSize(d);
            Value zero = indexConst(b, l, 0), last = indexConst(b, l, size - 1);
            Value p =
                arith::SubIOp::create(b, l, out[d], indexConst(b, l, pads[d]));
            if (mode == PadMode::edge) {
              p = arith::MinSIOp::create(
                  b, l, arith::MaxSIOp::create(b, l, p, zero), last);
            } else if (mode == PadMode::wrap) {
              Value dim = indexConst(b, l, size);
              Value r = arith::RemSIOp::create(b, l, p, dim);
              Value neg = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt,
                                                r, zero);
              p = arith::SelectOp::create(
                  b, l, neg, arith::AddIOp::create(b, l, r, dim), r);
            } else { // reflect, without repeating the edge
              Value neg = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt,
                                                p, zero);
              p = arith::SelectOp::create(
                  b, l, neg, arith::SubIOp::create(b, l, zero, p), p);
              Value over = arith::CmpIOp::create(
                  b, l, arith::CmpIPredicate::sgt, p, last);
              Value mirrored = arith::SubIOp::create(
                  b, l, indexConst(b, l, 2 * (size - 1)), p);
              p = arith::SelectOp::create(b, l, over, mirrored, p);
              p = arith::MinSIOp::create(
                  b, l, arith::MaxSIOp::create(b, l, p, zero), last);
            }
            source.push_back(p);
          }
          return tensor::ExtractOp::create(b, l, input, source);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void kiln::lowering::populateDataMovementPatterns(RewritePatternSet &patterns) {
  patterns.add<ReshapeLowering, TransposeLowering, ExpandLowering,
               ConcatLowering, SplitLowering, SliceLowering, GatherLowering,
               GatherElementsLowering, PadLowering>(patterns.getContext());
}

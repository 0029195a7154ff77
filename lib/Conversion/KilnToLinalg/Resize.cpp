//===- Resize.cpp - Resize to linalg --------------------------------------===//
//
// Each output index maps to an input coordinate through the coordinate
// transformation, then is rounded (nearest) or interpolated between its
// neighbours (linear: multilinear over the resized dims), clamped into the
// input. Coordinates are computed in f32, as ONNX's reference does.
//
//===----------------------------------------------------------------------===//

#include "Utils.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::lowering;

namespace {

/// The input coordinate (f32) that output index `o` of a dim maps to.
Value sourceCoordinate(OpBuilder &b, Location l, CoordinateTransform transform,
                       Value index, int64_t in, int64_t out, float scale) {
  Type f32 = b.getF32Type();
  auto c = [&](double v) { return scalar(b, l, f32, v); };
  Value o = arith::SIToFPOp::create(
      b, l, f32, arith::IndexCastOp::create(b, l, b.getI64Type(), index));
  auto halfPixel = [&]() -> Value {
    Value shifted = arith::AddFOp::create(b, l, o, c(0.5));
    return arith::SubFOp::create(
        b, l, arith::DivFOp::create(b, l, shifted, c(scale)), c(0.5));
  };
  switch (transform) {
  case CoordinateTransform::asymmetric:
    return arith::DivFOp::create(b, l, o, c(scale));
  case CoordinateTransform::align_corners: {
    // ONNX divides by the unrounded output length, in * scale, minus one.
    double span = (double)in * scale - 1;
    if (span == 0)
      return c(0);
    return arith::MulFOp::create(b, l, o, c(double(in - 1) / span));
  }
  case CoordinateTransform::pytorch_half_pixel:
    return out == 1 ? c(0) : halfPixel();
  case CoordinateTransform::half_pixel:
    return halfPixel();
  case CoordinateTransform::half_pixel_symmetric: {
    double adjustment = out / (scale * in);
    double offset = in / 2.0 * (1 - adjustment);
    return arith::AddFOp::create(b, l, c(offset), halfPixel());
  }
  }
  llvm_unreachable("unknown coordinate transformation");
}

/// floor(x) clamped into [0, size), as an index.
Value clampedIndex(OpBuilder &b, Location l, Value x, int64_t size) {
  Value i = arith::IndexCastOp::create(
      b, l, b.getIndexType(), arith::FPToSIOp::create(b, l, b.getI64Type(), x));
  Value zero = arith::ConstantIndexOp::create(b, l, 0);
  Value last = arith::ConstantIndexOp::create(b, l, size - 1);
  return arith::MinSIOp::create(b, l, arith::MaxSIOp::create(b, l, i, zero),
                                last);
}

/// kiln.resize (nearest, linear) -> a generic reading the input through
/// computed indices.
struct ResizeLowering : OpRewritePattern<ResizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ResizeOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getMode() == ResizeMode::cubic)
      return rewriter.notifyMatchFailure(op, "cubic resize is not lowered");
    Location loc = op.getLoc();
    auto inType = op.getInput().getType(), outType = op.getType();
    Type element = inType.getElementType();
    int64_t rank = inType.getRank();
    ArrayRef<float> scales = op.getScales();
    CoordinateTransform transform = op.getCoordinateTransform();
    NearestMode nearest = op.getNearestMode();
    bool linear = op.getMode() == ResizeMode::linear;
    Value input = op.getInput();
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    auto body = [&](OpBuilder &b, Location l, ValueRange) {
      Type f32 = b.getF32Type();
      auto c = [&](double v) { return scalar(b, l, f32, v); };
      SmallVector<Value> out, coords(rank);
      for (int64_t d = 0; d < rank; ++d) {
        out.push_back(linalg::IndexOp::create(b, l, d));
        int64_t in = inType.getDimSize(d), size = outType.getDimSize(d);
        if (in != size || scales[d] != 1.0f)
          coords[d] =
              sourceCoordinate(b, l, transform, out[d], in, size, scales[d]);
      }
      Value result;
      if (!linear) {
        SmallVector<Value> source;
        for (int64_t d = 0; d < rank; ++d) {
          if (!coords[d]) {
            source.push_back(out[d]);
            continue;
          }
          Value x = coords[d], r;
          switch (nearest) {
          case NearestMode::floor:
            r = math::FloorOp::create(b, l, x);
            break;
          case NearestMode::ceil:
            r = math::CeilOp::create(b, l, x);
            break;
          case NearestMode::round_prefer_floor: // halves go down
            r = math::CeilOp::create(b, l,
                                     arith::SubFOp::create(b, l, x, c(0.5)));
            break;
          case NearestMode::round_prefer_ceil: // halves go up
            r = math::FloorOp::create(b, l,
                                      arith::AddFOp::create(b, l, x, c(0.5)));
            break;
          }
          source.push_back(clampedIndex(b, l, r, inType.getDimSize(d)));
        }
        result = tensor::ExtractOp::create(b, l, input, source);
      } else {
        // Each resized dim contributes its two neighbours, weighted by the
        // coordinate's fraction (clamped into the input first).
        SmallVector<Value> low(rank), high(rank), weight(rank);
        SmallVector<int64_t> resized;
        for (int64_t d = 0; d < rank; ++d) {
          if (!coords[d])
            continue;
          resized.push_back(d);
          int64_t size = inType.getDimSize(d);
          Value x = arith::MinimumFOp::create(
              b, l, arith::MaximumFOp::create(b, l, coords[d], c(0)),
              c(size - 1));
          Value x0 = math::FloorOp::create(b, l, x);
          weight[d] = arith::SubFOp::create(b, l, x, x0);
          low[d] = clampedIndex(b, l, x0, size);
          high[d] =
              clampedIndex(b, l, arith::AddFOp::create(b, l, x0, c(1)), size);
        }
        Value acc = c(0);
        for (int64_t corner = 0; corner < (1 << resized.size()); ++corner) {
          SmallVector<Value> source;
          Value w = c(1);
          for (int64_t d = 0, k = 0; d < rank; ++d) {
            if (!coords[d]) {
              source.push_back(out[d]);
              continue;
            }
            bool up = (corner >> k++) & 1;
            source.push_back(up ? high[d] : low[d]);
            w = arith::MulFOp::create(
                b, l, w,
                up ? weight[d]
                   : (Value)arith::SubFOp::create(b, l, c(1), weight[d]));
          }
          Value v = tensor::ExtractOp::create(b, l, input, source);
          if (element != f32)
            v = arith::ExtFOp::create(b, l, f32, v);
          acc = arith::AddFOp::create(b, l, acc,
                                      arith::MulFOp::create(b, l, w, v));
        }
        result = element != f32
                     ? (Value)arith::TruncFOp::create(b, l, element, acc)
                     : acc;
      }
      linalg::YieldOp::create(b, l, result);
    };
    Value resizedValue =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{outType}, ValueRange{},
            ValueRange{empty(rewriter, loc, outType)},
            SmallVector<AffineMap>{rewriter.getMultiDimIdentityMap(rank)},
            iterators, body)
            .getResult(0);
    rewriter.replaceOp(op, resizedValue);
    return success();
  }
};

} // namespace

void kiln::lowering::populateResizePatterns(RewritePatternSet &patterns) {
  patterns.add<ResizeLowering>(patterns.getContext());
}

//===- Resize.cpp - Resize to linalg --------------------------------------===//
//
// Each output index maps to an input coordinate through the coordinate
// transformation, then is rounded (nearest) or interpolated between its
// neighbours (linear: multilinear over the resized dims; cubic: four
// neighbours per resized dim with Keys' cubic convolution weights), read
// clamped into the input. Coordinates are computed in f32, as ONNX's
// reference does.
//
//===----------------------------------------------------------------------===//

#include "kiln/Conversion/Utils/LoweringUtils.h"

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

/// The four weights of cubic convolution (Keys, with coefficient `a`) of
/// the neighbours at distances 1 + t, t, 1 - t and 2 - t, for t in (0, 1].
SmallVector<Value> cubicWeights(OpBuilder &b, Location l, Value t, double a) {
  auto c = [&](double v) { return scalar(b, l, b.getF32Type(), v); };
  auto add = [&](Value x, Value y) -> Value {
    return arith::AddFOp::create(b, l, x, y);
  };
  auto mul = [&](Value x, Value y) -> Value {
    return arith::MulFOp::create(b, l, x, y);
  };
  auto sub = [&](Value x, Value y) -> Value {
    return arith::SubFOp::create(b, l, x, y);
  };
  // |s| <= 1: (a + 2)|s|^3 - (a + 3)|s|^2 + 1;
  // 1 < |s| < 2: a|s|^3 - 5a|s|^2 + 8a|s| - 4a.
  auto near = [&](Value s) {
    return add(mul(mul(sub(mul(c(a + 2), s), c(a + 3)), s), s), c(1));
  };
  auto far = [&](Value s) {
    return sub(mul(add(mul(sub(mul(c(a), s), c(5 * a)), s), c(8 * a)), s),
               c(4 * a));
  };
  return {far(add(t, c(1))), near(t), near(sub(c(1), t)), far(sub(c(2), t))};
}

/// kiln.resize -> a generic reading the input through computed indices.
struct ResizeLowering : OpRewritePattern<ResizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ResizeOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto inType = op.getInput().getType(), outType = op.getType();
    Type element = inType.getElementType();
    int64_t rank = inType.getRank();
    ArrayRef<float> scales = op.getScales();
    CoordinateTransform transform = op.getCoordinateTransform();
    NearestMode nearest = op.getNearestMode();
    ResizeMode mode = op.getMode();
    double cubicA = op.getCubicCoeffA().convertToDouble();
    bool excludeOutside = op.getExcludeOutside();
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
      if (mode == ResizeMode::nearest) {
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
        // Each resized dim contributes taps: an input index and its weight.
        // Linear: the two neighbours of the coordinate clamped into the
        // input, weighted by its fraction. Cubic: the four neighbours of
        // the coordinate, the nearest on its left (ONNX's reference takes
        // x - 1 for an integer x) at distance t in (0, 1], read clamped
        // into the input (edge padding); with exclude_outside, neighbours
        // outside the input weigh 0 and the others are renormalized.
        SmallVector<SmallVector<std::pair<Value, Value>>> taps(rank);
        int64_t combinations = 1;
        for (int64_t d = 0; d < rank; ++d) {
          if (!coords[d])
            continue;
          int64_t size = inType.getDimSize(d);
          if (mode == ResizeMode::linear) {
            Value x = arith::MinimumFOp::create(
                b, l, arith::MaximumFOp::create(b, l, coords[d], c(0)),
                c(size - 1));
            Value x0 = math::FloorOp::create(b, l, x);
            Value w = arith::SubFOp::create(b, l, x, x0);
            taps[d] = {{clampedIndex(b, l, x0, size),
                        arith::SubFOp::create(b, l, c(1), w)},
                       {clampedIndex(
                            b, l, arith::AddFOp::create(b, l, x0, c(1)), size),
                        w}};
          } else {
            Value x = coords[d];
            Value left = arith::SubFOp::create(
                b, l, math::CeilOp::create(b, l, x), c(1));
            Value t = arith::SubFOp::create(b, l, x, left);
            SmallVector<Value> weights = cubicWeights(b, l, t, cubicA);
            SmallVector<Value> positions;
            for (int k = 0; k < 4; ++k)
              positions.push_back(arith::AddFOp::create(b, l, left, c(k - 1)));
            if (excludeOutside) {
              Value total = c(0);
              for (int k = 0; k < 4; ++k) {
                Value inside = arith::AndIOp::create(
                    b, l,
                    arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGE,
                                          positions[k], c(0)),
                    arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLE,
                                          positions[k], c(size - 1)));
                weights[k] =
                    arith::SelectOp::create(b, l, inside, weights[k], c(0));
                total = arith::AddFOp::create(b, l, total, weights[k]);
              }
              for (Value &w : weights)
                w = arith::DivFOp::create(b, l, w, total);
            }
            for (int k = 0; k < 4; ++k)
              taps[d].push_back(
                  {clampedIndex(b, l, positions[k], size), weights[k]});
          }
          combinations *= taps[d].size();
        }
        Value acc = c(0);
        for (int64_t combination = 0; combination < combinations;
             ++combination) {
          SmallVector<Value> source;
          Value w = c(1);
          for (int64_t d = 0, rest = combination; d < rank; ++d) {
            if (!coords[d]) {
              source.push_back(out[d]);
              continue;
            }
            auto [index, weight] = taps[d][rest % taps[d].size()];
            rest /= taps[d].size();
            source.push_back(index);
            w = arith::MulFOp::create(b, l, w, weight);
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

//===- Convolution.cpp - Convolution and pooling to linalg ----------------===//
//
// Convolutions of every spatial rank and group count share one
// formulation: with the channels split into groups, the windows are copied
// into an im2col matrix col[n, g, (c, k...), (o...)] and
//   out[n, g, m, o] += w[g, m, (c, k...)] * col[n, g, (c, k...), o]
// is a matrix product per image and group.
// Pooling reads its windows the same way, with a window-shaped operand
// giving the loop bounds of the kernel dims, by regions of the output:
// where windows reach into the padding, a region's window keeps only its
// taps inside the input, so that no padded copy is made.
//
//===----------------------------------------------------------------------===//

#include "kiln/Conversion/Utils/LoweringUtils.h"
#include "kiln/Dialect/KilnBackend/IR/KilnBackend.h"

#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"

#include <cstring>
#include <vector>

using namespace mlir;
using namespace kiln;
using namespace kiln::backend;
using namespace kiln::lowering;

/// Copies the windows of `in` ([N, G, C/G, S...], padded) into the im2col
/// matrix [N, G, C/G * K..., O...]: column o holds the window output
/// position o reads.
static Value im2col(OpBuilder &b, Location loc, Value in,
                    ArrayRef<int64_t> kernel, ArrayRef<int64_t> outSpatial,
                    ArrayRef<int64_t> strides, ArrayRef<int64_t> dilations) {
  MLIRContext *ctx = b.getContext();
  auto inType = llvm::cast<RankedTensorType>(in.getType());
  int64_t k = kernel.size();
  // Loop dims: n, g, c, k_1..k_k, o_1..o_k.
  SmallVector<int64_t> shape(inType.getShape().take_front(3));
  llvm::append_range(shape, kernel);
  llvm::append_range(shape, outSpatial);
  auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
  SmallVector<AffineExpr> inExprs = {d(0), d(1), d(2)};
  for (int64_t i = 0; i < k; ++i)
    inExprs.push_back(d(3 + k + i) * strides[i] + d(3 + i) * dilations[i]);
  SmallVector<AffineMap> maps = {AffineMap::get(shape.size(), 0, inExprs, ctx),
                                 b.getMultiDimIdentityMap(shape.size())};
  auto colType = inType.clone(shape);
  SmallVector<utils::IteratorType> iterators(shape.size(),
                                             utils::IteratorType::parallel);
  Value col = linalg::GenericOp::create(
                  b, loc, TypeRange{colType}, ValueRange{in},
                  ValueRange{empty(b, loc, colType)}, maps, iterators,
                  [](OpBuilder &nb, Location nl, ValueRange args) {
                    linalg::YieldOp::create(nb, nl, args[0]);
                  })
                  .getResult(0);
  int64_t rows = shape[2], cols = 1;
  for (int64_t i = 0; i < k; ++i) {
    rows *= kernel[i];
    cols *= outSpatial[i];
  }
  return reshape(b, loc, col, {shape[0], shape[1], rows, cols});
}

/// The grouped matrix product per image and group
///   out[n, g, m, o] += w[g, m, r] * x[n, g, r, o]
/// into `out` ([N, G, M, O]), with w as [G, M, R], or as [G, R, M] when
/// `wReductionFirst`.
static Value groupedProduct(OpBuilder &b, Location loc, Value w, Value x,
                            Value out, bool wReductionFirst) {
  MLIRContext *ctx = b.getContext();
  // Loop dims: n, g, m, o (parallel), r (reduction).
  auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
  SmallVector<AffineExpr> wExprs = {d(1), d(2), d(4)};
  if (wReductionFirst)
    std::swap(wExprs[1], wExprs[2]);
  SmallVector<AffineMap> maps = {
      AffineMap::get(5, 0, wExprs, ctx),
      AffineMap::get(5, 0, {d(0), d(1), d(4), d(3)}, ctx),
      AffineMap::get(5, 0, {d(0), d(1), d(2), d(3)}, ctx)};
  SmallVector<utils::IteratorType> iterators(4, utils::IteratorType::parallel);
  iterators.push_back(utils::IteratorType::reduction);
  return productInto(b, loc, w, x, out, maps, iterators);
}

/// Builds the grouped convolution as a matrix product per image and group,
///   out[n, g, m, o] += w[g, m, r] * col[n, g, r, o],
/// over the im2col matrix (the input itself for 1x1 kernels with unit
/// strides); `init` holds the output's starting values in [N, G, M/G, O...]
/// form. The output position o is the innermost dim of both `out` and
/// `col`, which is what the contraction kernels vectorize.
static Value buildConvolution(OpBuilder &b, Location loc, Value input,
                              Value weight, Value init, int64_t group,
                              ArrayRef<int64_t> strides,
                              ArrayRef<int64_t> dilations) {
  auto inType = llvm::cast<RankedTensorType>(input.getType());
  auto wType = llvm::cast<RankedTensorType>(weight.getType());
  auto initType = llvm::cast<RankedTensorType>(init.getType());
  int64_t k = inType.getRank() - 2;
  int64_t channelsPerGroup = inType.getDimSize(1) / group;
  int64_t outPerGroup = wType.getDimSize(0) / group;
  ArrayRef<int64_t> kernel = wType.getShape().drop_front(2);
  ArrayRef<int64_t> outSpatial = initType.getShape().drop_front(3);
  int64_t rows = channelsPerGroup, cols = 1;
  bool pointwise = true;
  for (int64_t i = 0; i < k; ++i) {
    rows *= kernel[i];
    cols *= outSpatial[i];
    pointwise &= kernel[i] == 1 && strides[i] == 1 &&
                 inType.getDimSize(2 + i) == outSpatial[i];
  }
  // [N, C, S...] -> [N, G, C/G, S...];  [M, C/G, K...] -> [G, M/G, C/G*K...]
  SmallVector<int64_t> inShape = {inType.getDimSize(0), group,
                                  channelsPerGroup};
  llvm::append_range(inShape, inType.getShape().drop_front(2));
  Value col = pointwise ? reshape(b, loc, input,
                                  {inType.getDimSize(0), group, rows, cols})
                        : im2col(b, loc, reshape(b, loc, input, inShape),
                                 kernel, outSpatial, strides, dilations);
  Value w = reshape(b, loc, weight, {group, outPerGroup, rows});
  SmallVector<int64_t> outShape(initType.getShape().take_front(3));
  outShape.push_back(cols);
  Value out = reshape(b, loc, init, outShape);
  Value product = groupedProduct(b, loc, w, col, out,
                                 /*wReductionFirst=*/false);
  return reshape(b, loc, product, initType.getShape());
}

/// The products of every kernel tap of a transposed convolution with every
/// input position, [N, G, M/G, K..., I...]:
///   p[n, g, m, k..., i...] = sum_c w[g*C/G + c, m, k...] * in[n, g, c, i...]
static Value tapProducts(OpBuilder &b, ConvTransposeOp op) {
  Location loc = op.getLoc();
  auto inType = op.getInput().getType();
  auto wType = op.getWeight().getType();
  int64_t group = op.getGroup(), batch = inType.getDimSize(0);
  int64_t perGroup = wType.getDimSize(0) / group;
  int64_t outPerGroup = wType.getDimSize(1);
  ArrayRef<int64_t> kernel = wType.getShape().drop_front(2);
  ArrayRef<int64_t> inSpatial = inType.getShape().drop_front(2);
  int64_t rows = outPerGroup, positions = 1;
  for (int64_t size : kernel)
    rows *= size;
  for (int64_t size : inSpatial)
    positions *= size;
  Value in =
      reshape(b, loc, op.getInput(), {batch, group, perGroup, positions});
  Value w = reshape(b, loc, op.getWeight(), {group, perGroup, rows});
  auto productsType = inType.clone({batch, group, rows, positions});
  Value products = groupedProduct(
      b, loc, w, in,
      filled(b, loc, productsType, scalar(b, loc, inType.getElementType(), 0)),
      /*wReductionFirst=*/true);
  SmallVector<int64_t> shape = {batch, group, outPerGroup};
  llvm::append_range(shape, kernel);
  llvm::append_range(shape, inSpatial);
  return reshape(b, loc, products, shape);
}

/// A linalg.generic copying `input` into a tensor of `type`, element
/// (d...) reading input element map(d...).
static Value gathered(OpBuilder &b, Location loc, RankedTensorType type,
                      Value input, AffineMap map) {
  SmallVector<AffineMap> maps = {map, b.getMultiDimIdentityMap(type.getRank())};
  SmallVector<utils::IteratorType> iterators(type.getRank(),
                                             utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, TypeRange{type}, ValueRange{input},
             ValueRange{empty(b, loc, type)}, maps, iterators,
             [](OpBuilder &nb, Location nl, ValueRange args) {
               linalg::YieldOp::create(nb, nl, args[0]);
             })
      .getResult(0);
}

/// The output initialized with the bias (or zeros), in [N, G, M/G, O...].
static Value biasInit(OpBuilder &b, Location loc, RankedTensorType outType,
                      int64_t group, Value bias) {
  SmallVector<int64_t> shape = {outType.getDimSize(0), group,
                                outType.getDimSize(1) / group};
  llvm::append_range(shape, outType.getShape().drop_front(2));
  auto type = outType.clone(shape);
  Type element = outType.getElementType();
  if (!bias)
    return filled(b, loc, type, scalar(b, loc, element, 0));
  Value grouped = reshape(b, loc, bias, {group, outType.getDimSize(1) / group});
  return gathered(b, loc, type, grouped,
                  AffineMap::get(shape.size(), 0,
                                 {b.getAffineDimExpr(1), b.getAffineDimExpr(2)},
                                 b.getContext()));
}

Value kiln::lowering::convolution(OpBuilder &b, Location loc,
                                  RankedTensorType outType, Value input,
                                  Value weight, Value bias, int64_t group,
                                  ArrayRef<int64_t> stridesAttr,
                                  ArrayRef<int64_t> dilationsAttr,
                                  ArrayRef<int64_t> padsAttr) {
  auto inType = llvm::cast<RankedTensorType>(input.getType());
  int64_t k = inType.getRank() - 2;
  SmallVector<int64_t> strides = orDefault(stridesAttr, k, 1);
  SmallVector<int64_t> dilations = orDefault(dilationsAttr, k, 1);
  SmallVector<int64_t> pads = orDefault(padsAttr, 2 * k, 0);
  SmallVector<int64_t> low(2, 0), high(2, 0);
  for (int64_t i = 0; i < k; ++i) {
    low.push_back(pads[i]);
    high.push_back(pads[i + k]);
  }
  Value in = padded(b, loc, input, low, high,
                    scalar(b, loc, inType.getElementType(), 0));
  Value init = biasInit(b, loc, outType, group, bias);
  Value grouped =
      buildConvolution(b, loc, in, weight, init, group, strides, dilations);
  return reshape(b, loc, grouped, outType.getShape());
}

/// The reciprocal element count of each average-pooling window of an
/// input of `inShape` pooled to `outShape`, as a constant tensor of
/// `element` and of `constShape` (the output's spatial dims [O...], with
/// unit dims around them): the window's positions inside the input, or
/// inside the explicit padding too with `includePad`.
static Value inverseCounts(OpBuilder &b, Location loc, Type element,
                           ArrayRef<int64_t> inShape,
                           ArrayRef<int64_t> outShape, ArrayRef<int64_t> kernel,
                           ArrayRef<int64_t> strides,
                           ArrayRef<int64_t> dilations, ArrayRef<int64_t> pads,
                           bool includePad, ArrayRef<int64_t> constShape) {
  int64_t k = kernel.size();
  ArrayRef<int64_t> outSpatial = outShape.drop_front(2);
  int64_t positions = 1;
  for (int64_t o : outSpatial)
    positions *= o;
  SmallVector<APFloat> counts;
  for (int64_t linear = 0; linear < positions; ++linear) {
    double count = 1;
    int64_t rest = linear;
    for (int64_t i = k - 1; i >= 0; --i) {
      int64_t o = rest % outSpatial[i];
      rest /= outSpatial[i];
      int64_t size = inShape[i + 2];
      int64_t lo = includePad ? -pads[i] : 0;
      int64_t hi = includePad ? size + pads[i + k] : size;
      int64_t n = 0;
      for (int64_t w = 0; w < kernel[i]; ++w) {
        int64_t p = o * strides[i] - pads[i] + w * dilations[i];
        n += p >= lo && p < hi;
      }
      count *= std::max<int64_t>(n, 1);
    }
    APFloat value(1.0 / count);
    bool lost;
    value.convert(llvm::cast<FloatType>(element).getFloatSemantics(),
                  APFloat::rmNearestTiesToEven, &lost);
    counts.push_back(value);
  }
  auto type = RankedTensorType::get(constShape, element);
  return arith::ConstantOp::create(b, loc,
                                   DenseElementsAttr::get(type, counts));
}

/// The output rows kiln_backend.conv_pool computes per step for an output of
/// `rows` rows (pooled rows with pooling), a divisor of `rows`, or nullopt
/// where the plain lowering does better. Each step multiplies the whole
/// weight matrix with its band's im2col matrix, so bands pay off when the
/// im2col matrix is large next to the weights (`positions`, the
/// convolution's output positions per image, at least 8 times the output
/// channels): then a band is as many rows as keep the step's im2col matrix
/// and tile (`bytesPerRow` per tile row, `tileRows(band)` rows) within
/// 512 KiB while leaving at least 4 steps (as far as there are). Otherwise a
/// step is a whole image, when pooling (whose input tensor it saves) and
/// its scratch fits in 2 MiB. Without pooling, an im2col matrix that fits
/// in 1 MiB is left to the plain lowering too.
static std::optional<int64_t>
convPoolBand(bool pooled, int64_t images, int64_t rows, int64_t positions,
             int64_t outChannels, int64_t bytesPerRow,
             function_ref<int64_t(int64_t)> tileRows) {
  int64_t wholeBytes = tileRows(rows) * bytesPerRow;
  if (!pooled && wholeBytes <= (int64_t(1) << 20))
    return std::nullopt;
  if (positions < 8 * outChannels) {
    if (pooled && wholeBytes <= (int64_t(2) << 20))
      return rows;
    return std::nullopt;
  }
  int64_t best = 1;
  for (int64_t band = 2; band <= rows; ++band) {
    if (rows % band != 0)
      continue;
    if (tileRows(band) * bytesPerRow > (int64_t(512) << 10) ||
        images * (rows / band) < std::min<int64_t>(4, images * rows))
      break;
    best = band;
  }
  return best;
}

/// A 2-d convolution on f32 with one group (kiln.conv, or kiln.fused_conv
/// with pooling or without, with a residual only without) ->
/// kiln_backend.conv_pool, which computes the output in bands of rows, each
/// band's im2col matrix and pre-pool tile while in cache. 1x1 convolutions with
/// unit strides and no pooling read their input directly in the plain lowering
/// and keep it.
template <typename OpTy>
static FailureOr<Value> convPool(PatternRewriter &rewriter, OpTy op) {
  Location loc = op.getLoc();
  RankedTensorType inType = op.getInput().getType(), outType = op.getType();
  if (op.getGroup() != 1 || inType.getRank() != 4 ||
      !inType.getElementType().isF32())
    return failure();
  std::optional<PoolKind> pool;
  Value residual;
  SmallVector<int64_t> poolKernel = {1, 1}, poolStrides = {1, 1},
                       poolPads = {0, 0, 0, 0};
  UnaryKindAttr activation;
  FloatAttr alpha, beta;
  bool poolCountsPad = false;
  if constexpr (std::is_same_v<OpTy, FusedConvOp>) {
    pool = op.getPool();
    residual = op.getResidual();
    if (pool && residual)
      return failure();
    if (pool) {
      poolKernel.assign(op.getPoolKernelShape().begin(),
                        op.getPoolKernelShape().end());
      poolStrides = orDefault(op.getPoolStrides(), 2, 1);
      poolPads = orDefault(op.getPoolPads(), 4, 0);
      poolCountsPad = op.getPoolCountIncludePad();
    }
    activation = op.getActivationAttr();
    alpha = op.getActivationAlphaAttr();
    beta = op.getActivationBetaAttr();
  }
  ArrayRef<int64_t> wShape = op.getWeight().getType().getShape();
  int64_t images = inType.getDimSize(0), channels = inType.getDimSize(1);
  int64_t outChannels = wShape[0];
  SmallVector<int64_t> strides = orDefault(op.getStrides(), 2, 1);
  SmallVector<int64_t> dilations = orDefault(op.getDilations(), 2, 1);
  SmallVector<int64_t> pads = orDefault(op.getPads(), 4, 0);
  if (!pool && wShape[2] == 1 && wShape[3] == 1 && strides[0] == 1 &&
      strides[1] == 1)
    return failure();
  // The convolution's output size.
  SmallVector<int64_t> convShape;
  for (int64_t i = 0; i < 2; ++i)
    convShape.push_back((inType.getDimSize(2 + i) + pads[i] + pads[2 + i] -
                         (wShape[2 + i] - 1) * dilations[i] - 1) /
                            strides[i] +
                        1);
  int64_t pooledRows = outType.getDimSize(2),
          pooledCols = outType.getDimSize(3);
  int64_t tileCols = (pooledCols - 1) * poolStrides[1] + poolKernel[1];
  auto tileRows = [&](int64_t band) {
    return (band - 1) * poolStrides[0] + poolKernel[0];
  };
  int64_t reduction = channels * wShape[2] * wShape[3];
  std::optional<int64_t> band = convPoolBand(
      pool.has_value(), images, pooledRows, convShape[0] * convShape[1],
      outChannels, 4 * tileCols * (reduction + outChannels), tileRows);
  if (!band)
    return failure();

  // Pad for the convolution, then by the pooling's padding (in input rows)
  // in front and as far as the last window needs behind.
  SmallVector<int64_t> low = {0, 0}, high = {0, 0};
  for (int64_t i = 0; i < 2; ++i) {
    int64_t extent = i == 0 ? tileRows(pooledRows) : tileCols;
    int64_t needed =
        (extent - 1) * strides[i] + (wShape[2 + i] - 1) * dilations[i] + 1;
    int64_t front = poolPads[i] * strides[i];
    int64_t size = inType.getDimSize(2 + i) + pads[i] + pads[2 + i];
    low.push_back(pads[i] + front);
    high.push_back(pads[2 + i] + std::max<int64_t>(0, needed - front - size));
  }
  Type element = inType.getElementType();
  Value input = padded(rewriter, loc, op.getInput(), low, high,
                       scalar(rewriter, loc, element, 0));
  Value weight =
      reshape(rewriter, loc, op.getWeight(), {outChannels, reduction});
  Value counts;
  if (pool == PoolKind::avg) {
    SmallVector<int64_t> convOut = {images, outChannels, convShape[0],
                                    convShape[1]};
    counts = inverseCounts(rewriter, loc, element, convOut, outType.getShape(),
                           poolKernel, poolStrides, {1, 1}, poolPads,
                           poolCountsPad, outType.getShape().drop_front(2));
  }
  auto convPoolOp = ConvPoolOp::create(
      rewriter, loc, TypeRange{outType}, input, weight, op.getBias(), residual,
      counts, empty(rewriter, loc, outType),
      rewriter.getDenseI64ArrayAttr(wShape.drop_front(2)),
      rewriter.getDenseI64ArrayAttr(strides),
      rewriter.getDenseI64ArrayAttr(dilations),
      rewriter.getDenseI64ArrayAttr(convShape), activation, alpha, beta,
      pool ? PoolKindAttr::get(rewriter.getContext(), *pool) : PoolKindAttr(),
      rewriter.getDenseI64ArrayAttr(poolKernel),
      rewriter.getDenseI64ArrayAttr(poolStrides),
      rewriter.getDenseI64ArrayAttr({poolPads[0], poolPads[1]}),
      rewriter.getI64IntegerAttr(*band));
  return convPoolOp.getResults()[0];
}

namespace {
/// Consecutive output positions along one spatial dim whose windows have the
/// same taps [first, last) inside the input.
struct WindowRun {
  int64_t begin, end, first, last;
};
} // namespace

/// The runs of one spatial dim: the windows over the padding at either end
/// (usually one position each) and the interior, whose windows lie inside.
static SmallVector<WindowRun> windowRuns(int64_t in, int64_t out,
                                         int64_t kernel, int64_t stride,
                                         int64_t dilation, int64_t pad) {
  SmallVector<WindowRun> runs;
  for (int64_t o = 0; o < out; ++o) {
    int64_t start = o * stride - pad;
    // Taps k with 0 <= start + k * dilation < in.
    int64_t first = start >= 0 ? 0 : (-start + dilation - 1) / dilation;
    int64_t last = start > in - 1 ? 0 : (in - 1 - start) / dilation + 1;
    first = std::min(first, kernel);
    last = std::max(std::min(last, kernel), first);
    if (!runs.empty() && runs.back().end == o && runs.back().first == first &&
        runs.back().last == last)
      runs.back().end = o + 1;
    else
      runs.push_back({o, o + 1, first, last});
  }
  return runs;
}

/// Pools `input` (unpadded) into a `outType` result by regions: the
/// product of each spatial dim's runs is one window generic over slices of
/// the input and the output, with the window cut to the taps that lie inside
/// the input, so that no padded copy of the input is made. A region whose
/// windows lie wholly in the padding keeps the neutral value. Null when the
/// regions would be too many.
static Value poolByRegions(OpBuilder &b, Location loc, Value input,
                           RankedTensorType outType, ArrayRef<int64_t> kernel,
                           ArrayRef<int64_t> strides,
                           ArrayRef<int64_t> dilations, ArrayRef<int64_t> pads,
                           Value neutral, bool isMax, int64_t trailing) {
  auto inType = llvm::cast<RankedTensorType>(input.getType());
  if (!inType.hasStaticShape() || !outType.hasStaticShape())
    return {};
  int64_t k = kernel.size();
  SmallVector<SmallVector<WindowRun>> runs;
  int64_t regions = 1;
  for (int64_t i = 0; i < k; ++i) {
    runs.push_back(windowRuns(inType.getDimSize(2 + i),
                              outType.getDimSize(2 + i), kernel[i], strides[i],
                              dilations[i], pads[i]));
    regions *= runs.back().size();
  }
  if (regions > 27)
    return {};

  Type element = inType.getElementType();
  int64_t rank = inType.getRank();
  MLIRContext *context = b.getContext();
  auto folds = [&](ArrayRef<int64_t> values) {
    return getAsIndexOpFoldResult(context, values);
  };
  SmallVector<OpFoldResult> ones = folds(SmallVector<int64_t>(rank, 1));
  Value result = empty(b, loc, outType);
  SmallVector<int64_t> pick(k, 0);
  for (int64_t r = 0; r < regions; ++r) {
    for (int64_t i = k - 1, rest = r; i >= 0; --i) {
      pick[i] = rest % runs[i].size();
      rest /= runs[i].size();
    }
    // The region's slices: whole leading and trailing dims, and per
    // spatial dim its run of outputs and the input those windows read.
    SmallVector<int64_t> inOffsets(rank, 0), outOffsets(rank, 0);
    SmallVector<int64_t> inSizes(inType.getShape()),
        outSizes(outType.getShape());
    SmallVector<int64_t> window;
    bool inside = true;
    for (int64_t i = 0; i < k; ++i) {
      const WindowRun &run = runs[i][pick[i]];
      int64_t positions = run.end - run.begin, taps = run.last - run.first;
      inside &= taps > 0;
      window.push_back(taps);
      outOffsets[2 + i] = run.begin;
      outSizes[2 + i] = positions;
      inOffsets[2 + i] =
          run.begin * strides[i] - pads[i] + run.first * dilations[i];
      inSizes[2 + i] =
          taps ? (positions - 1) * strides[i] + (taps - 1) * dilations[i] + 1
               : 0;
    }
    // One region is the whole output; a slice from the input's start may be
    // the input itself (a window generic reads what its loops reach).
    Value part =
        regions == 1
            ? result
            : tensor::ExtractSliceOp::create(b, loc, result, folds(outOffsets),
                                             folds(outSizes), ones);
    part = linalg::FillOp::create(b, loc, neutral, part).getResult(0);
    if (inside) {
      Value in = input;
      if (llvm::any_of(inOffsets, [](int64_t offset) { return offset != 0; }))
        in = tensor::ExtractSliceOp::create(b, loc, input, folds(inOffsets),
                                            folds(inSizes), ones);
      Value taps = tensor::EmptyOp::create(b, loc, window, element);
      part = poolWindows(b, loc, in, taps, part, 2, strides, dilations, isMax,
                         trailing);
    }
    if (regions == 1)
      return part;
    result = tensor::InsertSliceOp::create(
        b, loc, part, result, folds(outOffsets), folds(outSizes), ones);
  }
  return result;
}

Value kiln::lowering::pool(OpBuilder &b, PoolOp op, Value input,
                           RankedTensorType outType) {
  Location loc = op.getLoc();
  RankedTensorType inType = op.getInput().getType();
  RankedTensorType plainOut = op.getType();
  Type element = inType.getElementType();
  int64_t k = inType.getRank() - 2;
  // A blocked input has the channels within a block as its last dim.
  int64_t trailing = llvm::cast<RankedTensorType>(input.getType()).getRank() -
                     inType.getRank();
  ArrayRef<int64_t> kernel = op.getKernelShape();
  SmallVector<int64_t> strides = orDefault(op.getStrides(), k, 1);
  SmallVector<int64_t> dilations = orDefault(op.getDilations(), k, 1);
  SmallVector<int64_t> pads = orDefault(op.getPads(), 2 * k, 0);
  bool isMax = op.getKind() == PoolKind::max;
  Value neutral = isMax ? lowest(b, loc, element) : scalar(b, loc, element, 0);

  Value pooled = poolByRegions(b, loc, input, outType, kernel, strides,
                               dilations, pads, neutral, isMax, trailing);
  if (!pooled) {
    // Pad, including the extra end padding ceil mode's last window needs.
    SmallVector<int64_t> low(2, 0), high(2, 0);
    for (int64_t i = 0; i < k; ++i) {
      int64_t in = inType.getDimSize(i + 2), out = plainOut.getDimSize(i + 2);
      int64_t needed =
          (out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1;
      low.push_back(pads[i]);
      high.push_back(std::max(pads[i + k], needed - in - pads[i]));
    }
    low.append(trailing, 0);
    high.append(trailing, 0);
    Value in = padded(b, loc, input, low, high, neutral);
    Value window = tensor::EmptyOp::create(b, loc, kernel, element);
    Value init = filled(b, loc, outType, neutral);
    // Over n and c, the window dims, then the output dims.
    pooled = poolWindows(b, loc, in, window, init, 2, strides, dilations, isMax,
                         trailing);
  }
  if (isMax)
    return pooled;

  // [O...] broadcasts over the leading dims; a blocked output needs unit
  // dims on both sides.
  SmallVector<int64_t> countShape(trailing ? 2 : 0, 1);
  llvm::append_range(countShape, plainOut.getShape().drop_front(2));
  countShape.append(trailing, 1);
  Value inverse = inverseCounts(b, loc, element, inType.getShape(),
                                plainOut.getShape(), kernel, strides, dilations,
                                pads, op.getCountIncludePad(), countShape);
  return elementwise(b, loc, outType, {pooled, inverse},
                     [](OpBuilder &nb, Location l, ValueRange args) {
                       return mul(nb, l, args[0], args[1]);
                     });
}

namespace {

/// kiln.conv -> kiln_backend.conv_pool where it applies, else padded input,
/// bias-initialized output, grouped generic convolution.
struct ConvLowering : OpRewritePattern<ConvOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConvOp op,
                                PatternRewriter &rewriter) const override {
    if (FailureOr<Value> value = convPool(rewriter, op); succeeded(value)) {
      rewriter.replaceOp(op, *value);
      return success();
    }
    Value result =
        convolution(rewriter, op.getLoc(), op.getType(), op.getInput(),
                    op.getWeight(), op.getBias(), op.getGroup(),
                    op.getStrides(), op.getDilations(), op.getPads());
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// kiln.pool -> window generics by regions (see lowering::pool); average
/// pooling then divides by a constant tensor of per-position element counts.
struct PoolLowering : OpRewritePattern<PoolOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(PoolOp op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, pool(rewriter, op, op.getInput(), op.getType()));
    return success();
  }
};

/// kiln.global_pool -> a reduction over the spatial dims.
struct GlobalPoolLowering : OpRewritePattern<GlobalPoolOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(GlobalPoolOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto inType = op.getInput().getType();
    Type element = inType.getElementType();
    bool isMax = op.getKind() == PoolKind::max;
    int64_t rank = inType.getRank();
    SmallVector<AffineExpr> outExprs = {rewriter.getAffineDimExpr(0),
                                        rewriter.getAffineDimExpr(1)};
    for (int64_t i = 2; i < rank; ++i)
      outExprs.push_back(rewriter.getAffineConstantExpr(0));
    SmallVector<AffineMap> maps = {
        rewriter.getMultiDimIdentityMap(rank),
        AffineMap::get(rank, 0, outExprs, rewriter.getContext())};
    SmallVector<utils::IteratorType> iterators(2,
                                               utils::IteratorType::parallel);
    iterators.append(rank - 2, utils::IteratorType::reduction);
    Value neutral = isMax ? lowest(rewriter, loc, element)
                          : scalar(rewriter, loc, element, 0);
    Value reduced =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{op.getType()}, ValueRange{op.getInput()},
            ValueRange{filled(rewriter, loc, op.getType(), neutral)}, maps,
            iterators,
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value r = isMax ? maximum(b, l, args[1], args[0])
                              : add(b, l, args[1], args[0]);
              linalg::YieldOp::create(b, l, r);
            })
            .getResult(0);
    if (!isMax) {
      int64_t count = 1;
      for (int64_t i = 2; i < rank; ++i)
        count *= inType.getDimSize(i);
      Value inverse = scalar(rewriter, loc, element, 1.0 / count);
      reduced = elementwise(rewriter, loc, op.getType(), reduced,
                            [&](OpBuilder &b, Location l, ValueRange args) {
                              return mul(b, l, args[0], inverse);
                            });
    }
    rewriter.replaceOp(op, reduced);
    return success();
  }
};

/// The uncropped output `full` of a transposed convolution cropped to
/// `outType`, from the begin pads on (itself when it is that size).
static Value croppedToPads(OpBuilder &b, Location loc, Value full,
                           RankedTensorType outType, ArrayRef<int64_t> pads) {
  auto fullType = llvm::cast<RankedTensorType>(full.getType());
  if (fullType.getShape() == outType.getShape())
    return full;
  int64_t k = outType.getRank() - 2;
  SmallVector<int64_t> offsets(2, 0);
  llvm::append_range(offsets, pads.take_front(k));
  return tensor::ExtractSliceOp::create(
      b, loc, outType, full, ValueRange{}, ValueRange{}, ValueRange{}, offsets,
      outType.getShape(), SmallVector<int64_t>(k + 2, 1));
}

/// A constant of `type` whose element at coordinates c is element
/// sourceOf(c) of the constant `value`, or zero where sourceOf is negative;
/// null when `value` is not a dense constant of whole-byte elements.
static TypedAttr
rearrangedConstant(Attribute value, RankedTensorType type,
                   llvm::function_ref<int64_t(ArrayRef<int64_t>)> sourceOf) {
  auto elements = llvm::dyn_cast_if_present<ElementsAttr>(value);
  if (!elements || !elements.getElementType().isIntOrFloat())
    return {};
  int64_t bits = elements.getElementType().getIntOrFloatBitWidth();
  if (bits % 8 != 0 || elements.getElementType() != type.getElementType())
    return {};
  size_t width = bits / 8;
  int64_t count = elements.getNumElements();
  ArrayRef<char> data;
  bool splat = false;
  auto resource = llvm::dyn_cast<DenseResourceElementsAttr>(value);
  if (resource) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob || blob->getData().size() != size_t(count) * width)
      return {};
    data = blob->getData();
  } else if (auto dense = llvm::dyn_cast<DenseElementsAttr>(value)) {
    data = dense.getRawData();
    splat = dense.isSplat();
    if (data.size() != (splat ? 1 : size_t(count)) * width)
      return {};
  } else {
    return {};
  }
  ArrayRef<int64_t> shape = type.getShape();
  int64_t total = type.getNumElements();
  SmallVector<int64_t> coords(shape.size(), 0);
  std::vector<char> bytes(size_t(total) * width, 0);
  for (int64_t linear = 0; linear < total; ++linear) {
    int64_t source = sourceOf(coords);
    if (source >= count)
      return {};
    if (source >= 0)
      std::memcpy(bytes.data() + linear * width,
                  data.data() + (splat ? 0 : source) * width, width);
    for (int64_t d = (int64_t)shape.size() - 1; d >= 0; --d) {
      if (++coords[d] < shape[d])
        break;
      coords[d] = 0;
    }
  }
  if (resource)
    return DenseResourceElementsAttr::get(
        type, resource.getRawHandle().getKey(),
        HeapAsmResourceBlob::allocateAndCopyWithAlign(ArrayRef<char>(bytes),
                                                      alignof(double)));
  return DenseElementsAttr::getFromRawBuffer(type, ArrayRef<char>(bytes));
}

static Value gatheredClasses(PatternRewriter &rewriter, ConvTransposeOp op,
                             ArrayRef<int64_t> taps,
                             RankedTensorType classesType);
static Value subPixelConvolution(PatternRewriter &rewriter, ConvTransposeOp op,
                                 ArrayRef<int64_t> taps,
                                 RankedTensorType classesType);

/// kiln.conv_transpose in its sub-pixel form, for unit dilations. Along a
/// spatial dim of stride s, the uncropped output position s*j + r (the
/// class r < s) receives the kernel taps q = r + s*u from input position
/// j - u, u < T with T = ceil(K / s) (taps past the kernel are zero), so
///   full[n, m, (s*j + r)...] = sum_{c, u...} w[c, m, (r + s*u)...]
///                                            * in[n, c, (j - u)...],
/// a convolution of unit stride with a T-wide window and T - 1 of padding
/// on each side, whose output channels are (class, m): its weights are
/// the kernel's taps of each class, reversed. Interleaving the classes
/// back into the spatial dims (a transpose) and cropping the pads gives
/// the output. So the transposed convolution is computed by the
/// convolution kernels (im2col and the register-blocked product, split
/// over the team by images) and a copy, with no scatter-add of every
/// kernel tap over the whole output as in col2im. T grows until the
/// classes cover the crop (output padding past the kernel reads zero
/// taps); not taken when the zero taps (a kernel not a multiple of the
/// stride) would more than double the multiply-adds.
/// When the products of every kernel tap with every input position are
/// fewer than that convolution's im2col matrix (many more input channels
/// than output ones), the classes gather their taps from those products
/// instead (see below). Either form is taken for fewer than
/// kSubPixelMaxChannels output channels per group, where col2im's
/// scatter-adds, a pass over the output per kernel tap, cost more than the
/// product: the DCGAN generator's last layer (32 to 3 channels, 4x4 at
/// stride 2, 16x16 to 32x32, batch 16) takes 89 us instead of 201 on one
/// thread. With more channels col2im's product dominates and does as well
/// (its 64 to 32 channel layer: 471 us, 522 in this form).
static constexpr int64_t kSubPixelMaxChannels = 16;
static FailureOr<Value> subPixelConvTranspose(PatternRewriter &rewriter,
                                              ConvTransposeOp op) {
  Location loc = op.getLoc();
  auto inType = op.getInput().getType();
  auto wType = op.getWeight().getType();
  auto outType = op.getType();
  int64_t k = inType.getRank() - 2, group = op.getGroup();
  if (k < 1 || group < 1 || !inType.hasStaticShape() ||
      !wType.hasStaticShape() || !outType.hasStaticShape() ||
      !llvm::isa<FloatType>(inType.getElementType()))
    return failure();
  SmallVector<int64_t> strides = orDefault(op.getStrides(), k, 1);
  SmallVector<int64_t> dilations = orDefault(op.getDilations(), k, 1);
  SmallVector<int64_t> pads = orDefault(op.getPads(), 2 * k, 0);
  int64_t batch = inType.getDimSize(0);
  int64_t perGroup = wType.getDimSize(0) / group;
  int64_t outPerGroup = wType.getDimSize(1);
  if (outPerGroup >= kSubPixelMaxChannels)
    return failure();
  ArrayRef<int64_t> kernel = wType.getShape().drop_front(2);
  ArrayRef<int64_t> inSpatial = inType.getShape().drop_front(2);
  SmallVector<int64_t> taps, convSpatial;
  int64_t classes = 1, direct = 1, subPixel = 1;
  for (int64_t i = 0; i < k; ++i) {
    int64_t s = strides[i], h = inSpatial[i], size = outType.getDimSize(2 + i);
    if (dilations[i] != 1 || s < 1 || pads[i] < 0 || kernel[i] < 1 || h < 1)
      return failure();
    int64_t t = llvm::divideCeil(kernel[i], s);
    while (s * (h + t - 1) < pads[i] + size && t <= kernel[i])
      ++t;
    if (s * (h + t - 1) < pads[i] + size)
      return failure();
    taps.push_back(t);
    convSpatial.push_back(h + t - 1);
    classes *= s;
    direct *= kernel[i] * h;
    subPixel *= s * t * (h + t - 1);
  }
  if (subPixel > 2 * direct)
    return failure();
  // [N, G, s..., M/G, J...]: the classes of every output position.
  SmallVector<int64_t> classShape = {batch, group};
  llvm::append_range(classShape, strides);
  classShape.push_back(outPerGroup);
  llvm::append_range(classShape, convSpatial);
  auto classesType = outType.clone(classShape);

  // What each form stores per image and group: the convolution's im2col
  // matrix, or the products of every kernel tap with every input position
  // (counted with the zero taps and the padding they take when padded).
  int64_t im2colElements = perGroup, productElements = outPerGroup;
  for (int64_t i = 0; i < k; ++i) {
    im2colElements *= taps[i] * convSpatial[i];
    productElements *=
        strides[i] * taps[i] * (inSpatial[i] + 2 * (taps[i] - 1));
  }
  Value classValues =
      productElements < im2colElements
          ? gatheredClasses(rewriter, op, taps, classesType)
          : subPixelConvolution(rewriter, op, taps, classesType);

  // [N, G, s..., M/G, J...] -> [N, G, M/G, (J, s)...] -> [N, M, (J*s)...]
  SmallVector<int64_t> perm = {0, 1, k + 2},
                       interleavedShape = {batch, group, outPerGroup};
  SmallVector<int64_t> fullShape = {batch, group * outPerGroup};
  for (int64_t i = 0; i < k; ++i) {
    perm.append({k + 3 + i, 2 + i});
    interleavedShape.append({convSpatial[i], strides[i]});
    fullShape.push_back(convSpatial[i] * strides[i]);
  }
  Value interleaved =
      linalg::TransposeOp::create(
          rewriter, loc, classValues,
          empty(rewriter, loc, outType.clone(interleavedShape)), perm)
          .getResult()[0];
  return croppedToPads(rewriter, loc,
                       reshape(rewriter, loc, interleaved, fullShape), outType,
                       pads);
}

/// The classes [N, G, s..., M/G, J...] of a transposed convolution (see
/// subPixelConvTranspose) gathered from the products of its taps, with
/// `taps` per class.
static Value gatheredClasses(PatternRewriter &rewriter, ConvTransposeOp op,
                             ArrayRef<int64_t> taps,
                             RankedTensorType classesType) {
  Location loc = op.getLoc();
  MLIRContext *ctx = rewriter.getContext();
  auto inType = op.getInput().getType();
  auto wType = op.getWeight().getType();
  int64_t k = taps.size(), group = op.getGroup();
  SmallVector<int64_t> strides = orDefault(op.getStrides(), k, 1);
  int64_t outPerGroup = wType.getDimSize(1);
  ArrayRef<int64_t> kernel = wType.getShape().drop_front(2);
  ArrayRef<int64_t> inSpatial = inType.getShape().drop_front(2);
  ArrayRef<int64_t> classShape = classesType.getShape();
  ArrayRef<int64_t> convSpatial = classShape.drop_front(3 + k);
  // The products of the taps (as col2im makes them), from which each class
  // position gathers its taps:
  //   classes[n, g, r..., m, j...] = bias + sum_u p[n, g, m, (r + s*u)...,
  //                                                 (j - u)...],
  // in window reductions along contiguous rows.
  Value products = tapProducts(rewriter, op);
  auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
  // Class position j takes the taps u whose input position j - u lies in
  // the input. Along each dim the positions fall into runs of one range of
  // taps (the first and last T - 1 positions have fewer), and each box of
  // runs is a window reduction of its own, reading the products as they
  // are. Where the kernel is not a multiple of the stride (zero taps
  // past it), the products are padded instead (with the zero taps, and
  // T - 1 positions on each side), and one reduction covers every
  // position.
  struct Run {
    int64_t first, count, firstTap, taps;
  };
  SmallVector<SmallVector<Run>> runs(k);
  SmallVector<int64_t> shift(k, 0);
  bool wholeTaps = llvm::all_of(llvm::seq<int64_t>(0, k), [&](int64_t i) {
    return kernel[i] % strides[i] == 0;
  });
  if (wholeTaps) {
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < convSpatial[i]; ++j) {
        int64_t lo = std::max<int64_t>(0, j - inSpatial[i] + 1);
        int64_t hi = std::min<int64_t>(taps[i] - 1, j);
        Run *last = runs[i].empty() ? nullptr : &runs[i].back();
        if (last && last->firstTap == lo && last->taps == hi - lo + 1)
          ++last->count;
        else
          runs[i].push_back({j, 1, lo, hi - lo + 1});
      }
  } else {
    SmallVector<int64_t> low(3 + k, 0), high(3, 0);
    for (int64_t i = 0; i < k; ++i)
      high.push_back(strides[i] * taps[i] - kernel[i]);
    for (int64_t i = 0; i < k; ++i) {
      low.push_back(taps[i] - 1);
      high.push_back(taps[i] - 1);
      shift[i] = taps[i] - 1;
      runs[i].push_back({0, convSpatial[i], 0, taps[i]});
    }
    products = padded(rewriter, loc, products, low, high,
                      scalar(rewriter, loc, inType.getElementType(), 0));
  }

  Value acc;
  if (Value bias = op.getBias()) {
    Value grouped = reshape(rewriter, loc, bias, {group, outPerGroup});
    acc = gathered(rewriter, loc, classesType, grouped,
                   AffineMap::get(classShape.size(), 0, {d(1), d(2 + k)}, ctx));
  } else {
    acc = filled(rewriter, loc, classesType,
                 scalar(rewriter, loc, inType.getElementType(), 0));
  }
  // Loop dims: n, g, r..., m (parallel), u... (reduction), j... (parallel),
  // the box's own.
  int64_t numDims = 3 + 3 * k;
  SmallVector<utils::IteratorType> windowIterators(
      3 + k, utils::IteratorType::parallel);
  windowIterators.append(k, utils::IteratorType::reduction);
  windowIterators.append(k, utils::IteratorType::parallel);
  SmallVector<size_t> box(k, 0);
  while (true) {
    SmallVector<AffineExpr> inExprs = {d(0), d(1), d(2 + k)};
    SmallVector<int64_t> windowShape, offsets(3 + k, 0),
        sizes(classShape.begin(), classShape.begin() + 3 + k);
    for (int64_t i = 0; i < k; ++i) {
      const Run &run = runs[i][box[i]];
      inExprs.push_back(d(2 + i) + d(3 + k + i) * strides[i] +
                        run.firstTap * strides[i]);
      windowShape.push_back(run.taps);
      offsets.push_back(run.first);
      sizes.push_back(run.count);
    }
    for (int64_t i = 0; i < k; ++i) {
      const Run &run = runs[i][box[i]];
      inExprs.push_back(d(3 + 2 * k + i) +
                        (run.first + shift[i] - run.firstTap) - d(3 + k + i));
    }
    SmallVector<AffineExpr> windowExprs, outExprs;
    for (int64_t i = 0; i < 3 + k; ++i)
      outExprs.push_back(d(i));
    for (int64_t i = 0; i < k; ++i) {
      windowExprs.push_back(d(3 + k + i));
      outExprs.push_back(d(3 + 2 * k + i));
    }
    bool whole = ArrayRef<int64_t>(sizes) == ArrayRef<int64_t>(classShape);
    auto boxType = classesType.clone(sizes);
    SmallVector<int64_t> unit(sizes.size(), 1);
    Value target = whole
                       ? acc
                       : tensor::ExtractSliceOp::create(
                             rewriter, loc, boxType, acc, ValueRange{},
                             ValueRange{}, ValueRange{}, offsets, sizes, unit);
    Value window = empty(rewriter, loc, inType.clone(windowShape));
    Value sum =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{boxType}, ValueRange{products, window},
            ValueRange{target},
            {AffineMap::get(numDims, 0, inExprs, ctx),
             AffineMap::get(numDims, 0, windowExprs, ctx),
             AffineMap::get(numDims, 0, outExprs, ctx)},
            windowIterators,
            [](OpBuilder &nb, Location nl, ValueRange args) {
              linalg::YieldOp::create(nb, nl, add(nb, nl, args[2], args[0]));
            })
            .getResult(0);
    acc = whole ? sum
                : tensor::InsertSliceOp::create(
                      rewriter, loc, sum, acc, ValueRange{}, ValueRange{},
                      ValueRange{}, offsets, sizes, unit)
                      .getResult();
    int64_t i = k - 1;
    while (i >= 0 && ++box[i] == runs[i].size())
      box[i--] = 0;
    if (i < 0)
      break;
  }
  return acc;
}

/// The classes [N, G, s..., M/G, J...] of a transposed convolution (see
/// subPixelConvTranspose) as the convolution of unit stride whose output
/// channels are (g, r..., m), with `taps` per class.
static Value subPixelConvolution(PatternRewriter &rewriter, ConvTransposeOp op,
                                 ArrayRef<int64_t> taps,
                                 RankedTensorType classesType) {
  Location loc = op.getLoc();
  MLIRContext *ctx = rewriter.getContext();
  auto wType = op.getWeight().getType();
  int64_t k = taps.size(), group = op.getGroup();
  SmallVector<int64_t> strides = orDefault(op.getStrides(), k, 1);
  int64_t perGroup = wType.getDimSize(0) / group;
  int64_t outPerGroup = wType.getDimSize(1);
  ArrayRef<int64_t> kernel = wType.getShape().drop_front(2);
  int64_t classes = 1;
  for (int64_t s : strides)
    classes *= s;

  // The weights as [G, s..., M/G, C/G, T...]: element (g, r..., m, c, u'...)
  // is w[g*C/G + c, m, (r + s*(T - 1 - u'))...], zero past the kernel.
  SmallVector<int64_t> wShape = {group};
  llvm::append_range(wShape, strides);
  wShape.push_back(outPerGroup);
  wShape.push_back(perGroup);
  llvm::append_range(wShape, taps);
  auto classType = wType.clone(wShape);
  Value weight;
  Attribute constant;
  if (matchPattern(op.getWeight(), m_Constant(&constant))) {
    TypedAttr folded = rearrangedConstant(
        constant, classType, [&](ArrayRef<int64_t> at) -> int64_t {
          int64_t index = at[0] * perGroup + at[k + 2];
          index = index * outPerGroup + at[k + 1];
          for (int64_t i = 0; i < k; ++i) {
            int64_t q = at[1 + i] + strides[i] * (taps[i] - 1 - at[k + 3 + i]);
            if (q >= kernel[i])
              return -1;
            index = index * kernel[i] + q;
          }
          return index;
        });
    if (folded)
      weight = arith::ConstantOp::create(rewriter, loc, folded);
  }
  if (!weight) {
    // Weights computed by the model: the same rearrangement as a copy from
    // the kernel padded with zero taps to s*T.
    SmallVector<int64_t> low(k + 2, 0), high(2, 0);
    for (int64_t i = 0; i < k; ++i)
      high.push_back(strides[i] * taps[i] - kernel[i]);
    Value full = padded(rewriter, loc, op.getWeight(), low, high,
                        scalar(rewriter, loc, wType.getElementType(), 0));
    SmallVector<int64_t> fullShape = {group, perGroup, outPerGroup};
    for (int64_t i = 0; i < k; ++i)
      fullShape.push_back(strides[i] * taps[i]);
    full = reshape(rewriter, loc, full, fullShape);
    auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
    SmallVector<AffineExpr> exprs = {d(0), d(k + 2), d(k + 1)};
    for (int64_t i = 0; i < k; ++i)
      exprs.push_back(d(1 + i) + strides[i] * (taps[i] - 1) -
                      d(k + 3 + i) * strides[i]);
    weight = gathered(rewriter, loc, classType, full,
                      AffineMap::get(classType.getRank(), 0, exprs, ctx));
  }
  int64_t convChannels = group * classes * outPerGroup;
  SmallVector<int64_t> convWeightShape = {convChannels, perGroup};
  llvm::append_range(convWeightShape, taps);
  weight = reshape(rewriter, loc, weight, convWeightShape);

  // The bias of output channel (g, m), for each class.
  Value bias;
  if (Value given = op.getBias()) {
    SmallVector<int64_t> shape = {group};
    llvm::append_range(shape, strides);
    shape.push_back(outPerGroup);
    auto type = classesType.clone(shape);
    Value grouped = reshape(rewriter, loc, given, {group, outPerGroup});
    bias = gathered(
        rewriter, loc, type, grouped,
        AffineMap::get(shape.size(), 0,
                       {getAffineDimExpr(0, ctx), getAffineDimExpr(k + 1, ctx)},
                       ctx));
    bias = reshape(rewriter, loc, bias, {convChannels});
  }

  int64_t batch = classesType.getDimSize(0);
  SmallVector<int64_t> convShape = {batch, convChannels};
  llvm::append_range(convShape, classesType.getShape().drop_front(3 + k));
  SmallVector<int64_t> convPads(taps), ones(k, 1);
  for (int64_t &pad : convPads)
    pad -= 1;
  convPads.append(convPads);
  // A kiln.conv, which the conversion lowers in turn (in bands of rows
  // where that applies).
  Value conv = ConvOp::create(
      rewriter, loc, classesType.clone(convShape), op.getInput(), weight, bias,
      rewriter.getDenseI64ArrayAttr(ones), rewriter.getDenseI64ArrayAttr(ones),
      rewriter.getDenseI64ArrayAttr(convPads),
      rewriter.getI64IntegerAttr(group));

  return reshape(rewriter, loc, conv, classesType.getShape());
}

/// kiln.conv_transpose -> its sub-pixel form (above) where it applies,
/// else the product of the weights with the input (each
/// input position's contribution to its output window), scatter-added into
/// strided slices of the bias-initialized output (col2im), then cropped by
/// the pads.
struct ConvTransposeLowering : OpRewritePattern<ConvTransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConvTransposeOp op,
                                PatternRewriter &rewriter) const override {
    if (FailureOr<Value> value = subPixelConvTranspose(rewriter, op);
        succeeded(value)) {
      rewriter.replaceOp(op, *value);
      return success();
    }
    Location loc = op.getLoc();
    auto inType = op.getInput().getType();
    auto wType = op.getWeight().getType();
    auto outType = op.getType();
    int64_t k = inType.getRank() - 2, group = op.getGroup();
    SmallVector<int64_t> strides = orDefault(op.getStrides(), k, 1);
    SmallVector<int64_t> dilations = orDefault(op.getDilations(), k, 1);
    SmallVector<int64_t> pads = orDefault(op.getPads(), 2 * k, 0);
    SmallVector<int64_t> extra = orDefault(op.getOutputPadding(), k, 0);
    int64_t batch = inType.getDimSize(0);
    int64_t outPerGroup = wType.getDimSize(1);
    ArrayRef<int64_t> kernel = wType.getShape().drop_front(2);
    ArrayRef<int64_t> inSpatial = inType.getShape().drop_front(2);
    int64_t kernelSize = 1;
    for (int64_t size : kernel)
      kernelSize *= size;

    // Every input position's contribution to its window of the output,
    // [N, G, M/G, K..., I...].
    Value cols = tapProducts(rewriter, op);
    ArrayRef<int64_t> colsShape =
        llvm::cast<RankedTensorType>(cols.getType()).getShape();

    // Scatter-add them (col2im) into the uncropped output, which starts
    // with the bias: kernel position q adds cols[..., q, :] to the output
    // positions q * dilation + i * stride.
    SmallVector<int64_t> fullShape = {batch, outType.getDimSize(1)};
    for (int64_t i = 0; i < k; ++i)
      fullShape.push_back((inSpatial[i] - 1) * strides[i] +
                          (kernel[i] - 1) * dilations[i] + 1 +
                          std::max<int64_t>(extra[i], 0));
    auto fullType = outType.clone(fullShape);
    Value full = biasInit(rewriter, loc, fullType, group, op.getBias());
    SmallVector<int64_t> sliceShape = {batch, group, outPerGroup};
    llvm::append_range(sliceShape, inSpatial);
    auto sliceType = inType.clone(sliceShape);
    SmallVector<int64_t> q(k, 0);
    for (int64_t index = 0; index < kernelSize; ++index) {
      for (int64_t i = k - 1, rest = index; i >= 0; --i) {
        q[i] = rest % kernel[i];
        rest /= kernel[i];
      }
      SmallVector<int64_t> colOffsets(3 + 2 * k, 0), colSizes(colsShape);
      for (int64_t i = 0; i < k; ++i) {
        colOffsets[3 + i] = q[i];
        colSizes[3 + i] = 1;
      }
      Value part = tensor::ExtractSliceOp::create(
          rewriter, loc, sliceType, cols, ValueRange{}, ValueRange{},
          ValueRange{}, colOffsets, colSizes,
          SmallVector<int64_t>(3 + 2 * k, 1));
      SmallVector<int64_t> offsets(3, 0), steps(3, 1);
      for (int64_t i = 0; i < k; ++i) {
        offsets.push_back(q[i] * dilations[i]);
        steps.push_back(strides[i]);
      }
      Value target = tensor::ExtractSliceOp::create(
          rewriter, loc, sliceType, full, ValueRange{}, ValueRange{},
          ValueRange{}, offsets, sliceShape, steps);
      // target += part, in place in the strided slice of the output.
      Value sum =
          linalg::GenericOp::create(
              rewriter, loc, TypeRange{sliceType}, ValueRange{part},
              ValueRange{target},
              SmallVector<AffineMap>(
                  2, rewriter.getMultiDimIdentityMap(sliceShape.size())),
              SmallVector<utils::IteratorType>(sliceShape.size(),
                                               utils::IteratorType::parallel),
              [](OpBuilder &b, Location l, ValueRange args) {
                linalg::YieldOp::create(b, l, add(b, l, args[1], args[0]));
              })
              .getResult(0);
      full = tensor::InsertSliceOp::create(
          rewriter, loc, sum, full, ValueRange{}, ValueRange{}, ValueRange{},
          offsets, sliceShape, steps);
    }

    // Crop the pads (negative output padding crops the end too).
    rewriter.replaceOp(op,
                       croppedToPads(rewriter, loc,
                                     reshape(rewriter, loc, full, fullShape),
                                     outType, pads));
    return success();
  }
};

/// kiln.fused_conv -> kiln_backend.conv_pool where it applies, else its unfused
/// ops, lowered in turn: the convolution's product, then one fused loop
/// nest for bias, residual and activation, then the pooling.
struct FusedConvLowering : OpRewritePattern<FusedConvOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(FusedConvOp op,
                                PatternRewriter &rewriter) const override {
    if (FailureOr<Value> value = convPool(rewriter, op); succeeded(value)) {
      rewriter.replaceOp(op, *value);
      return success();
    }
    FailureOr<Value> value = unfuseConv(rewriter, op);
    if (failed(value))
      return failure();
    rewriter.replaceOp(op, *value);
    return success();
  }
};

/// kiln.fused_conv_transpose -> the transposed convolution, whose crop the
/// activation then reads in one loop nest.
struct FusedConvTransposeLowering : OpRewritePattern<FusedConvTransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(FusedConvTransposeOp op,
                                PatternRewriter &rewriter) const override {
    FailureOr<Value> value = unfuseConvTranspose(rewriter, op);
    if (failed(value))
      return failure();
    rewriter.replaceOp(op, *value);
    return success();
  }
};

} // namespace

void kiln::lowering::populateConvolutionPatterns(RewritePatternSet &patterns) {
  patterns.add<ConvLowering, ConvTransposeLowering, FusedConvLowering,
               FusedConvTransposeLowering, PoolLowering, GlobalPoolLowering>(
      patterns.getContext());
}

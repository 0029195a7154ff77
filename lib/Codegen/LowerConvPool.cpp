//===- LowerConvPool.cpp - Convolution and pooling in bands ---------------===//
//
// kiln_backend.conv_pool on buffers -> one scf.parallel over (image, band of
// output rows). A step copies the windows of the band's convolution rows into a
// scratch im2col matrix and multiplies the weights with it (a contraction
// left to kiln-vectorize-contractions) into a tile that starts with the
// bias (and the residual) and then gets the activation. Without pooling
// the tile is the band's output rows. With pooling it is scratch: the tile
// positions that lie in the pooling's padding (or beyond the convolution's
// output, in ceil mode) get the pooling's neutral value, and the tile is
// pooled into the band's output rows. The scratch is one im2col matrix (and
// tile) per chunk of steps; the full im2col matrix and the pre-pool tensor
// are never stored.
//
//===----------------------------------------------------------------------===//

#include "KernelUtils.h"
#include "kiln/Codegen/Passes.h"
#include "kiln/Conversion/Utils/LoweringUtils.h"
#include "kiln/Dialect/KilnBackend/IR/KilnBackend.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace kiln {
#define GEN_PASS_DEF_KILNLOWERCONVPOOL
#include "kiln/Codegen/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;
using namespace kiln::backend;

namespace {

/// Emits the loops of one bufferized kiln_backend.conv_pool.
class KernelEmitter {
public:
  explicit KernelEmitter(ConvPoolOp op)
      : op(op), b(op), loc(op.getLoc()), f32(b.getF32Type()) {}

  void emit() {
    auto shape = [](Value v) {
      return llvm::cast<MemRefType>(v.getType()).getShape();
    };
    ArrayRef<int64_t> in = shape(op.getInput()), out = shape(op.getInit());
    channels = in[1];
    outChannels = out[1];
    ArrayRef<int64_t> kernel = op.getKernelShape();
    ArrayRef<int64_t> poolKernel = op.getPoolKernelShape(),
                      poolStrides = op.getPoolStrides();
    band = op.getBand();
    pooledCols = out[3];
    tileRows = (band - 1) * poolStrides[0] + poolKernel[0];
    tileCols = (pooledCols - 1) * poolStrides[1] + poolKernel[1];
    int64_t bands = out[2] / band;
    int64_t iterations = out[0] * bands;
    pooled = op.getPool().has_value();
    // Each chunk has its own scratch (an im2col matrix, and a tile with
    // pooling): as many chunks as keep it within 4 MiB, but at least 4 for
    // the threads to share.
    int64_t chunkBytes =
        4 * tileRows * tileCols *
        (channels * kernel[0] * kernel[1] + (pooled ? outChannels : 0));
    int64_t chunks =
        std::min({iterations, kernels::kMaxChunks,
                  std::max<int64_t>(4, (int64_t(4) << 20) /
                                           std::max<int64_t>(chunkBytes, 1))});
    isMax = op.getPool() == PoolKind::max;

    Value col = memref::AllocOp::create(
        b, loc,
        MemRefType::get(
            {chunks, channels, kernel[0], kernel[1], tileRows, tileCols}, f32));
    // Without pooling, the tile is the band's output rows.
    Value tile;
    if (pooled) {
      tile = memref::AllocOp::create(
          b, loc,
          MemRefType::get({chunks, outChannels, tileRows, tileCols}, f32));
      // The pooling generic's window operand: only its shape is read.
      window =
          memref::AllocOp::create(b, loc, MemRefType::get(poolKernel, f32));
    }

    Value chunkCol, chunkTile;
    kernels::forEachChunk(
        b, loc, iterations, chunks,
        [&](Value c) {
          chunkCol =
              subview(col, {c, zero(), zero(), zero(), zero(), zero()},
                      {1, channels, kernel[0], kernel[1], tileRows, tileCols},
                      {channels, kernel[0], kernel[1], tileRows, tileCols});
          if (pooled)
            chunkTile = subview(tile, {c, zero(), zero(), zero()},
                                {1, outChannels, tileRows, tileCols},
                                {outChannels, tileRows, tileCols});
        },
        [&](Value t) {
          Value image = arith::DivUIOp::create(b, loc, t, index(bands));
          Value bandIv = arith::RemUIOp::create(b, loc, t, index(bands));
          emitStep(image, bandIv, chunkCol, chunkTile);
        });
    op.erase();
  }

private:
  Value index(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value zero() { return index(0); }
  Value mulIndex(Value x, int64_t k) {
    return arith::MulIOp::create(b, loc, x, index(k));
  }

  Value subview(Value source, ArrayRef<Value> offsets, ArrayRef<int64_t> sizes,
                ArrayRef<int64_t> shape) {
    return kernels::subview(b, loc, source, offsets, sizes, shape);
  }

  /// `view` with its dims grouped by `groups` (contiguous dims only).
  Value collapse(Value view, ArrayRef<ReassociationIndices> groups) {
    return memref::CollapseShapeOp::create(b, loc, view, groups);
  }

  SmallVector<utils::IteratorType> parallel(int64_t n) {
    return SmallVector<utils::IteratorType>(n, utils::IteratorType::parallel);
  }

  AffineMap map(int64_t dims, ArrayRef<AffineExpr> results) {
    return AffineMap::get(dims, 0, results, b.getContext());
  }
  AffineExpr d(int64_t i) { return b.getAffineDimExpr(i); }

  /// Fills `view` with the pooling's neutral value.
  void fillNeutral(Value view) {
    Value neutral = isMax ? lowering::lowest(b, loc, f32)
                          : lowering::scalar(b, loc, f32, 0);
    linalg::FillOp::create(b, loc, ValueRange{neutral}, ValueRange{view});
  }

  void emitStep(Value image, Value bandIv, Value col, Value tile) {
    ArrayRef<int64_t> kernel = op.getKernelShape(), strides = op.getStrides(),
                      dilations = op.getDilations(),
                      convShape = op.getConvShape(),
                      poolStrides = op.getPoolStrides(),
                      poolPads = op.getPoolPads();
    // Tile row tr of this band is convolution row
    // rowBase + tr - poolPads[0], read from input rows
    // (rowBase + tr) * stride + k * dilation.
    Value rowBase = mulIndex(bandIv, band * poolStrides[0]);
    int64_t inRows =
        (tileRows - 1) * strides[0] + (kernel[0] - 1) * dilations[0] + 1;
    int64_t inCols =
        (tileCols - 1) * strides[1] + (kernel[1] - 1) * dilations[1] + 1;
    Value input = subview(
        op.getInput(), {image, zero(), mulIndex(rowBase, strides[0]), zero()},
        {1, channels, inRows, inCols}, {channels, inRows, inCols});

    // col[c, kh, kw, tr, tc] = input[c, tr * sh + kh * dh, tc * sw + kw * dw]
    linalg::GenericOp::create(
        b, loc, TypeRange{}, ValueRange{input}, ValueRange{col},
        {map(5, {d(0), d(3) * strides[0] + d(1) * dilations[0],
                 d(4) * strides[1] + d(2) * dilations[1]}),
         b.getMultiDimIdentityMap(5)},
        parallel(5), [](OpBuilder &nb, Location nl, ValueRange args) {
          linalg::YieldOp::create(nb, nl, args[0]);
        });

    // tile[m, j] = bias[m] (+ residual[m, j]) + sum_r weight[m, r] * col[r, j]
    if (!pooled)
      tile = subview(op.getInit(), {image, zero(), rowBase, zero()},
                     {1, outChannels, band, tileCols},
                     {outChannels, band, tileCols});
    Value colMatrix = collapse(col, {{0, 1, 2}, {3, 4}});
    Value tileMatrix = collapse(tile, {{0}, {1, 2}});
    if (Value residual = op.getResidual()) {
      Value rows = collapse(subview(residual, {image, zero(), rowBase, zero()},
                                    {1, outChannels, band, tileCols},
                                    {outChannels, band, tileCols}),
                            {{0}, {1, 2}});
      SmallVector<Value> inputs = {rows};
      SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(2)};
      if (Value bias = op.getBias()) {
        inputs.push_back(bias);
        maps.push_back(map(2, {d(0)}));
      }
      maps.push_back(b.getMultiDimIdentityMap(2));
      linalg::GenericOp::create(
          b, loc, TypeRange{}, inputs, ValueRange{tileMatrix}, maps,
          parallel(2), [&](OpBuilder &nb, Location nl, ValueRange args) {
            Value v = args[0];
            if (args.size() == 3)
              v = lowering::add(nb, nl, v, args[1]);
            linalg::YieldOp::create(nb, nl, v);
          });
    } else if (Value bias = op.getBias()) {
      linalg::GenericOp::create(
          b, loc, TypeRange{}, ValueRange{bias}, ValueRange{tileMatrix},
          {map(2, {d(0)}), b.getMultiDimIdentityMap(2)}, parallel(2),
          [](OpBuilder &nb, Location nl, ValueRange args) {
            linalg::YieldOp::create(nb, nl, args[0]);
          });
    } else {
      linalg::FillOp::create(b, loc,
                             ValueRange{lowering::scalar(b, loc, f32, 0)},
                             ValueRange{tileMatrix});
    }
    SmallVector<utils::IteratorType> iterators = parallel(2);
    iterators.push_back(utils::IteratorType::reduction);
    linalg::GenericOp::create(
        b, loc, TypeRange{}, ValueRange{op.getWeight(), colMatrix},
        ValueRange{tileMatrix},
        {map(3, {d(0), d(2)}), map(3, {d(2), d(1)}), map(3, {d(0), d(1)})},
        iterators, lowering::multiplyAdd);

    if (std::optional<UnaryKind> kind = op.getActivation())
      linalg::GenericOp::create(
          b, loc, TypeRange{}, ValueRange{}, ValueRange{tileMatrix},
          {b.getMultiDimIdentityMap(2)}, parallel(2),
          [&](OpBuilder &nb, Location nl, ValueRange args) {
            linalg::YieldOp::create(
                nb, nl,
                lowering::applyActivation(nb, nl, *kind, args[0],
                                          op.getActivationAlpha(),
                                          op.getActivationBeta()));
          });

    if (!pooled)
      return;

    // Tile positions outside the convolution's output hold the neutral
    // value: columns (the same in every band), then rows.
    int64_t colsBefore = poolPads[1];
    int64_t colsAfter =
        std::max<int64_t>(0, tileCols - poolPads[1] - convShape[1]);
    if (colsBefore > 0)
      fillNeutral(subview(tile, {zero(), zero(), zero()},
                          {outChannels, tileRows, colsBefore},
                          {outChannels, tileRows, colsBefore}));
    if (colsAfter > 0)
      fillNeutral(subview(tile, {zero(), zero(), index(tileCols - colsAfter)},
                          {outChannels, tileRows, colsAfter},
                          {outChannels, tileRows, colsAfter}));
    // The last row any band's tile holds, in the pooling's padded rows.
    int64_t lastRow =
        (op.getInit().getType().getDimSize(2) - 1) * poolStrides[0] +
        op.getPoolKernelShape()[0] - 1;
    if (poolPads[0] > 0 || lastRow >= poolPads[0] + convShape[0]) {
      scf::ForOp::create(
          b, loc, zero(), index(tileRows), index(1), {},
          [&](OpBuilder &fb, Location, Value tr, ValueRange) {
            OpBuilder::InsertionGuard guard(b);
            b.setInsertionPoint(fb.getInsertionBlock(), fb.getInsertionPoint());
            // Convolution row + poolPads[0], outside [pad, pad + OH).
            Value row = arith::AddIOp::create(b, loc, rowBase, tr);
            Value before = arith::CmpIOp::create(
                b, loc, arith::CmpIPredicate::ult, row, index(poolPads[0]));
            Value after =
                arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, row,
                                      index(poolPads[0] + convShape[0]));
            Value outside = arith::OrIOp::create(b, loc, before, after);
            scf::IfOp::create(b, loc, outside, [&](OpBuilder &ib, Location) {
              OpBuilder::InsertionGuard guard(b);
              b.setInsertionPoint(ib.getInsertionBlock(),
                                  ib.getInsertionPoint());
              fillNeutral(subview(tile, {zero(), tr, zero()},
                                  {outChannels, 1, tileCols},
                                  {outChannels, tileCols}));
              scf::YieldOp::create(b, loc);
            });
            scf::YieldOp::create(b, loc);
          });
    }

    // out[m, p, q] = pool over i, j of tile[m, p * psh + i, q * psw + j]
    Value output = subview(
        op.getInit(), {image, zero(), mulIndex(bandIv, band), zero()},
        {1, outChannels, band, pooledCols}, {outChannels, band, pooledCols});
    fillNeutral(output);
    lowering::poolWindows(b, loc, tile, window, output, 1, poolStrides, {1, 1},
                          isMax);
    if (!isMax) {
      Value counts = subview(op.getCounts(), {mulIndex(bandIv, band), zero()},
                             {band, pooledCols}, {band, pooledCols});
      linalg::GenericOp::create(
          b, loc, TypeRange{}, ValueRange{counts}, ValueRange{output},
          {map(3, {d(1), d(2)}), b.getMultiDimIdentityMap(3)}, parallel(3),
          [](OpBuilder &nb, Location nl, ValueRange args) {
            linalg::YieldOp::create(nb, nl,
                                    lowering::mul(nb, nl, args[1], args[0]));
          });
    }
  }

  ConvPoolOp op;
  OpBuilder b;
  Location loc;
  Type f32;
  Value window;
  bool pooled = true, isMax = true;
  int64_t channels = 0, outChannels = 0, band = 1, pooledCols = 0, tileRows = 0,
          tileCols = 0;
};

struct LowerConvPoolPass
    : kiln::impl::KilnLowerConvPoolBase<LowerConvPoolPass> {
  using Base::Base;
  void runOnOperation() override {
    SmallVector<ConvPoolOp> ops;
    getOperation()->walk([&](ConvPoolOp op) {
      if (llvm::isa<MemRefType>(op.getInit().getType()))
        ops.push_back(op);
    });
    for (ConvPoolOp op : ops)
      KernelEmitter(op).emit();
  }
};

} // namespace

//===- LoweringUtils.h - Helpers shared by the lowerings --------*- C++ -*-===//

#ifndef KILN_CONVERSION_UTILS_LOWERINGUTILS_H
#define KILN_CONVERSION_UTILS_LOWERINGUTILS_H

#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

namespace kiln::lowering {

using BodyBuilder = llvm::function_ref<mlir::Value(
    mlir::OpBuilder &, mlir::Location, mlir::ValueRange)>;

/// An uninitialized tensor of `type`.
/// `values`, or `count` copies of `fallback` when it is empty (the ONNX
/// default of a spatial attribute).
llvm::SmallVector<int64_t> orDefault(llvm::ArrayRef<int64_t> values,
                                     int64_t count, int64_t fallback);

mlir::Value empty(mlir::OpBuilder &b, mlir::Location loc,
                  mlir::RankedTensorType type);

/// A tensor of `type` filled with the scalar `value`.
mlir::Value filled(mlir::OpBuilder &b, mlir::Location loc,
                   mlir::RankedTensorType type, mlir::Value value);

/// A scalar constant of `type` (float or integer).
mlir::Value scalar(mlir::OpBuilder &b, mlir::Location loc, mlir::Type type,
                   double value);

/// The smallest/largest value of `type` (-inf/+inf for floats), reading
/// integers as unsigned with `isUnsigned`: the neutral elements of max and
/// min.
mlir::Value lowest(mlir::OpBuilder &b, mlir::Location loc, mlir::Type type,
                   bool isUnsigned = false);
mlir::Value highest(mlir::OpBuilder &b, mlir::Location loc, mlir::Type type,
                    bool isUnsigned = false);

/// The map from `resultRank` loop dims to an operand of `shape` broadcast
/// NumPy-style to `resultShape` (size-1 dims read index 0).
mlir::AffineMap broadcastMap(mlir::MLIRContext *context,
                             llvm::ArrayRef<int64_t> shape,
                             llvm::ArrayRef<int64_t> resultShape);

/// A parallel linalg.generic producing `resultType` from broadcast
/// `operands`, with `body` computing one element.
mlir::Value elementwise(mlir::OpBuilder &b, mlir::Location loc,
                        mlir::RankedTensorType resultType,
                        mlir::ValueRange operands, BodyBuilder body);

/// Pads `input` with `value` (`low`/`high` per dim); `input` itself when
/// every pad is zero.
mlir::Value padded(mlir::OpBuilder &b, mlir::Location loc, mlir::Value input,
                   llvm::ArrayRef<int64_t> low, llvm::ArrayRef<int64_t> high,
                   mlir::Value value);

/// Slice [offset, offset + size) of `value` along `dim`, all of the rest.
mlir::Value sliceDim(mlir::OpBuilder &b, mlir::Location loc, mlir::Value value,
                     int64_t dim, mlir::OpFoldResult offset, int64_t size);

/// The padded sequence's `length` (an i64 scalar tensor) as an index
/// clamped to [0, extent].
mlir::Value clampedLength(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Value length, int64_t extent);

/// `init` with blocks of `rows` entries along `dim` replaced up to `count`
/// (an index, at most the dim's extent, which exceeds `rows`), in an
/// scf.for: block i starts at min(i * rows, extent - rows), so that the
/// last one ends at the extent (entries computed twice must come out the
/// same), and is `block(b, loc, start)`, of `rows` entries along `dim`.
/// The entries past the last block keep `init`'s.
mlir::Value
blocksUpTo(mlir::OpBuilder &b, mlir::Location loc, mlir::Value init,
           int64_t dim, int64_t rows, mlir::Value count,
           llvm::function_ref<mlir::Value(mlir::OpBuilder &, mlir::Location,
                                          mlir::Value)>
               block);

/// Reshapes a statically shaped tensor (row-major).
mlir::Value reshape(mlir::OpBuilder &b, mlir::Location loc, mlir::Value input,
                    llvm::ArrayRef<int64_t> shape);

/// `value` (a float tensor) with its elements extended or truncated to the
/// float type `element`.
mlir::Value convertFloats(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Value value, mlir::Type element);

/// Element arithmetic that picks the float or integer arith op;
/// `maximum` and `minimum` read integers as unsigned with `isUnsigned`.
mlir::Value add(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                mlir::Value y);
mlir::Value mul(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                mlir::Value y);
mlir::Value maximum(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                    mlir::Value y, bool isUnsigned = false);
mlir::Value minimum(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                    mlir::Value y, bool isUnsigned = false);

/// Applies an activation (a unary kind with its alpha and beta) to one
/// element; `isUnsigned` reads an integer `x` as unsigned.
mlir::Value applyUnary(mlir::OpBuilder &b, mlir::Location loc, UnaryKind kind,
                       mlir::Value x, float alpha, float beta,
                       bool isUnsigned = false);

/// A fused op's activation `kind` on `x`, with its `activation_alpha` and
/// `activation_beta` when given, else the kind's defaults.
mlir::Value applyActivation(mlir::OpBuilder &b, mlir::Location loc,
                            UnaryKind kind, mlir::Value x,
                            std::optional<llvm::APFloat> alpha,
                            std::optional<llvm::APFloat> beta);

/// The body of a contraction: yields out + lhs * rhs.
void multiplyAdd(mlir::OpBuilder &b, mlir::Location loc, mlir::ValueRange args);

/// Max or sum pooling of `input` into what `init` holds, over windows of
/// `window`'s shape (only its shape is read). The loop dims are `leading`
/// dims that index `input` and `init` alike, then the window dims, then the
/// output dims (so that the innermost loop runs along an output row), then
/// `trailing` dims that index `input` and `init` alike (the channels of a
/// channel-blocked layout); output position o and window position w read
/// input position o * stride + w * dilation. Returns the result on
/// tensors, null on buffers.
mlir::Value poolWindows(mlir::OpBuilder &b, mlir::Location loc,
                        mlir::Value input, mlir::Value window, mlir::Value init,
                        int64_t leading, llvm::ArrayRef<int64_t> strides,
                        llvm::ArrayRef<int64_t> dilations, bool isMax,
                        int64_t trailing = 0);

/// kiln.pool `op` applied to `input`: op's own input, or its channel-blocked
/// form [N, C/b, D..., b], whose result is then blocked too (`outType`).
/// Windows in the padding (and past the end in ceil mode) read the max's
/// or sum's neutral value; averages divide by per-position counts.
mlir::Value pool(mlir::OpBuilder &b, PoolOp op, mlir::Value input,
                 mlir::RankedTensorType outType);

/// The reduced shape, the output map and the iterator types of a reduction
/// of `type` over `axes` (which are dropped from the result).
struct Reduction {
  llvm::SmallVector<int64_t> shape;
  mlir::AffineMap outMap;
  llvm::SmallVector<mlir::utils::IteratorType> iterators;
};
Reduction reductionOver(mlir::RankedTensorType type,
                        llvm::ArrayRef<int64_t> axes);

/// A linalg.generic computing init + sum lhs * rhs over the reduction
/// loops, with `maps` for lhs, rhs and init; f16 and bf16 products
/// accumulate in f32 and are rounded once.
mlir::Value productInto(mlir::OpBuilder &b, mlir::Location loc, mlir::Value lhs,
                        mlir::Value rhs, mlir::Value init,
                        llvm::ArrayRef<mlir::AffineMap> maps,
                        llvm::ArrayRef<mlir::utils::IteratorType> iterators);

/// out[b..., m, n] = init + sum_k lhs[b..., m, k] * rhs[b..., k, n] with
/// NumPy batch broadcasting; `transLhs`/`transRhs` read [k, m] / [n, k].
mlir::Value contract(mlir::OpBuilder &b, mlir::Location loc, mlir::Value lhs,
                     mlir::Value rhs, mlir::Value init, bool transLhs = false,
                     bool transRhs = false);

/// Softmax (or log-softmax) of `input` along `axis`: the max, shifted
/// exponentials, their sum, then the quotient.
mlir::Value softmax(mlir::OpBuilder &b, mlir::Location loc, mlir::Value input,
                    int64_t axis, bool isLog);

/// Grouped convolution (with optional bias) of an NC[D]HW input, returning
/// `outType`; pads are non-negative begin-then-end values.
mlir::Value convolution(mlir::OpBuilder &b, mlir::Location loc,
                        mlir::RankedTensorType outType, mlir::Value input,
                        mlir::Value weight, mlir::Value bias, int64_t group,
                        llvm::ArrayRef<int64_t> strides,
                        llvm::ArrayRef<int64_t> dilations,
                        llvm::ArrayRef<int64_t> pads);

/// Combines an accumulator with a value, in a reduction's body.
using Combine = llvm::function_ref<mlir::Value(
    mlir::OpBuilder &, mlir::Location, mlir::Value acc, mlir::Value x)>;

/// Reduces `input` over `axes` (dropping them) from `initValue`, combining
/// with `combine`; the result has the type of `initValue`.
mlir::Value reduceOver(mlir::OpBuilder &b, mlir::Location loc,
                       mlir::Value input, llvm::ArrayRef<int64_t> axes,
                       mlir::Value initValue, Combine combine);

/// The shape of `type` with `axes` set to 1.
llvm::SmallVector<int64_t> keptShape(mlir::RankedTensorType type,
                                     llvm::ArrayRef<int64_t> axes);

/// The number of elements along `axes`.
int64_t countOver(mlir::RankedTensorType type, llvm::ArrayRef<int64_t> axes);

/// Mean over `axes`, kept as size-1 dims.
mlir::Value meanKept(mlir::OpBuilder &b, mlir::Location loc, mlir::Value input,
                     llvm::ArrayRef<int64_t> axes);

/// Populate functions of the pattern files, one per op family.
void populateElementwisePatterns(mlir::RewritePatternSet &patterns);
void populateConvolutionPatterns(mlir::RewritePatternSet &patterns);
void populateMatmulPatterns(mlir::RewritePatternSet &patterns);
void populateNormalizationPatterns(mlir::RewritePatternSet &patterns);
void populateReductionPatterns(mlir::RewritePatternSet &patterns);
void populateDataMovementPatterns(mlir::RewritePatternSet &patterns);
void populateAttentionPatterns(mlir::RewritePatternSet &patterns);
/// After the conversion: the tiled attention kernel reads and writes its
/// operands in the [B, L, H, D] layout when head transposes surround it.
void populateAttentionLayoutPatterns(mlir::RewritePatternSet &patterns);
void populateRecurrentPatterns(mlir::RewritePatternSet &patterns);
void populateResizePatterns(mlir::RewritePatternSet &patterns);

/// The width of the column panels the lowering of a recurrent op (kiln.rnn,
/// kiln.gru, kiln.lstm) packs its constant recurrent weights in, or 0 when
/// it reads them unpacked (a batch of more than 8, a small or non-constant
/// R, a GRU without linear_before_reset).
int64_t packedRecurrencePanel(mlir::Operation *op);
/// Whether the lowering of a recurrent op runs its two directions side by
/// side (the iterations of an scf.forall): a bidirectional layer without
/// per-entry lengths whose directions share their activations.
bool recurrenceSideBySide(mlir::Operation *op);

/// rows [B, K] x panels [P, K, w] (a constant matrix packed in panels of w
/// columns), from zeros: into [P, B, w] with `panelsOutermost` (a block of
/// the rows reads one panel alone), else into [B, P, w] (the panels are
/// the kernel's rows: a block reads several side by side).
mlir::Value panelProduct(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::Value rows, mlir::Value panels,
                         bool panelsOutermost);

/// The width of the column panels the lowering of a matrix product of one
/// row by a large constant matrix (kiln.gemm, kiln.matmul,
/// kiln.fused_matmul; f32, at least 256 Ki elements) packs the matrix in,
/// or 0 for other products.
int64_t rowPanelWidth(mlir::Operation *op);

} // namespace kiln::lowering

#endif // KILN_CONVERSION_UTILS_LOWERINGUTILS_H

//===- Matmul.cpp - Matrix products to linalg -----------------------------===//

#include "kiln/Conversion/Utils/LoweringUtils.h"

#include "mlir/IR/Matchers.h"

#include <cstring>

using namespace mlir;
using namespace kiln;
using namespace kiln::lowering;

/// out[b..., m, n] = init + sum_k lhs[b..., m, k] * rhs[b..., k, n], with
/// NumPy batch broadcasting (size-1 batch dims read index 0).
Value kiln::lowering::contract(OpBuilder &b, Location loc, Value lhs, Value rhs,
                               Value init, bool transLhs, bool transRhs) {
  MLIRContext *ctx = b.getContext();
  auto lhsType = llvm::cast<RankedTensorType>(lhs.getType());
  auto rhsType = llvm::cast<RankedTensorType>(rhs.getType());
  auto outType = llvm::cast<RankedTensorType>(init.getType());
  int64_t batch = outType.getRank() - 2;
  int64_t numDims = batch + 3; // batch..., m, n, k
  auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
  auto operandExprs = [&](RankedTensorType type, AffineExpr row,
                          AffineExpr col) {
    SmallVector<AffineExpr> exprs;
    int64_t offset = batch - (type.getRank() - 2);
    for (int64_t i = 0; i < type.getRank() - 2; ++i)
      exprs.push_back(type.getDimSize(i) == 1 &&
                              outType.getDimSize(i + offset) != 1
                          ? getAffineConstantExpr(0, ctx)
                          : d(i + offset));
    exprs.push_back(row);
    exprs.push_back(col);
    return exprs;
  };
  AffineExpr m = d(batch), n = d(batch + 1), k = d(batch + 2);
  SmallVector<AffineExpr> outExprs;
  for (int64_t i = 0; i < batch; ++i)
    outExprs.push_back(d(i));
  outExprs.append({m, n});
  SmallVector<AffineMap> maps = {
      AffineMap::get(numDims, 0,
                     transLhs ? operandExprs(lhsType, k, m)
                              : operandExprs(lhsType, m, k),
                     ctx),
      AffineMap::get(numDims, 0,
                     transRhs ? operandExprs(rhsType, n, k)
                              : operandExprs(rhsType, k, n),
                     ctx),
      AffineMap::get(numDims, 0, outExprs, ctx)};
  SmallVector<utils::IteratorType> iterators(batch + 2,
                                             utils::IteratorType::parallel);
  iterators.push_back(utils::IteratorType::reduction);
  return productInto(b, loc, lhs, rhs, init, maps, iterators);
}

Value kiln::lowering::productInto(OpBuilder &b, Location loc, Value lhs,
                                  Value rhs, Value init,
                                  ArrayRef<AffineMap> maps,
                                  ArrayRef<utils::IteratorType> iterators) {
  auto outType = llvm::cast<RankedTensorType>(init.getType());
  Type element = outType.getElementType();
  if (!element.isF16() && !element.isBF16())
    return linalg::GenericOp::create(b, loc, TypeRange{outType},
                                     ValueRange{lhs, rhs}, ValueRange{init},
                                     maps, iterators, multiplyAdd)
        .getResult(0);
  // Half-precision products accumulate in f32 and round once at the end,
  // as ONNX Runtime and NumPy compute them.
  Type f32 = b.getF32Type();
  auto wideType = outType.clone(f32);
  Value wideInit = convertFloats(b, loc, init, f32);
  Value product = linalg::GenericOp::create(
                      b, loc, TypeRange{wideType}, ValueRange{lhs, rhs},
                      ValueRange{wideInit}, maps, iterators,
                      [&](OpBuilder &nb, Location l, ValueRange args) {
                        Value x = arith::ExtFOp::create(nb, l, f32, args[0]);
                        Value y = arith::ExtFOp::create(nb, l, f32, args[1]);
                        multiplyAdd(nb, l, ValueRange{x, y, args[2]});
                      })
                      .getResult(0);
  return convertFloats(b, loc, product, element);
}

Value kiln::lowering::panelProduct(OpBuilder &b, Location loc, Value rows,
                                   Value panels, bool panelsOutermost) {
  auto panelsType = llvm::cast<RankedTensorType>(panels.getType());
  int64_t count = panelsType.getDimSize(0), width = panelsType.getDimSize(2);
  auto rowsType = llvm::cast<RankedTensorType>(rows.getType());
  int64_t batch = rowsType.getDimSize(0);
  Type element = rowsType.getElementType();
  MLIRContext *context = b.getContext();
  // The loops in the order of the output's dims, then the reduction.
  AffineExpr p, i, j, k;
  if (panelsOutermost)
    bindDims(context, p, i, j, k);
  else
    bindDims(context, i, p, j, k);
  SmallVector<int64_t> outShape = {count, batch, width};
  if (!panelsOutermost)
    std::swap(outShape[0], outShape[1]);
  SmallVector<AffineExpr> outExprs = {getAffineDimExpr(0, context),
                                      getAffineDimExpr(1, context), j};
  SmallVector<AffineMap> maps = {AffineMap::get(4, 0, {i, k}, context),
                                 AffineMap::get(4, 0, {p, k, j}, context),
                                 AffineMap::get(4, 0, outExprs, context)};
  SmallVector<utils::IteratorType> iterators(3, utils::IteratorType::parallel);
  iterators.push_back(utils::IteratorType::reduction);
  auto outType = RankedTensorType::get(outShape, element);
  return productInto(b, loc, rows, panels,
                     filled(b, loc, outType, scalar(b, loc, element, 0)), maps,
                     iterators);
}

/// A product of one row by a constant matrix (a classifier at batch 1)
/// streams the matrix from memory once; read as it is stored, [K, N] by
/// blocks of columns down the rows or [N, K] along the rows, it is a few
/// strided streams that the prefetchers follow badly. Packed in panels of
/// kRowPanelWidth columns, [P, K, w], a kernel's block of rows is that
/// many panels read side by side from start to end: ResNet-50's classifier
/// (2048 x 1000, one thread) took 629 us read as stored and 650 us in
/// oneDNN, about 300 us from panels.
constexpr int64_t kRowPanelWidth = 16;
constexpr int64_t kRowPanelElements = 256 * 1024;

int64_t kiln::lowering::rowPanelWidth(Operation *op) {
  Value rows, matrix;
  bool transposedRows = false;
  if (auto gemm = llvm::dyn_cast<GemmOp>(op)) {
    rows = gemm.getA();
    matrix = gemm.getB();
    transposedRows = gemm.getTransA();
  } else if (auto matmul = llvm::dyn_cast<MatMulOp>(op)) {
    rows = matmul.getLhs();
    matrix = matmul.getRhs();
  } else if (auto fused = llvm::dyn_cast<FusedMatMulOp>(op)) {
    rows = fused.getInput();
    matrix = fused.getWeight();
  } else {
    return 0;
  }
  auto rowsType = llvm::cast<RankedTensorType>(rows.getType());
  auto matrixType = llvm::cast<RankedTensorType>(matrix.getType());
  if (!rowsType.hasStaticShape() || !matrixType.hasStaticShape() ||
      matrixType.getRank() != 2 || !matrixType.getElementType().isF32() ||
      !rowsType.getElementType().isF32() ||
      matrixType.getNumElements() < kRowPanelElements)
    return 0;
  // One row: [1, K], [K] or, transposed, [K, 1].
  int64_t k =
      transposedRows ? rowsType.getDimSize(0) : rowsType.getShape().back();
  if (k == 0 || rowsType.getNumElements() != k)
    return 0;
  Attribute value;
  if (!matchPattern(matrix, m_Constant(&value)) || !constantBytes(value))
    return 0;
  return kRowPanelWidth;
}

/// The constant `value` ([K, N], or [N, K] when `transposed`) as column
/// panels [P, K, w], the last one padded with zeros: a blob stays a blob.
static ElementsAttr columnPanels(Attribute value, RankedTensorType type,
                                 bool transposed, int64_t width) {
  std::optional<ArrayRef<char>> bytes = constantBytes(value);
  int64_t k = type.getDimSize(transposed ? 1 : 0);
  int64_t n = type.getDimSize(transposed ? 0 : 1);
  if (!bytes || (int64_t)bytes->size() != k * n * (int64_t)sizeof(float))
    return {};
  int64_t panels = llvm::divideCeil(n, width);
  auto packedType =
      RankedTensorType::get({panels, k, width}, type.getElementType());
  std::vector<float> packed(panels * k * width, 0.0f);
  const char *data = bytes->data();
  for (int64_t row = 0; row < k; ++row)
    for (int64_t col = 0; col < n; ++col) {
      int64_t from = transposed ? col * k + row : row * n + col;
      std::memcpy(&packed[((col / width) * k + row) * width + col % width],
                  data + from * sizeof(float), sizeof(float));
    }
  ArrayRef<char> raw(reinterpret_cast<const char *>(packed.data()),
                     packed.size() * sizeof(float));
  return constantFromBytes(packedType, raw, value);
}

/// out [1, N] = init + rows x matrix for an op that rowPanelWidth accepts
/// (rows: K elements, as [1, K], [K] or, transposed, [K, 1]; matrix a
/// constant [K, N], or [N, K] when `transMatrix`): the matrix packed as column
/// panels [P, K, w], a product into [1, P, w] whose rows are the panels, then
/// the first N columns.
static Value rowTimesPanels(OpBuilder &b, Location loc, Value rows,
                            Value matrix, Value init, bool transMatrix,
                            int64_t width) {
  Attribute value;
  if (!matchPattern(matrix, m_Constant(&value)))
    return {};
  auto matrixType = llvm::cast<RankedTensorType>(matrix.getType());
  ElementsAttr packed = columnPanels(value, matrixType, transMatrix, width);
  if (!packed)
    return {};
  auto packedType = llvm::cast<RankedTensorType>(packed.getType());
  int64_t panels = packedType.getDimSize(0), k = packedType.getDimSize(1);
  int64_t n = matrixType.getDimSize(transMatrix ? 0 : 1);
  Value panelsValue =
      arith::ConstantOp::create(b, loc, llvm::cast<TypedAttr>(packed));
  Value product =
      panelProduct(b, loc, reshape(b, loc, rows, {1, k}), panelsValue,
                   /*panelsOutermost=*/false);
  Value flat = reshape(b, loc, product, {1, panels * width});
  if (panels * width != n)
    flat = sliceDim(b, loc, flat, 1, b.getIndexAttr(0), n);
  auto initType = llvm::cast<RankedTensorType>(init.getType());
  Value sum = elementwise(b, loc, initType.clone({1, n}),
                          {reshape(b, loc, init, {1, n}), flat},
                          [](OpBuilder &nb, Location l, ValueRange args) {
                            return add(nb, l, args[0], args[1]);
                          });
  return reshape(b, loc, sum, initType.getShape());
}

/// init + lhs x rhs for the product `op`: from column panels where
/// rowPanelWidth accepts it, else a contraction.
static Value productOf(OpBuilder &b, Location loc, Operation *op, Value lhs,
                       Value rhs, Value init, bool transLhs = false,
                       bool transRhs = false) {
  if (int64_t width = rowPanelWidth(op))
    if (Value result = rowTimesPanels(b, loc, lhs, rhs, init, transRhs, width))
      return result;
  return contract(b, loc, lhs, rhs, init, transLhs, transRhs);
}

namespace {

/// kiln.matmul -> a broadcasting contraction; 1-d operands are promoted to
/// matrices and the promoted dim dropped from the result.
struct MatMulLowering : OpRewritePattern<MatMulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MatMulOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto lhsType = op.getLhs().getType(), rhsType = op.getRhs().getType();
    Value lhs = op.getLhs(), rhs = op.getRhs();
    SmallVector<int64_t> outShape(op.getType().getShape());
    if (lhsType.getRank() == 1) {
      lhs = reshape(rewriter, loc, lhs, {1, lhsType.getDimSize(0)});
      outShape.insert(outShape.end() - (rhsType.getRank() == 1 ? 0 : 1), 1);
    }
    if (rhsType.getRank() == 1) {
      rhs = reshape(rewriter, loc, rhs, {rhsType.getDimSize(0), 1});
      outShape.push_back(1);
    }
    auto outType = op.getType().clone(outShape);
    Value init = filled(rewriter, loc, outType,
                        scalar(rewriter, loc, outType.getElementType(), 0));
    Value result = productOf(rewriter, loc, op, lhs, rhs, init);
    rewriter.replaceOp(op,
                       reshape(rewriter, loc, result, op.getType().getShape()));
    return success();
  }
};

/// kiln.gemm -> alpha * op(A) op(B) + beta * C.
struct GemmLowering : OpRewritePattern<GemmOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(GemmOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto outType = op.getType();
    Type element = outType.getElementType();
    float alpha = op.getAlpha().convertToFloat();
    float beta = op.getBeta().convertToFloat();
    Value init =
        filled(rewriter, loc, outType, scalar(rewriter, loc, element, 0));
    Value product = productOf(rewriter, loc, op, op.getA(), op.getB(), init,
                              op.getTransA(), op.getTransB());
    SmallVector<Value> operands = {product};
    if (op.getC() && beta != 0.0f)
      operands.push_back(op.getC());
    Value alphaValue = scalar(rewriter, loc, element, alpha);
    Value betaValue = scalar(rewriter, loc, element, beta);
    Value result = elementwise(
        rewriter, loc, outType, operands,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value r = alpha == 1.0f ? args[0] : mul(b, l, args[0], alphaValue);
          if (args.size() > 1)
            r = add(b, l, r,
                    beta == 1.0f ? args[1] : mul(b, l, args[1], betaValue));
          return r;
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// An op over a padded sequence's positions (`kiln.bounded_rows`, from
/// kiln-bound-sequence: the axis of each operand that holds them, -1 for
/// one that does not, then the result's; only 1s before each) -> the same
/// op on blocks of kBoundedRows positions, in a loop up to the length; the
/// last block ends at the extent (positions computed twice give the same
/// values), and the positions past the length are zeros.
struct BoundedRows : RewritePattern {
  static constexpr int64_t kBoundedRows = 8;
  BoundedRows(MLIRContext *ctx)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/2, ctx) {}
  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    auto bound = op->getAttrOfType<DenseI64ArrayAttr>("kiln.bounded_rows");
    if (!bound)
      return failure();
    auto unbound = [&] {
      rewriter.modifyOpInPlace(op,
                               [&] { op->removeAttr("kiln.bounded_rows"); });
      return success();
    };
    // kiln.transpose has its own (see TransposeLowering).
    if (llvm::isa<TransposeOp>(op))
      return failure();
    Value length = sequenceLengthOf(op);
    ArrayRef<int64_t> axes = bound.asArrayRef();
    if (!length || op->getNumResults() != 1 ||
        axes.size() != op->getNumOperands() + 1)
      return unbound();
    auto outType = llvm::dyn_cast<RankedTensorType>(op->getResult(0).getType());
    int64_t axis = axes.back();
    if (!outType || axis < 0 || axis >= outType.getRank())
      return unbound();
    int64_t extent = outType.getDimSize(axis);
    if (extent <= kBoundedRows)
      return unbound();
    for (auto [operand, a] : llvm::zip(op->getOperands(), axes.drop_back())) {
      auto type = llvm::dyn_cast<RankedTensorType>(operand.getType());
      if (a >= 0 &&
          (!type || a >= type.getRank() || type.getDimSize(a) != extent))
        return unbound();
    }
    Location loc = op->getLoc();
    Value n = clampedLength(rewriter, loc, length, extent);
    Value zero = scalar(rewriter, loc, outType.getElementType(), 0);
    Value result =
        blocksUpTo(rewriter, loc, filled(rewriter, loc, outType, zero), axis,
                   kBoundedRows, n, [&](OpBuilder &b, Location l, Value start) {
                     IRMapping mapping;
                     for (auto [operand, a] :
                          llvm::zip(op->getOperands(), axes.drop_back()))
                       if (a >= 0)
                         mapping.map(operand, sliceDim(b, l, operand, a, start,
                                                       kBoundedRows));
                     Operation *part = b.clone(*op, mapping);
                     part->removeAttr("kiln.bounded_rows");
                     SmallVector<int64_t> shape(outType.getShape());
                     shape[axis] = kBoundedRows;
                     part->getResult(0).setType(outType.clone(shape));
                     return part->getResult(0);
                   });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// kiln.fused_matmul -> one [rows, K] x [K, N] contraction into the bias
/// broadcast along the rows plus the residual (or either, or zeros), then
/// one loop nest for the activation.
struct FusedMatMulLowering : OpRewritePattern<FusedMatMulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(FusedMatMulOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto outType = op.getType();
    Type element = outType.getElementType();
    int64_t k = op.getInput().getType().getShape().back();
    int64_t n = outType.getShape().back();
    int64_t rows = outType.getNumElements() / std::max<int64_t>(n, 1);
    auto flatType = outType.clone({rows, n});
    Value input = reshape(rewriter, loc, op.getInput(), {rows, k});
    Value init;
    Value bias = op.getBias(), residual = op.getResidual();
    if (residual)
      residual = reshape(rewriter, loc, residual, {rows, n});
    if (bias && residual)
      init = elementwise(
          rewriter, loc, flatType, {bias, residual},
          [](OpBuilder &b, Location l, ValueRange args) {
            return arith::AddFOp::create(b, l, args[0], args[1]).getResult();
          });
    else if (bias)
      init = elementwise(
          rewriter, loc, flatType, {bias},
          [](OpBuilder &, Location, ValueRange args) { return args[0]; });
    else if (residual)
      init = residual;
    else
      init = filled(rewriter, loc, flatType, scalar(rewriter, loc, element, 0));
    Value result = productOf(rewriter, loc, op, input, op.getWeight(), init);
    if (std::optional<UnaryKind> kind = op.getActivation())
      result = elementwise(rewriter, loc, flatType, {result},
                           [&](OpBuilder &b, Location l, ValueRange args) {
                             return applyActivation(b, l, *kind, args[0],
                                                    op.getActivationAlpha(),
                                                    op.getActivationBeta());
                           });
    rewriter.replaceOp(op, reshape(rewriter, loc, result, outType.getShape()));
    return success();
  }
};

} // namespace

void kiln::lowering::populateMatmulPatterns(RewritePatternSet &patterns) {
  patterns.add<MatMulLowering, GemmLowering, FusedMatMulLowering, BoundedRows>(
      patterns.getContext());
}

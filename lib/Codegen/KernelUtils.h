//===- KernelUtils.h - Shared pieces of the buffer-level kernels -*- C++
//-*-===//
//
// What the kernels of lib/Codegen share: the check the vectorizers make of
// a buffer, and, for kiln-lower-attention and kiln-lower-conv-pool,
// rank-reducing views and the parallel loop over chunks of steps, each
// chunk with its own scratch; and the in-register transpose of a square
// tile of vectors.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_LIB_CODEGEN_KERNELUTILS_H
#define KILN_LIB_CODEGEN_KERNELUTILS_H

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace kiln {
/// Whether `type` has a static shape and a contiguous innermost dim (or
/// rank 0): what the vector kernels load and store along.
bool isStaticInnerContiguous(mlir::MemRefType type);
} // namespace kiln

namespace kiln::kernels {

/// Scratch slots, and so at most as many threads, per kernel op.
constexpr int64_t kMaxChunks = 32;

/// A view of `source` at `offsets` with `sizes` (unit strides), dropping
/// the unit dims to `shape`.
inline mlir::Value subview(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Value source,
                           llvm::ArrayRef<mlir::Value> offsets,
                           llvm::ArrayRef<int64_t> sizes,
                           llvm::ArrayRef<int64_t> shape) {
  llvm::SmallVector<mlir::OpFoldResult> offs =
      mlir::getAsOpFoldResult(mlir::ValueRange(offsets));
  llvm::SmallVector<mlir::OpFoldResult> sz, st;
  for (int64_t s : sizes) {
    sz.push_back(b.getIndexAttr(s));
    st.push_back(b.getIndexAttr(1));
  }
  auto type = mlir::memref::SubViewOp::inferRankReducedResultType(
      shape, llvm::cast<mlir::MemRefType>(source.getType()), offs, sz, st);
  return mlir::memref::SubViewOp::create(b, loc, type, source, offs, sz, st);
}

/// Emits one scf.parallel over `chunks` chunks of the steps [0, steps):
/// chunk c runs `prologue(c)` (its views of the scratch), then
/// `step(t)` for t in [c * steps / chunks, (c + 1) * steps / chunks). Both
/// callbacks build with `b`, set to insert inside the loops.
inline void forEachChunk(mlir::OpBuilder &b, mlir::Location loc, int64_t steps,
                         int64_t chunks,
                         llvm::function_ref<void(mlir::Value)> prologue,
                         llvm::function_ref<void(mlir::Value)> step) {
  auto index = [&](int64_t v) -> mlir::Value {
    return mlir::arith::ConstantIndexOp::create(b, loc, v);
  };
  mlir::scf::ParallelOp::create(
      b, loc, mlir::ValueRange{index(0)}, mlir::ValueRange{index(chunks)},
      mlir::ValueRange{index(1)},
      [&](mlir::OpBuilder &nb, mlir::Location, mlir::ValueRange ivs) {
        mlir::OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
        mlir::Value c = ivs[0];
        auto bound = [&](mlir::Value k) -> mlir::Value {
          return mlir::arith::DivUIOp::create(
              b, loc, mlir::arith::MulIOp::create(b, loc, k, index(steps)),
              index(chunks));
        };
        mlir::Value lo = bound(c);
        mlir::Value hi =
            bound(mlir::arith::AddIOp::create(b, loc, c, index(1)));
        prologue(c);
        mlir::scf::ForOp::create(b, loc, lo, hi, index(1), {},
                                 [&](mlir::OpBuilder &fb, mlir::Location,
                                     mlir::Value t, mlir::ValueRange) {
                                   mlir::OpBuilder::InsertionGuard guard(b);
                                   b.setInsertionPoint(fb.getInsertionBlock(),
                                                       fb.getInsertionPoint());
                                   step(t);
                                   mlir::scf::YieldOp::create(b, loc);
                                 });
      });
}

/// Transposes the square tile whose rows are the `rows.size()` vectors of
/// as many lanes (a power of two), in place: log2(n) rounds of two-vector
/// shuffles, round t swapping bit t of the row and column indices.
inline void transposeTile(mlir::OpBuilder &b, mlir::Location loc,
                          llvm::MutableArrayRef<mlir::Value> rows) {
  int64_t n = rows.size();
  for (int64_t bit = 1; bit < n; bit *= 2)
    for (int64_t r = 0; r < n; ++r) {
      if (r & bit)
        continue;
      llvm::SmallVector<int64_t> low, high;
      for (int64_t c = 0; c < n; ++c) {
        low.push_back(c & bit ? n + c - bit : c);
        high.push_back(c & bit ? n + c : c + bit);
      }
      mlir::Value x = rows[r], y = rows[r + bit];
      rows[r] = mlir::vector::ShuffleOp::create(b, loc, x, y, low);
      rows[r + bit] = mlir::vector::ShuffleOp::create(b, loc, x, y, high);
    }
}

} // namespace kiln::kernels

#endif // KILN_LIB_CODEGEN_KERNELUTILS_H

//===- VectorizeContractions.cpp - Register-blocked contraction kernels ---===//
//
// Rewrites a bufferized multiply-accumulate linalg.generic
//   out[..., i, j] += a[...] * b[...]
// into loops around a register-blocked kernel: an R x V block of vectors of
// `out` (R rows of dim i, V vectors along dim j) stays in registers while the
// reduction loops run, each step broadcasting the operands that do not vary
// along j and loading those that do as vectors, then one FMA per block
// vector. Dim j must be the innermost dim of `out` and, where an operand
// reads it, the innermost dim of that operand, so that every vector access is
// contiguous. Partial blocks at the edges use fewer rows and masked vectors.
// Matmul, gemm and convolution (in its im2col form) all take this shape;
// generics that do not stay with the loop lowering. A long single
// reduction over many rows is blocked for the caches: chunks of 48 rows x
// 256 reduction steps, each chunk visiting every column block and, within
// it, every row block, so the rhs panel of a column block stays in L1 and
// the lhs chunk in L2 while they are reused.
//
//===----------------------------------------------------------------------===//

#include "KernelUtils.h"
#include "kiln/Codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace kiln {
#define GEN_PASS_DEF_KILNVECTORIZECONTRACTIONS
#include "kiln/Codegen/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

/// Cache blocking of long contractions: reduction steps per chunk (a rhs
/// panel of 256 x 32 floats is 32 KiB) and row blocks per chunk.
constexpr int64_t kReductionChunk = 256;
constexpr int64_t kRowBlocksPerChunk = 8;
/// Few rows (at most kStreamRows) against a large matrix: reduction steps
/// per chunk (the sequential streams the matrix is read in), the block's
/// vectors (over its rows), the fewest matrix elements (1 MiB of floats) and
/// how many column panels the threads share.
constexpr int64_t kStreamSteps = 32;
constexpr int64_t kStreamAccumulators = 16;
constexpr int64_t kStreamRows = 8;
constexpr int64_t kStreamElements = 256 * 1024;
constexpr int64_t kStreamPanels = 8;

/// What the kernel generator needs to know about one contraction.
struct Contraction {
  linalg::GenericOp op;
  Value out, lhs, rhs;
  Value scalar; // replaces rhs when set
  AffineMap outMap, lhsMap, rhsMap;
  int64_t iDim = -1, jDim = -1;   // the row dim (optional) and vector dim
  SmallVector<int64_t> outerDims; // other parallel dims, outermost first
  SmallVector<int64_t> reductionDims;
  SmallVector<int64_t> bounds; // static loop bounds
  VectorType vectorType;
  // The value a fill of out just before left in every element, which the
  // kernels start from instead of loading out (the fill is dropped).
  Value start;
};

/// Whether `map` reads only whole dims or the constant 0 (a broadcast).
static bool isDimsOrZero(AffineMap map) {
  return llvm::all_of(map.getResults(), [](AffineExpr e) {
    if (llvm::isa<AffineDimExpr>(e))
      return true;
    auto c = llvm::dyn_cast<AffineConstantExpr>(e);
    return c && c.getValue() == 0;
  });
}

/// Whether the region is `out + a * b` (in either operand order), where `b`
/// is the second input or, for a generic with one input, a scalar defined
/// outside (a splat weight folded into the body); sets `scalar` to it.
static bool isMultiplyAdd(linalg::GenericOp op, Value &scalar) {
  Block &body = op.getRegion().front();
  if (body.getOperations().size() != 3)
    return false;
  auto mul = llvm::dyn_cast<arith::MulFOp>(body.getOperations().front());
  auto add = llvm::dyn_cast<arith::AddFOp>(*std::next(body.begin()));
  auto yield = llvm::dyn_cast<linalg::YieldOp>(body.getTerminator());
  if (!mul || !add || !yield || yield.getNumOperands() != 1 ||
      yield.getOperand(0) != add.getResult())
    return false;
  int64_t inputs = op.getNumDpsInputs();
  Value a = body.getArgument(0);
  Value b = inputs == 2 ? body.getArgument(1) : Value();
  Value c = body.getArgument(inputs);
  if (inputs == 1) {
    Value other = mul.getLhs() == a ? mul.getRhs() : mul.getLhs();
    if (other.getParentBlock() == &body)
      return false;
    scalar = b = other;
  }
  bool mulReadsInputs = (mul.getLhs() == a && mul.getRhs() == b) ||
                        (mul.getLhs() == b && mul.getRhs() == a);
  bool addReadsAcc = (add.getLhs() == c && add.getRhs() == mul.getResult()) ||
                     (add.getRhs() == c && add.getLhs() == mul.getResult());
  return mulReadsInputs && addReadsAcc;
}

/// Whether `type` is a static memref of `element` whose innermost dim is
/// contiguous.
static bool isVectorizableBuffer(Type type, Type element) {
  auto memref = llvm::dyn_cast<MemRefType>(type);
  return memref && memref.getElementType() == element &&
         kiln::isStaticInnerContiguous(memref);
}

/// The position of dim `d` among `map`'s results, or -1.
static int64_t resultPosition(AffineMap map, int64_t d) {
  for (auto [i, e] : llvm::enumerate(map.getResults()))
    if (auto dim = llvm::dyn_cast<AffineDimExpr>(e);
        dim && dim.getPosition() == d)
      return i;
  return -1;
}

static std::optional<Contraction> match(linalg::GenericOp op,
                                        int64_t vectorBits) {
  Contraction c;
  if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() < 1 ||
      op.getNumDpsInputs() > 2 || op.getNumDpsInits() != 1 ||
      !isMultiplyAdd(op, c.scalar))
    return std::nullopt;
  c.op = op;
  c.lhs = op.getDpsInputOperand(0)->get();
  c.rhs = c.scalar ? c.lhs : op.getDpsInputOperand(1)->get();
  c.out = op.getDpsInitOperand(0)->get();
  auto outType = llvm::cast<MemRefType>(c.out.getType());
  Type element = outType.getElementType();
  if ((!element.isF32() && !element.isF64()) ||
      (c.scalar && c.scalar.getType() != element))
    return std::nullopt;
  for (Value v : {c.lhs, c.rhs, c.out})
    if (!isVectorizableBuffer(v.getType(), element))
      return std::nullopt;
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  c.lhsMap = maps[0];
  c.rhsMap = c.scalar ? maps[0] : maps[1];
  c.outMap = maps.back();
  if (!c.outMap.isProjectedPermutation() || c.outMap.getNumResults() == 0 ||
      !isDimsOrZero(c.lhsMap) || !isDimsOrZero(c.rhsMap))
    return std::nullopt;
  if (llvm::any_of(op.getStaticLoopRanges(), ShapedType::isDynamic))
    return std::nullopt;
  c.bounds = op.getStaticLoopRanges();
  auto iterators = op.getIteratorTypesArray();

  // j: the innermost dim of out, innermost wherever it is read.
  c.jDim =
      llvm::cast<AffineDimExpr>(c.outMap.getResults().back()).getPosition();
  for (AffineMap map : {c.lhsMap, c.rhsMap}) {
    int64_t position = resultPosition(map, c.jDim);
    if (position >= 0 && position != (int64_t)map.getNumResults() - 1)
      return std::nullopt;
  }
  if (c.outMap.getNumResults() >= 2)
    c.iDim = llvm::cast<AffineDimExpr>(
                 c.outMap.getResults()[c.outMap.getNumResults() - 2])
                 .getPosition();
  for (AffineExpr e : c.outMap.getResults()) {
    int64_t d = llvm::cast<AffineDimExpr>(e).getPosition();
    if (d != c.iDim && d != c.jDim)
      c.outerDims.push_back(d);
  }
  for (int64_t d = 0, e = op.getNumLoops(); d < e; ++d)
    if (iterators[d] == utils::IteratorType::reduction)
      c.reductionDims.push_back(d);
  // Every loop is either in out (parallel) or a reduction.
  if (c.outerDims.size() + c.reductionDims.size() + 1 + (c.iDim >= 0) !=
      op.getNumLoops())
    return std::nullopt;
  c.vectorType =
      VectorType::get({vectorBits / element.getIntOrFloatBitWidth()}, element);
  return c;
}

/// The buffer `value` views (through reshapes, which cover all of it),
/// and the allocation that holds it, or null for anything else.
static Value wholeBuffer(Value value) {
  while (Operation *def = value.getDefiningOp()) {
    if (auto collapse = llvm::dyn_cast<memref::CollapseShapeOp>(def))
      value = collapse.getSrc();
    else if (auto expand = llvm::dyn_cast<memref::ExpandShapeOp>(def))
      value = expand.getSrc();
    else
      break;
  }
  return value;
}

/// The buffer a value is a view of: an allocation, a global or an argument
/// of the function; null when it comes from anything else.
static Value rootBuffer(Value value) {
  while (Operation *def = value.getDefiningOp()) {
    if (llvm::isa<memref::AllocOp, memref::AllocaOp, memref::GetGlobalOp>(def))
      return value;
    auto view = llvm::dyn_cast<ViewLikeOpInterface>(def);
    if (!view)
      return Value();
    value = view.getViewSource();
  }
  auto argument = llvm::cast<BlockArgument>(value);
  return argument.getOwner()->isEntryBlock() &&
                 llvm::isa<FunctionOpInterface>(
                     argument.getOwner()->getParentOp())
             ? value
             : Value();
}

/// The linalg.fill of the whole of `out` (through reshapes, `out` an
/// allocation of the function) that precedes `op` in its block, with
/// nothing between them that may touch that allocation; null when there is
/// none.
static linalg::FillOp fillOf(linalg::GenericOp op, Value out) {
  Value buffer = wholeBuffer(out);
  Value root = rootBuffer(buffer);
  // Only a fresh allocation is known to be apart from every other root.
  if (!root || !root.getDefiningOp<memref::AllocOp>())
    return nullptr;
  for (Operation *prev = op->getPrevNode(); prev; prev = prev->getPrevNode()) {
    if (auto fill = llvm::dyn_cast<linalg::FillOp>(prev);
        fill && fill.hasPureBufferSemantics() &&
        wholeBuffer(fill.getOutputs()[0]) == buffer)
      return fill.getInputs()[0].getType() ==
                     llvm::cast<MemRefType>(out.getType()).getElementType()
                 ? fill
                 : nullptr;
    if (isMemoryEffectFree(prev))
      continue;
    // An op with effects only on other allocations may sit between.
    auto effects = llvm::dyn_cast<MemoryEffectOpInterface>(prev);
    if (!effects ||
        (prev->getNumRegions() > 0 && !llvm::isa<linalg::LinalgOp>(prev)))
      return nullptr;
    SmallVector<MemoryEffects::EffectInstance> list;
    effects.getEffects(list);
    for (const MemoryEffects::EffectInstance &effect : list) {
      Value touched = effect.getValue();
      if (!touched)
        return nullptr;
      Value other = rootBuffer(touched);
      if (!other || other == root)
        return nullptr;
    }
  }
  return nullptr;
}

/// Emits the loops and kernels for one contraction.
class KernelEmitter {
public:
  KernelEmitter(OpBuilder &b, Location loc, const Contraction &c, int64_t rows,
                int64_t vectors)
      : b(b), loc(loc), c(c), maxRows(rows), maxVectors(vectors),
        ivs(c.bounds.size()) {}

  void emit() {
    if (c.scalar)
      c.scalar = vector::BroadcastOp::create(b, loc, c.vectorType, c.scalar);
    emitOuter(0);
  }

private:
  Value index(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }

  void loopOver(int64_t lb, int64_t ub, int64_t step,
                function_ref<void(Value)> body) {
    scf::ForOp::create(b, loc, index(lb), index(ub), index(step), {},
                       [&](OpBuilder &nb, Location nl, Value iv, ValueRange) {
                         OpBuilder::InsertionGuard guard(b);
                         b.setInsertionPoint(nb.getInsertionBlock(),
                                             nb.getInsertionPoint());
                         body(iv);
                         scf::YieldOp::create(b, nl);
                       });
  }

  /// An scf.parallel over one dim: its iterations write disjoint blocks of
  /// the output, so kiln-parallelize may split it over threads.
  void parallelOver(int64_t lb, int64_t ub, int64_t step,
                    function_ref<void(Value)> body) {
    scf::ParallelOp::create(b, loc, ValueRange{index(lb)},
                            ValueRange{index(ub)}, ValueRange{index(step)},
                            [&](OpBuilder &nb, Location nl, ValueRange iv) {
                              OpBuilder::InsertionGuard guard(b);
                              b.setInsertionPoint(nb.getInsertionBlock(),
                                                  nb.getInsertionPoint());
                              body(iv[0]);
                            });
  }

  void emitOuter(size_t k) {
    if (k == c.outerDims.size())
      return emitRows();
    int64_t d = c.outerDims[k];
    parallelOver(0, c.bounds[d], 1, [&](Value iv) {
      ivs[d] = iv;
      emitOuter(k + 1);
    });
  }

public:
  /// Whether some kernel call runs through only part of the reduction
  /// (the streaming and chunked ways of emitRows), so that later calls
  /// accumulate into what earlier ones stored.
  bool splitsReduction() const {
    Rows way = rowsWay();
    return way == Rows::Streaming || way == Rows::Chunked;
  }

  /// Starts every kernel from `value` instead of loading the output.
  void startFrom(Value value) { c.start = value; }

private:
  /// How emitRows covers the rows of one iteration of the outer dims.
  enum class Rows { Panel, Streaming, Chunked, Blocks };

  int64_t rowExtent() const { return c.iDim >= 0 ? c.bounds[c.iDim] : 1; }
  int64_t columnVectors() const {
    return llvm::divideCeil(c.bounds[c.jDim], c.vectorType.getNumElements());
  }

  Rows rowsWay() const {
    int64_t extent = rowExtent(), columns = columnVectors();
    // An output whose rows and columns all fit in one block of
    // kStreamAccumulators vectors (a panel of packed weights against a few
    // rows) is one kernel: every operand is read once, in order.
    if (extent * columns <= kStreamAccumulators &&
        (extent > maxRows || columns > maxVectors))
      return Rows::Panel;
    if (extent <= std::max(maxRows, kStreamRows) && streamsMatrix())
      return Rows::Streaming;
    // Long reductions over many rows: chunks of rowChunk() rows x
    // kReductionChunk reduction steps, so that the chunk of the lhs and the
    // panel of the rhs a kernel reads stay in cache while every column
    // block and row block of the chunk uses them.
    if (c.iDim >= 0 && c.reductionDims.size() == 1 &&
        c.bounds[c.reductionDims[0]] >= 2 * kReductionChunk &&
        extent >= 2 * rowChunk())
      return Rows::Chunked;
    return Rows::Blocks;
  }

  void emitRows() {
    int64_t extent = rowExtent();
    switch (rowsWay()) {
    case Rows::Panel:
      emitPanel(index(0), extent, Value(), c.bounds[c.jDim], columnVectors());
      return;
    case Rows::Streaming:
      emitStreaming(extent);
      return;
    case Rows::Blocks:
      emitRowBlocks(0, extent);
      return;
    case Rows::Chunked: {
      int64_t chunk = rowChunk();
      int64_t steps = c.bounds[c.reductionDims[0]];
      int64_t fullSteps = steps / kReductionChunk * kReductionChunk;
      int64_t fullRows = extent / chunk * chunk;
      parallelOver(0, fullRows, chunk, [&](Value r0) {
        loopOver(0, fullSteps, kReductionChunk,
                 [&](Value k0) { emitChunk(r0, chunk, k0, kReductionChunk); });
        if (fullSteps < steps)
          emitChunk(r0, chunk, index(fullSteps), steps - fullSteps);
      });
      emitRowBlocks(fullRows, extent);
      return;
    }
    }
  }

  /// Rows [lo, hi): blocks of maxRows rows, then one block of the rest
  /// (each block reads the rhs once).
  void emitRowBlocks(int64_t lo, int64_t hi) {
    int64_t full = lo + (hi - lo) / maxRows * maxRows;
    if (full > lo)
      parallelOver(lo, full, maxRows,
                   [&](Value i0) { emitAllColumns(i0, maxRows); });
    if (full < hi)
      emitAllColumns(index(full), hi - full);
  }

  /// Every column of `rows` rows from row i0, in blocks of maxVectors.
  void emitAllColumns(Value i0, int64_t rows) {
    emitPanel(i0, rows, Value(), c.bounds[c.jDim], maxVectors);
  }

  /// Whether the contraction has one long reduction and an operand that
  /// varies along it and along j (a weight matrix) too large for the L2
  /// cache: with few rows, each of its elements is used once per row
  /// block, so the kernel is bound by reading it.
  bool streamsMatrix() const {
    if (c.reductionDims.size() != 1 ||
        c.bounds[c.reductionDims[0]] < 2 * kStreamSteps)
      return false;
    int64_t k = c.reductionDims[0];
    auto streams = [&](AffineMap map) {
      return resultPosition(map, k) >= 0 && resultPosition(map, c.jDim) >= 0;
    };
    return (streams(c.lhsMap) || (!c.scalar && streams(c.rhsMap))) &&
           c.bounds[k] * c.bounds[c.jDim] >= kStreamElements;
  }

  /// All `rows` rows (one block) of a contraction that streams a
  /// matrix: panels of columns side by side on the threads, each running
  /// through the reduction in chunks of kStreamSteps steps and, within a
  /// chunk, through its column blocks, so the matrix is read row after row
  /// (a few sequential streams) rather than down its columns. With fewer
  /// rows, a block has more vectors.
  void emitStreaming(int64_t rows) {
    int64_t width = c.vectorType.getNumElements();
    int64_t extent = c.bounds[c.jDim];
    int64_t vectors = std::max<int64_t>(maxVectors, kStreamAccumulators / rows);
    vectors = std::min(vectors, std::max<int64_t>(1, extent / width));
    int64_t block = width * vectors;
    // About kStreamPanels panels of whole blocks.
    int64_t panel =
        std::max<int64_t>(1, extent / block / kStreamPanels) * block;
    int64_t panels = extent / panel;
    int64_t steps = c.bounds[c.reductionDims[0]];
    int64_t fullSteps = steps / kStreamSteps * kStreamSteps;
    Value i0 = index(0);
    auto overReduction = [&](Value j0, int64_t columns) {
      loopOver(0, fullSteps, kStreamSteps, [&](Value k0) {
        reductionStart = k0;
        reductionSteps = kStreamSteps;
        emitPanel(i0, rows, j0, columns, vectors);
      });
      if (fullSteps < steps) {
        reductionStart = index(fullSteps);
        reductionSteps = steps - fullSteps;
        emitPanel(i0, rows, j0, columns, vectors);
      }
      reductionStart = Value();
    };
    if (panels > 0)
      parallelOver(0, panels * panel, panel,
                   [&](Value j0) { overReduction(j0, panel); });
    if (panels * panel < extent)
      overReduction(index(panels * panel), extent - panels * panel);
  }

  /// Columns [j0, j0 + columns) (from column 0 when `j0` is null) of
  /// `rows` rows: blocks of `vectors` vectors, then the rest.
  void emitPanel(Value i0, int64_t rows, Value j0, int64_t columns,
                 int64_t vectors) {
    int64_t width = c.vectorType.getNumElements();
    int64_t block = width * vectors;
    int64_t full = columns / block * block;
    auto after = [&](Value offset) -> Value {
      return j0 ? arith::AddIOp::create(b, loc, j0, offset).getResult()
                : offset;
    };
    auto at = [&](int64_t offset) -> Value {
      return offset == 0 && j0 ? j0 : after(index(offset));
    };
    if (full > 0)
      loopOver(0, full, block, [&](Value j) {
        emitKernel(i0, rows, after(j), vectors, width);
      });
    int64_t rest = columns - full;
    if (rest >= width)
      emitKernel(i0, rows, at(full), rest / width, width);
    if (rest % width)
      emitKernel(i0, rows, at(full + rest / width * width), 1, rest % width);
  }

  int64_t rowChunk() const { return maxRows * kRowBlocksPerChunk; }

  /// Rows [r0, r0 + rows) x reduction steps [k0, k0 + steps): for each
  /// column block, every row block of the chunk, accumulating into out.
  void emitChunk(Value r0, int64_t rows, Value k0, int64_t steps) {
    int64_t width = c.vectorType.getNumElements();
    int64_t extent = c.bounds[c.jDim];
    int64_t block = width * maxVectors;
    int64_t full = extent / block * block;
    int64_t rest = extent - full;
    reductionStart = k0;
    reductionSteps = steps;
    auto rowBlocks = [&](Value j0, int64_t vectors, int64_t lanes) {
      loopOver(0, rows, maxRows, [&](Value i) {
        emitKernel(arith::AddIOp::create(b, loc, r0, i), maxRows, j0, vectors,
                   lanes);
      });
    };
    if (full > 0)
      loopOver(0, full, block,
               [&](Value j0) { rowBlocks(j0, maxVectors, width); });
    if (rest >= width)
      rowBlocks(index(full), rest / width, width);
    if (rest % width)
      rowBlocks(index(full + rest / width * width), 1, rest % width);
    reductionStart = Value();
  }

  /// Indices into an operand read through `map`, with row `r` and vector
  /// `v` of the block.
  SmallVector<Value> indices(AffineMap map, Value i0, int64_t r, Value j0,
                             int64_t v) {
    SmallVector<Value> result;
    int64_t width = c.vectorType.getNumElements();
    for (AffineExpr e : map.getResults()) {
      auto dim = llvm::dyn_cast<AffineDimExpr>(e);
      if (!dim) {
        result.push_back(index(0));
        continue;
      }
      int64_t d = dim.getPosition();
      if (d == c.iDim)
        result.push_back(
            r == 0 ? i0
                   : arith::AddIOp::create(b, loc, i0, index(r)).getResult());
      else if (d == c.jDim)
        result.push_back(
            v == 0 ? j0
                   : arith::AddIOp::create(b, loc, j0, index(v * width))
                         .getResult());
      else
        result.push_back(ivs[d]);
    }
    return result;
  }

  Value load(Value buffer, ValueRange at, Value mask) {
    if (!mask)
      return vector::LoadOp::create(b, loc, c.vectorType, buffer, at);
    Value zero = arith::ConstantOp::create(
        b, loc, c.vectorType,
        DenseElementsAttr::get(
            c.vectorType, b.getFloatAttr(c.vectorType.getElementType(), 0)));
    return vector::MaskedLoadOp::create(b, loc, c.vectorType, buffer, at, mask,
                                        zero);
  }

  /// One operand's values for the block: [row][vector], with rows or
  /// vectors collapsed to one where the operand does not vary along them.
  SmallVector<SmallVector<Value>> operandBlock(Value buffer, AffineMap map,
                                               Value i0, int64_t rows, Value j0,
                                               int64_t vectors, Value mask) {
    bool alongI = c.iDim >= 0 && resultPosition(map, c.iDim) >= 0;
    bool alongJ = resultPosition(map, c.jDim) >= 0;
    SmallVector<SmallVector<Value>> block;
    for (int64_t r = 0; r < (alongI ? rows : 1); ++r) {
      block.emplace_back();
      for (int64_t v = 0; v < (alongJ ? vectors : 1); ++v) {
        SmallVector<Value> at = indices(map, i0, r, j0, v);
        if (alongJ) {
          block.back().push_back(load(buffer, at, mask));
        } else {
          Value scalar = memref::LoadOp::create(b, loc, buffer, at);
          block.back().push_back(
              vector::BroadcastOp::create(b, loc, c.vectorType, scalar));
        }
      }
    }
    return block;
  }

  /// Loops over the reduction dims from `k` inward, carrying `acc`.
  SmallVector<Value> emitReduction(size_t k, Value i0, int64_t rows, Value j0,
                                   int64_t vectors, Value mask,
                                   SmallVector<Value> acc) {
    if (k == c.reductionDims.size()) {
      auto lhs = operandBlock(c.lhs, c.lhsMap, i0, rows, j0, vectors, mask);
      SmallVector<SmallVector<Value>> rhs = {{c.scalar}};
      if (!c.scalar)
        rhs = operandBlock(c.rhs, c.rhsMap, i0, rows, j0, vectors, mask);
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t v = 0; v < vectors; ++v) {
          Value x = lhs[std::min<int64_t>(r, lhs.size() - 1)]
                       [std::min<int64_t>(v, lhs[0].size() - 1)];
          Value y = rhs[std::min<int64_t>(r, rhs.size() - 1)]
                       [std::min<int64_t>(v, rhs[0].size() - 1)];
          Value &a = acc[r * vectors + v];
          a = vector::FMAOp::create(b, loc, x, y, a);
        }
      return acc;
    }
    int64_t d = c.reductionDims[k];
    // Inside a chunk, the single reduction dim runs over the chunk's steps.
    Value lb = reductionStart ? reductionStart : index(0);
    Value ub = index(c.bounds[d]);
    if (reductionStart) {
      std::optional<int64_t> start = getConstantIntValue(reductionStart);
      ub = start ? index(*start + reductionSteps)
                 : arith::AddIOp::create(b, loc, reductionStart,
                                         index(reductionSteps))
                       .getResult();
    }
    auto loop = scf::ForOp::create(
        b, loc, lb, ub, index(1), acc,
        [&](OpBuilder &nb, Location nl, Value iv, ValueRange args) {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
          ivs[d] = iv;
          SmallVector<Value> next = emitReduction(
              k + 1, i0, rows, j0, vectors, mask, SmallVector<Value>(args));
          scf::YieldOp::create(b, nl, next);
        });
    return SmallVector<Value>(loop.getResults());
  }

  void emitKernel(Value i0, int64_t rows, Value j0, int64_t vectors,
                  int64_t lanes) {
    int64_t width = c.vectorType.getNumElements();
    Value mask;
    if (lanes < width)
      mask = vector::CreateMaskOp::create(
          b, loc, VectorType::get({width}, b.getI1Type()),
          ValueRange{index(lanes)});
    SmallVector<Value> acc;
    Value start;
    if (c.start)
      start = vector::BroadcastOp::create(b, loc, c.vectorType, c.start);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t v = 0; v < vectors; ++v)
        acc.push_back(
            start ? start : load(c.out, indices(c.outMap, i0, r, j0, v), mask));
    acc = emitReduction(0, i0, rows, j0, vectors, mask, acc);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t v = 0; v < vectors; ++v) {
        SmallVector<Value> at = indices(c.outMap, i0, r, j0, v);
        if (mask)
          vector::MaskedStoreOp::create(b, loc, c.out, at, mask,
                                        acc[r * vectors + v]);
        else
          vector::StoreOp::create(b, loc, acc[r * vectors + v], c.out, at);
      }
  }

  OpBuilder &b;
  Location loc;
  Contraction c;
  int64_t maxRows, maxVectors;
  SmallVector<Value> ivs;
  // Set inside a chunk: the first reduction step and how many there are.
  Value reductionStart;
  int64_t reductionSteps = 0;
};

} // namespace

bool kiln::isStaticInnerContiguous(MemRefType type) {
  if (!type.hasStaticShape())
    return false;
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(type.getStridesAndOffset(strides, offset)))
    return false;
  return strides.empty() || strides.back() == 1;
}

namespace {

struct VectorizeContractionsPass
    : kiln::impl::KilnVectorizeContractionsBase<VectorizeContractionsPass> {
  using Base::Base;
  void runOnOperation() override {
    std::vector<Contraction> found;
    getOperation()->walk([&](linalg::GenericOp op) {
      if (std::optional<Contraction> c = match(op, vectorBits))
        found.push_back(*c);
    });
    for (Contraction &c : found) {
      OpBuilder b(c.op);
      KernelEmitter emitter(b, c.op.getLoc(), c, rows, vectors);
      // An output filled just before (a convolution or product without a
      // bias starts from zeros) is not read: each kernel starts its
      // accumulators from the fill's value, and the fill, a pass over the
      // output, is dropped, unless kernels split the reduction.
      if (linalg::FillOp fill = fillOf(c.op, c.out);
          fill && !emitter.splitsReduction()) {
        emitter.startFrom(fill.getInputs()[0]);
        fill.erase();
      }
      emitter.emit();
      c.op.erase();
    }
  }
};

} // namespace

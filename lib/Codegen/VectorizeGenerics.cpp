//===- VectorizeGenerics.cpp - Elementwise and row-reduction vector loops -===//
//
// Rewrites a bufferized linalg.generic whose innermost loop runs along the
// contiguous innermost dim of the operands into loops whose innermost step
// handles a vector of that dim:
//  - elementwise (every loop parallel): each operand that reads the
//    innermost dim is loaded as a vector (an input may read it at a
//    constant stride, as in the im2col copies of convolutions; see strided
//    reads below), the others as a scalar broadcast; the body is cloned on
//    vectors and stored as vectors;
//  - row reductions (only the innermost loop a reduction, the body
//    `combine(acc, f(inputs))` with combine an add, max or min of floats):
//    f is computed on vectors into a vector accumulator, reduced across
//    lanes at the end of the row and combined with what the output held;
//  - window reductions (the innermost loop parallel, some outer loops
//    reductions, as in pooling and reductions over outer axes): each output
//    vector is loaded once, combined in registers with the vector of every
//    point of the reduction loops, and stored once. Inputs may read the
//    innermost dim at a constant stride (`o * stride + w` in pooling): a
//    strided read loads the span it covers and keeps every stride-th lane.
// An elementwise body may read tables (a gather fused into elementwise ops:
// linalg.index and memref.load in the body): the values that do not vary
// along the innermost loop (a row index and its checks) are computed as
// scalars once per vector, and a load whose last index is the innermost
// loop's reads a vector of the row.
// Fills on buffers are vectorized as the elementwise generic that yields
// the value, and transposes that keep the innermost dim as the copy
// generic they are; transposes that move it go in square tiles of the
// vector width, transposed in registers (TileTransposer). The last partial
// vector of a row is masked. The other loops become nested scf.parallel loops,
// one dim each, for kiln-parallelize. Generics whose body holds anything but
// arith ops, the math ops that lower on vectors and such table reads, or that
// have dynamic shapes, are left to the loop lowering. i1 buffers hold a byte
// per element: their vectors are read and written an element at a time.
//
// The row sums are reassociated (lane-wise partial sums), as in every
// vectorized reduction. Max and min reductions propagate NaN, but the sign
// of a zero result is unspecified (the max of -0 and +0 may be -0), as
// with the vector max instructions oneDNN's pooling uses.
//
//===----------------------------------------------------------------------===//

#include "KernelUtils.h"
#include "kiln/Codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/TypeSwitch.h"

#include <functional>
#include <limits>

namespace kiln {
#define GEN_PASS_DEF_KILNVECTORIZEGENERICS
#include "kiln/Codegen/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

/// How a row reduction combines.
enum class Combine { None, Add, Max, Min, MaxNum, MinNum };

struct Plan {
  linalg::GenericOp op;
  SmallVector<int64_t> bounds;
  int64_t inner = 0; // the innermost loop dim
  Combine combine = Combine::None;
  Operation *combineOp = nullptr; // the reduction's combining op
  bool window = false;            // a window reduction (see above)
  SmallVector<int64_t> strides;   // per operand: its step along `inner`
                                  // (0: the operand does not vary along it)
  Value start; // a reduction's starting value, when a fill of the output
               // just before it was folded in (the output is not read)
  // Whether the body reads tables (linalg.index, memref.load), and then
  // the values that vary along `inner`; the others are computed once per
  // vector, as scalars.
  bool reads = false;
  llvm::DenseSet<Value> varying;
};

/// The coefficient of dim `d` in `e` when `e` is a sum of constants and
/// dims times constants, else nullopt.
std::optional<int64_t> coefficient(AffineExpr e, int64_t d) {
  if (auto dim = llvm::dyn_cast<AffineDimExpr>(e))
    return dim.getPosition() == (unsigned)d ? 1 : 0;
  if (llvm::isa<AffineConstantExpr>(e))
    return 0;
  auto binary = llvm::dyn_cast<AffineBinaryOpExpr>(e);
  if (!binary)
    return std::nullopt;
  std::optional<int64_t> lhs = coefficient(binary.getLHS(), d),
                         rhs = coefficient(binary.getRHS(), d);
  if (!lhs || !rhs)
    return std::nullopt;
  if (binary.getKind() == AffineExprKind::Add)
    return *lhs + *rhs;
  if (binary.getKind() != AffineExprKind::Mul)
    return std::nullopt;
  // A product with a constant (affine maps put it on the right).
  auto constant = llvm::dyn_cast<AffineConstantExpr>(binary.getRHS());
  if (!constant)
    return std::nullopt;
  return *lhs * constant.getValue();
}

/// Whether `type` is a static memref whose innermost dim has stride 1 (or
/// that has rank 0).
bool isVectorizable(Type type) {
  auto memref = llvm::dyn_cast<MemRefType>(type);
  return memref && memref.getElementType().isIntOrIndexOrFloat() &&
         kiln::isStaticInnerContiguous(memref);
}

/// The position of loop dim `d` among the results of `map`, or -1.
int64_t position(AffineMap map, int64_t d) {
  for (auto [i, e] : llvm::enumerate(map.getResults()))
    if (auto dim = llvm::dyn_cast<AffineDimExpr>(e);
        dim && dim.getPosition() == d)
      return i;
  return -1;
}

/// The values of `op`'s body that vary along the innermost loop `inner`
/// of an elementwise generic: the block arguments of operands that read
/// it (`strides` non-zero), `linalg.index` of it, and what is computed from
/// them; a `memref.load` varies when its last index is `linalg.index` of
/// the innermost loop (a row of a gathered table, read as a vector). Null
/// when the body reads memory any other way: a load whose other indices
/// vary, or the innermost index used for anything but a load's last index.
std::optional<llvm::DenseSet<Value>>
varyingValues(linalg::GenericOp op, int64_t inner, ArrayRef<int64_t> strides) {
  Block &body = op.getRegion().front();
  llvm::DenseSet<Value> varying;
  for (OpOperand &operand : op->getOpOperands())
    if (strides[operand.getOperandNumber()] != 0 && !op.isDpsInit(&operand))
      varying.insert(body.getArgument(operand.getOperandNumber()));
  auto isInnerIndex = [&](Value v) {
    auto index = v.getDefiningOp<linalg::IndexOp>();
    return index && (int64_t)index.getDim() == inner;
  };
  for (Operation &bodyOp : body.without_terminator()) {
    if (auto index = llvm::dyn_cast<linalg::IndexOp>(bodyOp)) {
      if ((int64_t)index.getDim() != inner)
        continue;
      for (OpOperand &use : index->getUses()) {
        auto load = llvm::dyn_cast<memref::LoadOp>(use.getOwner());
        if (!load || use.getOperandNumber() != load->getNumOperands() - 1)
          return std::nullopt;
      }
      continue;
    }
    if (auto load = llvm::dyn_cast<memref::LoadOp>(bodyOp)) {
      ValueRange at = load.getIndices();
      for (Value v : at.drop_back(at.empty() ? 0 : 1))
        if (varying.contains(v))
          return std::nullopt;
      if (!at.empty() && isInnerIndex(at.back())) {
        MemRefType type = load.getMemRefType();
        if (!isVectorizable(type) || type.getElementType().isInteger(1))
          return std::nullopt;
        varying.insert(load.getResult());
      } else if (!at.empty() && varying.contains(at.back())) {
        return std::nullopt;
      }
      continue;
    }
    if (llvm::any_of(bodyOp.getOperands(),
                     [&](Value v) { return varying.contains(v); }))
      for (Value result : bodyOp.getResults())
        varying.insert(result);
  }
  return varying;
}

std::optional<Plan> match(linalg::GenericOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumLoops() == 0 ||
      op->getNumResults() != 0)
    return std::nullopt;
  Plan plan;
  plan.op = op;
  plan.bounds = op.getStaticLoopRanges();
  if (llvm::any_of(plan.bounds, ShapedType::isDynamic))
    return std::nullopt;
  plan.inner = op.getNumLoops() - 1;
  auto iterators = op.getIteratorTypesArray();
  bool reduction = iterators[plan.inner] == utils::IteratorType::reduction;
  for (int64_t d = 0; d < plan.inner; ++d)
    if (iterators[d] != utils::IteratorType::parallel)
      plan.window = true;
  if (plan.window && reduction)
    return std::nullopt;
  for (OpOperand &operand : op->getOpOperands()) {
    if (!isVectorizable(operand.get().getType()))
      return std::nullopt;
    AffineMap map = op.getMatchingIndexingMap(&operand);
    if (!reduction && !op.isDpsInit(&operand)) {
      // Inputs of elementwise generics and window reductions: affine sums
      // of dims (im2col copies, pooling windows); only the last result may
      // depend on the innermost loop, with a non-negative constant step.
      int64_t stride = 0;
      for (auto [i, e] : llvm::enumerate(map.getResults())) {
        std::optional<int64_t> step = coefficient(e, plan.inner);
        if (!step || *step < 0 || (*step && i + 1 != map.getNumResults()))
          return std::nullopt;
        stride = *step;
      }
      auto element =
          llvm::cast<MemRefType>(operand.get().getType()).getElementType();
      if (stride > 4 || (stride > 1 && element.isInteger(1)))
        return std::nullopt;
      plan.strides.push_back(stride);
      continue;
    }
    // Every operand: dims or 0, the innermost loop dim, if read, last.
    for (AffineExpr e : map.getResults()) {
      auto c = llvm::dyn_cast<AffineConstantExpr>(e);
      if (!llvm::isa<AffineDimExpr>(e) && !(c && c.getValue() == 0))
        return std::nullopt;
    }
    int64_t at = position(map, plan.inner);
    if (at >= 0 && at != (int64_t)map.getNumResults() - 1)
      return std::nullopt;
    plan.strides.push_back(at >= 0 ? 1 : 0);
    bool isInit = op.isDpsInit(&operand);
    // Outputs are written along the vector dim, or reduced over it.
    if (isInit && plan.window && at != (int64_t)map.getNumResults() - 1)
      return std::nullopt;
    if (isInit && (reduction ? at >= 0 : at < 0))
      return std::nullopt;
    if (isInit && !map.isProjectedPermutation())
      return std::nullopt;
  }
  // The body: arith ops, and math ops that lower on vectors (to LLVM
  // intrinsics or kiln-approximate-math's polynomials; the others become
  // libm calls, on scalars only).
  Block &body = op.getRegion().front();
  for (Operation &inner : body.without_terminator()) {
    // An elementwise generic may read tables (a gather): its loads and
    // loop indices are checked below.
    if (llvm::isa<linalg::IndexOp, memref::LoadOp>(inner)) {
      plan.reads = true;
      continue;
    }
    bool vectorMath =
        llvm::isa<math::ExpOp, math::Exp2Op, math::ExpM1Op, math::LogOp,
                  math::Log2Op, math::Log1pOp, math::TanhOp, math::ErfOp,
                  math::SqrtOp, math::RsqrtOp, math::AbsFOp, math::AbsIOp,
                  math::CeilOp, math::FloorOp, math::RoundOp, math::RoundEvenOp,
                  math::TruncOp, math::FmaOp, math::CopySignOp, math::SinOp,
                  math::CosOp>(inner);
    if (inner.getNumRegions() ||
        !(llvm::isa<arith::ArithDialect>(inner.getDialect()) || vectorMath))
      return std::nullopt;
    for (Type t : inner.getResultTypes())
      if (!t.isIntOrIndexOrFloat())
        return std::nullopt;
  }
  if (plan.reads) {
    if (reduction || plan.window)
      return std::nullopt;
    std::optional<llvm::DenseSet<Value>> varying =
        varyingValues(op, plan.inner, plan.strides);
    if (!varying)
      return std::nullopt;
    plan.varying = std::move(*varying);
  }
  if (!reduction && !plan.window)
    return plan;
  // A reduction: one output, yielding combine(acc, value) where the
  // accumulator is used only there.
  if (op.getNumDpsInits() != 1)
    return std::nullopt;
  BlockArgument acc = body.getArgument(body.getNumArguments() - 1);
  if (!acc.getType().isF32() || !acc.hasOneUse())
    return std::nullopt;
  Operation *combine = body.getTerminator()->getOperand(0).getDefiningOp();
  if (!combine || combine->getNumOperands() != 2 ||
      !llvm::is_contained(combine->getOperands(), Value(acc)))
    return std::nullopt;
  plan.combine = llvm::TypeSwitch<Operation *, Combine>(combine)
                     .Case([](arith::AddFOp) { return Combine::Add; })
                     .Case([](arith::MaximumFOp) { return Combine::Max; })
                     .Case([](arith::MinimumFOp) { return Combine::Min; })
                     .Case([](arith::MaxNumFOp) { return Combine::MaxNum; })
                     .Case([](arith::MinNumFOp) { return Combine::MinNum; })
                     .Default([](Operation *) { return Combine::None; });
  if (plan.combine == Combine::None)
    return std::nullopt;
  plan.combineOp = combine;
  return plan;
}

class Emitter {
public:
  Emitter(Plan plan, int64_t lanes)
      : plan(plan), op(plan.op), b(op), loc(op.getLoc()), lanes(lanes),
        ivs(plan.bounds.size()) {}

  void emit() {
    emitOuter(0);
    op.erase();
  }

private:
  Value index(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }

  VectorType vectorOf(Type t) { return VectorType::get({lanes}, t); }

  void emitOuter(int64_t d) {
    if (d == plan.inner)
      return plan.window ? emitWindowRow() : emitRow();
    // A window reduction's reduction loops run inside the vector loop.
    if (op.getIteratorTypesArray()[d] != utils::IteratorType::parallel)
      return emitOuter(d + 1);
    scf::ParallelOp::create(
        b, loc, ValueRange{index(0)}, ValueRange{index(plan.bounds[d])},
        ValueRange{index(1)}, [&](OpBuilder &nb, Location, ValueRange iv) {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
          ivs[d] = iv[0];
          emitOuter(d + 1);
        });
  }

  /// `e` (a sum of constants and dims times constants) at the current loop
  /// indices, with the innermost one at `j`.
  Value evaluate(AffineExpr e, Value j) {
    if (auto dim = llvm::dyn_cast<AffineDimExpr>(e))
      return dim.getPosition() == (unsigned)plan.inner ? j
                                                       : ivs[dim.getPosition()];
    if (auto constant = llvm::dyn_cast<AffineConstantExpr>(e))
      return index(constant.getValue());
    auto binary = llvm::cast<AffineBinaryOpExpr>(e);
    Value lhs = evaluate(binary.getLHS(), j),
          rhs = evaluate(binary.getRHS(), j);
    if (binary.getKind() == AffineExprKind::Add)
      return arith::AddIOp::create(b, loc, lhs, rhs);
    return arith::MulIOp::create(b, loc, lhs, rhs);
  }

  /// Indices of an operand read through `map` at vector start `j`.
  SmallVector<Value> indices(AffineMap map, Value j) {
    SmallVector<Value> result;
    for (AffineExpr e : map.getResults())
      result.push_back(evaluate(e, j));
    return result;
  }

  /// The vector at `at` whose lanes are `stride` elements apart, of which
  /// the first `count` are read: the span they cover is loaded (masked
  /// past its last element) and every stride-th lane kept.
  Value loadStrided(Value buffer, ArrayRef<Value> at, int64_t stride,
                    int64_t count) {
    Type element = llvm::cast<MemRefType>(buffer.getType()).getElementType();
    auto wide = VectorType::get({lanes * stride}, element);
    Value mask = vector::CreateMaskOp::create(
        b, loc, VectorType::get({lanes * stride}, b.getI1Type()),
        ValueRange{index((count - 1) * stride + 1)});
    Value zero = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(wide, b.getZeroAttr(element)));
    Value span =
        vector::MaskedLoadOp::create(b, loc, wide, buffer, at, mask, zero);
    SmallVector<int64_t> picks;
    for (int64_t k = 0; k < lanes; ++k)
      picks.push_back(k * stride);
    return vector::ShuffleOp::create(b, loc, span, span, picks);
  }

  Value neutral(Type element) {
    double value = 0.0;
    switch (plan.combine) {
    case Combine::Max:
    case Combine::MaxNum:
      value = -std::numeric_limits<double>::infinity();
      break;
    case Combine::Min:
    case Combine::MinNum:
      value = std::numeric_limits<double>::infinity();
      break;
    default:
      break;
    }
    return arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(vectorOf(element),
                               b.getFloatAttr(element, value)));
  }

  Value combine(Value x, Value y) {
    switch (plan.combine) {
    case Combine::Add:
      return arith::AddFOp::create(b, loc, x, y);
    case Combine::Max:
    case Combine::Min: {
      // x > y ? x : y (x < y for min), one vmaxps (vminps) on x86, which
      // gives y when either is NaN; then a NaN x wins. arith.maximumf
      // would also order -0 below +0, at twice the instructions.
      auto greater = plan.combine == Combine::Max ? arith::CmpFPredicate::OGT
                                                  : arith::CmpFPredicate::OLT;
      Value larger = arith::SelectOp::create(
          b, loc, arith::CmpFOp::create(b, loc, greater, x, y), x, y);
      Value isNaN =
          arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, x, x);
      return arith::SelectOp::create(b, loc, isNaN, x, larger);
    }
    case Combine::MaxNum:
      return arith::MaxNumFOp::create(b, loc, x, y);
    case Combine::MinNum:
      return arith::MinNumFOp::create(b, loc, x, y);
    case Combine::None:
      break;
    }
    return x;
  }

  vector::CombiningKind kind() {
    switch (plan.combine) {
    case Combine::Max:
      return vector::CombiningKind::MAXIMUMF;
    case Combine::Min:
      return vector::CombiningKind::MINIMUMF;
    case Combine::MaxNum:
      return vector::CombiningKind::MAXNUMF;
    case Combine::MinNum:
      return vector::CombiningKind::MINNUMF;
    default:
      return vector::CombiningKind::ADD;
    }
  }

  /// A vector of i1 read element by element (an i1 buffer holds a byte per
  /// element, not the packed bits a vector load reads); lanes from `count`
  /// on are false.
  Value loadBits(Value buffer, SmallVector<Value> at, int64_t count) {
    SmallVector<Value> bits;
    Value last = at.back();
    for (int64_t k = 0; k < lanes; ++k) {
      if (k >= count) {
        bits.push_back(arith::ConstantIntOp::create(b, loc, 0, 1));
        continue;
      }
      at.back() = arith::AddIOp::create(b, loc, last, index(k));
      bits.push_back(memref::LoadOp::create(b, loc, buffer, at));
    }
    return vector::FromElementsOp::create(b, loc, vectorOf(b.getI1Type()),
                                          bits);
  }

  /// Stores the first `count` lanes of an i1 vector element by element.
  void storeBits(Value value, Value buffer, SmallVector<Value> at,
                 int64_t count) {
    Value last = at.back();
    for (int64_t k = 0; k < count; ++k) {
      at.back() = arith::AddIOp::create(b, loc, last, index(k));
      memref::StoreOp::create(
          b, loc, vector::ExtractOp::create(b, loc, value, k), buffer, at);
    }
  }

  /// The body on the vector at `j` (`mask` for a partial one): the yielded
  /// vectors, or for a reduction the value to combine.
  SmallVector<Value> body(Value j, Value mask) {
    Block &block = op.getRegion().front();
    IRMapping map, scalars;
    for (OpOperand &operand : op->getOpOperands()) {
      BlockArgument arg = block.getArgument(operand.getOperandNumber());
      if (arg.use_empty() ||
          (plan.combine != Combine::None && op.isDpsInit(&operand)))
        continue;
      AffineMap indexing = op.getMatchingIndexingMap(&operand);
      SmallVector<Value> at = indices(indexing, j);
      Type element = arg.getType();
      int64_t stride = plan.strides[operand.getOperandNumber()];
      Value value;
      if (stride > 1) {
        value = loadStrided(operand.get(), at, stride, mask ? tail : lanes);
      } else if (stride == 0) {
        Value scalar = memref::LoadOp::create(b, loc, operand.get(), at);
        scalars.map(arg, scalar);
        value = vector::BroadcastOp::create(b, loc, vectorOf(element), scalar);
      } else if (element.isInteger(1)) {
        value = loadBits(operand.get(), at, mask ? tail : lanes);
      } else if (mask) {
        Value zero = arith::ConstantOp::create(
            b, loc,
            DenseElementsAttr::get(vectorOf(element), b.getZeroAttr(element)));
        value = vector::MaskedLoadOp::create(b, loc, vectorOf(element),
                                             operand.get(), at, mask, zero);
      } else {
        value = vector::LoadOp::create(b, loc, vectorOf(element), operand.get(),
                                       at);
      }
      map.map(arg, value);
    }
    auto lookup = [&](Value v) -> Value {
      if (Value mapped = map.lookupOrNull(v))
        return mapped;
      if (Value scalar = scalars.lookupOrNull(v)) {
        Value broadcast =
            vector::BroadcastOp::create(b, loc, vectorOf(v.getType()), scalar);
        map.map(v, broadcast);
        return broadcast;
      }
      // Defined outside the body (or a block argument not loaded): a
      // scalar to broadcast.
      return vector::BroadcastOp::create(b, loc, vectorOf(v.getType()), v);
    };
    // A body that reads tables: values that do not vary along the vector
    // are computed as scalars (the row index of a gather, its checks), a
    // varying load reads a vector from its row.
    auto scalarOf = [&](Value v) { return scalars.lookupOrDefault(v); };
    for (Operation &inner : block.without_terminator()) {
      if (&inner == plan.combineOp)
        continue;
      if (plan.reads) {
        if (auto index = llvm::dyn_cast<linalg::IndexOp>(inner)) {
          if ((int64_t)index.getDim() != plan.inner)
            scalars.map(index.getResult(), ivs[index.getDim()]);
          continue;
        }
        if (auto load = llvm::dyn_cast<memref::LoadOp>(inner);
            load && plan.varying.contains(load.getResult())) {
          SmallVector<Value> at;
          for (Value v : load.getIndices().drop_back())
            at.push_back(scalarOf(v));
          at.push_back(j);
          Type element = load.getType();
          Value value;
          if (mask) {
            Value zero = arith::ConstantOp::create(
                b, loc,
                DenseElementsAttr::get(vectorOf(element),
                                       b.getZeroAttr(element)));
            value = vector::MaskedLoadOp::create(
                b, loc, vectorOf(element), load.getMemRef(), at, mask, zero);
          } else {
            value = vector::LoadOp::create(b, loc, vectorOf(element),
                                           load.getMemRef(), at);
          }
          map.map(load.getResult(), value);
          continue;
        }
        if (llvm::none_of(inner.getResults(),
                          [&](Value v) { return plan.varying.contains(v); })) {
          Operation *clone = b.clone(inner, scalars);
          for (auto [from, to] :
               llvm::zip(inner.getResults(), clone->getResults()))
            scalars.map(from, to);
          continue;
        }
      }
      OperationState state(loc, inner.getName());
      for (Value operand : inner.getOperands())
        state.addOperands(lookup(operand));
      for (Type t : inner.getResultTypes())
        state.addTypes(vectorOf(t));
      state.addAttributes(inner.getAttrs());
      if (auto constant = llvm::dyn_cast<arith::ConstantOp>(inner)) {
        map.map(inner.getResult(0),
                vector::BroadcastOp::create(
                    b, loc, vectorOf(inner.getResult(0).getType()),
                    b.clone(inner)->getResult(0)));
        continue;
      }
      Operation *clone = b.create(state);
      for (auto [from, to] : llvm::zip(inner.getResults(), clone->getResults()))
        map.map(from, to);
    }
    SmallVector<Value> results;
    if (plan.combineOp) {
      BlockArgument acc = block.getArgument(block.getNumArguments() - 1);
      Value other = plan.combineOp->getOperand(0) == acc
                        ? plan.combineOp->getOperand(1)
                        : plan.combineOp->getOperand(0);
      results.push_back(lookup(other));
      return results;
    }
    for (Value yielded : block.getTerminator()->getOperands())
      results.push_back(lookup(yielded));
    return results;
  }

  /// The mask of the row's last, partial vector.
  Value tailMask() {
    return vector::CreateMaskOp::create(b, loc,
                                        VectorType::get({lanes}, b.getI1Type()),
                                        ValueRange{index(tail)});
  }

  /// Calls `step` for every full vector of the row (in a loop, without a
  /// mask), then for its partial last one (with the tail mask).
  void forEachVector(llvm::function_ref<void(Value j, Value mask)> step) {
    int64_t extent = plan.bounds[plan.inner];
    int64_t full = extent / lanes * lanes;
    tail = extent - full;
    if (full > 0)
      scf::ForOp::create(
          b, loc, index(0), index(full), index(lanes), ValueRange{},
          [&](OpBuilder &nb, Location nl, Value j, ValueRange) {
            OpBuilder::InsertionGuard guard(b);
            b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
            step(j, Value());
            scf::YieldOp::create(b, nl);
          });
    if (tail)
      step(index(full), tailMask());
  }

  void emitRow() {
    if (plan.combine == Combine::None) {
      auto store = [&](Value j, Value m) {
        SmallVector<Value> values = body(j, m);
        for (auto [k, init] : llvm::enumerate(op.getDpsInitsMutable())) {
          SmallVector<Value> at = indices(op.getMatchingIndexingMap(&init), j);
          if (llvm::cast<MemRefType>(init.get().getType())
                  .getElementType()
                  .isInteger(1))
            storeBits(values[k], init.get(), at, m ? tail : lanes);
          else if (m)
            vector::MaskedStoreOp::create(b, loc, init.get(), at, m, values[k]);
          else
            vector::StoreOp::create(b, loc, values[k], init.get(), at);
        }
      };
      forEachVector(store);
      return;
    }
    // A row reduction into the output element.
    int64_t extent = plan.bounds[plan.inner];
    int64_t full = extent / lanes * lanes;
    int64_t rest = extent - full;
    tail = rest;
    OpOperand &init = op.getDpsInitsMutable()[0];
    Type element =
        llvm::cast<MemRefType>(init.get().getType()).getElementType();
    Value acc = neutral(element);
    if (full > 0) {
      auto loop = scf::ForOp::create(
          b, loc, index(0), index(full), index(lanes), ValueRange{acc},
          [&](OpBuilder &nb, Location nl, Value j, ValueRange args) {
            OpBuilder::InsertionGuard guard(b);
            b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
            scf::YieldOp::create(b, nl, combine(args[0], body(j, Value())[0]));
          });
      acc = loop.getResult(0);
    }
    if (rest) {
      Value mask = tailMask();
      Value value = body(index(full), mask)[0];
      value = arith::SelectOp::create(b, loc, mask, value, neutral(element));
      acc = combine(acc, value);
    }
    Value reduced = vector::ReductionOp::create(b, loc, kind(), acc);
    SmallVector<Value> at = indices(op.getMatchingIndexingMap(&init), Value());
    Value old = plan.start ? plan.start
                           : memref::LoadOp::create(b, loc, init.get(), at);
    Value result = plan.combineOp->getOperand(0) ==
                           op.getRegion().front().getArguments().back()
                       ? combine(old, reduced)
                       : combine(reduced, old);
    memref::StoreOp::create(b, loc, result, init.get(), at);
  }

  /// A window reduction's vectors along the innermost dim: each output
  /// vector is loaded, combined with the body's value at every point of the
  /// reduction loops (in their order), and stored.
  void emitWindowRow() {
    OpOperand &init = op.getDpsInitsMutable()[0];
    AffineMap outMap = op.getMatchingIndexingMap(&init);
    Type element =
        llvm::cast<MemRefType>(init.get().getType()).getElementType();
    SmallVector<int64_t> reductionDims;
    for (auto [d, type] : llvm::enumerate(op.getIteratorTypesArray()))
      if (type != utils::IteratorType::parallel)
        reductionDims.push_back(d);
    bool accFirst = plan.combineOp->getOperand(0) ==
                    op.getRegion().front().getArguments().back();
    std::function<Value(size_t, Value, Value, Value)> reduce =
        [&](size_t k, Value acc, Value j, Value mask) -> Value {
      if (k == reductionDims.size()) {
        Value value = body(j, mask)[0];
        return accFirst ? combine(acc, value) : combine(value, acc);
      }
      int64_t d = reductionDims[k];
      auto loop = scf::ForOp::create(
          b, loc, index(0), index(plan.bounds[d]), index(1), ValueRange{acc},
          [&](OpBuilder &nb, Location nl, Value iv, ValueRange args) {
            OpBuilder::InsertionGuard guard(b);
            b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
            ivs[d] = iv;
            scf::YieldOp::create(b, nl, reduce(k + 1, args[0], j, mask));
          });
      return loop.getResult(0);
    };
    auto step = [&](Value j, Value mask) {
      // The output's indices do not involve the reduction loops.
      SmallVector<Value> at = indices(outMap, j);
      Value acc;
      if (plan.start)
        acc =
            vector::BroadcastOp::create(b, loc, vectorOf(element), plan.start);
      else if (mask)
        acc = vector::MaskedLoadOp::create(
            b, loc, vectorOf(element), init.get(), at, mask, neutral(element));
      else
        acc = vector::LoadOp::create(b, loc, vectorOf(element), init.get(), at);
      acc = reduce(0, acc, j, mask);
      if (mask)
        vector::MaskedStoreOp::create(b, loc, init.get(), at, mask, acc);
      else
        vector::StoreOp::create(b, loc, acc, init.get(), at);
    };
    forEachVector(step);
  }

  Plan plan;
  linalg::GenericOp op;
  OpBuilder b;
  Location loc;
  int64_t lanes;
  int64_t tail = 0; // lanes in the row's last, partial vector
  SmallVector<Value> ivs;
};

/// The fill of `op`'s output (the same buffer value) that precedes `op`
/// with only side-effect-free ops in between, or null.
linalg::FillOp fillBefore(linalg::GenericOp op) {
  Value output = op.getDpsInitOperand(0)->get();
  for (Operation *prev = op->getPrevNode(); prev; prev = prev->getPrevNode()) {
    if (auto fill = llvm::dyn_cast<linalg::FillOp>(prev))
      return fill.hasPureBufferSemantics() && fill.getOutputs()[0] == output
                 ? fill
                 : nullptr;
    if (!isMemoryEffectFree(prev))
      return nullptr;
  }
  return nullptr;
}

/// Whether `op` is a transpose between buffers of 32-bit elements, of
/// rank 2 or more, that vector loops can read and write: the condition the
/// tiled and the interleaving forms share.
bool isVectorTranspose(linalg::TransposeOp op) {
  if (!op.hasPureBufferSemantics())
    return false;
  auto in = llvm::dyn_cast<MemRefType>(op.getInput().getType());
  auto out = llvm::dyn_cast<MemRefType>(op.getInit().getType());
  return in && out && isVectorizable(in) && isVectorizable(out) &&
         in.getRank() >= 2 && in.getElementTypeBitWidth() == 32;
}

/// A transpose that moves the innermost dim, on 32-bit elements, whose
/// two dims it swaps (the output's innermost and the one the input's
/// innermost becomes) are multiples of the vector width: square tiles of
/// `lanes` x `lanes`, read as rows of the input, transposed in registers
/// (kernels::transposeTile) and written as rows of the output. The
/// other dims become nested scf.parallel loops.
class TileTransposer {
public:
  TileTransposer(linalg::TransposeOp op, int64_t lanes)
      : op(op), b(op), loc(op.getLoc()), lanes(lanes) {}

  static bool fits(linalg::TransposeOp op, int64_t lanes) {
    if (!isVectorTranspose(op) || lanes < 2 || !llvm::isPowerOf2_64(lanes))
      return false;
    auto out = llvm::cast<MemRefType>(op.getInit().getType());
    int64_t last = out.getRank() - 1;
    if (op.getPermutation()[last] == last)
      return false;
    return out.getDimSize(innermostTo(op)) % lanes == 0 &&
           out.getDimSize(last) % lanes == 0;
  }

  void emit() {
    auto out = llvm::cast<MemRefType>(op.getInit().getType());
    last = out.getRank() - 1;
    k = innermostTo(op);
    ivs.assign(out.getRank(), Value());
    emitOuter(0);
    op.erase();
  }

private:
  /// The output dim that the input's innermost dim becomes.
  static int64_t innermostTo(linalg::TransposeOp op) {
    ArrayRef<int64_t> perm = op.getPermutation();
    return llvm::find(perm, (int64_t)perm.size() - 1) - perm.begin();
  }

  Value index(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }

  void emitOuter(int64_t d) {
    auto out = llvm::cast<MemRefType>(op.getInit().getType());
    if (d == out.getRank())
      return emitTiles();
    bool tiled = d == k || d == last;
    int64_t step = tiled ? lanes : 1;
    auto body = [&](OpBuilder &nb, Value iv) {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
      ivs[d] = iv;
      emitOuter(d + 1);
    };
    if (tiled) {
      scf::ForOp::create(
          b, loc, index(0), index(out.getDimSize(d)), index(step), {},
          [&](OpBuilder &nb, Location nl, Value iv, ValueRange) {
            body(nb, iv);
            OpBuilder::InsertionGuard guard(b);
            b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
            scf::YieldOp::create(b, nl);
          });
      return;
    }
    scf::ParallelOp::create(
        b, loc, ValueRange{index(0)}, ValueRange{index(out.getDimSize(d))},
        ValueRange{index(1)},
        [&](OpBuilder &nb, Location, ValueRange iv) { body(nb, iv[0]); });
  }

  void emitTiles() {
    ArrayRef<int64_t> perm = op.getPermutation();
    Type element =
        llvm::cast<MemRefType>(op.getInput().getType()).getElementType();
    auto type = VectorType::get({lanes}, element);
    // rows[r][c] = out[.., k0 + c, .., j0 + r]: a row of the input.
    SmallVector<Value> rows;
    for (int64_t r = 0; r < lanes; ++r) {
      SmallVector<Value> at(ivs.size());
      for (auto [i, p] : llvm::enumerate(perm))
        at[p] = i == (size_t)last
                    ? arith::AddIOp::create(b, loc, ivs[i], index(r))
                    : ivs[i];
      rows.push_back(vector::LoadOp::create(b, loc, type, op.getInput(), at));
    }
    kiln::kernels::transposeTile(b, loc, rows);
    // rows[c][r] = out[.., k0 + c, .., j0 + r]: a row of the output.
    for (int64_t c = 0; c < lanes; ++c) {
      SmallVector<Value> at(ivs);
      at[k] = arith::AddIOp::create(b, loc, ivs[k], index(c));
      vector::StoreOp::create(b, loc, rows[c], op.getInit(), at);
    }
  }

  linalg::TransposeOp op;
  OpBuilder b;
  Location loc;
  int64_t lanes;
  int64_t last = 0, k = 0;
  SmallVector<Value> ivs;
};

/// A transpose whose output's innermost dim is short, a power of two s
/// up to the vector width, and whose next dim is the input's innermost:
/// an interleave, out[.., j, r] = in[.., r, .., j] (as when the classes of
/// a transposed convolution's output positions are put back in place).
/// For each vector of j, the s input rows' vectors are interleaved in
/// registers (vector.interleave, in log2(s) rounds) into s vectors of the
/// output row, stored together; the row's last partial vector is masked.
/// The other dims become nested scf.parallel loops.
class Interleaver {
public:
  Interleaver(linalg::TransposeOp op, int64_t lanes)
      : op(op), b(op), loc(op.getLoc()), lanes(lanes) {}

  static bool fits(linalg::TransposeOp op, int64_t lanes) {
    if (!isVectorTranspose(op) || lanes < 2)
      return false;
    auto out = llvm::cast<MemRefType>(op.getInit().getType());
    int64_t rank = out.getRank(), s = out.getDimSize(rank - 1);
    ArrayRef<int64_t> perm = op.getPermutation();
    if (perm[rank - 2] != rank - 1 || s < 2 || s > lanes ||
        !llvm::isPowerOf2_64(s))
      return false;
    // The output's last two dims are one contiguous row.
    SmallVector<int64_t> strides;
    int64_t offset;
    return succeeded(out.getStridesAndOffset(strides, offset)) &&
           strides[rank - 2] == s;
  }

  void emit() {
    auto out = llvm::cast<MemRefType>(op.getInit().getType());
    rank = out.getRank();
    s = out.getDimSize(rank - 1);
    ivs.assign(rank, Value());
    // The output with its last two dims flattened: a row takes one vector
    // store per vector of j.
    SmallVector<ReassociationIndices> groups;
    for (int64_t d = 0; d < rank - 2; ++d)
      groups.push_back({d});
    groups.push_back({rank - 2, rank - 1});
    rows = memref::CollapseShapeOp::create(b, loc, op.getInit(), groups);
    emitOuter(0);
    op.erase();
  }

private:
  Value index(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }

  void emitOuter(int64_t d) {
    auto out = llvm::cast<MemRefType>(op.getInit().getType());
    if (d == rank - 2)
      return emitRow(out.getDimSize(rank - 2));
    scf::ParallelOp::create(
        b, loc, ValueRange{index(0)}, ValueRange{index(out.getDimSize(d))},
        ValueRange{index(1)}, [&](OpBuilder &nb, Location, ValueRange iv) {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
          ivs[d] = iv[0];
          emitOuter(d + 1);
        });
  }

  /// The row of `length` x s output elements: full vectors of j in a
  /// loop, then the partial one.
  void emitRow(int64_t length) {
    int64_t full = length / lanes * lanes;
    if (full > 0)
      scf::ForOp::create(b, loc, index(0), index(full), index(lanes), {},
                         [&](OpBuilder &nb, Location nl, Value j, ValueRange) {
                           OpBuilder::InsertionGuard guard(b);
                           b.setInsertionPoint(nb.getInsertionBlock(),
                                               nb.getInsertionPoint());
                           emitVectors(j, 0);
                           scf::YieldOp::create(b, nl);
                         });
    if (full < length)
      emitVectors(index(full), length - full);
  }

  /// Interleaves the s input vectors at j (the first `partial` lanes, or
  /// all with 0) into the output.
  void emitVectors(Value j, int64_t partial) {
    ArrayRef<int64_t> perm = op.getPermutation();
    Type element =
        llvm::cast<MemRefType>(op.getInput().getType()).getElementType();
    auto type = VectorType::get({lanes}, element);
    auto maskOf = [&](int64_t width, int64_t count) {
      return vector::CreateMaskOp::create(
          b, loc, VectorType::get({width}, b.getI1Type()),
          ValueRange{index(count)});
    };
    Value mask = partial ? maskOf(lanes, partial) : Value();
    Value zero;
    if (mask)
      zero = arith::ConstantOp::create(
          b, loc, type, DenseElementsAttr::get(type, b.getZeroAttr(element)));
    SmallVector<Value> values;
    for (int64_t r = 0; r < s; ++r) {
      SmallVector<Value> at(rank);
      for (auto [i, p] : llvm::enumerate(perm))
        at[p] = i == (size_t)rank - 1   ? index(r)
                : i == (size_t)rank - 2 ? j
                                        : ivs[i];
      values.push_back(mask ? (Value)vector::MaskedLoadOp::create(
                                  b, loc, type, op.getInput(), at, mask, zero)
                            : (Value)vector::LoadOp::create(b, loc, type,
                                                            op.getInput(), at));
    }
    // Round by round, vector i takes its lanes alternately with vector
    // i + half: after log2(s) rounds, lane j * s + r holds input row r's j.
    for (int64_t half = s / 2; half >= 1; half /= 2) {
      SmallVector<Value> next;
      for (int64_t i = 0; i < half; ++i)
        next.push_back(
            vector::InterleaveOp::create(b, loc, values[i], values[i + half]));
      values = next;
    }
    // The row from (j, 0) on, in the flattened output.
    SmallVector<Value> at(ivs.begin(), ivs.end() - 2);
    at.push_back(arith::MulIOp::create(b, loc, j, index(s)));
    if (partial)
      vector::MaskedStoreOp::create(b, loc, rows, at,
                                    maskOf(lanes * s, partial * s), values[0]);
    else
      vector::StoreOp::create(b, loc, values[0], rows, at);
  }

  linalg::TransposeOp op;
  OpBuilder b;
  Location loc;
  int64_t lanes;
  int64_t rank = 0, s = 0;
  Value rows;
  SmallVector<Value> ivs;
};

struct VectorizeGenericsPass
    : kiln::impl::KilnVectorizeGenericsBase<VectorizeGenericsPass> {
  using Base::Base;
  void runOnOperation() override {
    // A reduction whose output was filled just before (as pooling and
    // reductions start from their neutral value) starts from the fill's
    // value in registers: the fill is dropped and the output not read.
    // Every output element is written, and storing vectors that were
    // filled with masked stores, then loading them back, would stall on
    // store forwarding.
    SmallVector<Plan> plans;
    getOperation()->walk([&](linalg::GenericOp op) {
      std::optional<Plan> plan = match(op);
      if (!plan)
        return;
      if (plan->combine != Combine::None)
        if (linalg::FillOp fill = fillBefore(op)) {
          plan->start = fill.getInputs()[0];
          fill.erase();
        }
      plans.push_back(*plan);
    });
    // A fill is the elementwise generic that yields its value; left to the
    // loop lowering, LLVM vectorizes its nest across the outer dims into
    // scatters.
    SmallVector<linalg::FillOp> fills;
    SmallVector<linalg::GenericOp> newGenerics;
    getOperation()->walk([&](linalg::FillOp fill) {
      if (fill.hasPureBufferSemantics())
        fills.push_back(fill);
    });
    for (linalg::FillOp fill : fills) {
      auto type = llvm::cast<MemRefType>(fill.getOutputs()[0].getType());
      if (type.getRank() == 0 || !isVectorizable(type))
        continue;
      OpBuilder b(fill);
      Value value = fill.getInputs()[0];
      auto generic = linalg::GenericOp::create(
          b, fill.getLoc(), TypeRange{}, ValueRange{}, fill.getOutputs(),
          {b.getMultiDimIdentityMap(type.getRank())},
          SmallVector<utils::IteratorType>(type.getRank(),
                                           utils::IteratorType::parallel),
          [&](OpBuilder &nb, Location nl, ValueRange) {
            linalg::YieldOp::create(nb, nl, value);
          });
      newGenerics.push_back(generic);
      fill.erase();
    }
    // A copy between buffers of static shapes that are not both dense (into
    // the inside of a padded buffer, out of a slice) is the elementwise
    // generic that yields its input: lowered as it is, it becomes a call
    // to the runtime's memrefCopy, which copies such buffers an element at
    // a time.
    SmallVector<memref::CopyOp> copies;
    getOperation()->walk([&](memref::CopyOp copy) {
      auto from = llvm::dyn_cast<MemRefType>(copy.getSource().getType());
      auto to = llvm::dyn_cast<MemRefType>(copy.getTarget().getType());
      if (from && to && from.getRank() > 0 &&
          from.getShape() == to.getShape() && isVectorizable(from) &&
          isVectorizable(to) &&
          !(from.getLayout().isIdentity() && to.getLayout().isIdentity()))
        copies.push_back(copy);
    });
    for (memref::CopyOp copy : copies) {
      auto type = llvm::cast<MemRefType>(copy.getTarget().getType());
      OpBuilder b(copy);
      auto identity = b.getMultiDimIdentityMap(type.getRank());
      auto generic = linalg::GenericOp::create(
          b, copy.getLoc(), TypeRange{}, ValueRange{copy.getSource()},
          ValueRange{copy.getTarget()}, {identity, identity},
          SmallVector<utils::IteratorType>(type.getRank(),
                                           utils::IteratorType::parallel),
          [&](OpBuilder &nb, Location nl, ValueRange args) {
            linalg::YieldOp::create(nb, nl, args[0]);
          });
      newGenerics.push_back(generic);
      copy.erase();
    }
    // A transpose that keeps the innermost dim copies rows: the elementwise
    // generic of it (the loop lowering's nest becomes scatters too). One
    // that moves it goes in square tiles, where its dims allow them, or
    // interleaves rows, where the output's innermost dim is short.
    int64_t lanes = std::max<int64_t>(vectorBits / 32, 1);
    SmallVector<linalg::TransposeOp> transposes, tiled, interleaved;
    getOperation()->walk([&](linalg::TransposeOp op) {
      ArrayRef<int64_t> perm = op.getPermutation();
      if (op.hasPureBufferSemantics() && !perm.empty() &&
          perm.back() == (int64_t)perm.size() - 1)
        transposes.push_back(op);
      else if (TileTransposer::fits(op, lanes))
        tiled.push_back(op);
      else if (Interleaver::fits(op, lanes))
        interleaved.push_back(op);
    });
    for (linalg::TransposeOp op : tiled)
      TileTransposer(op, lanes).emit();
    for (linalg::TransposeOp op : interleaved)
      Interleaver(op, lanes).emit();
    for (linalg::TransposeOp op : transposes) {
      IRRewriter rewriter(op);
      FailureOr<linalg::GenericOp> generic =
          linalg::generalizeNamedOp(rewriter, op);
      if (succeeded(generic))
        newGenerics.push_back(*generic);
    }
    for (linalg::GenericOp op : newGenerics)
      if (std::optional<Plan> plan = match(op))
        plans.push_back(*plan);
    for (const Plan &plan : plans)
      Emitter(plan, lanes).emit();
  }
};

} // namespace

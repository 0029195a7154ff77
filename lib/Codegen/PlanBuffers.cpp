//===- PlanBuffers.cpp - One workspace for a model's intermediate buffers -===//
//
// After bufferization, every statically shaped memref.alloc in the body of
// `main` whose uses (through views) all stay in that body gets a live range:
// from the alloc to the last top-level op that uses it. The ranges are packed
// into one workspace, first fit, largest buffers first, 64-byte aligned; the
// workspace becomes a last argument of `main`, each alloc a memref.view into
// it, and its size the module attribute `kiln.workspace_bytes`. The runtime
// allocates the workspace once per model instance, so running a model
// allocates nothing for these buffers. An alloc in the body of a
// sequential loop (scf.for, and scf.if within it) is placed the same way,
// live while the loop runs: each iteration's buffer is dead by the next.
// An alloc in the body of an scf.forall of a static trip count N (and of
// sequential loops within it) gets N places, one per iteration, live while
// the forall runs: the iterations of such a loop (the two directions of a
// recurrent layer) may run side by side. Buffers that escape (returned,
// yielded from a region) and allocs inside other parallel loops keep their
// own allocations.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

namespace kiln {
#define GEN_PASS_DEF_KILNPLANBUFFERS
#include "kiln/Codegen/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

constexpr int64_t kAlignment = 64;

struct Buffer {
  memref::AllocOp alloc;
  int64_t start, end, bytes, offset = -1;
  /// The forall whose iterations each take a place of `slot` bytes, or
  /// null (bytes is then the places' total).
  scf::ForallOp forall;
  int64_t slot = 0;
};

/// The static trip count of a one-dim forall from 0 by 1, or nullopt.
std::optional<int64_t> forallTrips(scf::ForallOp forall) {
  if (forall.getRank() != 1 || forall.getMapping())
    return std::nullopt;
  std::optional<int64_t> lb = getConstantIntValue(
                             forall.getMixedLowerBound()[0]),
                         ub = getConstantIntValue(
                             forall.getMixedUpperBound()[0]),
                         step = getConstantIntValue(forall.getMixedStep()[0]);
  if (!lb || !ub || !step || *lb != 0 || *step != 1 || *ub < 1)
    return std::nullopt;
  return *ub;
}

/// The last position (in `block`) of an op using `value` or a view of it,
/// or nullopt when a view escapes the block's straight-line code.
std::optional<int64_t>
lastUse(Value value, Block &block,
        const llvm::DenseMap<Operation *, int64_t> &position) {
  int64_t last = -1;
  SmallVector<Value> worklist = {value};
  llvm::DenseSet<Value> seen = {value};
  while (!worklist.empty()) {
    Value v = worklist.pop_back_val();
    for (OpOperand &use : v.getUses()) {
      Operation *user = use.getOwner();
      if (user->hasTrait<OpTrait::IsTerminator>() ||
          llvm::isa<func::CallOp>(user))
        return std::nullopt;
      // Any memref an op returns may alias its operands (views, loops
      // carrying the buffer): follow them all.
      for (Value result : user->getResults())
        if (llvm::isa<BaseMemRefType>(result.getType()) &&
            seen.insert(result).second)
          worklist.push_back(result);
      Operation *top = block.findAncestorOpInBlock(*user);
      if (!top)
        return std::nullopt;
      last = std::max(last, position.lookup(top));
    }
  }
  return last;
}

struct PlanBuffersPass : kiln::impl::KilnPlanBuffersBase<PlanBuffersPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto func = module.lookupSymbol<func::FuncOp>("main");
    if (!func || func.isExternal() || !func.getBody().hasOneBlock())
      return;
    Block &block = func.getBody().front();
    llvm::DenseMap<Operation *, int64_t> position;
    for (auto [i, op] : llvm::enumerate(block))
      position[&op] = i;

    // Allocs in main's body, and in the bodies of sequential loops there
    // (each iteration's buffer is dead by the next: it takes one place,
    // live while the loop runs).
    // (and, once, of a forall: see Buffer::forall).
    SmallVector<std::pair<memref::AllocOp, scf::ForallOp>> allocs;
    func.walk([&](memref::AllocOp alloc) {
      Operation *parent = alloc->getParentOp();
      scf::ForallOp forall;
      while (parent != func) {
        if (auto loop = llvm::dyn_cast<scf::ForallOp>(parent)) {
          if (forall || !forallTrips(loop))
            return;
          forall = loop;
        } else if (!llvm::isa<scf::ForOp, scf::IfOp>(parent)) {
          return;
        }
        parent = parent->getParentOp();
      }
      allocs.push_back({alloc, forall});
    });
    std::vector<Buffer> buffers;
    for (auto [alloc, forall] : allocs) {
      MemRefType type = alloc.getType();
      Type element = type.getElementType();
      if (!type.hasStaticShape() || !type.getLayout().isIdentity() ||
          !element.isIntOrFloat() || element.getIntOrFloatBitWidth() % 8 ||
          type.getMemorySpace())
        continue;
      std::optional<int64_t> end = lastUse(alloc, block, position);
      if (!end)
        continue;
      int64_t bytes =
          type.getNumElements() * element.getIntOrFloatBitWidth() / 8;
      int64_t start = position.lookup(block.findAncestorOpInBlock(*alloc));
      Buffer buffer{alloc, start, std::max(*end, start),
                    std::max<int64_t>(bytes, 1)};
      if (forall) {
        buffer.forall = forall;
        buffer.slot = (buffer.bytes + kAlignment - 1) / kAlignment * kAlignment;
        buffer.bytes = buffer.slot * *forallTrips(forall);
      }
      buffers.push_back(buffer);
    }
    if (buffers.empty())
      return;

    // First fit, largest first, among the buffers live at the same time.
    std::vector<Buffer *> order;
    for (Buffer &b : buffers)
      order.push_back(&b);
    std::stable_sort(order.begin(), order.end(),
                     [](Buffer *a, Buffer *b) { return a->bytes > b->bytes; });
    int64_t total = 0;
    std::vector<Buffer *> placed;
    for (Buffer *b : order) {
      std::vector<std::pair<int64_t, int64_t>> taken;
      for (Buffer *p : placed)
        if (p->start <= b->end && b->start <= p->end)
          taken.push_back({p->offset, p->offset + p->bytes});
      llvm::sort(taken);
      int64_t offset = 0;
      for (auto [begin, end] : taken) {
        if (offset + b->bytes <= begin)
          break;
        offset =
            std::max(offset, (end + kAlignment - 1) / kAlignment * kAlignment);
      }
      b->offset = offset;
      total = std::max(total, offset + b->bytes);
      placed.push_back(b);
    }
    total = (total + kAlignment - 1) / kAlignment * kAlignment;

    OpBuilder builder(&getContext());
    auto workspaceType = MemRefType::get({total}, builder.getI8Type());
    unsigned index = func.getNumArguments();
    if (failed(func.insertArgument(index, workspaceType, {}, func.getLoc())))
      return signalPassFailure();
    Value workspace = func.getArgument(index);
    for (Buffer &b : buffers) {
      builder.setInsertionPoint(b.alloc);
      Location loc = b.alloc.getLoc();
      Value offset = arith::ConstantIndexOp::create(builder, loc, b.offset);
      if (b.forall)
        offset = arith::AddIOp::create(
            builder, loc, offset,
            arith::MulIOp::create(
                builder, loc, b.forall.getInductionVar(0),
                arith::ConstantIndexOp::create(builder, loc, b.slot)));
      Value view =
          memref::ViewOp::create(builder, b.alloc.getLoc(), b.alloc.getType(),
                                 workspace, offset, ValueRange{});
      b.alloc.replaceAllUsesWith(view);
      b.alloc.erase();
    }
    module->setAttr("kiln.workspace_bytes", builder.getI64IntegerAttr(total));
  }
};

} // namespace

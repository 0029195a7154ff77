//===- Parallelize.cpp - Outer loops on the runtime's OpenMP threads ------===//
//
// Each sufficiently large scf.parallel at the top of `main` (its enclosing
// parallel loops running one iteration each) is outlined into a task
// function `kiln_task_K(lo, hi, <main's arguments>)` that runs iterations
// [lo, hi) of the loop's first dim; the values the body reads from outside
// are main's arguments, or constants, globals and views of those, which
// the task recomputes. The loop becomes a call to the runtime's
// `kiln_parallel_for(K, iterations)`, which splits the range over GNU
// OpenMP threads and calls back `kiln_model_task(K, lo, hi, buffers)`,
// defined from `kiln_task_dispatch` by kiln-emit-entry-point. So is each
// one in the body of a sequential scf.for there (a recurrent layer's time
// steps): the ivs of the enclosing loops it reads are written, before the
// call, to a slot of kScalarSlots i64s added at the end of the workspace,
// where the task reads them back. Loops whose body allocates or reads
// anything else stay sequential.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/Passes.h"
#include "kiln/Runtime/ABI.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace kiln {
#define GEN_PASS_DEF_KILNPARALLELIZE
#include "kiln/Codegen/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

/// A static trip count, or nullopt.
std::optional<int64_t> tripCount(Value lb, Value ub, Value step) {
  std::optional<int64_t> l = getConstantIntValue(lb),
                         u = getConstantIntValue(ub),
                         s = getConstantIntValue(step);
  if (!l || !u || !s || *s <= 0)
    return std::nullopt;
  return *u > *l ? (*u - *l + *s - 1) / *s : 0;
}

/// The number of operations the innermost loop bodies in `op` execute,
/// summed over its loop nests (a rough measure of its work), saturating.
int64_t work(Operation *op) {
  int64_t total = 0;
  std::function<void(Operation *, int64_t)> visit = [&](Operation *o,
                                                        int64_t scale) {
    int64_t trips = 1;
    if (auto loop = llvm::dyn_cast<scf::ForOp>(o)) {
      trips =
          tripCount(loop.getLowerBound(), loop.getUpperBound(), loop.getStep())
              .value_or(16);
    } else if (auto par = llvm::dyn_cast<scf::ParallelOp>(o)) {
      for (auto [lb, ub, st] :
           llvm::zip(par.getLowerBound(), par.getUpperBound(), par.getStep()))
        trips *= tripCount(lb, ub, st).value_or(16);
    }
    int64_t inner = std::min<int64_t>(scale * trips, int64_t(1) << 40);
    bool nested = false;
    for (Region &region : o->getRegions())
      for (Operation &child : region.getOps())
        if (child.getNumRegions()) {
          nested = true;
          visit(&child, inner);
        }
    if (!nested && o->getNumRegions()) {
      int64_t ops = 0;
      for (Region &region : o->getRegions())
        for (Block &block : region)
          ops += block.getOperations().size();
      total = std::min<int64_t>(total + inner * ops, int64_t(1) << 40);
    }
  };
  visit(op, 1);
  return total;
}

/// Ivs of enclosing sequential loops a task may read.
constexpr int64_t kScalarSlots = 8;

class Outliner {
public:
  Outliner(func::FuncOp main, int64_t minWork)
      : main(main), module(main->getParentOfType<ModuleOp>()),
        minWork(minWork) {}

  void run() {
    SmallVector<scf::ParallelOp> candidates;
    std::function<void(Block &)> visit = [&](Block &block) {
      for (Operation &op : block) {
        if (auto loop = llvm::dyn_cast<scf::ParallelOp>(op))
          collect(loop, {}, candidates);
        else if (auto loop = llvm::dyn_cast<scf::ForOp>(op))
          visit(*loop.getBody());
      }
    };
    visit(main.getBody().front());
    // Loops in sequential loops read the ivs of those through a slot at
    // the end of the workspace, written before each call.
    if (llvm::any_of(candidates, [&](scf::ParallelOp loop) {
          return loop->getParentOfType<scf::ForOp>() != nullptr;
        }))
      reserveScalars();
    // main's ops numbered in pre-order, so that an op in a loop's body
    // comes after what it reads from outside. Outlining only adds ops that
    // no later loop reads (the calls and the stores of ivs before them).
    main.walk<WalkOrder::PreOrder>(
        [&](Operation *op) { programOrder[op] = programOrder.size(); });
    for (scf::ParallelOp loop : candidates)
      outline(loop);
    if (!tasks.empty())
      emitDispatch();
  }

private:
  /// Finds the loop to split: `loop` itself when its first dim has two or
  /// more iterations, else the parallel loops directly in its body (whose
  /// enclosing ivs, running once, are then known constants).
  void collect(scf::ParallelOp loop, IRMapping known,
               SmallVector<scf::ParallelOp> &out) {
    std::optional<int64_t> first = tripCount(
        loop.getLowerBound()[0], loop.getUpperBound()[0], loop.getStep()[0]);
    if (!first)
      return;
    if (*first >= 2) {
      if (work(loop) >= minWork) {
        out.push_back(loop);
        fixed[loop] = known;
      }
      return;
    }
    for (auto [iv, lb, ub, step] :
         llvm::zip(loop.getInductionVars(), loop.getLowerBound(),
                   loop.getUpperBound(), loop.getStep())) {
      std::optional<int64_t> trips = tripCount(lb, ub, step);
      if (!trips || *trips != 1)
        return;
      known.map(iv, lb);
    }
    for (Operation &op : loop.getBody()->without_terminator())
      if (auto inner = llvm::dyn_cast<scf::ParallelOp>(op))
        collect(inner, known, out);
  }

  /// Grows main's workspace (its last argument) by kScalarSlots i64s,
  /// where `scalars` then starts; leaves it unset when main has none.
  void reserveScalars() {
    auto bytes = module->getAttrOfType<IntegerAttr>("kiln.workspace_bytes");
    if (!bytes || main.getNumArguments() == 0)
      return;
    BlockArgument workspace = main.getArgument(main.getNumArguments() - 1);
    auto type = llvm::dyn_cast<MemRefType>(workspace.getType());
    if (!type || type.getRank() != 1 || !type.getElementType().isInteger(8) ||
        type.getDimSize(0) != bytes.getInt())
      return;
    int64_t offset = bytes.getInt();
    auto grown =
        MemRefType::get({offset + kScalarSlots * 8}, type.getElementType());
    workspace.setType(grown);
    main.setFunctionType(FunctionType::get(
        main.getContext(), main.getBody().front().getArgumentTypes(),
        main.getFunctionType().getResults()));
    module->setAttr("kiln.workspace_bytes",
                    IntegerAttr::get(bytes.getType(), grown.getDimSize(0)));
    scalars = offset;
  }

  /// Whether `value`, read inside a task, can be rebuilt there: the iv of
  /// an enclosing sequential loop is passed (added to `captured`).
  bool available(Value value, const IRMapping &known,
                 llvm::SetVector<Operation *> &defs) {
    if (known.contains(value))
      return true;
    if (auto arg = llvm::dyn_cast<BlockArgument>(value)) {
      if (arg.getOwner() == &main.getBody().front())
        return true;
      auto loop = llvm::dyn_cast<scf::ForOp>(arg.getOwner()->getParentOp());
      if (!loop || arg != loop.getInductionVar() || !scalars ||
          (!captured.contains(arg) && captured.size() >= kScalarSlots))
        return false;
      captured.insert(arg);
      return true;
    }
    Operation *def = value.getDefiningOp();
    if (!def || def->getNumRegions() || def->getBlock() == nullptr)
      return false;
    bool pure =
        def->hasTrait<OpTrait::ConstantLike>() ||
        llvm::isa<memref::GetGlobalOp, ViewLikeOpInterface,
                  memref::CollapseShapeOp, memref::ExpandShapeOp>(def) ||
        isPure(def);
    if (!pure || llvm::isa<memref::AllocOp, memref::AllocaOp>(def))
      return false;
    for (Value operand : def->getOperands())
      if (!available(operand, known, defs))
        return false;
    defs.insert(def);
    return true;
  }

  void outline(scf::ParallelOp loop) {
    IRMapping known = fixed[loop];
    // The body must not allocate: iterations would share the buffer.
    bool allocates = false;
    loop.walk([&](Operation *op) {
      allocates |= llvm::isa<memref::AllocOp, memref::AllocaOp>(op);
    });
    if (allocates)
      return;
    llvm::SetVector<Operation *> defs;
    captured.clear();
    bool ok = true;
    loop.walk([&](Operation *op) {
      for (Value operand : op->getOperands())
        if (!loop->isAncestor(operand.getParentRegion()->getParentOp()) &&
            !available(operand, known, defs))
          ok = false;
    });
    for (auto &entry : known.getValueMap())
      ok &= available(entry.second, IRMapping(), defs);
    for (Value bound : llvm::concat<Value>(
             loop.getLowerBound(), loop.getUpperBound(), loop.getStep()))
      ok &= available(bound, known, defs);
    if (!ok)
      return;

    int64_t id = tasks.size();
    OpBuilder b(module.getBodyRegion());
    b.setInsertionPoint(main);
    Location loc = loop.getLoc();
    SmallVector<Type> argTypes = {b.getIndexType(), b.getIndexType()};
    llvm::append_range(argTypes, main.getArgumentTypes());
    auto task = func::FuncOp::create(b, loc, "kiln_task_" + std::to_string(id),
                                     b.getFunctionType(argTypes, {}));
    task.setPrivate();
    Block *entry = task.addEntryBlock();
    b.setInsertionPointToStart(entry);
    IRMapping map;
    for (auto [from, to] :
         llvm::zip(main.getArguments(), entry->getArguments().drop_front(2)))
      map.map(from, to);
    // The ivs of the enclosing sequential loops, from the workspace's slot.
    if (!captured.empty()) {
      Value slots = scalarSlots(b, loc, entry->getArguments().back());
      for (auto [i, iv] : llvm::enumerate(captured)) {
        Value value = memref::LoadOp::create(
            b, loc, slots,
            ValueRange{arith::ConstantIndexOp::create(b, loc, i)});
        map.map(iv,
                arith::IndexCastOp::create(b, loc, b.getIndexType(), value));
      }
    }
    // Definitions in program order, each after its operands.
    SmallVector<Operation *> ordered(defs.begin(), defs.end());
    llvm::sort(ordered, [&](Operation *x, Operation *y) {
      return programOrder.lookup(x) < programOrder.lookup(y);
    });
    for (Operation *def : ordered)
      b.clone(*def, map);
    for (auto &entry : known.getValueMap())
      map.map(entry.first, map.lookupOrDefault(entry.second));

    // for i in [lo, hi): iv0 = lb0 + i * step0; the other dims stay a
    // (now sequential) parallel loop inside.
    Value lb0 = map.lookup(loop.getLowerBound()[0]);
    Value step0 = map.lookup(loop.getStep()[0]);
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    auto outer = scf::ForOp::create(b, loc, entry->getArgument(0),
                                    entry->getArgument(1), one);
    b.setInsertionPointToStart(outer.getBody());
    Value iv0 = arith::AddIOp::create(
        b, loc, lb0,
        arith::MulIOp::create(b, loc, outer.getInductionVar(), step0));
    map.map(loop.getInductionVars()[0], iv0);
    if (loop.getNumLoops() == 1) {
      for (Operation &op : loop.getBody()->without_terminator())
        b.clone(op, map);
    } else {
      SmallVector<Value> lbs, ubs, steps;
      for (unsigned d = 1; d < loop.getNumLoops(); ++d) {
        lbs.push_back(map.lookup(loop.getLowerBound()[d]));
        ubs.push_back(map.lookup(loop.getUpperBound()[d]));
        steps.push_back(map.lookup(loop.getStep()[d]));
      }
      auto inner = scf::ParallelOp::create(b, loc, lbs, ubs, steps);
      for (unsigned d = 1; d < loop.getNumLoops(); ++d)
        map.map(loop.getInductionVars()[d], inner.getInductionVars()[d - 1]);
      b.setInsertionPointToStart(inner.getBody());
      for (Operation &op : loop.getBody()->without_terminator())
        b.clone(op, map);
    }
    b.setInsertionPointToEnd(entry);
    func::ReturnOp::create(b, loc);

    // In main: hand the iterations to the runtime (after the ivs they
    // read).
    b.setInsertionPoint(loop);
    if (!captured.empty()) {
      Value slots = scalarSlots(b, loc, main.getArguments().back());
      for (auto [i, iv] : llvm::enumerate(captured))
        memref::StoreOp::create(
            b, loc, arith::IndexCastOp::create(b, loc, b.getI64Type(), iv),
            slots, ValueRange{arith::ConstantIndexOp::create(b, loc, i)});
    }
    int64_t trips = *tripCount(loop.getLowerBound()[0], loop.getUpperBound()[0],
                               loop.getStep()[0]);
    Value idValue = arith::ConstantIntOp::create(b, loc, id, 32);
    Value count = arith::ConstantIntOp::create(b, loc, trips, 64);
    func::CallOp::create(b, loc, kiln::abi::kParallelFor, TypeRange{},
                         ValueRange{idValue, count});
    // Outer loops that ran once now hold nothing but this call.
    loop.erase();
    tasks.push_back(task);
  }

  /// The workspace's slot of scalars, i64 [kScalarSlots].
  Value scalarSlots(OpBuilder &b, Location loc, Value workspace) {
    return memref::ViewOp::create(
        b, loc, MemRefType::get({kScalarSlots}, b.getI64Type()), workspace,
        arith::ConstantIndexOp::create(b, loc, *scalars), ValueRange{});
  }

  /// kiln_task_dispatch(id, lo, hi, <main's arguments>) calls task `id`.
  void emitDispatch() {
    OpBuilder b(module.getBodyRegion());
    b.setInsertionPoint(main);
    Location loc = main.getLoc();
    SmallVector<Type> argTypes = {b.getI32Type(), b.getIndexType(),
                                  b.getIndexType()};
    llvm::append_range(argTypes, main.getArgumentTypes());
    if (!module.lookupSymbol(kiln::abi::kParallelFor)) {
      auto decl = func::FuncOp::create(
          b, loc, kiln::abi::kParallelFor,
          b.getFunctionType({b.getI32Type(), b.getI64Type()}, {}));
      decl.setPrivate();
    }
    auto dispatch = func::FuncOp::create(b, loc, "kiln_task_dispatch",
                                         b.getFunctionType(argTypes, {}));
    Block *entry = dispatch.addEntryBlock();
    b.setInsertionPointToStart(entry);
    SmallVector<Value> callArgs(entry->getArguments().drop_front());
    for (auto [id, task] : llvm::enumerate(tasks)) {
      Value k = arith::ConstantIntOp::create(b, loc, id, 32);
      Value match = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                          entry->getArgument(0), k);
      auto branch = scf::IfOp::create(b, loc, match, /*withElse=*/false);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(branch.thenBlock());
      func::CallOp::create(b, loc, task, callArgs);
    }
    func::ReturnOp::create(b, loc);
  }

  func::FuncOp main;
  ModuleOp module;
  int64_t minWork;
  llvm::DenseMap<Operation *, IRMapping> fixed;
  SmallVector<func::FuncOp> tasks;
  // Where the slot of scalars starts in the workspace, once reserved, and
  // the ivs the loop being outlined reads.
  std::optional<int64_t> scalars;
  llvm::SetVector<Value> captured;
  // The position of each of main's ops before outlining, in pre-order.
  llvm::DenseMap<Operation *, int64_t> programOrder;
};

struct ParallelizePass : kiln::impl::KilnParallelizeBase<ParallelizePass> {
  using Base::Base;
  void runOnOperation() override {
    auto main = getOperation().lookupSymbol<func::FuncOp>("main");
    if (!main || main.isExternal() || !main.getBody().hasOneBlock())
      return;
    Outliner(main, minWork).run();
  }
};

} // namespace

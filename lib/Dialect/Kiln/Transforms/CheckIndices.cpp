//===- CheckIndices.cpp - Run-time checks of data-dependent indices -------===//
//
// kiln.gather and kiln.gather_elements read their data at positions given by
// a tensor. Constant indices are checked here, at compile time. For indices
// known only at run time, the lowering clamps every read into the tensor,
// and this pass adds a check: the smallest and the largest index, computed
// by one reduction, become an extra result of `main` marked `kiln.check`
// ("LOW HIGH LABEL", the valid range and the op), which the signature lists
// as a check and the runtime compares after each run, failing the run with a
// message instead of returning outputs computed from clamped reads.
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/Kiln/IR/KilnOps.h"
#include "kiln/Dialect/Kiln/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

namespace kiln {
#define GEN_PASS_DEF_KILNCHECKINDICES
#include "kiln/Dialect/Kiln/Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

/// [min, max] of `indices` as a tensor<2xi64>.
static Value indexRange(OpBuilder &b, Location loc, Value indices) {
  auto type = llvm::cast<RankedTensorType>(indices.getType());
  Type i64 = b.getI64Type();
  auto scalar = RankedTensorType::get({}, i64);
  auto filled = [&](int64_t value) {
    Value init = tensor::EmptyOp::create(b, loc, scalar, ValueRange{});
    Value c = arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(value));
    return linalg::FillOp::create(b, loc, c, init).getResult(0);
  };
  Value lowInit = filled(std::numeric_limits<int64_t>::max());
  Value highInit = filled(std::numeric_limits<int64_t>::min());
  int64_t rank = type.getRank();
  SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(rank),
                                 AffineMap::get(rank, 0, {}, b.getContext()),
                                 AffineMap::get(rank, 0, {}, b.getContext())};
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::reduction);
  auto reduce = linalg::GenericOp::create(
      b, loc, TypeRange{scalar, scalar}, ValueRange{indices},
      ValueRange{lowInit, highInit}, maps, iterators,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value x = args[0];
        if (x.getType() != i64)
          x = arith::ExtSIOp::create(nb, nl, i64, x);
        linalg::YieldOp::create(
            nb, nl,
            ValueRange{arith::MinSIOp::create(nb, nl, x, args[1]),
                       arith::MaxSIOp::create(nb, nl, x, args[2])});
      });
  Value low = tensor::ExtractOp::create(b, loc, reduce.getResult(0));
  Value high = tensor::ExtractOp::create(b, loc, reduce.getResult(1));
  return tensor::FromElementsOp::create(b, loc, RankedTensorType::get({2}, i64),
                                        ValueRange{low, high});
}

namespace {
struct CheckIndicesPass : kiln::impl::KilnCheckIndicesBase<CheckIndicesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto func = module.lookupSymbol<func::FuncOp>("main");
    auto funcs = module.getOps<func::FuncOp>();
    if (!func && std::distance(funcs.begin(), funcs.end()) == 1)
      func = *funcs.begin();
    if (!func || func.isExternal() || !func.getBody().hasOneBlock())
      return;

    SmallVector<std::pair<Value, std::string>> checks;
    WalkResult walk = func.walk([&](Operation *op) {
      Value indices;
      int64_t size;
      if (auto gather = llvm::dyn_cast<GatherOp>(op)) {
        indices = gather.getIndices();
        size = gather.getData().getType().getDimSize(gather.getAxis());
      } else if (auto gather = llvm::dyn_cast<GatherElementsOp>(op)) {
        indices = gather.getIndices();
        size = gather.getData().getType().getDimSize(gather.getAxis());
      } else {
        return WalkResult::advance();
      }
      auto type = llvm::cast<RankedTensorType>(indices.getType());
      if (type.getNumElements() == 0)
        return WalkResult::advance();
      DenseIntElementsAttr values;
      if (matchPattern(indices, m_Constant(&values))) {
        for (const APInt &value : values) {
          int64_t index = value.getSExtValue();
          if (index < -size || index >= size) {
            op->emitError()
                << "index " << index << " is out of range for an axis of size "
                << size << " (valid: " << -size << " to " << size - 1 << ")";
            return WalkResult::interrupt();
          }
        }
        return WalkResult::advance();
      }
      OpBuilder b(op);
      std::string label = std::to_string(-size) + " " +
                          std::to_string(size - 1) + " " + nodeLabel(op);
      checks.push_back({indexRange(b, op->getLoc(), indices), label});
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();
    if (checks.empty())
      return;

    auto ret = llvm::cast<func::ReturnOp>(func.getBody().front().back());
    SmallVector<Value> results(ret.getOperands());
    for (auto &[value, label] : checks) {
      unsigned index = func.getNumResults();
      if (failed(func.insertResult(
              index, value.getType(),
              DictionaryAttr::get(
                  &getContext(),
                  {NamedAttribute(StringAttr::get(&getContext(), "kiln.check"),
                                  StringAttr::get(&getContext(), label))}))))
        return signalPassFailure();
      results.push_back(value);
    }
    ret->setOperands(results);
  }
};
} // namespace

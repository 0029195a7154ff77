//===- CollapseDims.cpp - Fewer, longer loops for linalg.generic ----------===//

#include "kiln/Codegen/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace kiln {
#define GEN_PASS_DEF_KILNCOLLAPSEDIMS
#include "kiln/Codegen/Passes.h.inc"
} // namespace kiln

using namespace mlir;

/// The maximal runs of two or more consecutive loop dims of `op` with one
/// iterator type that every indexing map reads as one contiguous sequence,
/// for generics whose maps only select and permute dims.
static SmallVector<ReassociationIndices> collapsibleDims(linalg::LinalgOp op) {
  SmallVector<ReassociationIndices> groups;
  if (!llvm::isa<linalg::GenericOp>(op) || !op.hasPureTensorSemantics())
    return groups;
  // A slice may be strided: collapsing it would need a contiguous copy.
  for (Value operand : op->getOperands())
    if (operand.getDefiningOp<tensor::ExtractSliceOp>())
      return groups;
  // A body that reads its loop indices (a gather, an iota) would recover
  // them from the collapsed index by divisions for every element.
  if (!op.getBlock()->getOps<linalg::IndexOp>().empty())
    return groups;
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  // Broadcasts of size-1 dims (constant results) and window arithmetic are
  // left alone.
  if (!llvm::all_of(maps, [](AffineMap map) {
        return map.isProjectedPermutation(/*allowZeroInResults=*/false);
      }))
    return groups;
  auto iterators = op.getIteratorTypesArray();
  ReassociationIndices group;
  auto flush = [&] {
    if (group.size() > 1)
      groups.push_back(group);
    group.clear();
  };
  for (int64_t d = 0, e = op.getNumLoops(); d < e; ++d) {
    if (!group.empty()) {
      ReassociationIndices extended = group;
      extended.push_back(d);
      if (iterators[d] == iterators[group.front()] &&
          linalg::areDimSequencesPreserved(maps, {extended})) {
        group = extended;
        continue;
      }
      flush();
    }
    group.push_back(d);
  }
  flush();
  return groups;
}

namespace {
struct CollapseDimsPass : kiln::impl::KilnCollapseDimsBase<CollapseDimsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    linalg::populateCollapseDimensions(patterns, collapsibleDims);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace

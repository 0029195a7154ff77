//===- Reduction.cpp - ONNX reductions and softmax ------------------------===//

#include "NodeContext.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::onnx_frontend;

/// Reduce*: axes come from an attribute before `axesInputOpset` and from an
/// optional input after it.
template <ReduceKind kind, int axesInputOpset>
static LogicalResult importReduce(NodeContext &ctx) {
  auto x = ctx.required(0, "data");
  auto keepdims = ctx.getInt("keepdims", 1);
  auto noop = ctx.getInt("noop_with_empty_axes", 0);
  if (failed(x) || failed(keepdims) || failed(noop))
    return failure();
  auto given = ctx.attrOrInputInts("axes", 1, axesInputOpset);
  if (failed(given))
    return failure();
  SmallVector<int64_t> axes = *given;
  int64_t rank = NodeContext::typeOf(*x).getRank();
  if (axes.empty()) {
    if (*noop) {
      ctx.setOutput(0, *x);
      return success();
    }
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  }
  SmallVector<int64_t> normalized;
  for (int64_t a : axes) {
    auto axis = ctx.normalizeAxis(a, rank, "axes");
    if (failed(axis))
      return failure();
    if (llvm::is_contained(normalized, *axis))
      return ctx.emitError() << "axis " << *axis << " is listed twice";
    normalized.push_back(*axis);
  }
  llvm::sort(normalized);
  return ctx.setResult(ctx.reduce(kind, *x, normalized, *keepdims != 0));
}

template <ReduceKind kind>
static LogicalResult importArgReduce(NodeContext &ctx) {
  auto x = ctx.required(0, "data");
  auto axisAttr = ctx.getInt("axis", 0);
  auto keepdims = ctx.getInt("keepdims", 1);
  auto last = ctx.getInt("select_last_index", 0);
  if (failed(x) || failed(axisAttr) || failed(keepdims) || failed(last))
    return failure();
  auto axis = ctx.normalizeAxis(*axisAttr, NodeContext::typeOf(*x).getRank());
  if (failed(axis))
    return failure();
  SmallVector<NamedAttribute> attrs = {
      ctx.named("kind", ReduceKindAttr::get(ctx.context(), kind)),
      ctx.named("axis", ctx.i64(*axis))};
  if (*keepdims)
    attrs.push_back(ctx.named("keepdims", ctx.builder().getUnitAttr()));
  if (*last)
    attrs.push_back(
        ctx.named("select_last_index", ctx.builder().getUnitAttr()));
  return ctx.setResult(ctx.create<ArgReduceOp>(*x, attrs));
}

template <typename OpTy> static LogicalResult importSoftmax(NodeContext &ctx) {
  auto x = ctx.required(0, "input");
  if (failed(x))
    return failure();
  auto type = NodeContext::typeOf(*x);
  int64_t rank = type.getRank();
  bool coerce2d = ctx.opset < 13;
  auto axisAttr = ctx.getInt("axis", coerce2d ? 1 : -1);
  if (failed(axisAttr))
    return failure();
  if (rank == 0)
    return ctx.emitError() << "expected an input of rank 1 or more";
  auto axis = ctx.normalizeAxis(*axisAttr, rank);
  if (failed(axis))
    return failure();
  Value input = *x;
  int64_t softmaxAxis = *axis;
  if (coerce2d && *axis != rank - 1) {
    // Before opset 13 the input is flattened to 2-d at `axis`.
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < rank; ++d)
      (d < *axis ? outer : inner) *= type.getDimSize(d);
    auto flat = ctx.reshape(input, {outer, inner});
    if (failed(flat))
      return failure();
    input = *flat;
    softmaxAxis = 1;
  }
  auto result =
      ctx.create<OpTy>(input, {ctx.named("axis", ctx.i64(softmaxAxis))});
  if (failed(result))
    return failure();
  return ctx.setResult(ctx.reshape(*result, type.getShape()));
}

void kiln::onnx_frontend::registerReductionOps(HandlerTable &table) {
  using K = ReduceKind;
  table["ReduceSum"] = importReduce<K::sum, 13>;
  table["ReduceMean"] = importReduce<K::mean, 18>;
  table["ReduceMax"] = importReduce<K::max, 18>;
  table["ReduceMin"] = importReduce<K::min, 18>;
  table["ReduceProd"] = importReduce<K::prod, 18>;
  table["ReduceL1"] = importReduce<K::l1, 18>;
  table["ReduceL2"] = importReduce<K::l2, 18>;
  table["ReduceSumSquare"] = importReduce<K::sum_square, 18>;
  table["ReduceLogSum"] = importReduce<K::log_sum, 18>;
  table["ReduceLogSumExp"] = importReduce<K::log_sum_exp, 18>;
  table["ArgMax"] = importArgReduce<K::max>;
  table["ArgMin"] = importArgReduce<K::min>;
  table["Softmax"] = importSoftmax<SoftmaxOp>;
  table["LogSoftmax"] = importSoftmax<LogSoftmaxOp>;
}

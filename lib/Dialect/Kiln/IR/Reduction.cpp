//===- Reduction.cpp - Reductions and softmax -----------------------------===//

#include "ConstantFold.h"
#include "OpChecker.h"
#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace kiln;
using namespace kiln::detail;

//===----------------------------------------------------------------------===//
// Softmax and reductions
//===----------------------------------------------------------------------===//

template <typename Adaptor>
static LogicalResult inferSoftmax(StringRef name, std::optional<Location> loc,
                                  Adaptor adaptor,
                                  SmallVectorImpl<Type> &types) {
  OpChecker check(loc, name);
  RankedTensorType input = check.tensor(adaptor.getInput(), "input");
  if (!input || failed(check.axis(adaptor.getAxis(), input.getRank())))
    return failure();
  types.push_back(input);
  return success();
}

LogicalResult SoftmaxOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  return inferSoftmax(getOperationName(), loc, adaptor, types);
}

LogicalResult LogSoftmaxOp::inferReturnTypes(MLIRContext *,
                                             std::optional<Location> loc,
                                             Adaptor adaptor,
                                             SmallVectorImpl<Type> &types) {
  return inferSoftmax(getOperationName(), loc, adaptor, types);
}

/// Shape after reducing `axes` of `shape`.
static SmallVector<int64_t>
reducedShape(ArrayRef<int64_t> shape, ArrayRef<int64_t> axes, bool keepdims) {
  SmallVector<int64_t> result;
  for (auto [i, dim] : llvm::enumerate(shape)) {
    if (!llvm::is_contained(axes, (int64_t)i))
      result.push_back(dim);
    else if (keepdims)
      result.push_back(1);
  }
  return result;
}

LogicalResult ReduceOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  OpChecker check(loc, getOperationName());
  RankedTensorType input = check.tensor(adaptor.getInput(), "input");
  if (!input)
    return failure();
  ArrayRef<int64_t> axes = adaptor.getAxes();
  for (auto [i, axis] : llvm::enumerate(axes)) {
    if (axis < 0 || axis >= input.getRank())
      return check.fail("expected 'axes' in [0, ", input.getRank(), "), got ",
                        formatList(axes));
    if (i > 0 && axes[i - 1] >= axis)
      return check.fail("expected 'axes' to be sorted and unique, got ",
                        formatList(axes));
  }
  ReduceKind kind = adaptor.getKind();
  Type element = input.getElementType();
  bool needsFloat = kind == ReduceKind::mean || kind == ReduceKind::l2 ||
                    kind == ReduceKind::log_sum ||
                    kind == ReduceKind::log_sum_exp;
  bool boolOk = kind == ReduceKind::max || kind == ReduceKind::min;
  if ((element.isInteger(1) && !boolOk) ||
      (needsFloat && !llvm::isa<FloatType>(element)))
    return check.fail("'", stringifyReduceKind(kind),
                      "' reduction does not accept element type ", element);
  types.push_back(RankedTensorType::get(
      reducedShape(input.getShape(), axes, adaptor.getKeepdims()), element));
  return success();
}

OpFoldResult ReduceOp::fold(FoldAdaptor adaptor) {
  ReduceKind kind = getKind();
  bool simple = kind == ReduceKind::sum || kind == ReduceKind::mean ||
                kind == ReduceKind::max || kind == ReduceKind::min ||
                kind == ReduceKind::prod;
  if (!simple)
    return {};
  if (getAxes().empty())
    return getInput();
  // Evaluate on a small constant input.
  auto input = llvm::dyn_cast_if_present<DenseElementsAttr>(adaptor.getInput());
  if (!input || input.getNumElements() > kMaxFoldedElements)
    return {};
  ArrayRef<int64_t> inShape = getInput().getType().getShape();
  ArrayRef<int64_t> axes = getAxes();
  SmallVector<int64_t> keptShape;
  for (auto [d, dim] : llvm::enumerate(inShape))
    keptShape.push_back(llvm::is_contained(axes, (int64_t)d) ? 1 : dim);
  SmallVector<int64_t> inStrides = stridesOf(inShape),
                       keptStrides = stridesOf(keptShape);
  int64_t outCount = getType().getNumElements();
  SmallVector<Scalar> acc(outCount);
  SmallVector<bool> seen(outCount, false);
  int64_t group = input.getNumElements() / std::max<int64_t>(outCount, 1);
  for (int64_t linear = 0; linear < input.getNumElements(); ++linear) {
    int64_t out = 0;
    for (size_t d = 0; d < inShape.size(); ++d)
      if (keptShape[d] != 1)
        out += ((linear / inStrides[d]) % inShape[d]) * keptStrides[d];
    Scalar x = readScalar(input, linear);
    Scalar &a = acc[out];
    if (!seen[out]) {
      a = x;
      seen[out] = true;
      continue;
    }
    bool isFloat = x.isFloat;
    switch (kind) {
    case ReduceKind::sum:
    case ReduceKind::mean:
      if (isFloat)
        a.f += x.f;
      else if (__builtin_add_overflow(a.i, x.i, &a.i))
        return {};
      break;
    case ReduceKind::prod:
      if (isFloat)
        a.f *= x.f;
      else if (__builtin_mul_overflow(a.i, x.i, &a.i))
        return {};
      break;
    case ReduceKind::max:
      if (isFloat ? x.f > a.f : x.i > a.i)
        a = x;
      break;
    case ReduceKind::min:
      if (isFloat ? x.f < a.f : x.i < a.i)
        a = x;
      break;
    default:
      return {};
    }
  }
  if (llvm::is_contained(seen, false))
    return {}; // reductions over empty dims
  if (kind == ReduceKind::mean)
    for (Scalar &a : acc) {
      if (!a.isFloat)
        return {};
      a.f /= group;
    }
  return buildConstant(getType(), acc);
}

LogicalResult ArgReduceOp::inferReturnTypes(MLIRContext *ctx,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  OpChecker check(loc, getOperationName());
  RankedTensorType input = check.tensor(adaptor.getInput(), "input");
  if (!input)
    return failure();
  ReduceKind kind = adaptor.getKind();
  if (kind != ReduceKind::max && kind != ReduceKind::min)
    return check.fail("expected 'kind' to be max or min, got ",
                      stringifyReduceKind(kind));
  int64_t axis = adaptor.getAxis();
  if (failed(check.axis(axis, input.getRank())))
    return failure();
  if (input.getDimSize(axis) == 0)
    return check.fail("cannot take the arg", stringifyReduceKind(kind),
                      " of an empty dim");
  types.push_back(RankedTensorType::get(
      reducedShape(input.getShape(), {axis}, adaptor.getKeepdims()),
      IntegerType::get(ctx, 64)));
  return success();
}

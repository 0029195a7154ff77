//===- Normalization.cpp - Batch, layer and response norms ----------------===//

#include "OpChecker.h"
#include "kiln/Dialect/Kiln/IR/KilnOps.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::detail;

//===----------------------------------------------------------------------===//
// Normalization
//===----------------------------------------------------------------------===//

LogicalResult BatchNormOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  OpChecker check(loc, getOperationName());
  RankedTensorType input = check.tensor(adaptor.getInput(), "input");
  if (!input)
    return failure();
  if (input.getRank() < 2)
    return check.fail("expected 'input' of rank 2 or more (N x C x ...), got "
                      "rank ",
                      input.getRank());
  int64_t channels = input.getDimSize(1);
  std::pair<Value, StringRef> params[] = {{adaptor.getScale(), "scale"},
                                          {adaptor.getBias(), "bias"},
                                          {adaptor.getMean(), "mean"},
                                          {adaptor.getVar(), "var"}};
  for (auto [value, name] : params) {
    RankedTensorType type = check.tensor(value, name);
    if (!type ||
        failed(check.sameElementType(type, name, input.getElementType())) ||
        failed(check.shape(type, name, {channels})))
      return failure();
  }
  if (adaptor.getEpsilon().isNegative())
    return check.fail("expected 'epsilon' to be non-negative");
  types.push_back(input);
  return success();
}

LogicalResult LayerNormOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  OpChecker check(loc, getOperationName());
  RankedTensorType input = check.tensor(adaptor.getInput(), "input");
  if (!input)
    return failure();
  int64_t axis = adaptor.getAxis();
  if (failed(check.axis(axis, input.getRank())))
    return failure();
  ArrayRef<int64_t> normalized = input.getShape().drop_front(axis);
  std::pair<Value, StringRef> params[] = {{adaptor.getScale(), "scale"},
                                          {adaptor.getBias(), "bias"}};
  for (auto [value, name] : params) {
    if (!value)
      continue;
    RankedTensorType type = check.tensor(value, name);
    if (!type ||
        failed(check.sameElementType(type, name, input.getElementType())))
      return failure();
    if (!broadcastsTo(type.getShape(), normalized))
      return check.fail(
          "expected '", name, "' of shape ", formatList(type.getShape()),
          " to broadcast to the normalized shape ", formatList(normalized));
  }
  if (adaptor.getEpsilon().isNegative())
    return check.fail("expected 'epsilon' to be non-negative");
  types.push_back(input);
  return success();
}

LogicalResult LRNOp::inferReturnTypes(MLIRContext *,
                                      std::optional<Location> loc,
                                      Adaptor adaptor,
                                      SmallVectorImpl<Type> &types) {
  OpChecker check(loc, getOperationName());
  RankedTensorType input = check.tensor(adaptor.getInput(), "input");
  if (!input)
    return failure();
  if (input.getRank() < 3)
    return check.fail("expected 'input' of rank 3 or more (N x C x spatial "
                      "dims), got rank ",
                      input.getRank());
  if ((int64_t)adaptor.getSize() < 1)
    return check.fail("expected 'size' to be positive, got ",
                      (int64_t)adaptor.getSize());
  types.push_back(input);
  return success();
}

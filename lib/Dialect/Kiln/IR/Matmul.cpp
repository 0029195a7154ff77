//===- Matmul.cpp - Matrix products ---------------------------------------===//

#include "ConstantFold.h"
#include "OpChecker.h"
#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::detail;

//===----------------------------------------------------------------------===//
// Matrix products
//===----------------------------------------------------------------------===//

LogicalResult MatMulOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  OpChecker check(loc, getOperationName());
  RankedTensorType lhs = check.tensor(adaptor.getLhs(), "lhs");
  RankedTensorType rhs = lhs ? check.tensor(adaptor.getRhs(), "rhs") : nullptr;
  if (!rhs || failed(check.sameElementType(rhs, "rhs", lhs.getElementType())))
    return failure();
  if (lhs.getRank() == 0 || rhs.getRank() == 0)
    return check.fail("expected operands of rank 1 or more, got ranks ",
                      lhs.getRank(), " and ", rhs.getRank());
  // 1-d operands become a row (lhs) or a column (rhs) vector.
  SmallVector<int64_t> a(lhs.getShape()), b(rhs.getShape());
  if (lhs.getRank() == 1)
    a.insert(a.begin(), 1);
  if (rhs.getRank() == 1)
    b.push_back(1);
  int64_t m = a[a.size() - 2], k = a.back(), n = b.back();
  if (k != b[b.size() - 2])
    return check.fail("contracting dims differ: lhs ",
                      formatList(lhs.getShape()), " has ", k, ", rhs ",
                      formatList(rhs.getShape()), " has ", b[b.size() - 2]);
  auto batch =
      broadcastShapes(ArrayRef(a).drop_back(2), ArrayRef(b).drop_back(2));
  if (!batch)
    return check.fail("batch dims of ", formatList(lhs.getShape()), " and ",
                      formatList(rhs.getShape()),
                      " are not broadcast-compatible");
  SmallVector<int64_t> shape = *batch;
  if (lhs.getRank() > 1)
    shape.push_back(m);
  if (rhs.getRank() > 1)
    shape.push_back(n);
  types.push_back(RankedTensorType::get(shape, lhs.getElementType()));
  return success();
}

LogicalResult GemmOp::inferReturnTypes(MLIRContext *,
                                       std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &types) {
  OpChecker check(loc, getOperationName());
  RankedTensorType a = check.tensor(adaptor.getA(), "a");
  RankedTensorType b = a ? check.tensor(adaptor.getB(), "b") : nullptr;
  if (!b || failed(check.sameElementType(b, "b", a.getElementType())))
    return failure();
  if (a.getRank() != 2 || b.getRank() != 2)
    return check.fail("expected 'a' and 'b' of rank 2, got ranks ", a.getRank(),
                      " and ", b.getRank());
  bool ta = adaptor.getTransA(), tb = adaptor.getTransB();
  int64_t m = a.getDimSize(ta ? 1 : 0), k = a.getDimSize(ta ? 0 : 1);
  int64_t kb = b.getDimSize(tb ? 1 : 0), n = b.getDimSize(tb ? 0 : 1);
  if (k != kb)
    return check.fail("contracting dims differ: op(a) is ", formatList({m, k}),
                      ", op(b) is ", formatList({kb, n}));
  if (Value cValue = adaptor.getC()) {
    RankedTensorType c = check.tensor(cValue, "c");
    if (!c || failed(check.sameElementType(c, "c", a.getElementType())))
      return failure();
    if (!broadcastsTo(c.getShape(), {m, n}))
      return check.fail("expected 'c' of shape ", formatList(c.getShape()),
                        " to broadcast to ", formatList({m, n}));
  }
  types.push_back(RankedTensorType::get({m, n}, a.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// FusedMatMulOp
//===----------------------------------------------------------------------===//

LogicalResult FusedMatMulOp::inferReturnTypes(MLIRContext *,
                                              std::optional<Location> loc,
                                              Adaptor adaptor,
                                              SmallVectorImpl<Type> &types) {
  OpChecker check(loc, getOperationName());
  RankedTensorType input = check.tensor(adaptor.getInput(), "input");
  RankedTensorType weight =
      input ? check.tensor(adaptor.getWeight(), "weight") : nullptr;
  if (!weight ||
      failed(check.sameElementType(weight, "weight", input.getElementType())))
    return failure();
  if (input.getRank() < 2 || weight.getRank() != 2)
    return check.fail("expected an 'input' of rank 2 or more and a 2-d "
                      "'weight', got ranks ",
                      input.getRank(), " and ", weight.getRank());
  int64_t k = input.getShape().back(), n = weight.getDimSize(1);
  if (k != weight.getDimSize(0))
    return check.fail("contracting dims differ: input ",
                      formatList(input.getShape()), " has ", k, ", weight ",
                      formatList(weight.getShape()), " has ",
                      weight.getDimSize(0));
  if (Value biasValue = adaptor.getBias()) {
    RankedTensorType bias = check.tensor(biasValue, "bias");
    if (!bias ||
        failed(check.sameElementType(bias, "bias", input.getElementType())) ||
        failed(check.shape(bias, "bias", {n})))
      return failure();
  }
  if (failed(checkActivation(check, adaptor.getActivation(),
                             adaptor.getActivationAlpha().has_value(),
                             adaptor.getActivationBeta().has_value())))
    return failure();
  SmallVector<int64_t> shape(input.getShape());
  shape.back() = n;
  if (Value residualValue = adaptor.getResidual()) {
    RankedTensorType residual = check.tensor(residualValue, "residual");
    if (!residual ||
        failed(check.sameElementType(residual, "residual",
                                     input.getElementType())) ||
        failed(check.shape(residual, "residual", shape)))
      return failure();
  }
  types.push_back(input.clone(shape));
  return success();
}

FailureOr<Value> kiln::unfuseMatMul(OpBuilder &b, FusedMatMulOp op) {
  Location loc = op.getLoc();
  FailureOr<MatMulOp> matmul =
      createChecked<MatMulOp>(b, loc, {op.getInput(), op.getWeight()});
  if (failed(matmul))
    return failure();
  Value value = matmul->getResult();
  if (Value bias = op.getBias()) {
    FailureOr<Value> sum = add(b, loc, value, bias);
    if (failed(sum))
      return failure();
    value = *sum;
  }
  if (Value residual = op.getResidual()) {
    FailureOr<Value> sum = add(b, loc, value, residual);
    if (failed(sum))
      return failure();
    value = *sum;
  }
  if (std::optional<UnaryKind> activation = op.getActivation())
    return activate(b, loc, value, *activation, op.getActivationAlphaAttr(),
                    op.getActivationBetaAttr());
  return value;
}

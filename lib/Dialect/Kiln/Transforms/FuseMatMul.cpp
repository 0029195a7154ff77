//===- FuseMatMul.cpp - Matrix product, bias, activation ------------------===//

#include "FusionUtils.h"
#include "kiln/Dialect/Kiln/IR/KilnOps.h"
#include "kiln/Dialect/Kiln/Transforms/Passes.h"

namespace kiln {
#define GEN_PASS_DEF_KILNFUSEMATMUL
#include "kiln/Dialect/Kiln/Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;
using namespace kiln::fusion;

namespace {

struct FuseMatMulPass : kiln::impl::KilnFuseMatMulBase<FuseMatMulPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<Operation *> products;
    getOperation()->walk([&](Operation *op) {
      if (llvm::isa<MatMulOp, GemmOp>(op))
        products.push_back(op);
    });
    for (Operation *op : products)
      fuse(op);
  }

  /// The product's input, weight and bias as kiln.fused_matmul reads them,
  /// or why it cannot take them.
  LogicalResult operands(Operation *op, Value &input, Value &weight,
                         Value &bias, std::string &why) {
    if (auto matmul = llvm::dyn_cast<MatMulOp>(op)) {
      input = matmul.getLhs();
      weight = matmul.getRhs();
      if (typeOf(input).getRank() < 2 || typeOf(weight).getRank() != 2) {
        why = "the product is not [..., K] x [K, N]";
        return failure();
      }
      return success();
    }
    auto gemm = llvm::cast<GemmOp>(op);
    input = gemm.getA();
    weight = gemm.getB();
    bias = gemm.getC();
    if (gemm.getTransA() || gemm.getTransB() ||
        gemm.getAlpha().convertToFloat() != 1.0f) {
      why = "the gemm transposes an operand or scales the product";
      return failure();
    }
    if (bias && (gemm.getBeta().convertToFloat() != 1.0f ||
                 typeOf(bias).getRank() != 1 ||
                 typeOf(bias).getDimSize(0) != typeOf(weight).getDimSize(1))) {
      why = "the gemm's C is not a bias of shape [N]";
      return failure();
    }
    return success();
  }

  void fuse(Operation *product) {
    std::string nearMiss;
    Value input, weight, bias;
    if (!llvm::isa<FloatType>(typeOf(product->getResult(0)).getElementType()))
      return;
    if (failed(operands(product, input, weight, bias, nearMiss))) {
      if (report)
        product->emitRemark("not fused: " + nearMiss);
      return;
    }
    bool isGemm = llvm::isa<GemmOp>(product);
    SmallVector<Operation *> chain = {product};
    SmallVector<std::string> parts;
    if (bias)
      parts.push_back("bias");
    auto tail = [&] { return chain.back()->getResult(0); };
    Value result = product->getResult(0);
    Operation *user = soleUser(result, "the product", nearMiss);
    // A bias: an add of a [N] vector that broadcasts along the rows.
    if (auto add = llvm::dyn_cast_if_present<BinaryOp>(user);
        add && add.getKind() == BinaryKind::add && !bias) {
      Value other = otherOperand(add, result);
      RankedTensorType otherType = typeOf(other);
      int64_t n = typeOf(weight).getDimSize(1);
      if (otherType.getRank() == 1 && otherType.getDimSize(0) == n &&
          otherType.getElementType() == typeOf(result).getElementType() &&
          add.getType() == result.getType()) {
        bias = other;
        chain.push_back(add);
        parts.push_back("bias add " + nameOf(add));
        user = soleUser(tail(), "the biased product", nearMiss);
      } else {
        nearMiss = "the add " + nameOf(add) + " is not of a [" +
                   std::to_string(n) + "] bias";
        user = nullptr;
      }
    }
    UnaryOp activation = takeActivation(user, chain, parts, nearMiss);
    if (activation)
      nearMiss.clear();
    // A gemm with its bias and nothing after it stays a gemm.
    if (chain.size() == 1) {
      if (report && !nearMiss.empty())
        product->emitRemark("not fused: " + nearMiss);
      return;
    }

    Operation *last = chain.back();
    OpBuilder b(last);
    SmallVector<Value> fusedOperands = {input, weight};
    if (bias)
      fusedOperands.push_back(bias);
    SmallVector<NamedAttribute> attrs;
    if (activation)
      appendActivation(b, activation.getKind(), activation.getAlpha(),
                       activation.getBeta(), attrs);
    FailureOr<FusedMatMulOp> fused =
        createChecked<FusedMatMulOp>(b, chainLoc(chain), fusedOperands, attrs);
    if (failed(fused))
      return signalPassFailure();
    replaceChain(chain, *fused);
    if (report)
      remarkFusion(*fused, isGemm ? "gemm" : "matmul", parts, nearMiss);
  }
};

} // namespace

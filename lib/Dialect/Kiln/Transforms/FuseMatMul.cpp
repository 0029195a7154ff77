//===- FuseMatMul.cpp - Matrix product, bias, activation ------------------===//

#include "FusionUtils.h"
#include "kiln/Dialect/Kiln/IR/KilnOps.h"
#include "kiln/Dialect/Kiln/Transforms/Passes.h"

#include "mlir/IR/Matchers.h"
#include "llvm/ADT/MapVector.h"

#include <algorithm>
#include <cstring>

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
    mergeSiblings();
  }

  /// Whether `value` is a kiln.constant of f32 elements with a static
  /// shape, dense (a splat too) or a blob of the right size; sets `attr`.
  static bool isFloatConstant(Value value, Attribute &attr) {
    auto type = llvm::cast<RankedTensorType>(value.getType());
    if (!type.hasStaticShape() || !type.getElementType().isF32() ||
        !matchPattern(value, m_Constant(&attr)))
      return false;
    if (auto dense = llvm::dyn_cast<DenseElementsAttr>(attr);
        dense && dense.isSplat())
      return true;
    std::optional<ArrayRef<char>> bytes = constantBytes(attr);
    return bytes && (int64_t)bytes->size() ==
                        type.getNumElements() * (int64_t)sizeof(float);
  }

  /// The elements of `value`, which isFloatConstant accepts; sets `attr`.
  static std::vector<float> floatValues(Value value, Attribute &attr) {
    (void)matchPattern(value, m_Constant(&attr));
    auto type = llvm::cast<RankedTensorType>(value.getType());
    std::vector<float> values(type.getNumElements());
    if (auto dense = llvm::dyn_cast<DenseElementsAttr>(attr);
        dense && dense.isSplat()) {
      std::fill(values.begin(), values.end(), dense.getSplatValue<float>());
      return values;
    }
    ArrayRef<char> bytes = *constantBytes(attr);
    std::memcpy(values.data(), bytes.data(), bytes.size());
    return values;
  }

  /// Matrices (or vectors, one row) of `rows` rows and `widths` columns
  /// side by side, as a constant of `type` of `like`'s kind (a blob or a
  /// dense literal).
  static ElementsAttr sideBySide(ArrayRef<std::vector<float>> parts,
                                 ArrayRef<int64_t> widths, int64_t rows,
                                 RankedTensorType type, Attribute like) {
    std::vector<float> values;
    values.reserve(type.getNumElements());
    for (int64_t row = 0; row < rows; ++row)
      for (auto [part, width] : llvm::zip(parts, widths))
        values.insert(values.end(), part.begin() + row * width,
                      part.begin() + (row + 1) * width);
    ArrayRef<char> bytes(reinterpret_cast<const char *>(values.data()),
                         values.size() * sizeof(float));
    return constantFromBytes(type, bytes, like);
  }

  /// Fused products of one input by constant weights with the same
  /// activation (the queries, keys and values of an attention layer)
  /// become one product of their weights side by side, each result a
  /// slice of its columns: the input is read once, and one larger product
  /// runs closer to the machine's peak than three small ones.
  void mergeSiblings() {
    llvm::MapVector<Value, SmallVector<FusedMatMulOp>> byInput;
    getOperation()->walk([&](FusedMatMulOp op) {
      Attribute attr;
      RankedTensorType type = op.getType();
      if (!type.hasStaticShape() || op.getResidual() ||
          !isFloatConstant(op.getWeight(), attr) ||
          (op.getBias() && !isFloatConstant(op.getBias(), attr)))
        return;
      byInput[op.getInput()].push_back(op);
    });
    for (auto &[input, all] : byInput) {
      // Siblings: the same activation, a bias for all or none, one block.
      while (all.size() >= 2) {
        FusedMatMulOp first = all.front();
        SmallVector<FusedMatMulOp> group, rest;
        for (FusedMatMulOp op : all) {
          bool same =
              op->getBlock() == first->getBlock() &&
              op.getActivationAttr() == first.getActivationAttr() &&
              op.getActivationAlphaAttr() == first.getActivationAlphaAttr() &&
              op.getActivationBetaAttr() == first.getActivationBetaAttr() &&
              !op.getBias() == !first.getBias();
          (same ? group : rest).push_back(op);
        }
        all = rest;
        if (group.size() >= 2)
          merge(group);
      }
    }
  }

  void merge(SmallVector<FusedMatMulOp> group) {
    FusedMatMulOp earliest = group.front();
    for (FusedMatMulOp op : group)
      if (op->isBeforeInBlock(earliest))
        earliest = op;
    RankedTensorType weightType = group.front().getWeight().getType();
    int64_t k = weightType.getDimSize(0), total = 0;
    SmallVector<std::vector<float>> weights, biases;
    SmallVector<int64_t> widths;
    Attribute weightAttr, biasAttr;
    for (FusedMatMulOp op : group) {
      weights.push_back(floatValues(op.getWeight(), weightAttr));
      if (op.getBias())
        biases.push_back(floatValues(op.getBias(), biasAttr));
      widths.push_back(op.getWeight().getType().getDimSize(1));
      total += widths.back();
    }
    OpBuilder b(earliest);
    Location loc = earliest.getLoc();
    Type f32 = b.getF32Type();
    SmallVector<Value> operands = {
        earliest.getInput(),
        ConstantOp::create(b, loc,
                           sideBySide(weights, widths, k,
                                      RankedTensorType::get({k, total}, f32),
                                      weightAttr))};
    if (!biases.empty())
      operands.push_back(ConstantOp::create(
          b, loc,
          sideBySide(biases, widths, 1, RankedTensorType::get({total}, f32),
                     biasAttr)));
    SmallVector<NamedAttribute> attrs = {b.getNamedAttr(
        "operandSegmentSizes",
        b.getDenseI32ArrayAttr({1, 1, biases.empty() ? 0 : 1, 0}))};
    for (StringRef name : {"activation", "activation_alpha", "activation_beta"})
      if (Attribute attr = earliest->getAttr(name))
        attrs.push_back(b.getNamedAttr(name, attr));
    SmallVector<Location> locs;
    for (FusedMatMulOp op : group)
      locs.push_back(op.getLoc());
    FailureOr<FusedMatMulOp> merged =
        createChecked<FusedMatMulOp>(b, b.getFusedLoc(locs), operands, attrs);
    if (failed(merged))
      return signalPassFailure();
    ArrayRef<int64_t> shape = merged->getType().getShape();
    // Every slice is made before the products go: the builder inserts
    // before the earliest of them.
    SmallVector<Value> slices;
    int64_t offset = 0;
    for (auto [op, width] : llvm::zip(group, widths)) {
      SmallVector<int64_t> offsets(shape.size(), 0), strides(shape.size(), 1);
      offsets.back() = offset;
      offset += width;
      slices.push_back(SliceOp::create(b, op.getLoc(), op.getType(), *merged,
                                       offsets, strides));
      if (report)
        op->emitRemark("merged: columns [")
            << offsets.back() << ", " << offset << ") of one product with "
            << group.size() - 1 << " other(s) of the same input";
    }
    for (auto [op, slice] : llvm::zip(group, slices)) {
      op.getResult().replaceAllUsesWith(slice);
      op.erase();
    }
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
    int64_t n = typeOf(weight).getDimSize(1);
    if (auto add = llvm::dyn_cast_if_present<BinaryOp>(user);
        add && add.getKind() == BinaryKind::add && !bias) {
      Value other = otherOperand(add, result);
      RankedTensorType otherType = typeOf(other);
      if (otherType.getRank() == 1 && otherType.getDimSize(0) == n &&
          otherType.getElementType() == typeOf(result).getElementType() &&
          add.getType() == result.getType()) {
        bias = other;
        chain.push_back(add);
        parts.push_back("bias add " + nameOf(add));
        user = soleUser(tail(), "the biased product", nearMiss);
      }
    }
    // A residual: an add of a tensor of the result's type (a transformer's
    // skip connection), before any activation, as a fused convolution
    // takes it.
    Value residual;
    user = takeResidual(user, chain, parts, residual, nearMiss,
                        "is neither of a [" + std::to_string(n) +
                            "] bias nor of a residual of the product's shape");
    UnaryOp activation = takeActivation(user, chain, parts, nearMiss);
    if (activation) {
      nearMiss.clear();
      std::string users;
      if (!residual)
        nearMiss = residualAfterActivation(
            soleUser(tail(), "the activation's result", users));
    }
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
    if (residual)
      fusedOperands.push_back(residual);
    SmallVector<NamedAttribute> attrs = {b.getNamedAttr(
        "operandSegmentSizes",
        b.getDenseI32ArrayAttr({1, 1, bias ? 1 : 0, residual ? 1 : 0}))};
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

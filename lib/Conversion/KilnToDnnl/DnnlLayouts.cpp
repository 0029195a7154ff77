//===- DnnlLayouts.cpp - Blocked activation layouts between oneDNN ops ----===//
//
// kiln-dnnl-layouts keeps activations in oneDNN's channel-blocked layout
// (nChw16c and its 1-d and 3-d kin) from one oneDNN primitive to the next.
// Walking `main` in order, a convolution, transposed convolution, global
// pooling or batch normalization whose output channels fill whole blocks
// produces its output blocked; an elementwise op or channel concatenation
// whose operands all exist blocked is computed on the blocked tensors (their
// blocks hold no padding, so elementwise code is layout-blind), and a
// pooling of a blocked tensor is generated over its blocked windows. Where a
// code-generated op needs the dense tensor, a `reorder` call converts it
// back, once; where a oneDNN op that works blocked reads a dense tensor, a
// `reorder` converts it forward, once. A convolution whose input has fewer
// channels than a block (an image's 3) reads its input dense. Convolutions
// read and write more than a block of channels that do not fill blocks (24)
// blocked, the last block padded with zeros that only oneDNN reads.
//
// A blocked tensor flattened for matrix products with constant weights (the
// classifier after a network's last convolution: [N, C, H, W] -> [N, C*H*W])
// is flattened blocked instead, and the rows of the products' weights are
// permuted at compile time to the blocked order of the features, so that no
// reorder runs between them.
//
//===----------------------------------------------------------------------===//

#include "kiln/Conversion/KilnToDnnl/Passes.h"
#include "kiln/Conversion/Utils/LoweringUtils.h"
#include "kiln/Dialect/KilnBackend/IR/KilnBackend.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

#include <cstring>

namespace kiln {
#define GEN_PASS_DEF_KILNDNNLLAYOUTS
#include "kiln/Conversion/KilnToDnnl/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;
using namespace kiln::backend;
using abi::DnnlPrimitive;

namespace {

/// The dims oneDNN sees for each operand of `call`.
SmallVector<ArrayRef<int64_t>> operandDims(DnnlCallOp call) {
  SmallVector<ArrayRef<int64_t>> result;
  ArrayRef<int64_t> dims = call.getDims();
  for (size_t at = 0; at < dims.size(); at += 1 + dims[at])
    result.push_back(dims.slice(at + 1, dims[at]));
  return result;
}

struct DnnlLayoutsPass : kiln::impl::KilnDnnlLayoutsBase<DnnlLayoutsPass> {
  using Base::Base;

  bool fillsBlocks(ArrayRef<int64_t> dims) const {
    return dims.size() >= 3 && dims.size() <= 5 && dims[1] % block == 0;
  }

  /// Whether a convolution may read or write a tensor of `dims` blocked
  /// when its channels do not fill the last block: more than one block of
  /// them, and whole groups (no grouping, or one channel per group). oneDNN
  /// pads the last block with zeros and its kernels read and keep them so;
  /// code generated on blocked tensors never sees a padded one.
  bool padsBlocks(ArrayRef<int64_t> dims, int64_t groups) const {
    if (fillsBlocks(dims))
      return true;
    return dims.size() >= 3 && dims.size() <= 5 && dims[1] > block &&
           (groups == 1 || groups == dims[1]);
  }

  RankedTensorType blockedType(ArrayRef<int64_t> dims, Type element) const {
    return RankedTensorType::get(blockedShape(dims, block), element);
  }

  /// A reorder call of `value` (dims `dims`) between the dense layout and
  /// the blocked one, in the direction `toBlocked`.
  Value reorder(IRRewriter &rewriter, Location loc, Value value,
                ArrayRef<int64_t> dims, bool toBlocked) const {
    Type element =
        llvm::cast<RankedTensorType>(value.getType()).getElementType();
    RankedTensorType type = toBlocked ? blockedType(dims, element)
                                      : RankedTensorType::get(dims, element);
    Value init = tensor::EmptyOp::create(rewriter, loc, type.getShape(),
                                         type.getElementType());
    SmallVector<int64_t> allDims;
    for (int i = 0; i < 2; ++i) {
      allDims.push_back(dims.size());
      llvm::append_range(allDims, dims);
    }
    SmallVector<int64_t> layouts = {toBlocked ? 0 : block,
                                    toBlocked ? block : 0};
    return DnnlCallOp::create(
               rewriter, loc, TypeRange{type}, DnnlPrimitive::Reorder, allDims,
               layouts, ArrayRef<int64_t>{}, ArrayRef<float>{},
               /*accumulate=*/false, ValueRange{value}, ValueRange{init})
        .getResult(0);
  }

  /// The weights operand of a matrix product that reads `use` as its
  /// source ([N, K] by weights [K, M], or [M, K] when `transposed`), or null
  /// for any other use.
  static OpOperand *productWeights(OpOperand &use, bool &transposed) {
    Operation *user = use.getOwner();
    transposed = false;
    // The products that stay generated code.
    if (llvm::isa<FusedMatMulOp, MatMulOp, GemmOp>(user)) {
      if (use.getOperandNumber() != 0 ||
          llvm::cast<RankedTensorType>(use.get().getType()).getRank() != 2)
        return nullptr;
      if (auto gemm = llvm::dyn_cast<GemmOp>(user)) {
        if (gemm.getTransA())
          return nullptr;
        transposed = gemm.getTransB();
      }
      return &user->getOpOperand(1);
    }
    auto call = llvm::dyn_cast<DnnlCallOp>(user);
    if (!call || call.getPrimitive() != DnnlPrimitive::MatMul ||
        !call.getLayouts().empty() || use.getOperandNumber() != 0 ||
        call.getInputs().size() < 2 || operandDims(call).front().size() != 2)
      return nullptr;
    abi::DnnlMatMulParams params;
    ArrayRef<int64_t> raw = call.getParams();
    ArrayRef<float> fraw = call.getFparams();
    std::vector<int64_t> ints(raw.begin(), raw.end());
    std::vector<float> floats(fraw.begin(), fraw.end());
    abi::ParamReader reader(ints, floats);
    if (!params.decode(reader) || params.transSrc)
      return nullptr;
    transposed = params.transWeights;
    return &call->getOpOperand(1);
  }

  /// Folds the reorder before `reshape` when it flattens the tensor whose
  /// blocked form is `blocked` ([N, C, S...] -> [N, C * S], C a multiple of
  /// the block) for matrix products with constant weights only: the
  /// blocked tensor is flattened instead, and each product's weights get
  /// their rows in the blocked order of its features, (c / b, s, c % b)
  /// rather than (c, s). Returns whether it did.
  bool foldFlatten(IRRewriter &rewriter, ReshapeOp reshape, Value blocked) {
    auto inType =
        llvm::dyn_cast<RankedTensorType>(reshape.getInput().getType());
    auto outType = llvm::dyn_cast<RankedTensorType>(reshape.getType());
    if (!inType || !outType || !inType.hasStaticShape() ||
        !outType.hasStaticShape() || !fillsBlocks(inType.getShape()) ||
        outType.getRank() != 2 ||
        outType.getDimSize(0) != inType.getDimSize(0) || reshape->use_empty())
      return false;
    ArrayRef<int64_t> dims = inType.getShape();
    int64_t channels = dims[1], spatial = 1;
    for (int64_t d : dims.drop_front(2))
      spatial *= d;
    int64_t features = channels * spatial;
    SmallVector<std::pair<OpOperand *, bool>> weights;
    for (OpOperand &use : reshape->getUses()) {
      bool transposed;
      OpOperand *operand = productWeights(use, transposed);
      Attribute attr;
      if (!operand || !matchPattern(operand->get(), m_Constant(&attr)))
        return false;
      auto type = llvm::cast<RankedTensorType>(operand->get().getType());
      if (type.getRank() != 2 || !type.hasStaticShape() ||
          type.getDimSize(transposed ? 1 : 0) != features ||
          type.getElementType().getIntOrFloatBitWidth() % 8 != 0)
        return false;
      auto dense = llvm::dyn_cast<DenseElementsAttr>(attr);
      if (!(dense && dense.isSplat()) && !constantBytes(attr))
        return false;
      weights.push_back({operand, transposed});
    }
    rewriter.setInsertionPoint(reshape);
    Value flat =
        ReshapeOp::create(rewriter, reshape.getLoc(), outType, blocked);
    // Feature f of the blocked order reads feature source[f] of the dense.
    std::vector<int64_t> source(features);
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t s = 0; s < spatial; ++s)
        source[((c / block) * spatial + s) * block + c % block] =
            c * spatial + s;
    llvm::DenseMap<std::pair<Value, int>, Value> permuted;
    for (auto [operand, transposed] : weights) {
      Value &slot = permuted[{operand->get(), transposed ? 1 : 0}];
      if (!slot) {
        Value weight = operand->get();
        Attribute attr;
        (void)matchPattern(weight, m_Constant(&attr));
        auto type = llvm::cast<RankedTensorType>(weight.getType());
        auto dense = llvm::dyn_cast<DenseElementsAttr>(attr);
        if ((dense && dense.isSplat()) || spatial == 1) {
          slot = weight; // every order reads the same weights
        } else {
          ArrayRef<char> bytes = *constantBytes(attr);
          size_t element = type.getElementType().getIntOrFloatBitWidth() / 8;
          int64_t rows = type.getDimSize(0), columns = type.getDimSize(1);
          std::vector<char> out(bytes.size());
          if (!transposed) {
            // [K, M]: row f of the result is row source[f].
            size_t row = columns * element;
            for (int64_t f = 0; f < features; ++f)
              std::memcpy(out.data() + f * row, bytes.data() + source[f] * row,
                          row);
          } else {
            // [M, K]: column f of the result is column source[f].
            for (int64_t r = 0; r < rows; ++r)
              for (int64_t f = 0; f < features; ++f)
                std::memcpy(out.data() + (r * columns + f) * element,
                            bytes.data() + (r * columns + source[f]) * element,
                            element);
          }
          rewriter.setInsertionPointAfterValue(weight);
          slot = ConstantOp::create(rewriter, weight.getLoc(),
                                    constantFromBytes(type, out, attr));
        }
      }
      Value old = operand->get();
      operand->set(slot);
      if (Operation *def = old.getDefiningOp(); def && def->use_empty())
        def->erase();
    }
    // Every use went to the products, now reading `flat`.
    rewriter.replaceOp(reshape, flat);
    return true;
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    IRRewriter rewriter(&getContext());
    // Dense value -> the same tensor in the blocked layout.
    llvm::DenseMap<Value, Value> blockedOf;

    /// Makes `dense` (the old result of `op`, now computed blocked as
    /// `blockedValue`) available dense again for the users that need it.
    auto publish = [&](Operation *op, Value blockedValue,
                       ArrayRef<int64_t> dims) {
      rewriter.setInsertionPointAfter(blockedValue.getDefiningOp());
      Value dense = reorder(rewriter, op->getLoc(), blockedValue, dims,
                            /*toBlocked=*/false);
      rewriter.replaceOp(op, dense);
      blockedOf[dense] = blockedValue;
    };
    /// `value` (dims `dims`) in the blocked layout, reordered once.
    auto blockedInput = [&](Value value, ArrayRef<int64_t> dims,
                            Operation *user) {
      Value &slot = blockedOf[value];
      if (!slot) {
        rewriter.setInsertionPoint(user);
        slot = reorder(rewriter, user->getLoc(), value, dims, true);
      }
      return slot;
    };

    module.walk([&](func::FuncOp func) {
      if (func.isExternal())
        return;
      for (Operation &op : llvm::make_early_inc_range(func.getBody().front())) {
        if (auto call = llvm::dyn_cast<DnnlCallOp>(op)) {
          DnnlPrimitive kind = call.getPrimitive();
          if (!call.getLayouts().empty() ||
              !llvm::is_contained({DnnlPrimitive::Conv, DnnlPrimitive::Deconv,
                                   DnnlPrimitive::Pool,
                                   DnnlPrimitive::BatchNorm},
                                  kind))
            continue;
          SmallVector<ArrayRef<int64_t>> dims = operandDims(call);
          ArrayRef<int64_t> srcDims = dims.front(), dstDims = dims.back();
          // Convolutions also take channels that do not fill blocks (24 in
          // MobileNet-v2) blocked, the last block padded: oneDNN's blocked
          // kernels run them (its dense ones are 2-3 times slower there,
          // and from a dense input of 24 channels to a blocked output it
          // has only its reference code).
          bool conv =
              kind == DnnlPrimitive::Conv || kind == DnnlPrimitive::Deconv;
          int64_t groups = conv ? call.getParams()[1] : 1;
          auto blockable = [&](ArrayRef<int64_t> d) {
            return conv ? padsBlocks(d, groups) : fillsBlocks(d);
          };
          if (!blockable(dstDims))
            continue;
          // Convolutions read a dense input with fewer channels than a
          // block (an image's 3); the others keep their channels.
          bool srcBlocked = blockable(srcDims);
          if (!srcBlocked &&
              (kind != DnnlPrimitive::Conv || srcDims[1] >= block))
            continue;
          SmallVector<Value> inputs(call.getInputs());
          if (srcBlocked)
            inputs[0] = blockedInput(inputs[0], srcDims, call);
          SmallVector<int64_t> layouts(call->getNumOperands(), 0);
          layouts.front() = srcBlocked ? block : 0;
          layouts.back() = block;
          Type element =
              llvm::cast<RankedTensorType>(call.getResult(0).getType())
                  .getElementType();
          RankedTensorType type = blockedType(dstDims, element);
          // An accumulating call adds to its output's blocked form.
          Value init =
              call.getAccumulate()
                  ? blockedInput(call.getOutputs().front(), dstDims, call)
                  : Value();
          rewriter.setInsertionPoint(call);
          if (!init)
            init = tensor::EmptyOp::create(rewriter, call.getLoc(),
                                           type.getShape(), element);
          auto blockedCall = DnnlCallOp::create(
              rewriter, call.getLoc(), TypeRange{type}, kind, call.getDims(),
              layouts, call.getParams(), call.getFparams(),
              call.getAccumulate(), inputs, ValueRange{init});
          publish(call, blockedCall.getResult(0), dstDims);
          continue;
        }
        if (auto reshape = llvm::dyn_cast<ReshapeOp>(op)) {
          if (Value blocked = blockedOf.lookup(reshape.getInput()))
            foldFlatten(rewriter, reshape, blocked);
          continue;
        }
        // Pooling (generated code: oneDNN 2.6's AVX2 pooling is several
        // times slower) reads and writes the blocked layout alike.
        if (auto poolOp = llvm::dyn_cast<PoolOp>(op)) {
          RankedTensorType outType = poolOp.getType();
          Value blocked = blockedOf.lookup(poolOp.getInput());
          if (!blocked || !fillsBlocks(outType.getShape()))
            continue;
          rewriter.setInsertionPoint(&op);
          Value result = lowering::pool(
              rewriter, poolOp, blocked,
              blockedType(outType.getShape(), outType.getElementType()));
          publish(&op, result, outType.getShape());
          continue;
        }
        // Layout-blind ops: elementwise ops on same-shaped operands, and
        // concatenation along the channels.
        bool elementwise = llvm::isa<UnaryOp, BinaryOp>(op);
        auto concat = llvm::dyn_cast<ConcatOp>(op);
        if ((!elementwise && !(concat && concat.getAxis() == 1)) ||
            op.getNumResults() != 1)
          continue;
        auto resultType =
            llvm::cast<RankedTensorType>(op.getResult(0).getType());
        // Padded blocks hold zeros that elementwise code would change and
        // that a concatenation would place between channels.
        if (!fillsBlocks(resultType.getShape()) ||
            (concat && !llvm::all_of(op.getOperandTypes(), [&](Type type) {
               return fillsBlocks(
                   llvm::cast<RankedTensorType>(type).getShape());
             })))
          continue;
        SmallVector<Value> operands;
        bool anyBlocked = false;
        for (Value operand : op.getOperands()) {
          auto type = llvm::cast<RankedTensorType>(operand.getType());
          Value blocked = blockedOf.lookup(operand);
          if (blocked && (!elementwise || type == resultType)) {
            operands.push_back(blocked);
            anyBlocked = true;
            continue;
          }
          // A per-channel operand ([1, C, 1, ...]) of a binary op takes the
          // blocked shape [1, C/b, 1, ..., b] by a reshape.
          SmallVector<int64_t> perChannel(resultType.getRank(), 1);
          perChannel[1] = resultType.getDimSize(1);
          if (!llvm::isa<BinaryOp>(op) ||
              type.getShape() != ArrayRef(perChannel))
            break;
          rewriter.setInsertionPoint(&op);
          operands.push_back(ReshapeOp::create(
              rewriter, op.getLoc(),
              blockedType(perChannel, type.getElementType()), operand));
        }
        if (operands.size() != op.getNumOperands() || !anyBlocked)
          continue;
        rewriter.setInsertionPoint(&op);
        Operation *blockedOp = rewriter.clone(op);
        blockedOp->setOperands(operands);
        blockedOp->getResult(0).setType(
            blockedType(resultType.getShape(), resultType.getElementType()));
        publish(&op, blockedOp->getResult(0), resultType.getShape());
      }
    });

    // Conversions back to dense that no op needed.
    SmallVector<DnnlCallOp> reorders;
    module.walk([&](DnnlCallOp call) {
      if (call.getPrimitive() == DnnlPrimitive::Reorder)
        reorders.push_back(call);
    });
    for (DnnlCallOp call : llvm::reverse(reorders)) {
      if (call->use_empty()) {
        Value init = call.getOutputs().front();
        call.erase();
        if (Operation *def = init.getDefiningOp(); def && def->use_empty())
          def->erase();
      }
    }
  }
};

} // namespace

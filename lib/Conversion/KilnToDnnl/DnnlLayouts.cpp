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
// reorder runs between them; the other way, a product's result reshaped to
// [N, C, H, W] for a blocked op (a VAE decoder's dense layer before its
// transposed convolutions) is computed with its columns (weights and bias)
// in the blocked order and reshaped blocked.
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

  /// A matrix product [N, K] x [K, M] with constant weights: its weights
  /// operand (stored [M, K] when `transposed`) and its bias operand (null
  /// when it has none).
  struct Product {
    OpOperand *weights = nullptr, *bias = nullptr;
    bool transposed = false;
  };

  /// `op` as a product whose source is operand 0, of rank 2, and whose
  /// weights are operand 1, of rank 2 (no batch of their own), or nullopt;
  /// one that adds a residual is none (its columns could not be permuted
  /// alone).
  static std::optional<Product> asProduct(Operation *op) {
    Product product;
    if (llvm::isa<FusedMatMulOp, MatMulOp, GemmOp>(op)) {
      // The products that stay generated code.
      auto rank = [&](unsigned i) {
        return llvm::cast<RankedTensorType>(op->getOperand(i).getType())
            .getRank();
      };
      if (rank(0) != 2 || rank(1) != 2)
        return std::nullopt;
      if (auto gemm = llvm::dyn_cast<GemmOp>(op)) {
        if (gemm.getTransA())
          return std::nullopt;
        product.transposed = gemm.getTransB();
        if (gemm.getC())
          product.bias = &gemm.getCMutable()[0];
      }
      if (auto fused = llvm::dyn_cast<FusedMatMulOp>(op)) {
        if (fused.getResidual())
          return std::nullopt;
        if (fused.getBias())
          product.bias = &fused.getBiasMutable()[0];
      }
      product.weights = &op->getOpOperand(1);
      return product;
    }
    auto call = llvm::dyn_cast<DnnlCallOp>(op);
    if (!call || call.getPrimitive() != DnnlPrimitive::MatMul ||
        !call.getLayouts().empty() || call.getInputs().size() < 2 ||
        operandDims(call)[0].size() != 2 || operandDims(call)[1].size() != 2)
      return std::nullopt;
    abi::DnnlMatMulParams params;
    std::vector<int64_t> ints(call.getParams().begin(), call.getParams().end());
    std::vector<float> floats(call.getFparams().begin(),
                              call.getFparams().end());
    abi::ParamReader reader(ints, floats);
    if (!params.decode(reader) || params.transSrc || params.sum ||
        call.getInputs().size() != (params.hasBias ? 3u : 2u))
      return std::nullopt;
    product.transposed = params.transWeights;
    product.weights = &call->getOpOperand(1);
    if (params.hasBias)
      product.bias = &call->getOpOperand(2);
    return product;
  }

  /// The constant `value` holds, when its bytes can be permuted: a splat,
  /// or row-major bytes of whole-byte elements.
  static Attribute permutableConstant(Value value) {
    Attribute attr;
    auto type = llvm::dyn_cast<RankedTensorType>(value.getType());
    if (!type || !type.hasStaticShape() ||
        !matchPattern(value, m_Constant(&attr)) ||
        type.getElementType().getIntOrFloatBitWidth() % 8 != 0)
      return {};
    auto dense = llvm::dyn_cast<DenseElementsAttr>(attr);
    if ((dense && dense.isSplat()) || constantBytes(attr))
      return attr;
    return {};
  }

  /// Where feature f of a tensor [N, C, S...] flattened blocked comes from
  /// in the dense flattening: the blocked order is (c / b, s, c % b), the
  /// dense (c, s).
  std::vector<int64_t> blockedOrder(int64_t channels, int64_t spatial) const {
    std::vector<int64_t> source(channels * spatial);
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t s = 0; s < spatial; ++s)
        source[((c / block) * spatial + s) * block + c % block] =
            c * spatial + s;
    return source;
  }

  /// The constant `value` (which permutableConstant accepts) with its
  /// entries along dim `dim` taken in the order `source` (entry f of the
  /// result is entry source[f]): a new constant after it, or `value`
  /// itself when a splat.
  static Value permute(IRRewriter &rewriter, Value value,
                       ArrayRef<int64_t> source, int64_t dim) {
    Attribute attr = permutableConstant(value);
    auto dense = llvm::dyn_cast<DenseElementsAttr>(attr);
    if (dense && dense.isSplat())
      return value;
    auto type = llvm::cast<RankedTensorType>(value.getType());
    ArrayRef<char> bytes = *constantBytes(attr);
    ArrayRef<int64_t> shape = type.getShape();
    int64_t outer = 1,
            inner = type.getElementType().getIntOrFloatBitWidth() / 8;
    for (int64_t d = 0; d < dim; ++d)
      outer *= shape[d];
    for (int64_t d = dim + 1; d < (int64_t)shape.size(); ++d)
      inner *= shape[d];
    int64_t extent = shape[dim];
    std::vector<char> out(bytes.size());
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t f = 0; f < extent; ++f)
        std::memcpy(out.data() + (o * extent + f) * inner,
                    bytes.data() + (o * extent + source[f]) * inner, inner);
    rewriter.setInsertionPointAfterValue(value);
    return ConstantOp::create(rewriter, value.getLoc(),
                              constantFromBytes(type, out, attr));
  }

  /// Replaces the constant of `operand` by its permutation along `dim`
  /// (one per constant and dim in `done`), erasing the old one when
  /// nothing else reads it.
  static void
  permuteOperand(IRRewriter &rewriter, OpOperand &operand,
                 ArrayRef<int64_t> source, int64_t dim,
                 llvm::DenseMap<std::pair<Value, int>, Value> &done) {
    Value old = operand.get();
    Value &slot = done[{old, (int)dim}];
    if (!slot)
      slot = permute(rewriter, old, source, dim);
    operand.set(slot);
    if (Operation *def = old.getDefiningOp(); def && def->use_empty())
      def->erase();
  }

  /// The channels and the spatial extent of `type` ([N, C, S...]) when
  /// its channels fill blocks and it flattens to `flat` ([N, C * S]).
  bool flattens(RankedTensorType type, RankedTensorType flat, int64_t &channels,
                int64_t &spatial) const {
    if (!type || !flat || !type.hasStaticShape() || !flat.hasStaticShape() ||
        !fillsBlocks(type.getShape()) || flat.getRank() != 2 ||
        flat.getDimSize(0) != type.getDimSize(0))
      return false;
    channels = type.getDimSize(1);
    spatial = flat.getDimSize(1) / channels;
    return true;
  }

  /// Folds the reorder before `reshape` when it flattens the tensor whose
  /// blocked form is `blocked` ([N, C, S...] -> [N, C * S], C a multiple of
  /// the block) for matrix products with constant weights only: the
  /// blocked tensor is flattened instead, and each product's weights get
  /// their rows (columns when stored transposed) in the blocked order of
  /// its features. Returns whether it did.
  bool foldFlatten(IRRewriter &rewriter, ReshapeOp reshape, Value blocked) {
    auto inType =
        llvm::dyn_cast<RankedTensorType>(reshape.getInput().getType());
    auto outType = llvm::dyn_cast<RankedTensorType>(reshape.getType());
    int64_t channels, spatial;
    if (!flattens(inType, outType, channels, spatial) || reshape->use_empty())
      return false;
    SmallVector<Product> products;
    for (OpOperand &use : reshape->getUses()) {
      std::optional<Product> product = asProduct(use.getOwner());
      if (!product || use.getOperandNumber() != 0 ||
          !permutableConstant(product->weights->get()))
        return false;
      products.push_back(*product);
    }
    rewriter.setInsertionPoint(reshape);
    Value flat =
        ReshapeOp::create(rewriter, reshape.getLoc(), outType, blocked);
    // Every order of one feature per channel is the same.
    if (spatial > 1) {
      std::vector<int64_t> source = blockedOrder(channels, spatial);
      llvm::DenseMap<std::pair<Value, int>, Value> done;
      for (Product &product : products)
        permuteOperand(rewriter, *product.weights, source,
                       product.transposed ? 1 : 0, done);
    }
    // Every use went to the products, now reading `flat`.
    rewriter.replaceOp(reshape, flat);
    return true;
  }

  /// The blocked form of `value` without a reorder, or null: when it is
  /// a product's result ([N, C * S], constant weights and bias, read by
  /// nothing else) reshaped to [N, C, S...] for one reader (a transposed
  /// convolution after a dense layer, as in a VAE's decoder), the
  /// product's columns (weights and bias) are permuted to the blocked
  /// order of the features and its result reshaped blocked.
  Value unflattenBlocked(IRRewriter &rewriter, Value value) {
    auto reshape = value.getDefiningOp<ReshapeOp>();
    if (!reshape || !reshape->hasOneUse())
      return {};
    Value result = reshape.getInput();
    auto type = llvm::dyn_cast<RankedTensorType>(reshape.getType());
    int64_t channels, spatial;
    if (!flattens(type, llvm::dyn_cast<RankedTensorType>(result.getType()),
                  channels, spatial) ||
        !result.hasOneUse() || !result.getDefiningOp())
      return {};
    std::optional<Product> product = asProduct(result.getDefiningOp());
    if (!product || !permutableConstant(product->weights->get()) ||
        (product->bias && !permutableConstant(product->bias->get())))
      return {};
    // The bias: one per column ([M] or [1, M]) or a splat.
    if (product->bias) {
      auto biasType =
          llvm::cast<RankedTensorType>(product->bias->get().getType());
      auto dense = llvm::dyn_cast<DenseElementsAttr>(
          permutableConstant(product->bias->get()));
      if (!(dense && dense.isSplat()) &&
          (biasType.getNumElements() != channels * spatial ||
           biasType.getDimSize(biasType.getRank() - 1) != channels * spatial))
        return {};
    }
    if (spatial > 1) {
      std::vector<int64_t> source = blockedOrder(channels, spatial);
      llvm::DenseMap<std::pair<Value, int>, Value> done;
      permuteOperand(rewriter, *product->weights, source,
                     product->transposed ? 0 : 1, done);
      if (product->bias) {
        auto biasType =
            llvm::cast<RankedTensorType>(product->bias->get().getType());
        permuteOperand(rewriter, *product->bias, source, biasType.getRank() - 1,
                       done);
      }
    }
    rewriter.setInsertionPointAfterValue(result);
    return ReshapeOp::create(
        rewriter, reshape.getLoc(),
        blockedType(type.getShape(), type.getElementType()), result);
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
      if (!slot)
        slot = unflattenBlocked(rewriter, value);
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

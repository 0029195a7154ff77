//===- FuseConv.cpp - Convolution, residual, activation, pooling ----------===//

#include "FusionUtils.h"
#include "kiln/Dialect/Kiln/IR/KilnOps.h"
#include "kiln/Dialect/Kiln/Transforms/Passes.h"

namespace kiln {
#define GEN_PASS_DEF_KILNFUSECONV
#include "kiln/Dialect/Kiln/Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;
using namespace kiln::fusion;

namespace {

struct FuseConvPass : kiln::impl::KilnFuseConvBase<FuseConvPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<ConvOp> convs;
    getOperation()->walk([&](ConvOp conv) { convs.push_back(conv); });
    for (ConvOp conv : convs)
      fuse(conv);
    SmallVector<ConvTransposeOp> deconvs;
    getOperation()->walk(
        [&](ConvTransposeOp deconv) { deconvs.push_back(deconv); });
    for (ConvTransposeOp deconv : deconvs)
      fuse(deconv);
    SmallVector<Operation *> singlePixel;
    getOperation()->walk([&](Operation *op) {
      if (llvm::isa<ConvTransposeOp, FusedConvTransposeOp>(op))
        singlePixel.push_back(op);
    });
    for (Operation *op : singlePixel)
      if (failed(asProduct(op)))
        return signalPassFailure();
  }

  /// A transposed convolution of a single input pixel (a generator's
  /// first layer: a latent vector to a 4x4 map) is a matrix product: with
  /// no padding, one group and no dilation, out[n, o, k...] is
  /// sum_c x[n, c] w[c, o, k...] (+ b[o]), the input [N, C] times the
  /// weights read as [C, O x K1 x ... x Kk], each bias repeated over the
  /// window. It becomes a kiln.fused_matmul between reshapes (which fold
  /// into constant weights), run as one by either backend. Fails only when
  /// the product it builds is malformed; any other op is left as it is.
  template <typename Deconv> LogicalResult rewrite(Deconv deconv) {
    RankedTensorType input = typeOf(deconv.getInput()),
                     weight = typeOf(deconv.getWeight()),
                     output = deconv.getType();
    int64_t rank = input.getRank();
    auto allEqual = [](ArrayRef<int64_t> values, int64_t to) {
      return llvm::all_of(values, [&](int64_t v) { return v == to; });
    };
    if (rank < 3 || weight.getRank() != rank || output.getRank() != rank ||
        deconv.getGroup() != 1 ||
        !allEqual(input.getShape().drop_front(2), 1) ||
        !allEqual(deconv.getPads(), 0) ||
        !allEqual(deconv.getOutputPadding(), 0) ||
        !allEqual(deconv.getDilations(), 1) ||
        output.getShape().drop_front(2) != weight.getShape().drop_front(2) ||
        output.getDimSize(0) != input.getDimSize(0) ||
        output.getDimSize(1) != weight.getDimSize(1) ||
        weight.getDimSize(0) != input.getDimSize(1))
      return success();
    int64_t n = input.getDimSize(0), c = input.getDimSize(1),
            o = weight.getDimSize(1), window = 1;
    for (int64_t k : weight.getShape().drop_front(2))
      window *= k;
    Type element = output.getElementType();
    OpBuilder b(deconv);
    Location loc = deconv.getLoc();
    auto reshape = [&](Value v, ArrayRef<int64_t> shape) -> Value {
      return ReshapeOp::create(b, loc, RankedTensorType::get(shape, element),
                               v);
    };
    // Constant weights and bias become constants of the product's shapes
    // (the weights' bytes as they are; each bias `window` times).
    // Blobs named after the ONNX node (the first of a fused op's).
    std::string name = nameOf(deconv);
    if (auto fusedLoc = llvm::dyn_cast<FusedLoc>(deconv.getLoc()))
      for (Location part : fusedLoc.getLocations())
        if (auto named = llvm::dyn_cast<NameLoc>(part)) {
          name = named.getName().str();
          break;
        }
    SmallVector<Value> operands = {reshape(deconv.getInput(), {n, c})};
    if (auto w = readFloats(deconv.getWeight()); w && element.isF32())
      operands.push_back(
          makeConstant(b, loc, {c, o * window}, *w, name + ".weight_matrix"));
    else
      operands.push_back(reshape(deconv.getWeight(), {c, o * window}));
    if (Value bias = deconv.getBias()) {
      if (auto values = readFloats(bias); values && element.isF32()) {
        std::vector<float> repeated;
        repeated.reserve(o * window);
        for (float v : *values)
          repeated.insert(repeated.end(), window, v);
        operands.push_back(
            makeConstant(b, loc, {o * window}, repeated, name + ".bias_row"));
      } else {
        Value column = reshape(bias, {o, 1});
        Value expanded = ExpandOp::create(
            b, loc, RankedTensorType::get({o, window}, element), column);
        operands.push_back(reshape(expanded, {o * window}));
      }
    }
    SmallVector<NamedAttribute> attrs = {b.getNamedAttr(
        "operandSegmentSizes",
        b.getDenseI32ArrayAttr({1, 1, deconv.getBias() ? 1 : 0, 0}))};
    if constexpr (std::is_same_v<Deconv, FusedConvTransposeOp>) {
      if (deconv.getActivation() != UnaryKind::identity) {
        attrs.push_back(
            b.getNamedAttr("activation", deconv.getActivationAttr()));
        if (auto alpha = deconv.getActivationAlphaAttr())
          attrs.push_back(b.getNamedAttr("activation_alpha", alpha));
        if (auto beta = deconv.getActivationBetaAttr())
          attrs.push_back(b.getNamedAttr("activation_beta", beta));
      }
    }
    FailureOr<FusedMatMulOp> product =
        createChecked<FusedMatMulOp>(b, loc, operands, attrs);
    if (failed(product))
      return failure();
    Value result = reshape(product->getResult(), output.getShape());
    if (report)
      deconv.emitRemark("transposed convolution of a single pixel computed as "
                        "a matrix product (kiln.fused_matmul)");
    deconv.getResult().replaceAllUsesWith(result);
    deconv.erase();
    return success();
  }

  /// rewrite() for either kind of transposed convolution.
  LogicalResult asProduct(Operation *op) {
    if (auto deconv = llvm::dyn_cast<ConvTransposeOp>(op))
      return rewrite(deconv);
    return rewrite(llvm::cast<FusedConvTransposeOp>(op));
  }

  /// A transposed convolution takes the activation that is its result's
  /// only user (a residual or pooling after it is left alone).
  void fuse(ConvTransposeOp deconv) {
    std::string nearMiss;
    Operation *user = soleUser(deconv.getResult(),
                               "the transposed convolution's result", nearMiss);
    SmallVector<Operation *> chain = {deconv};
    SmallVector<std::string> parts;
    if (deconv.getBias())
      parts.push_back("bias");
    UnaryOp unary = takeActivation(user, chain, parts, nearMiss);
    if (!unary) {
      if (report && !nearMiss.empty())
        deconv.emitRemark("not fused: " + nearMiss);
      return;
    }
    OpBuilder b(unary);
    SmallVector<Value> operands = {deconv.getInput(), deconv.getWeight()};
    if (deconv.getBias())
      operands.push_back(deconv.getBias());
    SmallVector<NamedAttribute> attrs = {
        b.getNamedAttr("strides", deconv.getStridesAttr()),
        b.getNamedAttr("dilations", deconv.getDilationsAttr()),
        b.getNamedAttr("pads", deconv.getPadsAttr()),
        b.getNamedAttr("output_padding", deconv.getOutputPaddingAttr()),
        b.getNamedAttr("group", deconv.getGroupAttr())};
    appendActivation(b, unary.getKind(), unary.getAlpha(), unary.getBeta(),
                     attrs);
    FailureOr<FusedConvTransposeOp> fused = createChecked<FusedConvTransposeOp>(
        b, chainLoc(chain), operands, attrs);
    if (failed(fused))
      return signalPassFailure();
    replaceChain(chain, *fused);
    if (report)
      remarkFusion(*fused, "conv_transpose", parts, "");
  }

  void fuse(ConvOp conv) {
    SmallVector<Operation *> chain = {conv};
    SmallVector<std::string> parts;
    if (conv.getBias())
      parts.push_back("bias");
    Value current = conv.getResult(), residual;
    std::optional<UnaryKind> activation;
    std::optional<APFloat> alpha, beta;
    PoolOp pool;
    std::string nearMiss;
    auto tail = [&] { return chain.back()->getResult(0); };

    Operation *user = soleUser(current, "the convolution's result", nearMiss);
    user = takeResidual(user, chain, parts, residual, nearMiss,
                        "broadcasts an operand, so it is no residual");
    if (UnaryOp unary = takeActivation(user, chain, parts, nearMiss)) {
      activation = unary.getKind();
      alpha = unary.getAlpha();
      beta = unary.getBeta();
      user = soleUser(tail(), "the activation's result", nearMiss);
      if (std::string late = residualAfterActivation(user);
          !late.empty() && !residual)
        nearMiss = late;
    } else if (llvm::isa_and_present<UnaryOp>(user)) {
      user = nullptr;
    }
    if (auto candidate = llvm::dyn_cast_if_present<PoolOp>(user)) {
      if (!candidate.getDilations().empty() &&
          llvm::any_of(candidate.getDilations(),
                       [](int64_t d) { return d != 1; })) {
        nearMiss = "the pooling " + nameOf(candidate) + " dilates";
      } else {
        pool = candidate;
        chain.push_back(candidate);
        parts.push_back(stringifyPoolKind(candidate.getKind()).str() +
                        " pool " + nameOf(candidate));
        nearMiss.clear();
      }
    }
    if (chain.size() == 1) {
      if (report && !nearMiss.empty())
        conv.emitRemark("not fused: " + nearMiss);
      return;
    }

    Operation *last = chain.back();
    OpBuilder b(last);
    MLIRContext *ctx = b.getContext();
    SmallVector<Value> operands = {conv.getInput(), conv.getWeight()};
    if (conv.getBias())
      operands.push_back(conv.getBias());
    if (residual)
      operands.push_back(residual);
    SmallVector<NamedAttribute> attrs = {
        b.getNamedAttr("strides", conv.getStridesAttr()),
        b.getNamedAttr("dilations", conv.getDilationsAttr()),
        b.getNamedAttr("pads", conv.getPadsAttr()),
        b.getNamedAttr("group", conv.getGroupAttr()),
        b.getNamedAttr("operandSegmentSizes",
                       b.getDenseI32ArrayAttr(
                           {1, 1, conv.getBias() ? 1 : 0, residual ? 1 : 0}))};
    if (activation)
      appendActivation(b, *activation, alpha, beta, attrs);
    if (pool) {
      attrs.push_back(
          b.getNamedAttr("pool", PoolKindAttr::get(ctx, pool.getKind())));
      attrs.push_back(
          b.getNamedAttr("pool_kernel_shape", pool.getKernelShapeAttr()));
      attrs.push_back(b.getNamedAttr("pool_strides", pool.getStridesAttr()));
      attrs.push_back(b.getNamedAttr("pool_pads", pool.getPadsAttr()));
      if (pool.getCeilMode())
        attrs.push_back(b.getNamedAttr("pool_ceil_mode", b.getUnitAttr()));
      if (pool.getCountIncludePad())
        attrs.push_back(
            b.getNamedAttr("pool_count_include_pad", b.getUnitAttr()));
    }
    FailureOr<FusedConvOp> fused =
        createChecked<FusedConvOp>(b, chainLoc(chain), operands, attrs);
    if (failed(fused))
      return signalPassFailure();
    replaceChain(chain, *fused);
    if (report)
      remarkFusion(*fused, "conv", parts, nearMiss);
  }
};

} // namespace

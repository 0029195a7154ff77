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

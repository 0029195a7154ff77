//===- Convolution.cpp - Convolutions and pooling -------------------------===//

#include "OpChecker.h"
#include "kiln/Dialect/Kiln/IR/KilnOps.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::detail;

LogicalResult ConvOp::inferReturnTypes(MLIRContext *,
                                       std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &types) {
  OpChecker check(loc, getOperationName());
  auto shape = inferConvShape(check, adaptor.getInput(), adaptor.getWeight(),
                              adaptor.getBias(), adaptor.getStrides(),
                              adaptor.getDilations(), adaptor.getPads(),
                              (int64_t)adaptor.getGroup());
  if (failed(shape))
    return failure();
  types.push_back(RankedTensorType::get(
      *shape,
      llvm::cast<ShapedType>(adaptor.getInput().getType()).getElementType()));
  return success();
}

/// Validates conv_transpose/fused_conv_transpose operands and attributes
/// and returns the output shape.
static FailureOr<SmallVector<int64_t>> inferConvTransposeShape(
    const OpChecker &check, Value inputValue, Value weightValue, Value bias,
    ArrayRef<int64_t> stridesAttr, ArrayRef<int64_t> dilationsAttr,
    ArrayRef<int64_t> padsAttr, ArrayRef<int64_t> outputPadding,
    int64_t group) {
  auto conv = checkConvOperands(check, inputValue, weightValue, group,
                                stridesAttr, dilationsAttr, padsAttr);
  if (failed(conv))
    return failure();
  RankedTensorType input = conv->input, weight = conv->weight;
  int64_t channels = input.getDimSize(1);
  if (weight.getDimSize(0) != channels)
    return check.fail("expected weight dim 0 to be the input channels (",
                      channels, "), got ", weight.getDimSize(0));
  int64_t outChannels = weight.getDimSize(1) * group;
  if (failed(checkBias(check, bias, input.getElementType(), outChannels)))
    return failure();
  int64_t spatial = input.getRank() - 2;
  ArrayRef<int64_t> strides = conv->strides, dilations = conv->dilations,
                    pads = conv->pads;
  if (!outputPadding.empty() && (int64_t)outputPadding.size() != spatial)
    return check.fail("expected 'output_padding' to have ", spatial,
                      " values (one per spatial dim), got ",
                      outputPadding.size());
  SmallVector<int64_t> shape(input.getShape());
  shape[1] = outChannels;
  for (int64_t i = 0; i < spatial; ++i) {
    int64_t stride = strides[i], dilation = dilations[i];
    int64_t extra = outputPadding.empty() ? 0 : outputPadding[i];
    if (extra < 0 || extra >= std::max(stride, dilation))
      return check.fail("expected 'output_padding' values in [0, "
                        "max(stride, dilation)), got ",
                        formatList(outputPadding));
    int64_t extent = (weight.getDimSize(i + 2) - 1) * dilation + 1;
    int64_t out = stride * (input.getDimSize(i + 2) - 1) + extra + extent -
                  pads[i] - pads[i + spatial];
    if (out <= 0)
      return check.fail("pads leave no output along spatial dim ", i, " (size ",
                        out, ")");
    shape[i + 2] = out;
  }
  return shape;
}

/// The same, reading the operands and attributes of a (fused) transposed
/// convolution's adaptor.
template <typename Adaptor>
static FailureOr<SmallVector<int64_t>>
inferConvTransposeShape(const OpChecker &check, Adaptor adaptor) {
  return inferConvTransposeShape(
      check, adaptor.getInput(), adaptor.getWeight(), adaptor.getBias(),
      adaptor.getStrides(), adaptor.getDilations(), adaptor.getPads(),
      adaptor.getOutputPadding(), adaptor.getGroup());
}

LogicalResult ConvTransposeOp::inferReturnTypes(MLIRContext *,
                                                std::optional<Location> loc,
                                                Adaptor adaptor,
                                                SmallVectorImpl<Type> &types) {
  OpChecker check(loc, getOperationName());
  auto shape = inferConvTransposeShape(check, adaptor);
  if (failed(shape))
    return failure();
  auto input = llvm::cast<RankedTensorType>(adaptor.getInput().getType());
  types.push_back(input.clone(*shape));
  return success();
}

LogicalResult FusedConvTransposeOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  OpChecker check(loc, getOperationName());
  auto shape = inferConvTransposeShape(check, adaptor);
  if (failed(shape) ||
      failed(checkActivation(check, adaptor.getActivation(),
                             adaptor.getActivationAlpha().has_value(),
                             adaptor.getActivationBeta().has_value())))
    return failure();
  auto input = llvm::cast<RankedTensorType>(adaptor.getInput().getType());
  types.push_back(input.clone(*shape));
  return success();
}

LogicalResult PoolOp::inferReturnTypes(MLIRContext *,
                                       std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &types) {
  OpChecker check(loc, getOperationName());
  RankedTensorType input = check.tensor(adaptor.getInput(), "input");
  if (!input)
    return failure();
  auto shape = inferPoolShape(
      check, input.getShape(), adaptor.getKind(), adaptor.getKernelShape(),
      adaptor.getStrides(), adaptor.getDilations(), adaptor.getPads(),
      adaptor.getCeilMode(), adaptor.getCountIncludePad(), "");
  if (failed(shape))
    return failure();
  types.push_back(input.clone(*shape));
  return success();
}

LogicalResult GlobalPoolOp::inferReturnTypes(MLIRContext *,
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
  SmallVector<int64_t> shape(input.getShape());
  std::fill(shape.begin() + 2, shape.end(), 1);
  types.push_back(input.clone(shape));
  return success();
}

LogicalResult FusedConvOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  OpChecker check(loc, getOperationName());
  auto shape = inferConvShape(check, adaptor.getInput(), adaptor.getWeight(),
                              adaptor.getBias(), adaptor.getStrides(),
                              adaptor.getDilations(), adaptor.getPads(),
                              (int64_t)adaptor.getGroup());
  if (failed(shape))
    return failure();
  auto input = llvm::cast<RankedTensorType>(adaptor.getInput().getType());
  if (Value residualValue = adaptor.getResidual()) {
    RankedTensorType residual = check.tensor(residualValue, "residual");
    if (!residual ||
        failed(check.sameElementType(residual, "residual",
                                     input.getElementType())) ||
        failed(check.shape(residual, "residual", *shape)))
      return failure();
  }
  if (failed(checkActivation(check, adaptor.getActivation(),
                             adaptor.getActivationAlpha().has_value(),
                             adaptor.getActivationBeta().has_value())))
    return failure();
  if (std::optional<PoolKind> pool = adaptor.getPool()) {
    auto pooled = inferPoolShape(
        check, *shape, *pool, adaptor.getPoolKernelShape(),
        adaptor.getPoolStrides(), /*dilations=*/{}, adaptor.getPoolPads(),
        adaptor.getPoolCeilMode(), adaptor.getPoolCountIncludePad(), "pool_");
    if (failed(pooled))
      return failure();
    shape = std::move(pooled);
  } else if (!adaptor.getPoolKernelShape().empty() ||
             !adaptor.getPoolStrides().empty() ||
             !adaptor.getPoolPads().empty() || adaptor.getPoolCeilMode() ||
             adaptor.getPoolCountIncludePad()) {
    return check.fail("pooling attributes need a 'pool' kind");
  }
  types.push_back(input.clone(*shape));
  return success();
}

FailureOr<Value> kiln::poolOfFusedConv(OpBuilder &b, FusedConvOp op,
                                       Value input) {
  SmallVector<NamedAttribute> attrs = {
      b.getNamedAttr("kind", PoolKindAttr::get(b.getContext(), *op.getPool())),
      b.getNamedAttr("kernel_shape", op.getPoolKernelShapeAttr()),
      b.getNamedAttr("strides", op.getPoolStridesAttr()),
      b.getNamedAttr("pads", op.getPoolPadsAttr())};
  if (op.getPoolCeilMode())
    attrs.push_back(b.getNamedAttr("ceil_mode", b.getUnitAttr()));
  if (op.getPoolCountIncludePad())
    attrs.push_back(b.getNamedAttr("count_include_pad", b.getUnitAttr()));
  FailureOr<PoolOp> pool =
      createChecked<PoolOp>(b, op.getLoc(), {input}, attrs);
  if (failed(pool))
    return failure();
  return pool->getResult();
}

FailureOr<Value> kiln::unfuseConv(OpBuilder &b, FusedConvOp op, bool withPool) {
  Location loc = op.getLoc();
  SmallVector<Value> operands = {op.getInput(), op.getWeight()};
  if (op.getBias())
    operands.push_back(op.getBias());
  FailureOr<ConvOp> conv =
      createChecked<ConvOp>(b, loc, operands,
                            {b.getNamedAttr("strides", op.getStridesAttr()),
                             b.getNamedAttr("dilations", op.getDilationsAttr()),
                             b.getNamedAttr("pads", op.getPadsAttr()),
                             b.getNamedAttr("group", op.getGroupAttr())});
  if (failed(conv))
    return failure();
  Value value = conv->getResult();
  if (Value residual = op.getResidual()) {
    FailureOr<Value> sum = add(b, loc, value, residual);
    if (failed(sum))
      return failure();
    value = *sum;
  }
  if (std::optional<UnaryKind> activation = op.getActivation()) {
    FailureOr<Value> activated =
        activate(b, loc, value, *activation, op.getActivationAlphaAttr(),
                 op.getActivationBetaAttr());
    if (failed(activated))
      return failure();
    value = *activated;
  }
  if (op.getPool() && withPool)
    return poolOfFusedConv(b, op, value);
  return value;
}

FailureOr<Value> kiln::unfuseConvTranspose(OpBuilder &b,
                                           FusedConvTransposeOp op) {
  Location loc = op.getLoc();
  SmallVector<Value> operands = {op.getInput(), op.getWeight()};
  if (op.getBias())
    operands.push_back(op.getBias());
  FailureOr<ConvTransposeOp> conv = createChecked<ConvTransposeOp>(
      b, loc, operands,
      {b.getNamedAttr("strides", op.getStridesAttr()),
       b.getNamedAttr("dilations", op.getDilationsAttr()),
       b.getNamedAttr("pads", op.getPadsAttr()),
       b.getNamedAttr("output_padding", op.getOutputPaddingAttr()),
       b.getNamedAttr("group", op.getGroupAttr())});
  if (failed(conv))
    return failure();
  return activate(b, loc, conv->getResult(), op.getActivation(),
                  op.getActivationAlphaAttr(), op.getActivationBetaAttr());
}

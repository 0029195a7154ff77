//===- KilnBackendOps.cpp - Ops of the backends ---------------------------===//

#include "kiln/Dialect/Kiln/IR/ShapeHelpers.h"
#include "kiln/Dialect/KilnBackend/IR/KilnBackend.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::backend;
using kiln::detail::formatList;

/// A dnnl_call's primitive, written as its name in quotes.
static ParseResult parseDnnlPrimitive(OpAsmParser &parser,
                                      IntegerAttr &primitive) {
  SMLoc loc = parser.getCurrentLocation();
  std::string name;
  if (parser.parseString(&name))
    return failure();
  std::optional<abi::DnnlPrimitive> kind = abi::parseDnnlPrimitive(name);
  if (!kind)
    return parser.emitError(loc, "unknown oneDNN primitive '") << name << "'";
  primitive = parser.getBuilder().getI64IntegerAttr((int64_t)*kind);
  return success();
}

static void printDnnlPrimitive(OpAsmPrinter &printer, Operation *,
                               IntegerAttr primitive) {
  printer << '"' << abi::dnnlPrimitiveName(primitive.getInt()) << '"';
}

//===----------------------------------------------------------------------===//
// DnnlCallOp
//===----------------------------------------------------------------------===//

SmallVector<int64_t> kiln::backend::blockedShape(ArrayRef<int64_t> dims,
                                                 int64_t block) {
  SmallVector<int64_t> shape(dims);
  shape[1] = (shape[1] + block - 1) / block;
  shape.push_back(block);
  return shape;
}

LogicalResult DnnlCallOp::verify() {
  if (getOutputs().empty())
    return emitOpError("expected at least one output");
  bool onTensors = llvm::isa<RankedTensorType>(getOutputs().front().getType());
  for (Value operand : getOperands()) {
    auto shaped = llvm::dyn_cast<ShapedType>(operand.getType());
    if (!shaped.hasStaticShape())
      return emitOpError("expected operands of static shape, got ")
             << operand.getType();
    if (llvm::isa<RankedTensorType>(shaped) != onTensors)
      return emitOpError("expected all operands to be tensors or all to be "
                         "memrefs");
  }
  if (onTensors ? getResults().getTypes() != getOutputs().getTypes()
                : !getResults().empty())
    return emitOpError("expected one result per output, of its type, on "
                       "tensors and no results on memrefs");
  ArrayRef<int64_t> layouts = getLayouts();
  if (!layouts.empty() && layouts.size() != getNumOperands())
    return emitOpError("expected one `layouts` entry per operand, got ")
           << layouts.size() << " for " << getNumOperands();
  // `dims`: for each operand, its rank and then as many dims, covering
  // exactly the operand's elements (or its blocked shape).
  ArrayRef<int64_t> dims = getDims();
  size_t at = 0;
  for (auto [i, operand] : llvm::enumerate(getOperands())) {
    auto shaped = llvm::cast<ShapedType>(operand.getType());
    if (at >= dims.size() || dims[at] < 0 || at + 1 + dims[at] > dims.size())
      return emitOpError("expected `dims` to give a rank and dims for "
                         "operand ")
             << i;
    ArrayRef<int64_t> logical = dims.slice(at + 1, dims[at]);
    at += 1 + dims[at];
    int64_t block = layouts.empty() ? 0 : layouts[i];
    if (block != 0) {
      if (block != 8 && block != 16)
        return emitOpError("expected a layout of 0, 8 or 16, got ") << block;
      if (logical.size() < 3 || logical.size() > 5)
        return emitOpError("operand ")
               << i << " in a blocked layout must have rank 3 to 5, not "
               << logical.size();
      if (shaped.getShape() != ArrayRef(blockedShape(logical, block)))
        return emitOpError("operand ")
               << i << " in the " << block
               << "-channel blocked layout needs the shape "
               << formatList(blockedShape(logical, block));
      continue;
    }
    int64_t elements = 1;
    for (int64_t d : logical)
      elements *= d;
    if (elements != shaped.getNumElements())
      return emitOpError("operand ")
             << i << " has " << shaped.getNumElements()
             << " elements but its `dims` describe " << elements;
  }
  if (at != dims.size())
    return emitOpError("expected `dims` to describe the operands only, "
                       "found extra values");
  return success();
}

void DnnlCallOp::getEffects(
    SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>
        &effects) {
  for (OpOperand &operand : getInputsMutable())
    if (llvm::isa<MemRefType>(operand.get().getType()))
      effects.emplace_back(MemoryEffects::Read::get(), &operand);
  for (OpOperand &operand : getOutputsMutable())
    if (llvm::isa<MemRefType>(operand.get().getType()))
      effects.emplace_back(MemoryEffects::Write::get(), &operand);
}

//===----------------------------------------------------------------------===//
// FlashAttentionOp
//===----------------------------------------------------------------------===//

LogicalResult FlashAttentionOp::verify() {
  bool onTensors = llvm::isa<RankedTensorType>(getInit().getType());
  SmallVector<ArrayRef<int64_t>> shapes;
  for (Value limit : {getKeyLimit(), getQueryLimit()}) {
    if (!limit)
      continue;
    auto shaped = llvm::cast<ShapedType>(limit.getType());
    if (shaped.getRank() != 0 || !shaped.getElementType().isInteger(64) ||
        llvm::isa<RankedTensorType>(shaped) !=
            llvm::isa<RankedTensorType>(getInit().getType()))
      return emitOpError("expected the limits as i64 scalars, got ")
             << limit.getType();
  }
  for (Value operand : getOperands()) {
    if (operand == getKeyLimit() || operand == getQueryLimit())
      continue;
    auto shaped = llvm::cast<ShapedType>(operand.getType());
    if (!shaped.hasStaticShape() || shaped.getRank() != 4)
      return emitOpError("expected operands of rank 4 and static shape, got ")
             << operand.getType();
    if (llvm::isa<RankedTensorType>(shaped) != onTensors)
      return emitOpError("expected all operands to be tensors or all to be "
                         "memrefs");
    Type element = shaped.getElementType();
    if (operand == getMask() ? !element.isInteger(8) && !element.isF32()
                             : !element.isF32())
      return emitOpError("expected f32 operands and an i8 or f32 mask, got ")
             << operand.getType();
    shapes.push_back(shaped.getShape());
  }
  if (onTensors ? getResults().size() != 1 ||
                      getResults()[0].getType() != getInit().getType()
                : !getResults().empty())
    return emitOpError("expected one result of the type of 'init' on tensors "
                       "and none on memrefs");
  // In the order B x H x L x D whatever the layout.
  auto headsFirst = [&](ArrayRef<int64_t> shape) -> SmallVector<int64_t> {
    if (getBshd())
      return {shape[0], shape[2], shape[1], shape[3]};
    return SmallVector<int64_t>(shape);
  };
  SmallVector<int64_t> q = headsFirst(shapes[0]), v = headsFirst(shapes[2]),
                       out = headsFirst(shapes.back());
  ArrayRef<int64_t> kT = shapes[1];
  int64_t batch = q[0], heads = q[1], lq = q[2], lk = kT[3];
  if (kT[0] != batch || v[0] != batch || kT[2] != q[3] || v[1] != kT[1] ||
      v[2] != lk || kT[1] == 0 || heads % kT[1] != 0 ||
      ArrayRef<int64_t>(out) != ArrayRef<int64_t>({batch, heads, lq, v[3]}))
    return emitOpError("expected q ")
           << formatList(shapes[0]) << ", k_t " << formatList(kT) << ", v "
           << formatList(shapes[2]) << " and init " << formatList(shapes.back())
           << " to be shaped for attention" << (getBshd() ? " (bshd)" : "");
  if (getMask()) {
    ArrayRef<int64_t> mask = shapes[3];
    int64_t full[4] = {batch, heads, lq, lk};
    for (int i = 0; i < 4; ++i)
      if (mask[i] != 1 && mask[i] != full[i])
        return emitOpError("expected the mask ")
               << formatList(mask) << " to broadcast to " << formatList(full);
  }
  int64_t blockQ = getBlockQ(), blockK = getBlockK();
  if (blockQ <= 0 || blockK <= 0 || lq % blockQ != 0 || lk % blockK != 0)
    return emitOpError("expected blocks dividing the sequence lengths (")
           << lq << ", " << lk << "), got " << blockQ << " and " << blockK;
  return success();
}

/// The effects of a kernel op on buffers: it writes `init` and reads the
/// other operands.
static void kernelEffects(
    Operation *op, OpOperand &init,
    SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>
        &effects) {
  for (OpOperand &operand : op->getOpOperands()) {
    if (!llvm::isa<MemRefType>(operand.get().getType()))
      continue;
    if (&operand == &init)
      effects.emplace_back(MemoryEffects::Write::get(), &operand);
    else
      effects.emplace_back(MemoryEffects::Read::get(), &operand);
  }
}

void FlashAttentionOp::getEffects(
    SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>
        &effects) {
  kernelEffects(getOperation(), getInitMutable(), effects);
}

//===----------------------------------------------------------------------===//
// ConvPoolOp
//===----------------------------------------------------------------------===//

LogicalResult ConvPoolOp::verify() {
  bool onTensors = llvm::isa<RankedTensorType>(getInit().getType());
  auto shapeOf = [](Value v) {
    return llvm::cast<ShapedType>(v.getType()).getShape();
  };
  for (Value operand : getOperands()) {
    auto shaped = llvm::cast<ShapedType>(operand.getType());
    if (!shaped.hasStaticShape() || !shaped.getElementType().isF32())
      return emitOpError("expected f32 operands of static shape, got ")
             << operand.getType();
    if (llvm::isa<RankedTensorType>(shaped) != onTensors)
      return emitOpError("expected all operands to be tensors or all to be "
                         "memrefs");
  }
  if (onTensors ? getResults().size() != 1 ||
                      getResults()[0].getType() != getInit().getType()
                : !getResults().empty())
    return emitOpError("expected one result of the type of 'init' on tensors "
                       "and none on memrefs");
  for (ArrayRef<int64_t> pair :
       {getKernelShape(), getStrides(), getDilations(), getConvShape(),
        getPoolKernelShape(), getPoolStrides(), getPoolPads()})
    if (pair.size() != 2 || pair[0] < 0 || pair[1] < 0)
      return emitOpError("expected two non-negative values per window "
                         "attribute");
  for (ArrayRef<int64_t> positive :
       {getKernelShape(), getStrides(), getDilations(), getConvShape(),
        getPoolKernelShape(), getPoolStrides()})
    if (positive[0] == 0 || positive[1] == 0)
      return emitOpError("expected positive kernel sizes, strides, "
                         "dilations and convolution sizes");
  ArrayRef<int64_t> in = shapeOf(getInput()), w = shapeOf(getWeight()),
                    out = shapeOf(getInit());
  ArrayRef<int64_t> kernel = getKernelShape(), strides = getStrides(),
                    dilations = getDilations();
  ArrayRef<int64_t> poolKernel = getPoolKernelShape(),
                    poolStrides = getPoolStrides();
  if (in.size() != 4 || w.size() != 2 || out.size() != 4 || out[0] != in[0] ||
      w[0] != out[1] || w[1] != in[1] * kernel[0] * kernel[1])
    return emitOpError("expected input [N, C, H, W], weight [M, C * ")
           << kernel[0] << " * " << kernel[1]
           << "] and init [N, M, PH, PW], got " << formatList(in) << ", "
           << formatList(w) << " and " << formatList(out);
  if (getBias() && shapeOf(getBias()) != ArrayRef<int64_t>{w[0]})
    return emitOpError("expected a bias of ") << w[0] << " values";
  if (getPool() == PoolKind::avg
          ? !getCounts() || shapeOf(getCounts()) != out.drop_front(2)
          : getCounts() != nullptr)
    return emitOpError("expected counts [PH, PW] for average pooling only");
  if (!getPool() && (poolKernel != ArrayRef<int64_t>{1, 1} ||
                     poolStrides != ArrayRef<int64_t>{1, 1} ||
                     getPoolPads() != ArrayRef<int64_t>{0, 0} ||
                     out.drop_front(2) != getConvShape()))
    return emitOpError("expected identity pooling attributes and an output "
                       "of the convolution's size without 'pool'");
  if (getResidual() && (getPool() || shapeOf(getResidual()) != out))
    return emitOpError("expected a residual of the output's shape, and only "
                       "without pooling");
  for (int64_t i = 0; i < 2; ++i) {
    int64_t extent = (out[2 + i] - 1) * poolStrides[i] + poolKernel[i];
    int64_t needed =
        (extent - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1;
    if (in[2 + i] < needed)
      return emitOpError("expected the input to cover every pooling window: ")
             << needed << " positions along spatial dim " << i << ", got "
             << in[2 + i];
  }
  int64_t band = getBand();
  if (band <= 0 || out[2] % band != 0)
    return emitOpError("expected a band dividing the pooled rows (")
           << out[2] << "), got " << band;
  return success();
}

void ConvPoolOp::getEffects(
    SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>
        &effects) {
  kernelEffects(getOperation(), getInitMutable(), effects);
}

#define GET_OP_CLASSES
#include "kiln/Dialect/KilnBackend/IR/KilnBackendOps.cpp.inc"

//===- FusionUtils.cpp - Helpers shared by the fusion passes --------------===//

#include "FusionUtils.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <cstring>

using namespace mlir;

namespace kiln::fusion {

RankedTensorType typeOf(Value value) {
  return llvm::cast<RankedTensorType>(value.getType());
}

std::optional<double> scalarConstant(Value value) {
  auto constant = value.getDefiningOp<ConstantOp>();
  if (!constant)
    return std::nullopt;
  auto dense = llvm::dyn_cast<DenseElementsAttr>(constant.getValue());
  if (!dense || dense.getNumElements() != 1 || !dense.getElementType().isF32())
    return std::nullopt;
  return (double)*dense.getValues<float>().begin();
}

Value otherOperand(BinaryOp binary, Value value) {
  return binary.getLhs() == value ? binary.getRhs() : binary.getLhs();
}

std::optional<std::vector<float>> readFloats(Value value) {
  auto constant = value.getDefiningOp<ConstantOp>();
  if (!constant)
    return std::nullopt;
  ElementsAttr attr = constant.getValue();
  auto type = llvm::cast<ShapedType>(attr.getType());
  if (!type.getElementType().isF32())
    return std::nullopt;
  if (auto dense = llvm::dyn_cast<DenseElementsAttr>(attr)) {
    auto values = dense.getValues<float>();
    return std::vector<float>(values.begin(), values.end());
  }
  auto resource = llvm::dyn_cast<DenseResourceElementsAttr>(attr);
  AsmResourceBlob *blob =
      resource ? resource.getRawHandle().getBlob() : nullptr;
  if (!blob ||
      blob->getData().size() != (size_t)type.getNumElements() * sizeof(float))
    return std::nullopt;
  std::vector<float> values(type.getNumElements());
  std::memcpy(values.data(), blob->getData().data(),
              values.size() * sizeof(float));
  return values;
}

Value makeConstant(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                   ArrayRef<float> values, StringRef name) {
  auto type = RankedTensorType::get(shape, b.getF32Type());
  ElementsAttr attr;
  if (values.size() > 16)
    attr = DenseResourceElementsAttr::get(
        type, name,
        HeapAsmResourceBlob::allocateAndCopyWithAlign(
            ArrayRef<char>((const char *)values.data(),
                           values.size() * sizeof(float)),
            alignof(double)));
  else
    attr = DenseElementsAttr::get(type, values);
  return ConstantOp::create(b, loc, type, attr);
}

bool isActivation(UnaryKind kind) {
  switch (kind) {
  case UnaryKind::relu:
  case UnaryKind::leaky_relu:
  case UnaryKind::clip:
  case UnaryKind::sigmoid:
  case UnaryKind::tanh:
  case UnaryKind::gelu:
  case UnaryKind::gelu_tanh:
  case UnaryKind::silu:
  case UnaryKind::hard_swish:
  case UnaryKind::elu:
    return true;
  default:
    return false;
  }
}

std::string nameOf(Operation *op) {
  if (auto name = llvm::dyn_cast<NameLoc>(op->getLoc()))
    return name.getName().str();
  return op->getName().getStringRef().str();
}

void appendActivation(OpBuilder &b, UnaryKind kind,
                      std::optional<APFloat> alpha, std::optional<APFloat> beta,
                      SmallVectorImpl<NamedAttribute> &attrs) {
  attrs.push_back(
      b.getNamedAttr("activation", UnaryKindAttr::get(b.getContext(), kind)));
  if (alpha)
    attrs.push_back(b.getNamedAttr("activation_alpha",
                                   b.getF32FloatAttr(alpha->convertToFloat())));
  if (beta)
    attrs.push_back(b.getNamedAttr("activation_beta",
                                   b.getF32FloatAttr(beta->convertToFloat())));
}

Operation *soleUser(Value value, StringRef what, std::string &why) {
  if (value.use_empty())
    return nullptr;
  if (!value.hasOneUse()) {
    int64_t users =
        std::distance(value.getUsers().begin(), value.getUsers().end());
    why = (what + " has " + Twine(users) + " users").str();
    return nullptr;
  }
  return *value.getUsers().begin();
}

Operation *takeResidual(Operation *user, SmallVectorImpl<Operation *> &chain,
                        SmallVectorImpl<std::string> &parts, Value &residual,
                        std::string &why, StringRef notResidual) {
  auto add = llvm::dyn_cast_if_present<BinaryOp>(user);
  if (!add || add.getKind() != BinaryKind::add)
    return user;
  Value current = chain.back()->getResult(0);
  Value other = otherOperand(add, current);
  if (other.getType() != current.getType() || other == current ||
      add.getType() != current.getType()) {
    why = ("the add " + nameOf(add) + " " + notResidual).str();
    return nullptr;
  }
  residual = other;
  chain.push_back(add);
  parts.push_back("residual add " + nameOf(add));
  return soleUser(add.getResult(), "the residual sum", why);
}

std::string residualAfterActivation(Operation *user) {
  auto add = llvm::dyn_cast_if_present<BinaryOp>(user);
  if (!add || add.getKind() != BinaryKind::add)
    return "";
  return "the add " + nameOf(add) +
         " follows the activation; a fused residual comes before it";
}

UnaryOp takeActivation(Operation *user, SmallVectorImpl<Operation *> &chain,
                       SmallVectorImpl<std::string> &parts, std::string &why) {
  auto unary = llvm::dyn_cast_if_present<UnaryOp>(user);
  if (!unary)
    return nullptr;
  std::string kind = stringifyUnaryKind(unary.getKind()).str();
  if (!isActivation(unary.getKind())) {
    why = "'" + kind + "' (" + nameOf(unary) + ") is not a fusable activation";
    return nullptr;
  }
  chain.push_back(unary);
  parts.push_back(kind + " " + nameOf(unary));
  return unary;
}

Location chainLoc(ArrayRef<Operation *> chain) {
  SmallVector<Location> locs;
  for (Operation *op : chain)
    locs.push_back(op->getLoc());
  return FusedLoc::get(chain.front()->getContext(), locs);
}

void replaceChain(ArrayRef<Operation *> chain, Operation *fused) {
  chain.back()->getResult(0).replaceAllUsesWith(fused->getResult(0));
  for (Operation *op : llvm::reverse(chain))
    op->erase();
}

void remarkFusion(Operation *fused, StringRef head, ArrayRef<std::string> parts,
                  StringRef why) {
  std::string text =
      ("fused into " + fused->getName().getStringRef() + ": " + head).str();
  for (const std::string &part : parts)
    text += ", " + part;
  if (!why.empty())
    text += ("; stopped: " + why).str();
  fused->emitRemark(text);
}

} // namespace kiln::fusion

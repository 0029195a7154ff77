//===- FoldBatchNorm.cpp - Batch norms and constant affines into weights --===//

#include "FusionUtils.h"
#include "kiln/Dialect/Kiln/IR/KilnOps.h"
#include "kiln/Dialect/Kiln/Transforms/Passes.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>
#include <cstring>

namespace kiln {
#define GEN_PASS_DEF_KILNFOLDBATCHNORM
#include "kiln/Dialect/Kiln/Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;
using kiln::fusion::makeConstant;
using kiln::fusion::readFloats;

namespace {

/// A per-channel affine map y -> y * scale[c] + shift[c] over dim 1.
struct Affine {
  std::vector<float> scale, shift;
};

/// The per-output-channel values of `value` for an op result of shape
/// `shape` (channels on dim 1): a constant that broadcasts along dim 1
/// only, or to everything.
std::optional<std::vector<float>> perChannel(Value value,
                                             ArrayRef<int64_t> shape) {
  auto type = llvm::dyn_cast<RankedTensorType>(value.getType());
  if (!type || type.getRank() > (int64_t)shape.size())
    return std::nullopt;
  int64_t channels = shape[1], offset = shape.size() - type.getRank();
  bool varies = false;
  for (int64_t i = 0; i < type.getRank(); ++i) {
    int64_t d = type.getDimSize(i);
    if (d == 1)
      continue;
    if (offset + i != 1 || d != channels)
      return std::nullopt;
    varies = true;
  }
  std::optional<std::vector<float>> values = readFloats(value);
  if (!values)
    return std::nullopt;
  if (!varies)
    return std::vector<float>(channels, values->front());
  return values;
}

struct FoldBatchNormPass
    : kiln::impl::KilnFoldBatchNormBase<FoldBatchNormPass> {
  using Base::Base;

  void remark(Operation *op, const Twine &message) {
    if (report)
      op->emitRemark(message);
  }

  /// The affine map `op` applies to its input's channels, or a reason why
  /// it is not one.
  FailureOr<Affine> affineOf(Operation *op, Value input, std::string &why) {
    ArrayRef<int64_t> shape =
        llvm::cast<RankedTensorType>(input.getType()).getShape();
    if (shape.size() < 2) {
      why = "the input has no channel dim";
      return failure();
    }
    int64_t channels = shape[1];
    Affine affine{std::vector<float>(channels, 1.0f),
                  std::vector<float>(channels, 0.0f)};
    if (auto norm = llvm::dyn_cast<BatchNormOp>(op)) {
      auto scale = readFloats(norm.getScale()),
           bias = readFloats(norm.getBias());
      auto mean = readFloats(norm.getMean()), var = readFloats(norm.getVar());
      if (!scale || !bias || !mean || !var) {
        why = "its parameters are not constants";
        return failure();
      }
      float epsilon = norm.getEpsilon().convertToFloat();
      for (int64_t c = 0; c < channels; ++c) {
        affine.scale[c] = (*scale)[c] / std::sqrt((*var)[c] + epsilon);
        affine.shift[c] = (*bias)[c] - (*mean)[c] * affine.scale[c];
      }
      return affine;
    }
    auto binary = llvm::cast<BinaryOp>(op);
    if (binary.getType() != input.getType()) {
      why = "the result has another shape than the input";
      return failure();
    }
    Value other = binary.getLhs() == input ? binary.getRhs() : binary.getLhs();
    std::optional<std::vector<float>> values = perChannel(other, shape);
    if (!values) {
      why = "the other operand is not a constant per channel";
      return failure();
    }
    if (binary.getKind() == BinaryKind::mul)
      affine.scale = *values;
    else
      affine.shift = *values;
    return affine;
  }

  /// Folds `affine` into the weights and bias of `producer`, returning the
  /// new op, or failure with a reason.
  FailureOr<Operation *> fold(Operation *producer, const Affine &affine,
                              std::string &why) {
    OpBuilder b(producer);
    Location loc = producer->getLoc();
    int64_t channels = affine.scale.size();
    Value weight = producer->getOperand(1);
    Value bias =
        producer->getNumOperands() > 2 ? producer->getOperand(2) : Value();
    std::optional<std::vector<float>> w = readFloats(weight);
    std::optional<std::vector<float>> bv =
        bias ? readFloats(bias) : std::vector<float>(channels, 0.0f);
    if (!w || !bv) {
      why = "its weights or bias are not f32 constants";
      return failure();
    }
    if (bv->size() == 1)
      bv->assign(channels, bv->front());
    if ((int64_t)bv->size() != channels) {
      why = "its bias is not one value per channel";
      return failure();
    }
    ArrayRef<int64_t> wshape =
        llvm::cast<RankedTensorType>(weight.getType()).getShape();
    // The output channel each weight element belongs to.
    std::function<int64_t(int64_t)> channelOf;
    int64_t inner = 1;
    for (int64_t d : wshape.drop_front(1))
      inner *= d;
    if (llvm::isa<ConvOp>(producer)) {
      channelOf = [=](int64_t i) { return i / inner; };
    } else if (auto deconv = llvm::dyn_cast<ConvTransposeOp>(producer)) {
      int64_t group = deconv.getGroup(), perGroupIn = wshape[0] / group;
      int64_t perGroupOut = wshape[1], spatial = inner / wshape[1];
      channelOf = [=](int64_t i) {
        int64_t in = i / inner, j = (i / spatial) % perGroupOut;
        return (in / perGroupIn) * perGroupOut + j;
      };
    } else {
      auto gemm = llvm::cast<GemmOp>(producer);
      if (gemm.getAlpha().convertToFloat() != 1.0f ||
          (bias && gemm.getBeta().convertToFloat() != 1.0f)) {
        why = "the gemm scales by alpha or beta";
        return failure();
      }
      if (bias && llvm::cast<RankedTensorType>(bias.getType()).getRank() == 2 &&
          llvm::cast<RankedTensorType>(bias.getType()).getDimSize(0) != 1) {
        why = "its C varies along the rows";
        return failure();
      }
      if (gemm.getTransB())
        channelOf = [=](int64_t i) { return i / wshape[1]; };
      else
        channelOf = [=](int64_t i) { return i % wshape[1]; };
    }
    std::vector<float> newWeight(*w), newBias(channels);
    for (size_t i = 0; i < newWeight.size(); ++i)
      newWeight[i] *= affine.scale[channelOf(i)];
    for (int64_t c = 0; c < channels; ++c)
      newBias[c] = (*bv)[c] * affine.scale[c] + affine.shift[c];
    std::string name = "folded";
    if (auto nameLoc = llvm::dyn_cast<NameLoc>(loc))
      name = nameLoc.getName().str() + ".folded";
    Value wNew = makeConstant(b, loc, wshape, newWeight, name + ".weight");
    SmallVector<int64_t> biasShape = {channels};
    if (bias)
      biasShape.assign(
          llvm::cast<RankedTensorType>(bias.getType()).getShape().begin(),
          llvm::cast<RankedTensorType>(bias.getType()).getShape().end());
    if (bias && llvm::cast<RankedTensorType>(bias.getType()).getNumElements() !=
                    channels)
      biasShape = {channels};
    Value bNew = makeConstant(b, loc, biasShape, newBias, name + ".bias");
    OperationState state(loc, producer->getName());
    state.addOperands({producer->getOperand(0), wNew, bNew});
    state.addAttributes(producer->getAttrs());
    state.addTypes(producer->getResultTypes());
    return b.create(state);
  }

  void runOnOperation() override {
    SmallVector<Operation *> candidates;
    getOperation()->walk([&](Operation *op) {
      auto binary = llvm::dyn_cast<BinaryOp>(op);
      if (llvm::isa<BatchNormOp>(op) ||
          (binary && (binary.getKind() == BinaryKind::mul ||
                      binary.getKind() == BinaryKind::add)))
        candidates.push_back(op);
    });
    for (Operation *op : candidates) {
      // The producer: the batch norm's input, or the operand of a binary op
      // that comes from a convolution or gemm.
      Operation *producer = nullptr;
      Value input;
      for (Value operand :
           op->getOperands().take_front(llvm::isa<BatchNormOp>(op) ? 1 : 2)) {
        Operation *def = operand.getDefiningOp();
        if (def && llvm::isa<ConvOp, ConvTransposeOp, GemmOp>(def)) {
          producer = def;
          input = operand;
          break;
        }
      }
      if (!producer)
        continue;
      StringRef what = llvm::isa<BatchNormOp>(op) ? "batch norm"
                       : llvm::cast<BinaryOp>(op).getKind() == BinaryKind::mul
                           ? "constant scale"
                           : "constant shift";
      if (!input.hasOneUse()) {
        remark(op,
               "not folded: the " + what + "'s input has other users than it");
        continue;
      }
      std::string why;
      FailureOr<Affine> affine = affineOf(op, input, why);
      FailureOr<Operation *> folded = failure();
      if (succeeded(affine))
        folded = fold(producer, *affine, why);
      if (failed(folded)) {
        remark(op, "not folded: " + why);
        continue;
      }
      remark(op, "folded the " + what + " into the weights of " +
                     producer->getName().getStringRef());
      op->getResult(0).replaceAllUsesWith((*folded)->getResult(0));
      op->erase();
      producer->erase();
    }
  }
};

} // namespace

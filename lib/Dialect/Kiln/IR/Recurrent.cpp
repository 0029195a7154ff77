//===- Recurrent.cpp - RNN, GRU and LSTM ----------------------------------===//

#include "OpChecker.h"
#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace kiln;
using namespace kiln::detail;

namespace {
/// What tells the recurrent ops apart.
struct RecurrentKind {
  int64_t gates;       // gate blocks in w, r and b
  int64_t activations; // activation functions per direction
  bool hasCell;        // LSTM: initial_c, peepholes, y_c
};
} // namespace

/// Validates a recurrent op and pushes its result types.
template <typename Adaptor>
static LogicalResult
inferRecurrent(const OpChecker &check, Adaptor adaptor, RecurrentKind kind,
               Value initialC, Value peepholes, SmallVectorImpl<Type> &types) {
  RankedTensorType x = check.tensor(adaptor.getX(), "x");
  if (!x)
    return failure();
  if (x.getRank() != 3)
    return check.fail("expected 'x' of rank 3 (seq x batch x input), got "
                      "rank ",
                      x.getRank());
  int64_t hidden = adaptor.getHiddenSize();
  if (hidden < 1)
    return check.fail("expected 'hidden_size' to be positive, got ", hidden);
  int64_t dirs = adaptor.getDirection() == RNNDirection::bidirectional ? 2 : 1;
  int64_t seq = x.getDimSize(0), batch = x.getDimSize(1),
          inputSize = x.getDimSize(2);
  Type element = x.getElementType();
  auto expect = [&](Value value, StringRef name,
                    ArrayRef<int64_t> shape) -> LogicalResult {
    if (!value)
      return success();
    RankedTensorType type = check.tensor(value, name);
    if (!type || failed(check.sameElementType(type, name, element)))
      return failure();
    return check.shape(type, name, shape);
  };
  int64_t gateRows = kind.gates * hidden;
  if (adaptor.getProjected()) {
    // x holds the projections; w keeps its own input size.
    if (inputSize != dirs * gateRows)
      return check.fail("expected the projected 'x' to end in ",
                        dirs * gateRows, " (dirs x gates x hidden), got ",
                        inputSize);
    if (auto w = llvm::dyn_cast<RankedTensorType>(adaptor.getW().getType());
        w && w.getRank() == 3)
      inputSize = w.getDimSize(2);
  }
  if (failed(expect(adaptor.getW(), "w", {dirs, gateRows, inputSize})) ||
      failed(expect(adaptor.getR(), "r", {dirs, gateRows, hidden})) ||
      failed(expect(adaptor.getB(), "b", {dirs, 2 * gateRows})) ||
      failed(
          expect(adaptor.getInitialH(), "initial_h", {dirs, batch, hidden})) ||
      failed(expect(initialC, "initial_c", {dirs, batch, hidden})) ||
      failed(expect(peepholes, "p", {dirs, 3 * hidden})))
    return failure();
  if (Value lens = adaptor.getSequenceLens()) {
    RankedTensorType type = check.tensor(lens, "sequence_lens");
    if (!type || failed(check.shape(type, "sequence_lens", {batch})))
      return failure();
  }
  size_t count = adaptor.getActivations().size();
  if (count != 0 && (int64_t)count != kind.activations * dirs)
    return check.fail("expected 'activations' to list ",
                      kind.activations * dirs, " functions (", kind.activations,
                      " per direction), got ", count);
  for (auto [i, attr] : llvm::enumerate(adaptor.getActivations())) {
    UnaryKind fn = llvm::cast<UnaryKindAttr>(attr).getValue();
    if (fn == UnaryKind::logical_not || fn == UnaryKind::isnan ||
        fn == UnaryKind::isinf)
      return check.fail("'", stringifyUnaryKind(fn), "' is not an activation");
  }
  size_t alphas = adaptor.getActivationAlpha().size();
  size_t betas = adaptor.getActivationBeta().size();
  if ((alphas != 0 && alphas != count) || (betas != 0 && betas != count))
    return check.fail("expected 'activation_alpha' and 'activation_beta' to "
                      "be empty or hold one value per activation (",
                      count, "), got ", alphas, " and ", betas);
  if (std::optional<APFloat> clip = adaptor.getClip())
    if (!(clip->convertToDouble() > 0.0))
      return check.fail("expected 'clip' to be positive");
  auto state = RankedTensorType::get({dirs, batch, hidden}, element);
  types.push_back(RankedTensorType::get({seq, dirs, batch, hidden}, element));
  types.push_back(state);
  if (kind.hasCell)
    types.push_back(state);
  return success();
}

LogicalResult RNNOp::inferReturnTypes(MLIRContext *,
                                      std::optional<Location> loc,
                                      Adaptor adaptor,
                                      SmallVectorImpl<Type> &types) {
  return inferRecurrent(OpChecker(loc, getOperationName()), adaptor,
                        {1, 1, false}, {}, {}, types);
}

LogicalResult GRUOp::inferReturnTypes(MLIRContext *,
                                      std::optional<Location> loc,
                                      Adaptor adaptor,
                                      SmallVectorImpl<Type> &types) {
  return inferRecurrent(OpChecker(loc, getOperationName()), adaptor,
                        {3, 2, false}, {}, {}, types);
}

LogicalResult LSTMOp::inferReturnTypes(MLIRContext *,
                                       std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &types) {
  return inferRecurrent(OpChecker(loc, getOperationName()), adaptor,
                        {4, 3, true}, adaptor.getInitialC(), adaptor.getP(),
                        types);
}

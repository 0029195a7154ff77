//===- OpChecker.h - Shared validation for kiln ops -------------*- C++ -*-===//
//
// Result type inference of kiln ops doubles as their verification: it runs
// on ops under construction (where a failure must not crash the frontend)
// and on parsed IR (through InferTypeOpInterface's verifier). OpChecker
// words the diagnostics like Operation::emitOpError in both cases.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_LIB_DIALECT_KILN_IR_OPCHECKER_H
#define KILN_LIB_DIALECT_KILN_IR_OPCHECKER_H

#include "kiln/Dialect/Kiln/IR/KilnOps.h"
#include "kiln/Dialect/Kiln/IR/ShapeHelpers.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>
#include <string>

namespace kiln::detail {

class OpChecker {
public:
  OpChecker(std::optional<mlir::Location> loc, llvm::StringRef opName)
      : loc(loc), opName(opName) {}

  /// Emits "'kiln.x' op ARGS..." at the op's location, if it has one.
  template <typename... Args> mlir::LogicalResult fail(Args &&...args) const {
    if (loc) {
      mlir::InFlightDiagnostic diag = mlir::emitError(*loc);
      diag << "'" << opName << "' op ";
      (diag << ... << std::forward<Args>(args));
    }
    return mlir::failure();
  }

  /// The statically shaped tensor type of `value`, or null after an error.
  mlir::RankedTensorType tensor(mlir::Value value, llvm::StringRef name) const;

  /// Checks that `name` has the element type `expected`.
  mlir::LogicalResult sameElementType(mlir::RankedTensorType type,
                                      llvm::StringRef name,
                                      mlir::Type expected) const;

  /// Checks that `name` has exactly the shape `expected`.
  mlir::LogicalResult shape(mlir::RankedTensorType type, llvm::StringRef name,
                            llvm::ArrayRef<int64_t> expected) const;

  /// Checks 0 <= axis < rank.
  mlir::LogicalResult axis(int64_t axis, int64_t rank,
                           llvm::StringRef name = "axis") const;

  /// A per-spatial-dim attribute: empty stands for `count` copies of
  /// `fallback`; otherwise it needs `count` values, all positive.
  mlir::FailureOr<llvm::SmallVector<int64_t>>
  positiveArray(llvm::ArrayRef<int64_t> values, int64_t count,
                llvm::StringRef name, int64_t fallback = 1) const;

  /// Begin-then-end pads for `count` dims: empty means zeros, otherwise
  /// 2 * count non-negative values.
  mlir::FailureOr<llvm::SmallVector<int64_t>>
  padsArray(llvm::ArrayRef<int64_t> values, int64_t count,
            llvm::StringRef name = "pads") const;

  /// Checks that the alpha/beta given to an activation are the ones `kind`
  /// reads. `prefix` is prepended to the attribute names in messages.
  mlir::LogicalResult activationParams(UnaryKind kind, bool hasAlpha,
                                       bool hasBeta,
                                       llvm::StringRef prefix = "") const;

private:
  std::optional<mlir::Location> loc;
  llvm::StringRef opName;
};

/// Output shape of a sliding window (convolution or pooling) along one dim.
struct Window {
  int64_t kernel, stride, dilation, padBegin, padEnd;
};

/// Computes the output shape of a window op on an `N x C x spatial` input,
/// replacing dim 1 with `channels`. `ceilMode` applies pooling's ceil mode.
mlir::FailureOr<llvm::SmallVector<int64_t>>
windowOutputShape(const OpChecker &check, llvm::ArrayRef<int64_t> inputShape,
                  int64_t channels, llvm::ArrayRef<Window> windows,
                  bool ceilMode);

/// What convolutions and transposed convolutions check alike: an
/// N x C x (1-3 spatial) input, a weight of its rank and element type, a
/// positive group dividing the input channels, and the spatial attributes
/// with their defaults filled in.
struct ConvOperands {
  mlir::RankedTensorType input, weight;
  llvm::SmallVector<int64_t> strides, dilations, pads;
};
mlir::FailureOr<ConvOperands>
checkConvOperands(const OpChecker &check, mlir::Value input, mlir::Value weight,
                  int64_t group, llvm::ArrayRef<int64_t> strides,
                  llvm::ArrayRef<int64_t> dilations,
                  llvm::ArrayRef<int64_t> pads);

/// Checks an optional bias: 1-d, `channels` long, of `element` type.
mlir::LogicalResult checkBias(const OpChecker &check, mlir::Value bias,
                              mlir::Type element, int64_t channels);

/// Validates conv/fused_conv operands and attributes and returns the
/// convolution's output shape.
mlir::FailureOr<llvm::SmallVector<int64_t>>
inferConvShape(const OpChecker &check, mlir::Value input, mlir::Value weight,
               mlir::Value bias, llvm::ArrayRef<int64_t> strides,
               llvm::ArrayRef<int64_t> dilations, llvm::ArrayRef<int64_t> pads,
               int64_t group);

/// Validates pooling attributes for an input shape and returns the pooled
/// shape. `attrPrefix` names the attributes ("" or "pool_").
mlir::FailureOr<llvm::SmallVector<int64_t>>
inferPoolShape(const OpChecker &check, llvm::ArrayRef<int64_t> inputShape,
               PoolKind kind, llvm::ArrayRef<int64_t> kernel,
               llvm::ArrayRef<int64_t> strides,
               llvm::ArrayRef<int64_t> dilations, llvm::ArrayRef<int64_t> pads,
               bool ceilMode, bool countIncludePad, llvm::StringRef attrPrefix);

/// Checks a fused op's activation and the alpha/beta given with it.
mlir::LogicalResult checkActivation(const OpChecker &check,
                                    std::optional<UnaryKind> activation,
                                    bool hasAlpha, bool hasBeta);

/// `x + y` as a kiln.binary add.
mlir::FailureOr<mlir::Value> add(mlir::OpBuilder &b, mlir::Location loc,
                                 mlir::Value x, mlir::Value y);

/// `activation` (with its alpha and beta, when given) as a kiln.unary on
/// `value`.
mlir::FailureOr<mlir::Value> activate(mlir::OpBuilder &b, mlir::Location loc,
                                      mlir::Value value, UnaryKind activation,
                                      mlir::FloatAttr alpha,
                                      mlir::FloatAttr beta);

} // namespace kiln::detail

#endif // KILN_LIB_DIALECT_KILN_IR_OPCHECKER_H

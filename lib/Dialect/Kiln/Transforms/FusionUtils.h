//===- FusionUtils.h - Helpers shared by the fusion passes ------*- C++ -*-===//

#ifndef KILN_DIALECT_KILN_TRANSFORMS_FUSIONUTILS_H
#define KILN_DIALECT_KILN_TRANSFORMS_FUSIONUTILS_H

#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include <string>
#include <vector>

namespace kiln::fusion {

/// `value`'s type (a ranked tensor).
mlir::RankedTensorType typeOf(mlir::Value value);

/// The value of a constant f32 scalar (any shape of one element).
std::optional<double> scalarConstant(mlir::Value value);

/// The operand of `binary` that is not `value` (`value` may be either).
mlir::Value otherOperand(BinaryOp binary, mlir::Value value);

/// The f32 values of a kiln.constant, dense or a weight blob.
std::optional<std::vector<float>> readFloats(mlir::Value value);

/// A kiln.constant of f32 `values`: a weight blob named after `name` when
/// large, inline otherwise.
mlir::Value makeConstant(mlir::OpBuilder &b, mlir::Location loc,
                         llvm::ArrayRef<int64_t> shape,
                         llvm::ArrayRef<float> values, llvm::StringRef name);

/// Whether a fused op can take `kind` as its activation.
bool isActivation(UnaryKind kind);

/// How a report calls an op: its ONNX node name, else its kind.
std::string nameOf(mlir::Operation *op);

/// Appends a fused op's `activation` attributes: the kind, and the alpha
/// and beta the activation was given.
void appendActivation(mlir::OpBuilder &b, UnaryKind kind,
                      std::optional<llvm::APFloat> alpha,
                      std::optional<llvm::APFloat> beta,
                      llvm::SmallVectorImpl<mlir::NamedAttribute> &attrs);

/// The only user of `value`, or null; with more than one user, `why` says
/// how many `what` has.
mlir::Operation *soleUser(mlir::Value value, llvm::StringRef what,
                          std::string &why);

/// Takes `user` into a fusion chain when it is a kiln.unary activation:
/// appends it to `chain` and its report entry to `parts` and returns it.
/// A kiln.unary of another kind sets `why`; either way null is returned
/// then.
UnaryOp takeActivation(mlir::Operation *user,
                       llvm::SmallVectorImpl<mlir::Operation *> &chain,
                       llvm::SmallVectorImpl<std::string> &parts,
                       std::string &why);

/// Takes `user` into a fusion chain when it is a kiln.binary add of the
/// chain's result and another tensor of the same type (a residual): appends
/// it to `chain` and "residual add NAME" to `parts`, sets `residual` and
/// returns the sum's only user (`why` says when it has more). Another add
/// sets `why` to "the add NAME " + `notResidual` and returns null; any other
/// `user` is returned as it is.
mlir::Operation *takeResidual(mlir::Operation *user,
                              llvm::SmallVectorImpl<mlir::Operation *> &chain,
                              llvm::SmallVectorImpl<std::string> &parts,
                              mlir::Value &residual, std::string &why,
                              llvm::StringRef notResidual);

/// Why an add that reads an activation's result (`user`) stays out of the
/// chain: a fused residual comes before the activation. Empty when `user`
/// is no add.
std::string residualAfterActivation(mlir::Operation *user);

/// The location of a fused op: those of the ops of `chain`.
mlir::Location chainLoc(llvm::ArrayRef<mlir::Operation *> chain);

/// Replaces the result of `chain`'s last op by `fused`'s and erases the
/// chain.
void replaceChain(llvm::ArrayRef<mlir::Operation *> chain,
                  mlir::Operation *fused);

/// Reports a fusion at `fused`: "fused into OP: HEAD, PARTS...", and
/// "; stopped: WHY" when `why` says why the chain ended.
void remarkFusion(mlir::Operation *fused, llvm::StringRef head,
                  llvm::ArrayRef<std::string> parts, llvm::StringRef why);

} // namespace kiln::fusion

#endif // KILN_DIALECT_KILN_TRANSFORMS_FUSIONUTILS_H

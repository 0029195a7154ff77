//===- FusionUtils.h - Helpers shared by the fusion passes ------*- C++ -*-===//

#ifndef KILN_DIALECT_KILN_TRANSFORMS_FUSIONUTILS_H
#define KILN_DIALECT_KILN_TRANSFORMS_FUSIONUTILS_H

#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include <string>

namespace kiln::fusion {

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

} // namespace kiln::fusion

#endif // KILN_DIALECT_KILN_TRANSFORMS_FUSIONUTILS_H

//===- Passes.h - Passes on the LLVM dialect --------------------*- C++ -*-===//

#ifndef KILN_CONVERSION_TOLLVM_PASSES_H
#define KILN_CONVERSION_TOLLVM_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"

namespace kiln {

/// The module attribute in which kiln-externalize-weights leaves the
/// contents of the weights file.
inline constexpr llvm::StringLiteral kWeightsAttrName = "kiln.weights";

#define GEN_PASS_DECL
#include "kiln/Conversion/ToLLVM/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "kiln/Conversion/ToLLVM/Passes.h.inc"

} // namespace kiln

#endif // KILN_CONVERSION_TOLLVM_PASSES_H

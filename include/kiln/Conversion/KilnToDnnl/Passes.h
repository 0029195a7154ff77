//===- Passes.h - Mapping kiln ops to oneDNN primitives ---------*- C++ -*-===//

#ifndef KILN_CONVERSION_KILNTODNNL_PASSES_H
#define KILN_CONVERSION_KILNTODNNL_PASSES_H

#include "kiln/Dialect/KilnBackend/IR/KilnBackend.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace kiln {

/// kiln-to-dnnl's `min-work` unless told otherwise: the fewest
/// multiply-adds for which a matrix product, softmax, layer norm or
/// recurrent time step runs on oneDNN rather than as generated code.
inline constexpr int64_t kDefaultDnnlMinWork = 262144;

#define GEN_PASS_DECL
#include "kiln/Conversion/KilnToDnnl/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "kiln/Conversion/KilnToDnnl/Passes.h.inc"

} // namespace kiln

#endif // KILN_CONVERSION_KILNTODNNL_PASSES_H

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
/// Recurrent layers over at most this many sequences run as generated code
/// at any size: each time step multiplies a few rows by the recurrent
/// weights, bound by reading them, which the generated kernel does as a few
/// sequential streams (oneDNN 2.6's small-batch steps read them at about
/// half the rate; measured on LSTMs of hidden 256 to 1024).
inline constexpr int64_t kDefaultDnnlRecurrenceBatch = 2;
/// Transposed convolutions of fewer output channels per group run as
/// generated code: oneDNN 2.6 computes them with its JIT sgemm and a
/// col2im, slower than the generated col2im kernel (DCGAN's last layer, 64
/// -> 3 channels to 64x64 at batch 8: 0.93 against 0.71 ms on one thread),
/// and with over 3 MiB of kernels it generates for the sgemm.
inline constexpr int64_t kDefaultDnnlDeconvMinChannels = 16;

#define GEN_PASS_DECL
#include "kiln/Conversion/KilnToDnnl/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "kiln/Conversion/KilnToDnnl/Passes.h.inc"

} // namespace kiln

#endif // KILN_CONVERSION_KILNTODNNL_PASSES_H

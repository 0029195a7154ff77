//===- Passes.h - Kiln conversion passes ------------------------*- C++ -*-===//

#ifndef KILN_CONVERSION_PASSES_H
#define KILN_CONVERSION_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace kiln {

/// The ONNX TensorProto code of an element type, or 0.
int onnxDataType(mlir::Type type);

/// The name a user knows an op by, for messages: its ONNX node name, else
/// where it is in the source, else "#ID" with the given id.
std::string nodeLabel(mlir::Operation *op, int64_t id = -1);

/// Whether `type` has a static shape and a contiguous innermost dim (or
/// rank 0): what the vector kernels load and store along.
bool isStaticInnerContiguous(mlir::MemRefType type);

/// Registers the bufferization of kiln.dnnl_call.
void registerDnnlBufferization(mlir::DialectRegistry &registry);

/// The query and key block sizes kiln-to-linalg gives the
/// kiln.flash_attention of an attention with `lq` queries and `lk` keys, or
/// nullopt when no block size fits and the attention keeps its other
/// lowerings.
std::optional<std::pair<int64_t, int64_t>> flashAttentionBlocks(int64_t lq,
                                                                int64_t lk);

/// Registers the bufferization of kiln.flash_attention.
void registerFlashAttentionBufferization(mlir::DialectRegistry &registry);

/// Registers the bufferization of kiln.conv_pool.
void registerConvPoolBufferization(mlir::DialectRegistry &registry);

#define GEN_PASS_DECL
#include "kiln/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "kiln/Conversion/Passes.h.inc"

} // namespace kiln

#endif // KILN_CONVERSION_PASSES_H

//===- Passes.h - Lowering kiln ops to linalg -------------------*- C++ -*-===//

#ifndef KILN_CONVERSION_KILNTOLINALG_PASSES_H
#define KILN_CONVERSION_KILNTOLINALG_PASSES_H

#include "kiln/Dialect/KilnBackend/IR/KilnBackend.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace kiln {

/// Patterns lowering kiln ops to linalg, tensor, arith and math on tensors.
void populateKilnToLinalgPatterns(mlir::RewritePatternSet &patterns);

/// The query and key block sizes kiln-to-linalg gives the
/// kiln_backend.flash_attention of an attention with `lq` queries and `lk`
/// keys (of their lengths padded by flashAttentionQueries and
/// flashAttentionKeys), or nullopt when it has none.
std::optional<std::pair<int64_t, int64_t>> flashAttentionBlocks(int64_t lq,
                                                                int64_t lk);

/// The queries and keys the kernel of an attention with `lq` queries and
/// `lk` keys takes: the lengths, or, where no block of 8 or more of them
/// divides one, that length padded to a multiple of 8.
int64_t flashAttentionQueries(int64_t lq);
int64_t flashAttentionKeys(int64_t lk);

#define GEN_PASS_DECL
#include "kiln/Conversion/KilnToLinalg/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "kiln/Conversion/KilnToLinalg/Passes.h.inc"

} // namespace kiln

#endif // KILN_CONVERSION_KILNTOLINALG_PASSES_H

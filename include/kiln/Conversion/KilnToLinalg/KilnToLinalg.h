//===- KilnToLinalg.h - Lowering kiln ops to linalg -------------*- C++ -*-===//

#ifndef KILN_CONVERSION_KILNTOLINALG_KILNTOLINALG_H
#define KILN_CONVERSION_KILNTOLINALG_KILNTOLINALG_H

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace kiln {
/// Patterns lowering kiln ops to linalg, tensor, arith and math on tensors.
void populateKilnToLinalgPatterns(mlir::RewritePatternSet &patterns);
} // namespace kiln

#endif // KILN_CONVERSION_KILNTOLINALG_KILNTOLINALG_H

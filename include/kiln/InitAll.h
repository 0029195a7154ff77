//===- InitAll.h - Register Kiln's dialects and passes ----------*- C++ -*-===//

#ifndef KILN_INITALL_H
#define KILN_INITALL_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace kiln {
/// Adds the kiln dialect and the upstream dialects Kiln's pipelines use.
void registerAllDialects(mlir::DialectRegistry &registry);
/// Registers every kiln pass and the upstream passes Kiln's pipelines use.
void registerAllPasses();
} // namespace kiln

#endif // KILN_INITALL_H

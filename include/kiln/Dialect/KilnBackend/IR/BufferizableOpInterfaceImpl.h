//===- BufferizableOpInterfaceImpl.h - Bufferizing backend ops --*- C++ -*-===//

#ifndef KILN_DIALECT_KILNBACKEND_IR_BUFFERIZABLEOPINTERFACEIMPL_H
#define KILN_DIALECT_KILNBACKEND_IR_BUFFERIZABLEOPINTERFACEIMPL_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace kiln::backend {
/// Registers the one-shot bufferization of the kiln_backend ops.
void registerBufferizableOpInterfaceExternalModels(
    mlir::DialectRegistry &registry);
} // namespace kiln::backend

#endif // KILN_DIALECT_KILNBACKEND_IR_BUFFERIZABLEOPINTERFACEIMPL_H

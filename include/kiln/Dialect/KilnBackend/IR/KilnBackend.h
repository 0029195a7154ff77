//===- KilnBackend.h - The kiln_backend dialect and its ops -----*- C++ -*-===//

#ifndef KILN_DIALECT_KILNBACKEND_IR_KILNBACKEND_H
#define KILN_DIALECT_KILNBACKEND_IR_KILNBACKEND_H

#include "kiln/Dialect/Kiln/IR/KilnOps.h"
#include "kiln/Runtime/ABI.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "kiln/Dialect/KilnBackend/IR/KilnBackendDialect.h.inc"

#define GET_OP_CLASSES
#include "kiln/Dialect/KilnBackend/IR/KilnBackendOps.h.inc"

namespace kiln::backend {
/// The shape of a tensor of dims [N, C, spatial...] in oneDNN's blocked
/// layout of `block` channels: [N, ceil(C / block), spatial..., block].
llvm::SmallVector<int64_t> blockedShape(llvm::ArrayRef<int64_t> dims,
                                        int64_t block);
} // namespace kiln::backend

#endif // KILN_DIALECT_KILNBACKEND_IR_KILNBACKEND_H

//===- KilnBackendDialect.cpp - The kiln_backend dialect ------------------===//

#include "kiln/Dialect/KilnBackend/IR/KilnBackend.h"

using namespace mlir;
using namespace kiln::backend;

#include "kiln/Dialect/KilnBackend/IR/KilnBackendDialect.cpp.inc"

void KilnBackendDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "kiln/Dialect/KilnBackend/IR/KilnBackendOps.cpp.inc"
      >();
}

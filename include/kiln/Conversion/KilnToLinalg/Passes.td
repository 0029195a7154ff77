//===- Passes.td - Lowering kiln ops to linalg -------------*- tablegen -*-===//

#ifndef KILN_CONVERSION_KILNTOLINALG_PASSES_TD
#define KILN_CONVERSION_KILNTOLINALG_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertKilnToLinalg : Pass<"kiln-to-linalg", "mlir::ModuleOp"> {
  let summary = "Lower kiln ops to linalg, tensor, arith and math";
  let description = [{
    Rewrites every kiln op into upstream ops on tensors: named linalg ops
    and `linalg.generic` for computation, `tensor` ops for data movement.
    An op the backend cannot lower yet is reported with its location.
  }];
  let dependentDialects = [
    "::kiln::backend::KilnBackendDialect",
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

#endif // KILN_CONVERSION_KILNTOLINALG_PASSES_TD

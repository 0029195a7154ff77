//===- Pipeline.h - Kiln's compilation stages -------------------*- C++ -*-===//

#ifndef KILN_PIPELINE_PIPELINE_H
#define KILN_PIPELINE_PIPELINE_H

#include "kiln/Frontend/ONNX/Importer.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringRef.h"

#include <optional>

namespace llvm {
class SourceMgr;
} // namespace llvm

namespace kiln {

/// The stages `kilnc --emit` can stop at, in pipeline order.
enum class EmitStage {
  Graph,
  Fused,
  Linalg,
  LLVMMLIR,
  LLVMIR,
  Asm,
  Obj,
  Lib,
  Exe
};

std::optional<EmitStage> parseEmitStage(llvm::StringRef name);
llvm::StringRef getStageName(EmitStage stage);

/// Reads a model (.onnx, .onnxtxt or kiln IR in .mlir) into kiln IR.
/// Diagnostics go to the context's handler; returns null on failure.
mlir::OwningOpRef<mlir::ModuleOp>
loadModel(llvm::StringRef path, llvm::SourceMgr &sourceMgr,
          mlir::MLIRContext &context,
          const onnx_frontend::ImportOptions &options = {});

/// Prints a diagnostic as "FILE:LINE:COL: error: ..." for IR files and
/// "MODEL:NODE (OpType): error: ..." for ONNX nodes, with its notes.
void printDiagnostic(mlir::Diagnostic &diagnostic, llvm::raw_ostream &os);

/// Runs the graph-level cleanups (canonicalization, CSE) on kiln IR.
mlir::LogicalResult runGraphPipeline(mlir::ModuleOp module);

} // namespace kiln

#endif // KILN_PIPELINE_PIPELINE_H

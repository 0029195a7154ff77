//===- Pipeline.h - Kiln's compilation stages -------------------*- C++ -*-===//

#ifndef KILN_PIPELINE_PIPELINE_H
#define KILN_PIPELINE_PIPELINE_H

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

/// Reads a model into kiln IR. Diagnostics go to the context's handler;
/// returns null on failure.
mlir::OwningOpRef<mlir::ModuleOp> loadModel(llvm::StringRef path,
                                            llvm::SourceMgr &sourceMgr,
                                            mlir::MLIRContext &context);

/// Runs the graph-level cleanups (canonicalization, CSE) on kiln IR.
mlir::LogicalResult runGraphPipeline(mlir::ModuleOp module);

} // namespace kiln

#endif // KILN_PIPELINE_PIPELINE_H

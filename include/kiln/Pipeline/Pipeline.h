//===- Pipeline.h - Kiln's compilation stages -------------------*- C++ -*-===//

#ifndef KILN_PIPELINE_PIPELINE_H
#define KILN_PIPELINE_PIPELINE_H

#include "kiln/Frontend/ONNX/Importer.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringRef.h"

#include <memory>
#include <optional>

namespace llvm {
class LLVMContext;
class Module;
class SourceMgr;
class TargetMachine;
class raw_pwrite_stream;
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

/// graph: canonicalization and CSE of kiln IR.
mlir::LogicalResult runGraphPipeline(mlir::ModuleOp module);

/// linalg: the model's signature recorded, kiln ops lowered to linalg,
/// tensor, arith and math.
mlir::LogicalResult runLinalgPipeline(mlir::ModuleOp module);

/// llvm-mlir: bufferization, loops and the LLVM dialect, with the
/// runtime's entry point.
mlir::LogicalResult runLLVMPipeline(mlir::ModuleOp module);

/// A target machine for `cpu` ("" or "native": the host) on the host's
/// triple; null with `error` set on failure.
std::unique_ptr<llvm::TargetMachine> createTargetMachine(llvm::StringRef cpu,
                                                         std::string &error);

/// llvm-ir: translates an LLVM-dialect module and optimizes it at -O3 for
/// `machine`.
std::unique_ptr<llvm::Module> translateToLLVMIR(mlir::ModuleOp module,
                                                llvm::LLVMContext &context,
                                                llvm::TargetMachine &machine);

/// asm/obj: code generation.
bool emitMachineCode(llvm::Module &module, llvm::TargetMachine &machine,
                     llvm::raw_pwrite_stream &os, bool assembly,
                     std::string &error);

/// exe: links an object with Kiln's runtime into an executable.
bool linkExecutable(llvm::StringRef objectPath, llvm::StringRef outputPath,
                    llvm::StringRef argv0, std::string &error);

/// lib: links an object with the C API into a shared library exporting
/// only the kiln_* functions of kiln/Runtime/KilnModel.h.
bool linkSharedLibrary(llvm::StringRef objectPath, llvm::StringRef outputPath,
                       llvm::StringRef argv0, std::string &error);

/// The text of kiln/Runtime/KilnModel.h, written beside shared libraries.
llvm::StringRef getModelHeader();

} // namespace kiln

#endif // KILN_PIPELINE_PIPELINE_H

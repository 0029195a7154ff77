//===- Compile.h - Kiln's compile library -----------------------*- C++ -*-===//
//
// What kilnc, the fuzz targets and the Python package call: read a model
// into kiln IR, then compile it down to the stage asked for and write the
// result. Every function reports failure through the MLIRContext's
// diagnostic handler and returns a failed LogicalResult (or a null/failed
// value); errors that belong to no place in the model are emitted at an
// UnknownLoc.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PIPELINE_COMPILE_H
#define KILN_PIPELINE_COMPILE_H

#include "kiln/Frontend/ONNX/Importer.h"
#include "kiln/Pipeline/Pipelines.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>

namespace llvm {
class SourceMgr;
class raw_ostream;
} // namespace llvm

namespace kiln {

/// The stages `kilnc --emit` can stop at, in pipeline order.
enum class EmitStage {
  Graph,
  Fused,
  Dot,
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
/// Whether a stage is written as text (and may go to a stream).
bool isTextStage(EmitStage stage);

/// Reads a model (.onnx, .onnxtxt or kiln IR in .mlir) into kiln IR.
/// `sourceMgr` keeps the text of an .mlir file for its diagnostics.
mlir::OwningOpRef<mlir::ModuleOp>
loadModel(llvm::StringRef path, llvm::SourceMgr &sourceMgr,
          mlir::MLIRContext &context,
          const onnx_frontend::ImportOptions &options = {});

/// For a model whose open dim varies at run time (loadModel gives it for
/// one sample, with a `kiln.sample_symbol`): the same model imported for
/// blocks of `samples` samples, which the runtime runs where it has that
/// many. Errors when its inputs and outputs are not `samples` times those
/// of `single`.
mlir::OwningOpRef<mlir::ModuleOp>
loadBlockModel(llvm::StringRef path, llvm::SourceMgr &sourceMgr,
               mlir::MLIRContext &context,
               const onnx_frontend::ImportOptions &options,
               mlir::ModuleOp single, int64_t samples);

/// Prints a diagnostic as "FILE:LINE:COL: error: ..." for IR files and
/// "MODEL:NODE (OpType): error: ..." for ONNX nodes, with its notes; one at
/// an unknown location as "TOOL: MESSAGE".
void printDiagnostic(mlir::Diagnostic &diagnostic, llvm::raw_ostream &os,
                     llvm::StringRef tool = "kilnc");

/// dot: `main` as a Graphviz digraph, fused ops in labelled clusters.
mlir::LogicalResult printDot(mlir::ModuleOp module, llvm::raw_ostream &os);

/// How a model is compiled and where the result goes.
struct CompileOptions {
  /// The passes' choices.
  PipelineOptions pipeline;
  /// Keep the weights in a NAME.weights file beside the binary (obj, lib
  /// and exe only); sets `pipeline.weightsFile`.
  bool externalWeights = false;
  /// CPU to generate code for ("native": the host's).
  std::string targetCPU = "native";
  /// The output file. Text stages: "" or "-" is `textStream`. Binary
  /// stages: "" names it after `modelPath` (NAME, NAME.o, libNAME.so).
  std::string output;
  /// The model's path, for the default binary name.
  std::string modelPath;
  /// Where text stages go when `output` is "" or "-".
  llvm::raw_ostream *textStream = nullptr;
  /// When set, every stage is also written there, numbered.
  std::string dumpDir;
  /// Print weight blobs in full rather than elided.
  bool printWeights = false;
  /// Where Kiln's runtime libraries are; "": the lib/ folder beside the
  /// running executable's bin/.
  std::string runtimeDir;
  /// The model for blocks of samples (loadBlockModel), compiled into the
  /// same binary as `kiln_block_*` (binary stages only).
  mlir::ModuleOp blockModule;
};

/// Runs `module` (kiln IR, as loadModel gives it) through the pipelines up
/// to `stopAt` and writes that stage. Outputs are written through temporary
/// files renamed into place once complete: a failure leaves none behind.
mlir::LogicalResult compile(mlir::ModuleOp module,
                            const CompileOptions &options, EmitStage stopAt);

} // namespace kiln

#endif // KILN_PIPELINE_COMPILE_H

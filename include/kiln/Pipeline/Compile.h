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
#include "mlir/Support/Timing.h"
#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>
#include <vector>

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

/// `SYMBOL=LO..HI` (kilnc --shape): the sizes an open dim may take at run
/// time.
struct OpenDimRange {
  std::string symbol;
  int64_t low = 0, high = 0;
};

/// The sequence length a model with an open sequence dim is compiled for
/// when no range bounds it.
constexpr int64_t kDefaultSequenceBound = 128;

/// The samples of a block when --block-samples is not given.
constexpr int64_t kDefaultBlockSamples = 16;

/// Reads a model (.onnx, .onnxtxt or kiln IR in .mlir) into kiln IR.
/// `sourceMgr` keeps the text of an .mlir file for its diagnostics. A
/// model with an open batch is given for one sample (`kiln.sample_symbol`);
/// with a second open dim, the sequence length, its positions are padded
/// to a bound (`kiln.sequence_symbol`, `kiln.sequence_extent`) taken from
/// `ranges` (kDefaultSequenceBound without one), and the graph takes the
/// actual length as one more input.
mlir::OwningOpRef<mlir::ModuleOp>
loadModel(llvm::StringRef path, llvm::SourceMgr &sourceMgr,
          mlir::MLIRContext &context,
          const onnx_frontend::ImportOptions &options = {},
          llvm::ArrayRef<OpenDimRange> ranges = {});

/// For a model whose open dim varies at run time (loadModel gives it for
/// one sample, with a `kiln.sample_symbol`; or one of its buckets): the
/// same model imported for blocks of `samples` samples (a padded sequence
/// padded alike), which the runtime runs where it has that
/// many. Errors when its inputs and outputs are not `samples` times those
/// of `single`.
mlir::OwningOpRef<mlir::ModuleOp>
loadBlockModel(llvm::StringRef path, llvm::SourceMgr &sourceMgr,
               mlir::MLIRContext &context,
               const onnx_frontend::ImportOptions &options,
               mlir::ModuleOp single, int64_t samples);

/// For a model with a padded sequence (loadModel gives it with a
/// `kiln.sequence_extent`): the same model with its positions padded to
/// `extent` instead, for the shorter sequences. Errors when its inputs and
/// outputs are not those of `model` with that extent.
mlir::OwningOpRef<mlir::ModuleOp>
loadSequenceBucket(llvm::StringRef path, llvm::SourceMgr &sourceMgr,
                   mlir::MLIRContext &context,
                   const onnx_frontend::ImportOptions &options,
                   mlir::ModuleOp model, int64_t extent);

/// The extents of the buckets of a sequence padded to `extent` for lengths
/// `low` to `high`: primes from 17 up by factors of about 2, below
/// `extent`, at most 4.
std::vector<int64_t> sequenceBuckets(int64_t low, int64_t high, int64_t extent);

/// Prints a diagnostic as "FILE:LINE:COL: error: ..." for IR files and
/// "MODEL:NODE (OpType): error: ..." for ONNX nodes, with its notes; one at
/// an unknown location as "TOOL: MESSAGE".
void printDiagnostic(mlir::Diagnostic &diagnostic, llvm::raw_ostream &os,
                     llvm::StringRef tool = "kilnc");

/// Writes where a diagnostic points: the file, then a line and column or
/// the model's node ("model.onnx:conv1 (Conv)"); "<unknown>" for nowhere.
void printLocation(mlir::Location loc, llvm::raw_ostream &os);

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
  /// The threads an executable's or library's LLVM optimization and
  /// machine code are split over: 0 is one per hardware thread for large
  /// models (see codegenParts), 1 none.
  unsigned codegenThreads = 0;
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
  /// For a model with a padded sequence: the same model padded to smaller
  /// extents (loadSequenceBucket), compiled into the same binary as
  /// `kiln_bucketI_*` and listed in `kiln_sequence_buckets` (binary stages
  /// only); a run takes the smallest that holds its length.
  std::vector<mlir::ModuleOp> bucketModules;
  /// For each bucket, its model for blocks of samples (null: none),
  /// compiled in as `kiln_bucketI_block_*`.
  std::vector<mlir::ModuleOp> bucketBlockModules;
  /// Print to stderr the time each stage and each pass of a compile took
  /// (compileModelFile; for compile, see `timing`).
  bool timeReport = false;
  /// When set, compile times its stages under this scope.
  mlir::TimingScope *timing = nullptr;
};

/// Runs `module` (kiln IR, as loadModel gives it) through the pipelines up
/// to `stopAt` and writes that stage. Outputs are written through temporary
/// files renamed into place once complete: a failure leaves none behind.
mlir::LogicalResult compile(mlir::ModuleOp module,
                            const CompileOptions &options, EmitStage stopAt);

/// How the model file is read, as kilnc's --shape, --bind, --open-batch and
/// --block-samples give it.
struct ModelOptions {
  /// "NAME=D0xD1x..." pins an input's shape, "SYMBOL=N" an open dim,
  /// "SYMBOL=LO..HI" bounds the open dim that varies at run time.
  std::vector<std::string> shapes;
  /// "NAME=FILE.pb": the input becomes the constant in the file.
  std::vector<std::string> binds;
  /// Open dim 0 of the ONNX graph inputs under the name "batch".
  bool openBatch = false;
  /// For a model whose open dim varies: also compile it for blocks of this
  /// many samples (0 or 1: none; -1: kDefaultBlockSamples, none for a
  /// model whose sequence length varies too, where the measured blocks of
  /// attention were slower than samples run side by side).
  int64_t blockSamples = -1;
};

/// Loads the model at `modelPath` as `options` say and compiles it to
/// `stopAt` (with its block model when its open dim varies), writing what
/// `compileOptions` says (which gets the block model and the model's
/// path). Errors, malformed options among them, go to the
/// context's diagnostic handler.
mlir::LogicalResult compileModelFile(llvm::StringRef modelPath,
                                     const ModelOptions &options,
                                     CompileOptions &compileOptions,
                                     EmitStage stopAt,
                                     mlir::MLIRContext &context);

} // namespace kiln

#endif // KILN_PIPELINE_COMPILE_H

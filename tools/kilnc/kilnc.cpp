//===- kilnc.cpp - The Kiln compiler driver -------------------------------===//
//
// kilnc MODEL [-o OUT] [--emit=STAGE] [--backend=dnnl|llvm]
//             [--shape NAME=D0xD1x...] [--dump-dir DIR]
//
//===----------------------------------------------------------------------===//

#include "kiln/Frontend/Keras/Importer.h"
#include "kiln/InitAll.h"
#include "kiln/Pipeline/Compile.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;

static cl::OptionCategory kilncCategory("kilnc options");

static cl::opt<std::string>
    modelPath(cl::Positional,
              cl::desc("MODEL (.onnx, .onnxtxt, .keras, .h5, .mlir)"),
              cl::cat(kilncCategory));
static cl::opt<std::string> outputPath("o", cl::desc("Output file"),
                                       cl::value_desc("OUT"),
                                       cl::cat(kilncCategory));
static cl::opt<std::string>
    emitName("emit",
             cl::desc("Stage to emit: graph, fused, dot (the graph after "
                      "fusion for Graphviz), linalg, llvm-mlir, llvm-ir, asm, "
                      "obj, lib, exe (default)"),
             cl::init("exe"), cl::cat(kilncCategory));
static cl::opt<std::string>
    backendName("backend", cl::desc("Backend: dnnl (default), llvm"),
                cl::init("dnnl"), cl::cat(kilncCategory));
static cl::list<std::string> shapes(
    "shape",
    cl::desc("Pin an input's shape (NAME=D0xD1x...) or an open dim "
             "(SYMBOL=N), or give the sizes an open dim takes at run time "
             "(SYMBOL=LO..HI; a sequence length is padded to HI)"),
    cl::value_desc("NAME=SHAPE"), cl::cat(kilncCategory));
static cl::list<std::string>
    binds("bind",
          cl::desc("Replace a graph input by the constant in a serialized "
                   "onnx.TensorProto: NAME=FILE.pb"),
          cl::value_desc("NAME=FILE"), cl::cat(kilncCategory));
static cl::opt<bool> printWeights(
    "print-weights",
    cl::desc("Print weight blobs in full (they are elided by default)"),
    cl::cat(kilncCategory));
static cl::opt<bool> timeReport(
    "time-report",
    cl::desc("Print to stderr the time each stage and pass of the compile "
             "took"),
    cl::cat(kilncCategory));
static cl::opt<std::string>
    targetCPU("target-cpu",
              cl::desc("CPU to generate code for (default: the host's)"),
              cl::init("native"), cl::cat(kilncCategory));
static cl::opt<unsigned> codegenThreads(
    "codegen-threads",
    cl::desc("Threads an executable's or library's LLVM optimization and "
             "machine code are split over (default 0: one per hardware "
             "thread for large models; 1: none)"),
    cl::init(0), cl::cat(kilncCategory));
static cl::opt<bool> listOperators(
    "list-onnx-operators",
    cl::desc("List the ONNX operators kilnc imports, with their opsets"),
    cl::cat(kilncCategory));
static cl::opt<bool> listKerasLayers(
    "list-keras-layers",
    cl::desc("List the Keras layers kilnc imports, with the options read"),
    cl::cat(kilncCategory));
static const std::string dnnlMinWorkHelp =
    "With --backend=dnnl, the fewest multiply-adds for which a matrix "
    "product, softmax, layer norm or recurrent time step runs on oneDNN "
    "rather than as generated code (default " +
    std::to_string(kiln::kDefaultDnnlMinWork) + ")";
static cl::opt<int64_t> dnnlMinWork("dnnl-min-work", cl::desc(dnnlMinWorkHelp),
                                    cl::init(kiln::kDefaultDnnlMinWork),
                                    cl::cat(kilncCategory));
static const std::string dnnlRecurrenceBatchHelp =
    "With --backend=dnnl, recurrent layers over at most this many sequences "
    "run as generated code whatever their size (default " +
    std::to_string(kiln::kDefaultDnnlRecurrenceBatch) + "; 0: none)";
static cl::opt<int64_t> dnnlRecurrenceBatch(
    "dnnl-recurrence-batch", cl::desc(dnnlRecurrenceBatchHelp),
    cl::init(kiln::kDefaultDnnlRecurrenceBatch), cl::cat(kilncCategory));
static const std::string dnnlDeconvMinChannelsHelp =
    "With --backend=dnnl, transposed convolutions of fewer output channels "
    "per group run as generated code (default " +
    std::to_string(kiln::kDefaultDnnlDeconvMinChannels) + "; 0: none)";
static cl::opt<int64_t> dnnlDeconvMinChannels(
    "dnnl-deconv-min-channels", cl::desc(dnnlDeconvMinChannelsHelp),
    cl::init(kiln::kDefaultDnnlDeconvMinChannels), cl::cat(kilncCategory));
static cl::opt<bool> dnnlWinograd(
    "dnnl-winograd",
    cl::desc("With --backend=dnnl, let oneDNN compute 3x3 convolutions at "
             "unit stride (16 or more channels, constant weights) by "
             "Winograd's minimal filtering, from weights transformed at load "
             "that take 16/9 to 4 times the memory, within a tenth of the "
             "model's constants or 8 MiB more (default true; "
             "--dnnl-winograd=false: directly)"),
    cl::init(true), cl::cat(kilncCategory));
static cl::opt<bool>
    noFuse("no-fuse",
           cl::desc("Turn fusion off (activation matching, batch-norm "
                    "folding, fused convolutions, matrix products and "
                    "attention), for comparison"),
           cl::cat(kilncCategory));
static cl::opt<bool> fusionReport(
    "fusion-report",
    cl::desc("List what was fused and, for each near miss, why not"),
    cl::cat(kilncCategory));
static cl::opt<std::string> weightsMode(
    "weights",
    cl::desc("Where the weights go: embedded (default) in the executable or "
             "library, or external: a NAME.weights file beside it, mapped "
             "when the model is loaded"),
    cl::init("embedded"), cl::cat(kilncCategory));
static cl::opt<int64_t> blockSamples(
    "block-samples",
    cl::desc("For a model whose open dim varies at run time: also compile it "
             "for blocks of N samples, which runs use where they have that "
             "many (default 16, and none for a model whose sequence length "
             "varies too; 1 or 0: one sample at a time only)"),
    cl::init(16), cl::cat(kilncCategory));
static cl::opt<bool> openBatch(
    "open-batch",
    cl::desc("Open dim 0 of the ONNX graph inputs, named 'batch', wherever "
             "it equals the first input's: for models exported with a fixed "
             "batch (the batch then varies at run time if the samples are "
             "independent)"),
    cl::cat(kilncCategory));
static cl::opt<std::string> dumpDir("dump-dir",
                                    cl::desc("Write every stage to DIR"),
                                    cl::value_desc("DIR"),
                                    cl::cat(kilncCategory));

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  mlir::registerAsmPrinterCLOptions();
  mlir::registerMLIRContextCLOptions();
  cl::HideUnrelatedOptions(kilncCategory);
  cl::ParseCommandLineOptions(argc, argv, "Kiln deep-learning compiler\n");

  if (listOperators) {
    for (const auto &op : kiln::onnx_frontend::getSupportedOperators())
      outs() << op.name << " " << op.firstOpset << "-" << op.lastOpset << "\n";
    return 0;
  }
  if (listKerasLayers) {
    for (const auto &layer : kiln::keras_frontend::getSupportedLayers())
      outs() << layer.className << ": " << layer.notes << "\n";
    return 0;
  }
  if (modelPath.empty()) {
    errs() << "kilnc: no model given (kilnc MODEL [options], see --help)\n";
    return 1;
  }
  std::optional<kiln::EmitStage> stage = kiln::parseEmitStage(emitName);
  if (!stage) {
    errs() << "kilnc: unknown --emit=" << emitName
           << " (expected graph, fused, dot, linalg, llvm-mlir, llvm-ir, asm, "
              "obj, lib or exe)\n";
    return 1;
  }
  kiln::CompileOptions options;
  if (backendName != "dnnl" && backendName != "llvm") {
    errs() << "kilnc: unknown --backend=" << backendName
           << " (expected dnnl or llvm)\n";
    return 1;
  }
  options.pipeline.backend =
      backendName == "dnnl" ? kiln::Backend::Dnnl : kiln::Backend::LLVM;
  if (weightsMode != "embedded" && weightsMode != "external") {
    errs() << "kilnc: unknown --weights=" << weightsMode
           << " (expected embedded or external)\n";
    return 1;
  }
  options.externalWeights = weightsMode == "external";
  kiln::ModelOptions modelOptions;
  modelOptions.shapes.assign(shapes.begin(), shapes.end());
  modelOptions.binds.assign(binds.begin(), binds.end());
  modelOptions.openBatch = openBatch;
  modelOptions.blockSamples =
      blockSamples.getNumOccurrences() ? blockSamples : int64_t(-1);
  options.pipeline.fuse = !noFuse;
  options.pipeline.fusionReport = fusionReport;
  options.pipeline.dnnlMinWork = dnnlMinWork;
  options.pipeline.dnnlRecurrenceBatch = dnnlRecurrenceBatch;
  options.pipeline.dnnlWinograd = dnnlWinograd;
  options.pipeline.dnnlDeconvMinChannels = dnnlDeconvMinChannels;
  options.targetCPU = targetCPU;
  options.codegenThreads = codegenThreads;
  options.output = outputPath;
  options.modelPath = modelPath;
  options.dumpDir = dumpDir;
  options.printWeights = printWeights;
  options.timeReport = timeReport;

  mlir::DialectRegistry registry;
  kiln::registerAllDialects(registry);
  mlir::MLIRContext context(registry);
  context.loadAllAvailableDialects();
  context.printOpOnDiagnostic(false);
  mlir::ScopedDiagnosticHandler diagnostics(
      &context, [](mlir::Diagnostic &diagnostic) {
        // Remarks are the fusion report, asked for on the command line.
        bool remark =
            diagnostic.getSeverity() == mlir::DiagnosticSeverity::Remark;
        kiln::printDiagnostic(diagnostic, remark ? outs() : errs());
        return mlir::success();
      });

  if (failed(kiln::compileModelFile(modelPath, modelOptions, options, *stage,
                                    context)))
    return 1;
  return 0;
}

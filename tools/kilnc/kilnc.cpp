//===- kilnc.cpp - The Kiln compiler driver -------------------------------===//
//
// kilnc MODEL [-o OUT] [--emit=STAGE] [--backend=dnnl|llvm]
//             [--shape NAME=D0xD1x...] [--dump-dir DIR]
//
//===----------------------------------------------------------------------===//

#include "kiln/InitAll.h"
#include "kiln/Pipeline/Pipeline.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;

static cl::OptionCategory kilncCategory("kilnc options");

static cl::opt<std::string>
    modelPath(cl::Positional,
              cl::desc("MODEL (.onnx, .onnxtxt, .mlir)"),
              cl::cat(kilncCategory));
static cl::opt<std::string> outputPath("o", cl::desc("Output file"),
                                       cl::value_desc("OUT"),
                                       cl::cat(kilncCategory));
static cl::opt<std::string>
    emitName("emit",
             cl::desc("Stage to emit: graph, fused, linalg, llvm-mlir, "
                      "llvm-ir, asm, obj, lib, exe (default)"),
             cl::init("exe"), cl::cat(kilncCategory));
static cl::opt<std::string>
    backendName("backend", cl::desc("Backend: dnnl (default), llvm"),
                cl::init("dnnl"), cl::cat(kilncCategory));
static cl::list<std::string>
    shapes("shape", cl::desc("Pin an input's shape: NAME=D0xD1x..."),
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
static cl::opt<bool> listOperators(
    "list-onnx-operators",
    cl::desc("List the ONNX operators kilnc imports, with their opsets"),
    cl::cat(kilncCategory));
static cl::opt<std::string> dumpDir("dump-dir",
                                    cl::desc("Write every stage to DIR"),
                                    cl::value_desc("DIR"),
                                    cl::cat(kilncCategory));

/// Writes `module` to `path` ("-" is stdout), replacing the file only once
/// it is complete.
static LogicalResult writeModule(mlir::ModuleOp module, StringRef path) {
  std::string error;
  auto file = mlir::openOutputFile(path, &error);
  if (!file) {
    errs() << "kilnc: " << error << "\n";
    return failure();
  }
  mlir::OpPrintingFlags flags;
  if (!printWeights)
    flags.elideLargeResourceString(64);
  module->print(file->os(), flags);
  file->os().flush();
  if (file->os().has_error()) {
    errs() << "kilnc: cannot write " << path << "\n";
    return failure();
  }
  file->keep();
  return success();
}

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
  if (modelPath.empty()) {
    errs() << "kilnc: no model given (kilnc MODEL [options], see --help)\n";
    return 1;
  }
  std::optional<kiln::EmitStage> stage = kiln::parseEmitStage(emitName);
  if (!stage) {
    errs() << "kilnc: unknown --emit=" << emitName
           << " (expected graph, fused, linalg, llvm-mlir, llvm-ir, asm, obj, "
              "lib or exe)\n";
    return 1;
  }
  if (backendName != "dnnl" && backendName != "llvm") {
    errs() << "kilnc: unknown --backend=" << backendName
           << " (expected dnnl or llvm)\n";
    return 1;
  }
  kiln::onnx_frontend::ImportOptions importOptions;
  if ((!shapes.empty() || !binds.empty()) &&
      StringRef(modelPath).ends_with(".mlir")) {
    errs() << "kilnc: --shape and --bind apply to ONNX inputs; kiln IR "
              "(.mlir) is statically shaped\n";
    return 1;
  }
  for (StringRef spec : shapes) {
    auto [name, dims] = spec.rsplit('=');
    SmallVector<int64_t> shape;
    if (name.empty() || !kiln::onnx_frontend::parseShape(dims, shape)) {
      errs() << "kilnc: malformed --shape " << spec
             << " (expected NAME=D0xD1x..., e.g. input=1x3x224x224)\n";
      return 1;
    }
    if (!importOptions.inputShapes.try_emplace(name, shape).second) {
      errs() << "kilnc: --shape gives '" << name << "' twice\n";
      return 1;
    }
  }
  for (StringRef spec : binds) {
    auto [name, file] = spec.split('=');
    if (name.empty() || file.empty()) {
      errs() << "kilnc: malformed --bind " << spec
             << " (expected NAME=FILE.pb)\n";
      return 1;
    }
    if (!importOptions.boundInputs.try_emplace(name, file.str()).second) {
      errs() << "kilnc: --bind gives '" << name << "' twice\n";
      return 1;
    }
  }
  if (*stage != kiln::EmitStage::Graph) {
    errs() << "kilnc: --emit=" << emitName
           << " is not available yet: this build has no backend; use "
              "--emit=graph\n";
    return 1;
  }

  mlir::DialectRegistry registry;
  kiln::registerAllDialects(registry);
  mlir::MLIRContext context(registry);
  context.loadAllAvailableDialects();
  SourceMgr sourceMgr;
  mlir::ScopedDiagnosticHandler diagnostics(
      &context, [](mlir::Diagnostic &diagnostic) {
        kiln::printDiagnostic(diagnostic, errs());
        return success();
      });

  mlir::OwningOpRef<mlir::ModuleOp> module =
      kiln::loadModel(modelPath, sourceMgr, context, importOptions);
  if (!module || failed(kiln::runGraphPipeline(*module)))
    return 1;

  if (!dumpDir.empty()) {
    if (std::error_code error = sys::fs::create_directories(dumpDir)) {
      errs() << "kilnc: cannot create " << dumpDir << ": " << error.message()
             << "\n";
      return 1;
    }
    SmallString<256> path(dumpDir);
    sys::path::append(path, "01-graph.mlir");
    if (failed(writeModule(*module, path)))
      return 1;
  }
  return failed(writeModule(*module, outputPath.empty()
                                         ? StringRef("-")
                                         : StringRef(outputPath)))
             ? 1
             : 0;
}

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
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Signals.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"

#include <unistd.h>

using namespace llvm;

static cl::OptionCategory kilncCategory("kilnc options");

static cl::opt<std::string>
    modelPath(cl::Positional, cl::desc("MODEL (.onnx, .onnxtxt, .mlir)"),
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
static cl::opt<std::string>
    targetCPU("target-cpu",
              cl::desc("CPU to generate code for (default: the host's)"),
              cl::init("native"), cl::cat(kilncCategory));
static cl::opt<bool> listOperators(
    "list-onnx-operators",
    cl::desc("List the ONNX operators kilnc imports, with their opsets"),
    cl::cat(kilncCategory));
static cl::opt<int64_t> dnnlMinWork(
    "dnnl-min-work",
    cl::desc("With --backend=dnnl, the fewest multiply-adds for which a "
             "matrix product, softmax, layer norm or recurrent time step "
             "runs on oneDNN rather than as generated code (default 262144)"),
    cl::init(262144), cl::cat(kilncCategory));
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
static cl::opt<std::string> dumpDir("dump-dir",
                                    cl::desc("Write every stage to DIR"),
                                    cl::value_desc("DIR"),
                                    cl::cat(kilncCategory));

static mlir::OpPrintingFlags printingFlags() {
  mlir::OpPrintingFlags flags;
  if (!printWeights)
    flags.elideLargeResourceString(64);
  return flags;
}

/// Writes `module` to `path` ("-" is stdout).
static LogicalResult writeModule(mlir::ModuleOp module, StringRef path);

/// Refuses an output path that is a folder, a symbolic link to nothing or
/// in a folder that does not exist.
static LogicalResult checkOutputPath(StringRef path) {
  auto refuse = [&](const Twine &why) {
    errs() << "kilnc: cannot write " << path << ": " << why << "\n";
    return failure();
  };
  if (sys::fs::is_directory(path))
    return refuse("it is a folder");
  sys::fs::file_status link;
  if (!sys::fs::status(path, link, /*Follow=*/false) &&
      sys::fs::is_symlink_file(link) && !sys::fs::exists(path))
    return refuse("it is a symbolic link to a file that does not exist");
  StringRef folder = sys::path::parent_path(path);
  if (!folder.empty() && !sys::fs::is_directory(folder))
    return refuse("the folder " + folder + " does not exist");
  return success();
}

namespace {
/// A file written under a unique temporary name beside its final path and
/// renamed into place by commit(); removed if never committed (also when
/// kilnc is killed by a signal), so a failure never leaves a partial file.
class PendingOutput {
public:
  explicit PendingOutput(StringRef path) : path(path.str()) {}
  ~PendingOutput() {
    if (!temp.empty()) {
      sys::fs::remove(temp);
      sys::DontRemoveFileOnSignal(temp);
    }
  }
  /// Creates the temporary file; returns its descriptor, or -1.
  int create() {
    if (failed(checkOutputPath(path)))
      return -1;
    int fd;
    if (std::error_code ec = sys::fs::createUniqueFile(
            path + ".kilnc-%%%%%%", fd, temp, sys::fs::OF_None, 0666)) {
      errs() << "kilnc: cannot write " << path << ": " << ec.message() << "\n";
      temp.clear();
      return -1;
    }
    sys::RemoveFileOnSignal(temp);
    return fd;
  }
  StringRef tempPath() const { return temp; }
  LogicalResult commit() {
    if (std::error_code ec = sys::fs::rename(temp, path)) {
      errs() << "kilnc: cannot write " << path << ": " << ec.message() << "\n";
      return failure();
    }
    sys::DontRemoveFileOnSignal(temp);
    temp.clear();
    return success();
  }

private:
  std::string path;
  SmallString<256> temp;
};
} // namespace

/// Writes text produced by `print` to `path` ("-" is stdout) through a
/// temporary file renamed into place once complete.
static LogicalResult writeText(StringRef path,
                               function_ref<void(raw_pwrite_stream &)> print) {
  if (path == "-") {
    print(outs());
    outs().flush();
    return success();
  }
  PendingOutput output(path);
  int fd = output.create();
  if (fd < 0)
    return failure();
  {
    raw_fd_ostream os(fd, /*shouldClose=*/true);
    print(os);
    os.flush();
    if (os.has_error()) {
      errs() << "kilnc: cannot write " << path << ": " << os.error().message()
             << "\n";
      os.clear_error();
      return failure();
    }
  }
  return output.commit();
}

/// Where text stages go: -o, or stdout.
static StringRef textOutput() {
  return outputPath.empty() ? StringRef("-") : StringRef(outputPath);
}

namespace {
/// Writes each stage, numbered, into --dump-dir (when given).
class Dumper {
public:
  explicit Dumper(StringRef dir) : dir(dir) {}
  LogicalResult module(StringRef stage, mlir::ModuleOp module) {
    return text(stage.str() + ".mlir",
                [&](raw_ostream &os) { module->print(os, printingFlags()); });
  }
  LogicalResult text(StringRef name, function_ref<void(raw_ostream &)> print) {
    ++count;
    if (dir.empty())
      return success();
    if (std::error_code error = sys::fs::create_directories(dir)) {
      errs() << "kilnc: cannot create " << dir << ": " << error.message()
             << "\n";
      return failure();
    }
    if (!sys::fs::is_directory(dir)) {
      errs() << "kilnc: cannot create " << dir << ": it is not a folder\n";
      return failure();
    }
    SmallString<256> path(dir);
    sys::path::append(path,
                      (count < 10 ? "0" : "") + Twine(count) + "-" + name);
    return writeText(path, [&](raw_pwrite_stream &os) { print(os); });
  }

private:
  std::string dir;
  int count = 0;
};
} // namespace

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
           << " (expected graph, fused, dot, linalg, llvm-mlir, llvm-ir, asm, "
              "obj, lib or exe)\n";
    return 1;
  }
  if (backendName != "dnnl" && backendName != "llvm") {
    errs() << "kilnc: unknown --backend=" << backendName
           << " (expected dnnl or llvm)\n";
    return 1;
  }
  if (weightsMode != "embedded" && weightsMode != "external") {
    errs() << "kilnc: unknown --weights=" << weightsMode
           << " (expected embedded or external)\n";
    return 1;
  }
  bool externalWeights = weightsMode == "external";
  if (externalWeights && *stage != kiln::EmitStage::Obj &&
      *stage != kiln::EmitStage::Lib && *stage != kiln::EmitStage::Exe) {
    errs() << "kilnc: --weights=external writes a weights file beside a "
              "binary; use it with --emit=exe, lib or obj\n";
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
  kiln::Backend backend =
      backendName == "dnnl" ? kiln::Backend::Dnnl : kiln::Backend::LLVM;

  mlir::DialectRegistry registry;
  kiln::registerAllDialects(registry);
  mlir::MLIRContext context(registry);
  context.loadAllAvailableDialects();
  context.printOpOnDiagnostic(false);
  SourceMgr sourceMgr;
  mlir::ScopedDiagnosticHandler diagnostics(
      &context, [](mlir::Diagnostic &diagnostic) {
        // Remarks are the fusion report, asked for on the command line.
        bool remark =
            diagnostic.getSeverity() == mlir::DiagnosticSeverity::Remark;
        kiln::printDiagnostic(diagnostic, remark ? outs() : errs());
        return success();
      });

  mlir::OwningOpRef<mlir::ModuleOp> module =
      kiln::loadModel(modelPath, sourceMgr, context, importOptions);
  if (!module || failed(kiln::runGraphPipeline(*module)))
    return 1;

  Dumper dumps(dumpDir);
  if (failed(dumps.module("graph", *module)))
    return 1;
  if (*stage == kiln::EmitStage::Graph)
    return failed(writeModule(*module, textOutput())) ? 1 : 0;

  kiln::FusionOptions fusion;
  fusion.enabled = !noFuse;
  fusion.report = fusionReport;
  if (failed(kiln::runFusionPipeline(*module, fusion)) ||
      failed(dumps.module("fused", *module)))
    return 1;
  if (*stage == kiln::EmitStage::Fused)
    return failed(writeModule(*module, textOutput())) ? 1 : 0;
  if (*stage == kiln::EmitStage::Dot) {
    LogicalResult printed = success();
    if (failed(writeText(
            textOutput(),
            [&](raw_ostream &os) { printed = kiln::printDot(*module, os); })) ||
        failed(printed))
      return 1;
    return 0;
  }

  if (failed(kiln::runLinalgPipeline(*module, backend, dnnlMinWork)) ||
      failed(dumps.module("linalg", *module)))
    return 1;
  if (*stage == kiln::EmitStage::Linalg)
    return failed(writeModule(*module, textOutput())) ? 1 : 0;

  // The binary's path, and with --weights=external the weights file's:
  // NAME.weights beside it (NAME without "lib", ".so" or ".o").
  std::string output = outputPath;
  if (output.empty()) {
    std::string stem = sys::path::stem(modelPath).str();
    output = *stage == kiln::EmitStage::Obj   ? stem + ".o"
             : *stage == kiln::EmitStage::Lib ? "lib" + stem + ".so"
                                              : stem;
  }
  std::string weightsPath, weightsFile;
  if (externalWeights) {
    StringRef name = sys::path::filename(output);
    if (*stage == kiln::EmitStage::Lib) {
      name.consume_front("lib");
      name.consume_back(".so");
    } else if (*stage == kiln::EmitStage::Obj) {
      name.consume_back(".o");
    }
    weightsFile = (name + ".weights").str();
    SmallString<256> path(sys::path::parent_path(output));
    sys::path::append(path, weightsFile);
    weightsPath = path.str().str();
  }

  if (failed(kiln::runLLVMPipeline(*module)))
    return 1;
  FailureOr<std::string> weights;
  if (externalWeights &&
      failed(weights = kiln::externalizeWeights(*module, weightsFile)))
    return 1;
  if (failed(dumps.module("llvm", *module)))
    return 1;
  if (*stage == kiln::EmitStage::LLVMMLIR)
    return failed(writeModule(*module, textOutput())) ? 1 : 0;

  bool dnnl = kiln::usesDnnl(*module);
  std::string error;
  auto machine = kiln::createTargetMachine(targetCPU, error);
  if (!machine) {
    errs() << "kilnc: " << error << "\n";
    return 1;
  }
  llvm::LLVMContext llvmContext;
  auto llvmModule = kiln::translateToLLVMIR(*module, llvmContext, *machine);
  if (!llvmModule) {
    errs() << "kilnc: translation to LLVM IR failed\n";
    return 1;
  }
  if (failed(dumps.text(
          "ll", [&](raw_ostream &os) { llvmModule->print(os, nullptr); })))
    return 1;
  if (*stage == kiln::EmitStage::LLVMIR)
    return failed(writeText(
               textOutput(),
               [&](raw_ostream &os) { llvmModule->print(os, nullptr); }))
               ? 1
               : 0;
  if (*stage == kiln::EmitStage::Asm) {
    return failed(writeText(textOutput(),
                            [&](raw_pwrite_stream &os) {
                              std::string message;
                              if (!kiln::emitMachineCode(*llvmModule, *machine,
                                                         os, true, message))
                                errs() << "kilnc: " << message << "\n";
                            }))
               ? 1
               : 0;
  }

  // Object file, then (for --emit=exe) the executable, each written to a
  // temporary file and renamed into place once complete.
  if (output == "-") {
    errs() << "kilnc: --emit=" << emitName
           << " writes a binary file; give -o\n";
    return 1;
  }
  if (failed(checkOutputPath(output)))
    return 1;
  SmallString<128> objectPath;
  int fd;
  if (std::error_code ec =
          sys::fs::createTemporaryFile("kiln-model", "o", fd, objectPath)) {
    errs() << "kilnc: cannot create a temporary file: " << ec.message() << "\n";
    return 1;
  }
  FileRemover removeObject(objectPath);
  {
    raw_fd_ostream os(fd, /*shouldClose=*/true);
    if (!kiln::emitMachineCode(*llvmModule, *machine, os, false, error)) {
      errs() << "kilnc: " << error << "\n";
      return 1;
    }
  }
  PendingOutput pending(output);
  int tempFd = pending.create();
  if (tempFd < 0)
    return 1;
  ::close(tempFd);
  std::string temp = pending.tempPath().str();
  if (*stage == kiln::EmitStage::Obj) {
    if (std::error_code ec = sys::fs::copy_file(objectPath, temp)) {
      errs() << "kilnc: cannot write " << output << ": " << ec.message()
             << "\n";
      return 1;
    }
  } else if (*stage == kiln::EmitStage::Lib) {
    if (!kiln::linkSharedLibrary(objectPath, temp, argv[0], dnnl, error)) {
      errs() << "kilnc: " << error << "\n";
      return 1;
    }
    // NAME.h beside libNAME.so.
    StringRef name = sys::path::stem(output);
    name.consume_front("lib");
    SmallString<256> header(sys::path::parent_path(output));
    sys::path::append(header, name + ".h");
    if (failed(writeText(header, [](raw_pwrite_stream &os) {
          os << kiln::getModelHeader();
        })))
      return 1;
  } else if (!kiln::linkExecutable(objectPath, temp, argv[0], dnnl, error)) {
    errs() << "kilnc: " << error << "\n";
    return 1;
  }
  if (externalWeights &&
      (failed(checkOutputPath(weightsPath)) ||
       failed(writeText(weightsPath,
                        [&](raw_pwrite_stream &os) { os << *weights; }))))
    return 1;
  return failed(pending.commit()) ? 1 : 0;
}
static LogicalResult writeModule(mlir::ModuleOp module, StringRef path) {
  return writeText(
      path, [&](raw_pwrite_stream &os) { module->print(os, printingFlags()); });
}

//===- Compiler.cpp - The compile library, as kiln._core calls it ---------===//

#include "Compiler.h"

#include "kiln/InitAll.h"
#include "kiln/Pipeline/Compile.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/raw_ostream.h"

#include <mutex>

using namespace kiln::python;

namespace {

const char *severityName(mlir::DiagnosticSeverity severity) {
  switch (severity) {
  case mlir::DiagnosticSeverity::Error:
    return "error";
  case mlir::DiagnosticSeverity::Warning:
    return "warning";
  case mlir::DiagnosticSeverity::Note:
    return "note";
  case mlir::DiagnosticSeverity::Remark:
    return "remark";
  }
  return "error";
}

void record(mlir::Diagnostic &diagnostic, std::vector<Message> &messages) {
  Message message;
  message.severity = severityName(diagnostic.getSeverity());
  if (!llvm::isa<mlir::UnknownLoc>(diagnostic.getLocation())) {
    llvm::raw_string_ostream os(message.location);
    kiln::printLocation(diagnostic.getLocation(), os);
  }
  message.text = diagnostic.str();
  messages.push_back(std::move(message));
  for (mlir::Diagnostic &note : diagnostic.getNotes())
    record(note, messages);
}

/// Compiles run one at a time: LLVM's target setup and the pass
/// registrations are process-wide.
std::mutex compileMutex;

} // namespace

bool kiln::python::compileLibrary(const CompileRequest &request,
                                  std::vector<Message> &messages) {
  std::lock_guard<std::mutex> lock(compileMutex);
  mlir::DialectRegistry registry;
  kiln::registerAllDialects(registry);
  mlir::MLIRContext context(registry);
  context.loadAllAvailableDialects();
  context.printOpOnDiagnostic(false);
  mlir::ScopedDiagnosticHandler handler(&context,
                                        [&](mlir::Diagnostic &diagnostic) {
                                          record(diagnostic, messages);
                                          return mlir::success();
                                        });
  auto fail = [&](const std::string &text) {
    messages.push_back({"error", "", text});
    return false;
  };

  kiln::CompileOptions options;
  if (request.backend != "dnnl" && request.backend != "llvm")
    return fail("unknown backend '" + request.backend +
                "' (expected 'dnnl' or 'llvm')");
  options.pipeline.backend =
      request.backend == "dnnl" ? kiln::Backend::Dnnl : kiln::Backend::LLVM;
  if (request.weights != "embedded" && request.weights != "external")
    return fail("unknown weights '" + request.weights +
                "' (expected 'embedded' or 'external')");
  options.externalWeights = request.weights == "external";
  options.pipeline.fuse = request.fuse;
  if (request.dnnlMinWork >= 0)
    options.pipeline.dnnlMinWork = request.dnnlMinWork;
  options.targetCPU = request.targetCPU;
  options.output = request.output;
  options.runtimeDir = request.runtimeDir;

  kiln::ModelOptions modelOptions;
  modelOptions.shapes = request.shapes;
  modelOptions.binds = request.binds;
  modelOptions.openBatch = request.openBatch;
  modelOptions.blockSamples = request.blockSamples;
  return mlir::succeeded(kiln::compileModelFile(
      request.model, modelOptions, options, kiln::EmitStage::Lib, context));
}

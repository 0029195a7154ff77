//===- Pipeline.cpp - Kiln's compilation stages ---------------------------===//

#include "kiln/Pipeline/Pipeline.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"

using namespace mlir;

static const std::pair<kiln::EmitStage, llvm::StringLiteral> stageNames[] = {
    {kiln::EmitStage::Graph, "graph"},
    {kiln::EmitStage::Fused, "fused"},
    {kiln::EmitStage::Linalg, "linalg"},
    {kiln::EmitStage::LLVMMLIR, "llvm-mlir"},
    {kiln::EmitStage::LLVMIR, "llvm-ir"},
    {kiln::EmitStage::Asm, "asm"},
    {kiln::EmitStage::Obj, "obj"},
    {kiln::EmitStage::Lib, "lib"},
    {kiln::EmitStage::Exe, "exe"}};

std::optional<kiln::EmitStage> kiln::parseEmitStage(llvm::StringRef name) {
  for (auto [stage, stageName] : stageNames)
    if (stageName == name)
      return stage;
  return std::nullopt;
}

llvm::StringRef kiln::getStageName(EmitStage stage) {
  for (auto [s, stageName] : stageNames)
    if (s == stage)
      return stageName;
  return "";
}

OwningOpRef<ModuleOp>
kiln::loadModel(llvm::StringRef path, llvm::SourceMgr &sourceMgr,
                MLIRContext &context,
                const onnx_frontend::ImportOptions &options) {
  Location fileLoc = FileLineColLoc::get(&context, path, 0, 0);
  llvm::StringRef ext = llvm::sys::path::extension(path);
  if (ext != ".mlir" && ext != ".onnx" && ext != ".onnxtxt") {
    emitError(fileLoc) << "unknown model format '" << ext
                       << "': expected .onnx, .onnxtxt or .mlir";
    return {};
  }
  if (llvm::sys::fs::is_directory(path)) {
    emitError(fileLoc) << "is a directory, not a model file";
    return {};
  }
  if (ext != ".mlir")
    return onnx_frontend::importModelFile(path, context, options);
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (std::error_code error = buffer.getError()) {
    emitError(fileLoc) << "cannot read: " << error.message();
    return {};
  }
  sourceMgr.AddNewSourceBuffer(std::move(*buffer), llvm::SMLoc());
  return parseSourceFile<ModuleOp>(sourceMgr, &context);
}

LogicalResult kiln::runGraphPipeline(ModuleOp module) {
  PassManager pm(module->getName());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  return pm.run(module);
}

/// Writes where a diagnostic points: the file, then a line and column or
/// the ONNX node.
static void printLocation(Location loc, llvm::raw_ostream &os) {
  if (auto name = llvm::dyn_cast<NameLoc>(loc)) {
    if (auto file = llvm::dyn_cast<FileLineColLoc>(name.getChildLoc()))
      os << file.getFilename().getValue() << ":";
    os << name.getName().getValue();
    return;
  }
  if (auto file = llvm::dyn_cast<FileLineColLoc>(loc)) {
    os << file.getFilename().getValue();
    if (file.getLine() != 0)
      os << ":" << file.getLine() << ":" << file.getColumn();
    return;
  }
  if (auto fused = llvm::dyn_cast<FusedLoc>(loc)) {
    if (!fused.getLocations().empty())
      return printLocation(fused.getLocations().front(), os);
  }
  if (auto callSite = llvm::dyn_cast<CallSiteLoc>(loc))
    return printLocation(callSite.getCallee(), os);
  os << "<unknown>";
}

void kiln::printDiagnostic(Diagnostic &diagnostic, llvm::raw_ostream &os) {
  auto print = [&](Diagnostic &d) {
    printLocation(d.getLocation(), os);
    switch (d.getSeverity()) {
    case DiagnosticSeverity::Error:
      os << ": error: ";
      break;
    case DiagnosticSeverity::Warning:
      os << ": warning: ";
      break;
    case DiagnosticSeverity::Note:
      os << ": note: ";
      break;
    case DiagnosticSeverity::Remark:
      os << ": remark: ";
      break;
    }
    os << d.str() << "\n";
  };
  print(diagnostic);
  for (Diagnostic &note : diagnostic.getNotes())
    print(note);
}

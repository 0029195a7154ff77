//===- LoadModel.cpp - Reading a model file into kiln IR ------------------===//

#include "kiln/Pipeline/Compile.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"

using namespace mlir;

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

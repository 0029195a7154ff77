//===- LoadModel.cpp - Reading a model file into kiln IR ------------------===//

#include "kiln/Pipeline/Compile.h"

#include "kiln/Frontend/Keras/Importer.h"

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
  if (llvm::sys::fs::is_directory(path)) {
    emitError(fileLoc) << "is a directory, not a model file";
    return {};
  }
  bool kerasExt = ext == ".keras" || ext == ".h5" || ext == ".hdf5";
  if (ext != ".mlir" && ext != ".onnxtxt") {
    // Keras files are recognised by their content (a zip or an HDF5 file),
    // whatever their name.
    auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                              /*RequiresNullTerminator=*/false);
    if (std::error_code error = buffer.getError()) {
      emitError(fileLoc) << "cannot read: " << error.message();
      return {};
    }
    llvm::StringRef bytes = (*buffer)->getBuffer();
    if (kerasExt || keras_frontend::isKerasModel(bytes)) {
      if (!options.boundInputs.empty()) {
        emitError(fileLoc) << "--bind applies to ONNX models, not Keras ones";
        return {};
      }
      keras_frontend::ImportOptions kerasOptions;
      for (const auto &entry : options.inputShapes)
        kerasOptions.inputShapes[entry.getKey()] = entry.getValue();
      return keras_frontend::importKerasBuffer(bytes, path, context,
                                               kerasOptions);
    }
    if (ext != ".onnx") {
      emitError(fileLoc) << "unknown model format '" << ext
                         << "': expected .onnx, .onnxtxt, .keras, .h5 or "
                            ".mlir";
      return {};
    }
    return onnx_frontend::importModelBuffer(bytes, path, /*textual=*/false,
                                            context, options);
  }
  if (ext == ".onnxtxt")
    return onnx_frontend::importModelFile(path, context, options);
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (std::error_code error = buffer.getError()) {
    emitError(fileLoc) << "cannot read: " << error.message();
    return {};
  }
  sourceMgr.AddNewSourceBuffer(std::move(*buffer), llvm::SMLoc());
  return parseSourceFile<ModuleOp>(sourceMgr, &context);
}

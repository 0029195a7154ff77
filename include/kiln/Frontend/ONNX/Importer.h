//===- Importer.h - ONNX models to kiln IR ----------------------*- C++ -*-===//

#ifndef KILN_FRONTEND_ONNX_IMPORTER_H
#define KILN_FRONTEND_ONNX_IMPORTER_H

#include "kiln/Frontend/SymbolicDims.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"

namespace kiln::onnx_frontend {

struct ImportOptions {
  /// Shapes that replace those of the named graph inputs (`--shape`).
  llvm::StringMap<llvm::SmallVector<int64_t>> inputShapes;
  /// Graph inputs replaced by the constant in a serialized onnx.TensorProto
  /// file (`--bind NAME=FILE.pb`), which specializes the model to it.
  llvm::StringMap<std::string> boundInputs;
  /// Values of open input dims by name (`--shape SYMBOL=N` puts a
  /// one-dim shape under a dim_param in inputShapes), the probe value of
  /// the others and where it was used. Without it, an open dim must be
  /// pinned.
  SymbolicDims *symbols = nullptr;
  /// When set (`--open-batch`), dim 0 of the graph inputs is open under
  /// this name wherever it equals the first input's: for models exported
  /// with a fixed batch.
  std::string openBatch;
};

/// Imports an ONNX model (`.onnx` protobuf or `.onnxtxt` textual syntax)
/// as a module holding one `func.func @main` of kiln ops. Problems are
/// reported through the context's diagnostics, located at the model file
/// and, for node-level problems, at the node; returns null on failure.
mlir::OwningOpRef<mlir::ModuleOp> importModelFile(llvm::StringRef path,
                                                  mlir::MLIRContext &context,
                                                  const ImportOptions &options);

/// Imports a model held in memory: `data` is a binary ModelProto (or ONNX
/// textual syntax when `textual`); `path` names it in diagnostics, and its
/// folder is where external data is looked for.
mlir::OwningOpRef<mlir::ModuleOp>
importModelBuffer(llvm::StringRef data, llvm::StringRef path, bool textual,
                  mlir::MLIRContext &context, const ImportOptions &options);

/// Parses "1x3x224x224" (dims may be 0). Returns false on malformed text.
bool parseShape(llvm::StringRef text, llvm::SmallVectorImpl<int64_t> &shape);

struct OperatorSupport {
  llvm::StringRef name;
  /// The opsets of the default domain in which Kiln imports the operator.
  int64_t firstOpset, lastOpset;
};

/// The ONNX operators (default domain) the importer accepts, by name.
llvm::SmallVector<OperatorSupport> getSupportedOperators();

} // namespace kiln::onnx_frontend

#endif // KILN_FRONTEND_ONNX_IMPORTER_H

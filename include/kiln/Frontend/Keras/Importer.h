//===- Importer.h - Keras models to kiln IR ---------------------*- C++ -*-===//

#ifndef KILN_FRONTEND_KERAS_IMPORTER_H
#define KILN_FRONTEND_KERAS_IMPORTER_H

#include "kiln/Frontend/SymbolicDims.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>

namespace kiln::keras_frontend {

struct ImportOptions {
  /// Shapes that replace the open (None) dims of the named model inputs
  /// (`--shape`).
  llvm::StringMap<llvm::SmallVector<int64_t>> inputShapes;
  /// When set, every open dim not pinned by inputShapes takes this value
  /// instead of being an error (the fuzz target uses it to get past the
  /// inputs).
  std::optional<int64_t> openDimDefault;
  /// Values of open dims by symbol ("batch" for the batch dim, INPUT_dAXIS
  /// for the others), the probe value of the rest and where it was used.
  SymbolicDims *symbols = nullptr;
};

/// Whether `bytes` start like a Keras model file (a zip or an HDF5 file).
bool isKerasModel(llvm::StringRef bytes);

/// Imports a Keras model (a Keras 3 `.keras` zip or a legacy `.h5` file of
/// tf.keras 2 or Keras 3) held in `bytes` as a module holding one
/// `func.func @main` of kiln ops. Its inputs and outputs are laid out as
/// `model.predict` takes and gives them. Problems are reported through the
/// context's diagnostics, located at `path` and, for layer-level problems,
/// at the layer ("conv2d_3 (Conv2D)"); returns null on failure.
mlir::OwningOpRef<mlir::ModuleOp>
importKerasBuffer(llvm::StringRef bytes, llvm::StringRef path,
                  mlir::MLIRContext &context, const ImportOptions &options);

/// Imports a Keras 3 model from the parts of its `.keras` zip: the text of
/// `config.json` and `metadata.json` (may be empty) and the bytes of
/// `model.weights.h5`.
mlir::OwningOpRef<mlir::ModuleOp>
importKerasParts(llvm::StringRef config, llvm::StringRef metadata,
                 llvm::StringRef weights, llvm::StringRef path,
                 mlir::MLIRContext &context, const ImportOptions &options);

struct LayerSupport {
  llvm::StringRef className;
  /// The options Kiln reads and what it refuses, in a sentence.
  llvm::StringRef notes;
};

/// The Keras layer classes the importer accepts, sorted by name.
llvm::SmallVector<LayerSupport> getSupportedLayers();

} // namespace kiln::keras_frontend

#endif // KILN_FRONTEND_KERAS_IMPORTER_H

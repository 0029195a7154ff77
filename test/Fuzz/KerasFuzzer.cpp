//===- KerasFuzzer.cpp - Fuzz target: the Keras importer on raw bytes -----===//
//
// An input is either a whole model file (a `.keras` zip or an `.h5` file,
// told apart by content), or the parts of a `.keras` file, which reach the
// config and weights readers without the zip's checksums in the way:
// `config.json` text, a NUL byte, then the bytes of `model.weights.h5`.
// Open dims are pinned to 1; a model the importer accepts must verify.
//
//===----------------------------------------------------------------------===//

#include "FuzzModel.h"

#include "kiln/Frontend/Keras/Importer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  kiln::fuzz::FuzzContext fuzz;
  kiln::keras_frontend::ImportOptions options;
  options.openDimDefault = 1;
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  mlir::OwningOpRef<mlir::ModuleOp> module;
  if (kiln::keras_frontend::isKerasModel(bytes)) {
    module = kiln::keras_frontend::importKerasBuffer(bytes, "fuzz.keras",
                                                     fuzz.context, options);
  } else {
    auto [config, weights] = bytes.split('\0');
    module = kiln::keras_frontend::importKerasParts(
        config, "", weights, "fuzz.keras", fuzz.context, options);
  }
  if (module)
    kiln::fuzz::requireValid(*module, "the Keras importer");
  return 0;
}

//===- Weights.h - Mapping a model's external weights file ------*- C++ -*-===//

#ifndef KILN_RUNTIME_WEIGHTS_H
#define KILN_RUNTIME_WEIGHTS_H

#include <string>

namespace kiln::runtime {

/// Holds the mapping of a model's weights file (--weights=external) while
/// any instance lives: the first maps the file named by
/// kiln_model_weights_file, from the folder in KILN_WEIGHTS_DIR or else
/// the folder of the model's executable or library, checks its header
/// against the model, and points kiln_model_weights_base at it; the last
/// unmaps it. A no-op for models with embedded weights.
class Weights {
public:
  Weights() = default;
  Weights(const Weights &) = delete;
  Weights &operator=(const Weights &) = delete;
  ~Weights();

  /// Maps the file for the model compiled into `binaryPath` (an
  /// executable or shared library); false with `error` set on failure.
  bool acquire(const std::string &binaryPath, std::string &error);

  /// The path of the shared library (or executable) this runtime is linked
  /// into.
  static std::string libraryPath();

private:
  bool held = false;
};

} // namespace kiln::runtime

#endif // KILN_RUNTIME_WEIGHTS_H

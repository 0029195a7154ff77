//===- SymbolicDims.h - Input dims a model leaves open ----------*- C++ -*-===//
//
// A model may leave input dims open: ONNX's dim_param ("batch") or unknown
// dims, Keras' None. The frontends give each open dim a value: the one
// `--shape SYMBOL=N` pins, else (when the caller asks for it) a probe value,
// recording where they used it so that the caller can find out which dims
// vary at run time.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTEND_SYMBOLICDIMS_H
#define KILN_FRONTEND_SYMBOLICDIMS_H

#include "llvm/ADT/StringMap.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kiln {

struct SymbolicDim {
  /// The graph input and the axis of the open dim.
  std::string input;
  unsigned axis = 0;
  /// Its name: ONNX's dim_param, "batch" for Keras' batch dim, else
  /// "INPUT_dAXIS".
  std::string symbol;
};

struct SymbolicDims {
  /// Values given to named symbols; they win over the probe.
  llvm::StringMap<int64_t> values;
  /// The value every other open dim takes; without one, an open dim that
  /// is neither pinned nor valued is an error.
  std::optional<int64_t> probe;
  /// The open dims that took the probe value, in input order.
  std::vector<SymbolicDim> probed;
};

/// The name of an unnamed open dim.
inline std::string unnamedSymbol(const std::string &input, unsigned axis) {
  return input + "_d" + std::to_string(axis);
}

} // namespace kiln

#endif // KILN_FRONTEND_SYMBOLICDIMS_H

//===- Container.h - The files a Keras model is stored in -------*- C++ -*-===//
//
// Reads the containers of a Keras model with Debian's libraries: the zip of
// a `.keras` file (libzip) and HDF5 weight files (libhdf5, opened from
// memory). Every size and count read from a file is checked against a limit
// before memory is allocated for it.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_LIB_FRONTEND_KERAS_CONTAINER_H
#define KILN_LIB_FRONTEND_KERAS_CONTAINER_H

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kiln::keras_frontend {

/// Largest dataset Kiln reads (elements), and largest sum of all of them.
inline constexpr int64_t kMaxWeightElements = int64_t(1) << 31;
inline constexpr int64_t kMaxTotalWeightBytes = int64_t(16) << 30;
/// Largest config.json / model_config text.
inline constexpr int64_t kMaxConfigBytes = int64_t(64) << 20;

/// A float32 array read from a weight file, row-major.
struct WeightArray {
  llvm::SmallVector<int64_t> shape;
  std::vector<float> data;
  int64_t numElements() const { return (int64_t)data.size(); }
};

/// An HDF5 file opened from a memory image (read-only).
class HDF5File {
public:
  ~HDF5File();
  HDF5File(const HDF5File &) = delete;
  HDF5File &operator=(const HDF5File &) = delete;

  /// Opens the HDF5 file held in `image` (copied). `what` names it in
  /// errors ("model.weights.h5 in model.keras").
  static llvm::Expected<std::unique_ptr<HDF5File>>
  open(llvm::StringRef image, llvm::StringRef what);

  /// Whether `path` ("a/b/c") names a group, a dataset, or nothing.
  bool isGroup(llvm::StringRef path) const;
  bool isDataset(llvm::StringRef path) const;
  /// The names of a group's members, sorted.
  llvm::Expected<std::vector<std::string>>
  members(llvm::StringRef path) const;
  /// A numeric dataset as float32; the total of the reads is capped.
  llvm::Expected<WeightArray> readFloats(llvm::StringRef path);
  /// A string attribute of the object at `path` ("" for the root), or none.
  llvm::Expected<std::optional<std::string>>
  stringAttr(llvm::StringRef path, llvm::StringRef name) const;
  /// A string-array attribute (e.g. `weight_names`), empty when absent.
  llvm::Expected<std::vector<std::string>>
  stringArrayAttr(llvm::StringRef path, llvm::StringRef name) const;

  const std::string &name() const { return what; }

private:
  HDF5File(int64_t file, std::string what) : file(file), what(std::move(what)) {}
  int64_t file;
  std::string what;
  int64_t bytesRead = 0;
};

/// The parts of a Keras model file.
struct KerasArchive {
  /// The model's config (JSON text).
  std::string config;
  /// The text of `metadata.json` of a `.keras` file; the `keras_version`
  /// attribute of an `.h5` file; or "".
  std::string kerasVersion;
  /// True for the legacy HDF5 format (`model_weights/<layer>/...` mapped by
  /// `weight_names`); false for `.keras` (`layers/<path>/vars/<i>`).
  bool legacyHDF5 = false;
  std::unique_ptr<HDF5File> weights;
};

enum class KerasFormat { None, Zip, HDF5 };
/// Recognises a Keras model file by its first bytes.
KerasFormat detectKerasFormat(llvm::StringRef bytes);

/// Reads a `.keras` zip or an `.h5` file held in `bytes`.
llvm::Expected<KerasArchive> readKerasArchive(llvm::StringRef bytes);

} // namespace kiln::keras_frontend

#endif // KILN_LIB_FRONTEND_KERAS_CONTAINER_H

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
#include <map>
#include <memory>
#include <optional>
#include <set>
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

/// What Kiln reads of an HDF5 file: its groups, its numeric datasets (as
/// float32) and the string attributes of the root and the groups. A child
/// process reads them with libhdf5 and hands them over through a pipe, so
/// that a damaged file that makes libhdf5 crash or loop ends in an error,
/// never in kilnc crashing or hanging. The optimizer's state is skipped;
/// external links, external raw data and virtual datasets (which name
/// other files) are refused.
class HDF5File {
public:
  /// Reads the HDF5 file held in `image`. `what` names it in errors
  /// ("model.weights.h5").
  static llvm::Expected<std::unique_ptr<HDF5File>> open(llvm::StringRef image,
                                                        llvm::StringRef what);

  /// Whether `path` ("a/b/c") names a group or a dataset.
  bool isGroup(llvm::StringRef path) const;
  bool isDataset(llvm::StringRef path) const;
  /// A dataset's data.
  llvm::Expected<WeightArray> readFloats(llvm::StringRef path) const;
  /// A string attribute of the group at `path` ("" for the root), or none.
  llvm::Expected<std::optional<std::string>>
  stringAttr(llvm::StringRef path, llvm::StringRef name) const;
  /// A string-array attribute (e.g. `weight_names`), empty when absent.
  llvm::Expected<std::vector<std::string>>
  stringArrayAttr(llvm::StringRef path, llvm::StringRef name) const;

  const std::string &name() const { return what; }

  /// The groups, datasets and attributes read, by path ("a/b"; attributes
  /// as "path\0name").
  std::set<std::string> groups;
  std::map<std::string, WeightArray> datasets;
  std::map<std::string, std::vector<std::string>> attributes;
  std::string what;
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

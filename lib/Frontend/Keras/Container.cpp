//===- Container.cpp - The files a Keras model is stored in ---------------===//

#include "Container.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <hdf5.h>
#include <zip.h>

#include <algorithm>
#include <cstring>

using namespace kiln::keras_frontend;
using llvm::StringRef;

static llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

//===----------------------------------------------------------------------===//
// HDF5
//===----------------------------------------------------------------------===//

namespace {
/// Closes an HDF5 handle with the function that fits its kind.
class Handle {
public:
  Handle(hid_t id = H5I_INVALID_HID) : id(id) {}
  Handle(const Handle &) = delete;
  Handle &operator=(const Handle &) = delete;
  ~Handle() {
    if (id < 0)
      return;
    switch (H5Iget_type(id)) {
    case H5I_GROUP:
      H5Gclose(id);
      break;
    case H5I_DATASET:
      H5Dclose(id);
      break;
    case H5I_ATTR:
      H5Aclose(id);
      break;
    case H5I_DATATYPE:
      H5Tclose(id);
      break;
    case H5I_DATASPACE:
      H5Sclose(id);
      break;
    case H5I_GENPROP_LST:
      H5Pclose(id);
      break;
    case H5I_FILE:
      H5Fclose(id);
      break;
    default:
      break;
    }
  }
  operator hid_t() const { return id; }
  bool valid() const { return id >= 0; }

private:
  hid_t id;
};

/// HDF5 prints its error stack to stderr by default; Kiln reports errors
/// itself.
void silenceHDF5() {
  static bool once = [] {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)once;
}
} // namespace

/// Whether every link on `path` exists, so that opening it cannot fail
/// half-way in a missing intermediate group.
static bool linkExists(hid_t file, StringRef path) {
  if (path.empty())
    return true;
  std::string prefix;
  llvm::SmallVector<StringRef> parts;
  path.split(parts, '/', -1, /*KeepEmpty=*/false);
  for (StringRef part : parts) {
    if (!prefix.empty())
      prefix += '/';
    prefix += part.str();
    if (H5Lexists(file, prefix.c_str(), H5P_DEFAULT) <= 0)
      return false;
  }
  return true;
}

static H5O_type_t objectType(hid_t file, StringRef path) {
  if (!linkExists(file, path))
    return H5O_TYPE_UNKNOWN;
  std::string p = path.empty() ? "." : path.str();
  H5O_info_t info;
  if (H5Oget_info_by_name2(file, p.c_str(), &info, H5O_INFO_BASIC,
                           H5P_DEFAULT) < 0)
    return H5O_TYPE_UNKNOWN;
  return info.type;
}

HDF5File::~HDF5File() {
  if (file >= 0)
    H5Fclose(file);
}

llvm::Expected<std::unique_ptr<HDF5File>> HDF5File::open(StringRef image,
                                                         StringRef what) {
  silenceHDF5();
  if (image.empty())
    return fail(what + " is empty");
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS));
  if (!fapl.valid() || H5Pset_fapl_core(fapl, 1 << 16, 0) < 0 ||
      H5Pset_file_image(fapl, const_cast<char *>(image.data()), image.size()) <
          0)
    return fail("cannot open " + what + " as HDF5");
  hid_t file = H5Fopen("kiln-keras-weights", H5F_ACC_RDONLY, fapl);
  if (file < 0)
    return fail(what + " is not a readable HDF5 file (truncated or damaged)");
  return std::unique_ptr<HDF5File>(new HDF5File(file, what.str()));
}

bool HDF5File::isGroup(StringRef path) const {
  return objectType(file, path) == H5O_TYPE_GROUP;
}

bool HDF5File::isDataset(StringRef path) const {
  return objectType(file, path) == H5O_TYPE_DATASET;
}

static herr_t collectMember(hid_t, const char *name, const H5L_info_t *,
                            void *data) {
  auto *names = static_cast<std::vector<std::string> *>(data);
  if (names->size() > 1000000)
    return 1;
  names->push_back(name);
  return 0;
}

llvm::Expected<std::vector<std::string>>
HDF5File::members(StringRef path) const {
  if (!isGroup(path))
    return fail(what + ": '" + path + "' is not a group");
  Handle group(H5Gopen2(file, path.empty() ? "/" : path.str().c_str(),
                        H5P_DEFAULT));
  std::vector<std::string> names;
  if (!group.valid() || H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, nullptr,
                                   collectMember, &names) < 0)
    return fail(what + ": cannot list group '" + path + "'");
  if (names.size() > 1000000)
    return fail(what + ": group '" + path + "' has too many members");
  std::sort(names.begin(), names.end());
  return names;
}

llvm::Expected<WeightArray> HDF5File::readFloats(StringRef path) {
  if (!isDataset(path))
    return fail(what + ": dataset '" + path + "' is missing");
  Handle dataset(H5Dopen2(file, path.str().c_str(), H5P_DEFAULT));
  if (!dataset.valid())
    return fail(what + ": cannot open dataset '" + path + "'");
  Handle type(H5Dget_type(dataset));
  H5T_class_t typeClass = type.valid() ? H5Tget_class(type) : H5T_NO_CLASS;
  if (typeClass != H5T_FLOAT && typeClass != H5T_INTEGER)
    return fail(what + ": dataset '" + path + "' is not numeric");
  Handle space(H5Dget_space(dataset));
  int rank = space.valid() ? H5Sget_simple_extent_ndims(space) : -1;
  if (rank < 0 || rank > 8)
    return fail(what + ": dataset '" + path + "' has an unsupported shape");
  hsize_t dims[8] = {};
  if (rank > 0 && H5Sget_simple_extent_dims(space, dims, nullptr) != rank)
    return fail(what + ": dataset '" + path + "' has an unsupported shape");
  WeightArray array;
  int64_t count = 1;
  for (int d = 0; d < rank; ++d) {
    if (dims[d] > (hsize_t)kMaxWeightElements ||
        __builtin_mul_overflow(count, (int64_t)dims[d], &count) ||
        count > kMaxWeightElements)
      return fail(what + ": dataset '" + path + "' is absurdly large");
    array.shape.push_back((int64_t)dims[d]);
  }
  // A dataset must be stored, not declared: HDF5 would make up a huge
  // dataset that was never written from its fill value, or inflate a
  // compressed one far beyond its file.
  int64_t elementBytes = (int64_t)H5Tget_size(type);
  int64_t declared = count * std::max<int64_t>(elementBytes, 1);
  if (declared > (1 << 20) &&
      (int64_t)H5Dget_storage_size(dataset) * 1100 < declared)
    return fail(what + ": dataset '" + path +
                "' declares far more data than the file stores");
  if (bytesRead + count * 4 > kMaxTotalWeightBytes)
    return fail(what + ": the weights exceed " +
                llvm::Twine(kMaxTotalWeightBytes >> 30) + " GiB");
  bytesRead += count * 4;
  array.data.resize(count);
  if (count > 0 && H5Dread(dataset, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL,
                           H5P_DEFAULT, array.data.data()) < 0)
    return fail(what + ": cannot read dataset '" + path +
                "' (truncated or damaged)");
  return array;
}

/// Opens attribute `name` of the object at `path`, or returns an invalid
/// handle when there is none.
static hid_t openAttr(hid_t file, StringRef path, StringRef name) {
  if (!linkExists(file, path))
    return H5I_INVALID_HID;
  std::string p = path.empty() ? "." : path.str();
  std::string n = name.str();
  if (H5Aexists_by_name(file, p.c_str(), n.c_str(), H5P_DEFAULT) <= 0)
    return H5I_INVALID_HID;
  return H5Aopen_by_name(file, p.c_str(), n.c_str(), H5P_DEFAULT,
                         H5P_DEFAULT);
}

/// Reads the strings of an attribute of string type (fixed or variable
/// length, one or many).
static llvm::Expected<std::vector<std::string>>
readStrings(hid_t attr, const std::string &what) {
  Handle type(H5Aget_type(attr));
  Handle space(H5Aget_space(attr));
  if (!type.valid() || !space.valid() || H5Tget_class(type) != H5T_STRING)
    return fail(what + " is not a string attribute");
  hssize_t count = H5Sget_simple_extent_npoints(space);
  if (count < 0 || count > 1000000)
    return fail(what + " has an absurd number of strings");
  std::vector<std::string> result;
  if (H5Tis_variable_str(type) > 0) {
    Handle memType(H5Tcopy(H5T_C_S1));
    H5Tset_size(memType, H5T_VARIABLE);
    H5Tset_cset(memType, H5Tget_cset(type));
    std::vector<char *> pointers(count, nullptr);
    if (count > 0 && H5Aread(attr, memType, pointers.data()) < 0)
      return fail("cannot read " + what);
    for (char *p : pointers) {
      result.push_back(p ? std::string(p) : std::string());
      if (p)
        H5free_memory(p);
    }
    return result;
  }
  size_t size = H5Tget_size(type);
  if (size == 0 || size > (size_t)kMaxConfigBytes ||
      (uint64_t)size * (uint64_t)count > (uint64_t)kMaxConfigBytes)
    return fail(what + " is absurdly large");
  Handle memType(H5Tcopy(type));
  std::vector<char> buffer(size * count + 1, 0);
  if (count > 0 && H5Aread(attr, memType, buffer.data()) < 0)
    return fail("cannot read " + what);
  for (hssize_t i = 0; i < count; ++i) {
    const char *p = buffer.data() + i * size;
    result.emplace_back(p, strnlen(p, size));
  }
  return result;
}

llvm::Expected<std::optional<std::string>>
HDF5File::stringAttr(StringRef path, StringRef name) const {
  Handle attr(openAttr(file, path, name));
  if (!attr.valid())
    return std::nullopt;
  auto strings = readStrings(attr, what + ": attribute '" + name.str() + "'");
  if (!strings)
    return strings.takeError();
  if (strings->size() != 1)
    return fail(what + ": attribute '" + name + "' is not one string");
  return std::optional<std::string>(std::move(strings->front()));
}

llvm::Expected<std::vector<std::string>>
HDF5File::stringArrayAttr(StringRef path, StringRef name) const {
  Handle attr(openAttr(file, path, name));
  if (!attr.valid())
    return std::vector<std::string>();
  return readStrings(attr, what + ": attribute '" + name.str() + "' of '" +
                               path.str() + "'");
}

//===----------------------------------------------------------------------===//
// The model file
//===----------------------------------------------------------------------===//

KerasFormat kiln::keras_frontend::detectKerasFormat(StringRef bytes) {
  if (bytes.starts_with("PK\x03\x04") || bytes.starts_with("PK\x05\x06"))
    return KerasFormat::Zip;
  static const char signature[] = "\x89HDF\r\n\x1a\n";
  // HDF5 allows a user block of 512 bytes or a larger power of two first.
  for (size_t offset : {0, 512, 1024, 2048, 4096})
    if (bytes.size() > offset &&
        bytes.substr(offset).starts_with(StringRef(signature, 8)))
      return KerasFormat::HDF5;
  return KerasFormat::None;
}

namespace {
struct ZipArchive {
  zip_t *archive = nullptr;
  ~ZipArchive() {
    if (archive)
      zip_discard(archive);
  }
};
} // namespace

/// Reads entry `index` of `archive` whole, refusing more than `limit` bytes.
static llvm::Expected<std::string> readEntry(zip_t *archive, zip_uint64_t index,
                                             StringRef name, int64_t limit) {
  zip_stat_t stat;
  zip_stat_init(&stat);
  if (zip_stat_index(archive, index, 0, &stat) != 0 ||
      !(stat.valid & ZIP_STAT_SIZE))
    return fail("cannot read the size of " + name + " in the zip");
  if (stat.size > (zip_uint64_t)limit)
    return fail(name + " in the zip is absurdly large (" +
                llvm::Twine(stat.size) + " bytes)");
  // Deflate expands at most about 1032 times: an entry that claims more
  // than its compressed bytes can hold is refused before memory is taken
  // for it.
  if ((stat.valid & ZIP_STAT_COMP_SIZE) &&
      stat.size > (zip_uint64_t)(1 << 20) &&
      stat.size / 1100 > stat.comp_size)
    return fail(name + " in the zip claims " + llvm::Twine(stat.size) +
                " bytes from " + llvm::Twine(stat.comp_size) +
                " compressed ones");
  zip_file_t *file = zip_fopen_index(archive, index, 0);
  if (!file)
    return fail("cannot open " + name + " in the zip: " +
                zip_strerror(archive));
  std::string data(stat.size, '\0');
  zip_int64_t got = stat.size ? zip_fread(file, data.data(), stat.size) : 0;
  char extra;
  zip_int64_t more = zip_fread(file, &extra, 1);
  bool ok = got == (zip_int64_t)stat.size && more == 0;
  std::string reason = ok ? "" : zip_file_strerror(file);
  zip_fclose(file);
  if (!ok)
    return fail(name + " in the zip is truncated or damaged" +
                (reason.empty() ? "" : ": " + reason));
  return data;
}

static llvm::Expected<KerasArchive> readZip(StringRef bytes) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t *source =
      zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  if (!source) {
    std::string message = zip_error_strerror(&error);
    zip_error_fini(&error);
    return fail("cannot read the zip: " + message);
  }
  ZipArchive zip;
  zip.archive = zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS,
                                     &error);
  if (!zip.archive) {
    std::string message = zip_error_strerror(&error);
    zip_source_free(source);
    zip_error_fini(&error);
    return fail("not a readable zip (truncated or damaged): " + message);
  }
  zip_error_fini(&error);
  zip_int64_t count = zip_get_num_entries(zip.archive, 0);
  if (count < 0 || count > 100000)
    return fail("the zip holds an absurd number of entries");

  std::optional<zip_uint64_t> configIndex, metadataIndex, weightsIndex;
  bool npzWeights = false;
  for (zip_int64_t i = 0; i < count; ++i) {
    const char *raw = zip_get_name(zip.archive, i, ZIP_FL_ENC_RAW);
    if (!raw)
      return fail("the zip has an entry without a name");
    StringRef name(raw);
    // No entry is ever extracted, but an archive that names files outside
    // itself was made to attack unzip tools: refuse it.
    if (name.starts_with("/") || name.starts_with("\\") ||
        name.contains(":") || name == ".." || name.starts_with("../") ||
        name.contains("/../") || name.ends_with("/..") ||
        name.contains("\\..") || name.contains("..\\"))
      return fail("the zip names a file outside the archive: '" + name + "'");
    if (name == "config.json")
      configIndex = i;
    else if (name == "metadata.json")
      metadataIndex = i;
    else if (name == "model.weights.h5")
      weightsIndex = i;
    else if (name == "model.weights.npz")
      npzWeights = true;
  }
  if (!configIndex)
    return fail("the zip holds no config.json: not a Keras 3 .keras file");
  KerasArchive result;
  auto config = readEntry(zip.archive, *configIndex, "config.json",
                          kMaxConfigBytes);
  if (!config)
    return config.takeError();
  result.config = std::move(*config);
  if (metadataIndex) {
    auto metadata = readEntry(zip.archive, *metadataIndex, "metadata.json",
                              1 << 20);
    if (!metadata)
      return metadata.takeError();
    result.kerasVersion = std::move(*metadata);
  }
  if (!weightsIndex) {
    if (npzWeights)
      return fail("the weights are stored as model.weights.npz, which holds "
                  "pickled Python objects; Kiln does not unpickle. Save the "
                  "model with the default HDF5 weights");
    return fail("the zip holds no model.weights.h5");
  }
  auto weights = readEntry(zip.archive, *weightsIndex, "model.weights.h5",
                           kMaxTotalWeightBytes);
  if (!weights)
    return weights.takeError();
  auto file = HDF5File::open(*weights, "model.weights.h5");
  if (!file)
    return file.takeError();
  result.weights = std::move(*file);
  return result;
}

static llvm::Expected<KerasArchive> readHDF5(StringRef bytes) {
  auto file = HDF5File::open(bytes, "the file");
  if (!file)
    return file.takeError();
  KerasArchive result;
  result.legacyHDF5 = true;
  auto config = (*file)->stringAttr("", "model_config");
  if (!config)
    return config.takeError();
  if (!*config)
    return fail("the HDF5 file has no 'model_config' attribute: it holds "
                "weights only (save_weights), not a model");
  result.config = std::move(**config);
  auto version = (*file)->stringAttr("", "keras_version");
  if (!version)
    return version.takeError();
  if (*version)
    result.kerasVersion = **version;
  if (!(*file)->isGroup("model_weights"))
    return fail("the HDF5 file has no 'model_weights' group: it was saved "
                "without weights");
  result.weights = std::move(*file);
  return result;
}

llvm::Expected<KerasArchive>
kiln::keras_frontend::readKerasArchive(StringRef bytes) {
  switch (detectKerasFormat(bytes)) {
  case KerasFormat::Zip:
    return readZip(bytes);
  case KerasFormat::HDF5:
    return readHDF5(bytes);
  case KerasFormat::None:
    break;
  }
  return fail("not a Keras model: neither a .keras zip nor an HDF5 file");
}

//===- Container.cpp - The files a Keras model is stored in ---------------===//

#include "Container.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <hdf5.h>
#include <zip.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace kiln::keras_frontend;
using llvm::StringRef;

static llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

//===----------------------------------------------------------------------===//
// HDF5, read in a child process
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

/// The records the child writes: a kind byte, a path, then the payload.
enum Record : char {
  GroupRecord = 'G',
  DatasetRecord = 'D',
  AttributeRecord = 'A',
  ErrorRecord = 'E',
  EndRecord = 'Z',
};

/// The child's side: buffered writes to the pipe.
class RecordWriter {
public:
  explicit RecordWriter(int fd) : fd(fd) {}
  ~RecordWriter() { flush(); }
  void bytes(const void *data, size_t size) {
    const char *p = static_cast<const char *>(data);
    buffer.append(p, size);
    if (buffer.size() >= (1 << 20))
      flush();
  }
  void u64(uint64_t v) { bytes(&v, sizeof v); }
  void str(llvm::StringRef s) {
    u64(s.size());
    bytes(s.data(), s.size());
  }
  void kind(Record r) { bytes(&r, 1); }
  void flush() {
    const char *p = buffer.data();
    size_t left = buffer.size();
    while (left > 0) {
      ssize_t n = ::write(fd, p, left);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        _exit(3);
      p += n;
      left -= n;
    }
    buffer.clear();
  }

private:
  int fd;
  std::string buffer;
};

/// Walks the file in the child, writing what Kiln reads.
class TreeReader {
public:
  TreeReader(hid_t file, RecordWriter &out) : file(file), out(out) {}

  /// Fails with a message (written as an error record by the caller).
  std::optional<std::string> walk(const std::string &path, int depth);

private:
  std::optional<std::string> readAttributes(hid_t object,
                                            const std::string &path);
  std::optional<std::string> readDataset(const std::string &path);

  hid_t file;
  RecordWriter &out;
  std::set<haddr_t> visited;
  int64_t objects = 0, bytes = 0;
};

struct LinkList {
  std::vector<std::string> names;
  bool tooMany = false;
  bool soft = false;
};

herr_t collectLink(hid_t, const char *name, const H5L_info_t *info,
                   void *data) {
  auto *links = static_cast<LinkList *>(data);
  if (info->type != H5L_TYPE_HARD) {
    // Soft and external links may name other objects or files.
    links->soft = true;
    return 0;
  }
  if (links->names.size() >= 100000) {
    links->tooMany = true;
    return 1;
  }
  links->names.push_back(name);
  return 0;
}
} // namespace

/// Reads the strings of an attribute of string type (fixed or variable
/// length, one or many).
static std::optional<std::string>
readStrings(hid_t attr, std::vector<std::string> &result) {
  Handle type(H5Aget_type(attr));
  Handle space(H5Aget_space(attr));
  if (!type.valid() || !space.valid())
    return std::string("cannot read an attribute");
  if (H5Tget_class(type) != H5T_STRING)
    return std::nullopt; // Not a string: Kiln reads none of those.
  hssize_t count = H5Sget_simple_extent_npoints(space);
  if (count < 0 || count > 1000000)
    return std::string("an attribute holds an absurd number of strings");
  if (H5Tis_variable_str(type) > 0) {
    Handle memType(H5Tcopy(H5T_C_S1));
    H5Tset_size(memType, H5T_VARIABLE);
    H5Tset_cset(memType, H5Tget_cset(type));
    std::vector<char *> pointers(count, nullptr);
    if (count > 0 && H5Aread(attr, memType, pointers.data()) < 0)
      return std::string("cannot read a string attribute");
    for (char *p : pointers) {
      std::string s =
          p ? std::string(p, strnlen(p, kMaxConfigBytes + 1)) : std::string();
      if (s.size() > (size_t)kMaxConfigBytes)
        return std::string("a string attribute is absurdly large");
      result.push_back(std::move(s));
    }
    H5Dvlen_reclaim(memType, space, H5P_DEFAULT, pointers.data());
    return std::nullopt;
  }
  size_t size = H5Tget_size(type);
  if (size == 0 || size > (size_t)kMaxConfigBytes ||
      (uint64_t)size * (uint64_t)count > (uint64_t)kMaxConfigBytes)
    return std::string("a string attribute is absurdly large");
  Handle memType(H5Tcopy(type));
  std::vector<char> buffer(size * count + 1, 0);
  if (count > 0 && H5Aread(attr, memType, buffer.data()) < 0)
    return std::string("cannot read a string attribute");
  for (hssize_t i = 0; i < count; ++i) {
    const char *p = buffer.data() + i * size;
    result.emplace_back(p, strnlen(p, size));
  }
  return std::nullopt;
}

std::optional<std::string> TreeReader::readAttributes(hid_t object,
                                                      const std::string &path) {
  H5O_info_t info;
  if (H5Oget_info2(object, &info, H5O_INFO_NUM_ATTRS) < 0)
    return std::string("cannot read the attributes of '" + path + "'");
  if (info.num_attrs > 10000)
    return std::string("'" + path + "' has an absurd number of attributes");
  for (hsize_t i = 0; i < info.num_attrs; ++i) {
    Handle attr(H5Aopen_by_idx(object, ".", H5_INDEX_NAME, H5_ITER_INC, i,
                               H5P_DEFAULT, H5P_DEFAULT));
    if (!attr.valid())
      return std::string("cannot open an attribute of '" + path + "'");
    char name[256] = {};
    if (H5Aget_name(attr, sizeof name, name) < 0)
      return std::string("cannot name an attribute of '" + path + "'");
    std::vector<std::string> strings;
    if (auto error = readStrings(attr, strings))
      return *error + " ('" + name + "' of '" + path + "')";
    if (++objects > 1000000)
      return std::string("the file has an absurd number of objects");
    out.kind(AttributeRecord);
    out.str(path);
    out.str(name);
    out.u64(strings.size());
    for (const std::string &s : strings)
      out.str(s);
  }
  return std::nullopt;
}

std::optional<std::string> TreeReader::readDataset(const std::string &path) {
  Handle dataset(H5Dopen2(file, path.c_str(), H5P_DEFAULT));
  if (!dataset.valid())
    return std::string("cannot open dataset '" + path + "'");
  Handle plist(H5Dget_create_plist(dataset));
  if (plist.valid() && H5Pget_external_count(plist) > 0)
    return std::string("dataset '" + path +
                       "' stores its data in another file");
  if (plist.valid() && H5Pget_layout(plist) == H5D_VIRTUAL)
    return std::string("dataset '" + path +
                       "' is virtual (it maps other files)");
  Handle type(H5Dget_type(dataset));
  H5T_class_t typeClass = type.valid() ? H5Tget_class(type) : H5T_NO_CLASS;
  if (typeClass != H5T_FLOAT && typeClass != H5T_INTEGER)
    return std::nullopt; // Kiln reads numeric datasets only.
  Handle space(H5Dget_space(dataset));
  int rank = space.valid() ? H5Sget_simple_extent_ndims(space) : -1;
  if (rank < 0 || rank > 8)
    return std::string("dataset '" + path + "' has an unsupported shape");
  hsize_t dims[8] = {};
  if (rank > 0 && H5Sget_simple_extent_dims(space, dims, nullptr) != rank)
    return std::string("dataset '" + path + "' has an unsupported shape");
  int64_t count = 1;
  for (int d = 0; d < rank; ++d)
    if (dims[d] > (hsize_t)kMaxWeightElements ||
        __builtin_mul_overflow(count, (int64_t)dims[d], &count) ||
        count > kMaxWeightElements)
      return std::string("dataset '" + path + "' is absurdly large");
  // A dataset must be stored, not declared: HDF5 would make up a huge
  // dataset that was never written from its fill value, or inflate a
  // compressed one far beyond its file.
  int64_t declared = count * std::max<int64_t>(H5Tget_size(type), 1);
  if (declared > (1 << 20) &&
      (int64_t)H5Dget_storage_size(dataset) * 1100 < declared)
    return std::string("dataset '" + path +
                       "' declares far more data than the file stores");
  if (bytes + count * 4 > kMaxTotalWeightBytes)
    return std::string("the weights exceed the limit of " +
                       std::to_string(kMaxTotalWeightBytes >> 30) + " GiB");
  bytes += count * 4;
  std::vector<float> data(count);
  if (count > 0 && H5Dread(dataset, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL,
                           H5P_DEFAULT, data.data()) < 0)
    return std::string("cannot read dataset '" + path +
                       "' (truncated or damaged)");
  out.kind(DatasetRecord);
  out.str(path);
  out.u64(rank);
  for (int d = 0; d < rank; ++d)
    out.u64(dims[d]);
  out.bytes(data.data(), data.size() * sizeof(float));
  return std::nullopt;
}

std::optional<std::string> TreeReader::walk(const std::string &path,
                                            int depth) {
  if (depth > 64)
    return std::string("groups are nested more than 64 deep");
  Handle group(H5Gopen2(file, path.empty() ? "/" : path.c_str(), H5P_DEFAULT));
  if (!group.valid())
    return std::string("cannot open group '" + path + "'");
  out.kind(GroupRecord);
  out.str(path);
  if (auto error = readAttributes(group, path))
    return error;
  LinkList links;
  if (H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, nullptr, collectLink,
                 &links) < 0)
    return std::string("cannot list group '" + path + "'");
  if (links.tooMany)
    return std::string("group '" + path + "' has too many members");
  for (const std::string &name : links.names) {
    // The optimizer's state is not part of the model.
    if (path.empty() && (name == "optimizer_weights" || name == "optimizer"))
      continue;
    std::string child = path.empty() ? name : path + "/" + name;
    H5O_info_t info;
    if (H5Oget_info_by_name2(group, name.c_str(), &info, H5O_INFO_BASIC,
                             H5P_DEFAULT) < 0)
      return std::string("cannot read '" + child + "'");
    // A hard link to an object seen before (a cycle or a shared object).
    if (!visited.insert(info.addr).second)
      continue;
    if (++objects > 1000000)
      return std::string("the file has an absurd number of objects");
    if (info.type == H5O_TYPE_GROUP) {
      if (auto error = walk(child, depth + 1))
        return error;
    } else if (info.type == H5O_TYPE_DATASET) {
      if (auto error = readDataset(child))
        return error;
    }
  }
  return std::nullopt;
}

/// Confines the child to what reading memory and writing the pipe needs:
/// memory management, read and write on open descriptors, signals and
/// exit. Any other system call (opening a file, executing a program,
/// making memory executable) fails with EPERM, so that a damaged file that
/// corrupts libhdf5's memory can do nothing but end the child.
static void confineChild() {
#if defined(__x86_64__) || defined(__aarch64__)
#if defined(__x86_64__)
  constexpr uint32_t arch = AUDIT_ARCH_X86_64;
#else
  constexpr uint32_t arch = AUDIT_ARCH_AARCH64;
#endif
  static const int allowed[] = {
      __NR_read,           __NR_write,       __NR_close,
      __NR_munmap,         __NR_brk,         __NR_mremap,
      __NR_madvise,        __NR_futex,       __NR_rt_sigreturn,
      __NR_rt_sigprocmask, __NR_exit,        __NR_exit_group,
      __NR_getpid,         __NR_gettid,      __NR_sched_yield,
      __NR_sigaltstack,    __NR_rt_sigaction};
  std::vector<sock_filter> filter;
  auto stmt = [&](uint16_t code, uint32_t k) {
    filter.push_back(BPF_STMT(code, k));
  };
  auto jump = [&](uint16_t code, uint32_t k, uint8_t jt, uint8_t jf) {
    filter.push_back(BPF_JUMP(code, k, jt, jf));
  };
  stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch));
  jump(BPF_JMP | BPF_JEQ | BPF_K, arch, 1, 0);
  stmt(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
  stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr));
  for (int nr : allowed) {
    jump(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr, 0, 1);
    stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  }
  // mmap and mprotect, but never of executable memory.
  for (int nr : {__NR_mmap, __NR_mprotect}) {
    jump(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr, 0, 4);
    stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, args[2]));
    jump(BPF_JMP | BPF_JSET | BPF_K, PROT_EXEC, 0, 1);
    stmt(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM);
    stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  }
  stmt(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM);
  sock_fprog program = {(unsigned short)filter.size(), filter.data()};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
      prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0)
    _exit(4);
#endif
}

/// The child: reads the image and writes the records; never returns.
[[noreturn]] static void readInChild(llvm::StringRef image, int fd) {
  // A crash ends the child quietly: the parent reports it. (kilnc's crash
  // handlers, inherited, would print a stack dump as if kilnc crashed.)
  for (int sig : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGSYS, SIGTRAP})
    signal(sig, SIG_DFL);
  confineChild();
  RecordWriter out(fd);
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  std::optional<std::string> error;
  {
    Handle fapl(H5Pcreate(H5P_FILE_ACCESS));
    if (!fapl.valid() || H5Pset_fapl_core(fapl, 1 << 16, 0) < 0 ||
        H5Pset_file_image(fapl, const_cast<char *>(image.data()),
                          image.size()) < 0) {
      error = "is not a readable HDF5 file";
    } else {
      Handle file(H5Fopen("kiln-keras-weights", H5F_ACC_RDONLY, fapl));
      if (!file.valid()) {
        error = "is not a readable HDF5 file (truncated or damaged)";
      } else {
        TreeReader reader(file, out);
        error = reader.walk("", 0);
      }
    }
  }
  if (error) {
    out.kind(ErrorRecord);
    out.str(*error);
  } else {
    out.kind(EndRecord);
  }
  out.flush();
  _exit(0);
}

namespace {
/// The parent's side: parses the records.
class RecordReader {
public:
  explicit RecordReader(llvm::StringRef data) : data(data) {}
  bool done() const { return data.empty(); }
  bool u64(uint64_t &v) {
    if (data.size() < sizeof v)
      return false;
    std::memcpy(&v, data.data(), sizeof v);
    data = data.drop_front(sizeof v);
    return true;
  }
  bool str(std::string &s) {
    uint64_t size;
    if (!u64(size) || size > data.size())
      return false;
    s = data.take_front(size).str();
    data = data.drop_front(size);
    return true;
  }
  bool kind(char &k) {
    if (data.empty())
      return false;
    k = data.front();
    data = data.drop_front();
    return true;
  }
  bool floats(std::vector<float> &out, uint64_t count) {
    if (count > data.size() / sizeof(float))
      return false;
    out.resize(count);
    std::memcpy(out.data(), data.data(), count * sizeof(float));
    data = data.drop_front(count * sizeof(float));
    return true;
  }

private:
  llvm::StringRef data;
};
} // namespace

llvm::Expected<std::unique_ptr<HDF5File>> HDF5File::open(StringRef image,
                                                         StringRef what) {
  if (image.empty())
    return fail(what + " is empty");
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0)
    return fail("cannot read " + what + ": " + strerror(errno));
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return fail("cannot read " + what + ": " + strerror(errno));
  }
  if (pid == 0) {
    close(fds[0]);
    readInChild(image, fds[1]);
  }
  close(fds[1]);
  // libhdf5 gets 20 s, and one more for every 50 MB of file.
  int64_t seconds = 20 + (int64_t)(image.size() / (50 << 20));
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  std::string data;
  bool timedOut = false;
  char chunk[1 << 16];
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) {
      timedOut = true;
      break;
    }
    pollfd p = {fds[0], POLLIN, 0};
    int ready = poll(&p, 1, (int)std::min<int64_t>(left, 1000));
    if (ready < 0 && errno == EINTR)
      continue;
    if (ready == 0)
      continue;
    ssize_t n = read(fds[0], chunk, sizeof chunk);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    data.append(chunk, n);
    if ((int64_t)data.size() > kMaxTotalWeightBytes + (int64_t(1) << 30)) {
      timedOut = false;
      break;
    }
  }
  close(fds[0]);
  if (timedOut)
    kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timedOut)
    return fail("reading " + what + " took more than " + llvm::Twine(seconds) +
                " s (a damaged HDF5 file?)");
  if (WIFSIGNALED(status))
    return fail("libhdf5 failed on " + what + " (signal " +
                llvm::Twine(WTERMSIG(status)) + "): a damaged HDF5 file?");

  auto file = std::unique_ptr<HDF5File>(new HDF5File());
  file->what = what.str();
  RecordReader in(data);
  // The child ends without its end record when libhdf5 crashed or the
  // sandbox stopped it.
  auto malformed = [&]() {
    return fail("libhdf5 failed on " + what + ": a damaged HDF5 file?");
  };
  while (true) {
    char kind;
    if (!in.kind(kind))
      return malformed();
    if (kind == EndRecord)
      break;
    std::string path;
    if (kind == ErrorRecord) {
      if (!in.str(path))
        return malformed();
      // "is not ..." is said of the file itself.
      return fail(what + (StringRef(path).starts_with("is ") ? " " : ": ") +
                  path);
    }
    if (!in.str(path))
      return malformed();
    if (kind == GroupRecord) {
      file->groups.insert(path);
    } else if (kind == AttributeRecord) {
      std::string name;
      uint64_t count;
      if (!in.str(name) || !in.u64(count))
        return malformed();
      std::vector<std::string> strings;
      for (uint64_t i = 0; i < count; ++i) {
        std::string s;
        if (!in.str(s))
          return malformed();
        strings.push_back(std::move(s));
      }
      file->attributes[path + '\0' + name] = std::move(strings);
    } else if (kind == DatasetRecord) {
      uint64_t rank;
      if (!in.u64(rank) || rank > 8)
        return malformed();
      WeightArray array;
      uint64_t count = 1;
      for (uint64_t d = 0; d < rank; ++d) {
        uint64_t dim;
        if (!in.u64(dim) || dim > (uint64_t)kMaxWeightElements)
          return malformed();
        array.shape.push_back((int64_t)dim);
        count *= dim;
        if (count > (uint64_t)kMaxWeightElements)
          return malformed();
      }
      if (!in.floats(array.data, count))
        return malformed();
      file->datasets[path] = std::move(array);
    } else {
      return malformed();
    }
  }
  return file;
}

bool HDF5File::isGroup(StringRef path) const {
  return groups.count(path.str());
}

bool HDF5File::isDataset(StringRef path) const {
  return datasets.count(path.str());
}

llvm::Expected<WeightArray> HDF5File::readFloats(StringRef path) const {
  auto it = datasets.find(path.str());
  if (it == datasets.end())
    return fail(what + ": dataset '" + path + "' is missing");
  return it->second;
}

llvm::Expected<std::optional<std::string>>
HDF5File::stringAttr(StringRef path, StringRef name) const {
  auto it = attributes.find(path.str() + '\0' + name.str());
  if (it == attributes.end())
    return std::nullopt;
  if (it->second.size() != 1)
    return fail(what + ": attribute '" + name + "' is not one string");
  return std::optional<std::string>(it->second.front());
}

llvm::Expected<std::vector<std::string>>
HDF5File::stringArrayAttr(StringRef path, StringRef name) const {
  auto it = attributes.find(path.str() + '\0' + name.str());
  if (it == attributes.end())
    return std::vector<std::string>();
  return it->second;
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
      stat.size > (zip_uint64_t)(1 << 20) && stat.size / 1100 > stat.comp_size)
    return fail(name + " in the zip claims " + llvm::Twine(stat.size) +
                " bytes from " + llvm::Twine(stat.comp_size) +
                " compressed ones");
  zip_file_t *file = zip_fopen_index(archive, index, 0);
  if (!file)
    return fail("cannot open " + name +
                " in the zip: " + zip_strerror(archive));
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
  zip.archive =
      zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS, &error);
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
    if (name.starts_with("/") || name.starts_with("\\") || name.contains(":") ||
        name == ".." || name.starts_with("../") || name.contains("/../") ||
        name.ends_with("/..") || name.contains("\\..") || name.contains("..\\"))
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
  auto config =
      readEntry(zip.archive, *configIndex, "config.json", kMaxConfigBytes);
  if (!config)
    return config.takeError();
  result.config = std::move(*config);
  if (metadataIndex) {
    auto metadata =
        readEntry(zip.archive, *metadataIndex, "metadata.json", 1 << 20);
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

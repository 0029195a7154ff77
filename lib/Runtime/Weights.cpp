//===- Weights.cpp - Mapping a model's external weights file --------------===//
//
// The file kilnc writes with --weights=external (see kiln/Runtime/ABI.h): a
// 64-byte header and the payload, mapped read-only; the model reads its
// constants at kiln_model_weights_base + offset.
//
//===----------------------------------------------------------------------===//

#include "kiln/Runtime/Weights.h"
#include "kiln/Runtime/ABI.h"
#include "kiln/Runtime/Runtime.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <fcntl.h>
#include <mutex>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace kiln;
using namespace kiln::runtime;

namespace {

constexpr uint64_t kHeaderBytes = abi::kWeightsHeaderBytes;

std::mutex mappingMutex;
int users = 0;
void *mapping = nullptr;
size_t mappingBytes = 0;

std::string folderOf(const std::string &path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

} // namespace

std::string Weights::libraryPath() {
  Dl_info info;
  if (dladdr((const void *)&kiln_model_weights_id, &info) && info.dli_fname &&
      *info.dli_fname) {
    char *resolved = realpath(info.dli_fname, nullptr);
    if (resolved) {
      std::string path = resolved;
      std::free(resolved);
      return path;
    }
  }
  return "/proc/self/exe";
}

bool Weights::acquire(const std::string &binaryPath, std::string &error) {
  if (kiln_model_weights_bytes == 0 || held)
    return true;
  std::lock_guard<std::mutex> lock(mappingMutex);
  if (users > 0) {
    ++users;
    held = true;
    return true;
  }
  std::string folder;
  if (const char *dir = std::getenv("KILN_WEIGHTS_DIR"); dir && *dir) {
    folder = dir;
  } else {
    char *resolved = realpath(binaryPath.c_str(), nullptr);
    folder = folderOf(resolved ? resolved : binaryPath);
    std::free(resolved);
  }
  std::string path = folder + "/" + kiln_model_weights_file;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = "cannot open the weights file " + path + ": " +
            std::strerror(errno) +
            " (it was written beside the model by kilnc --weights=external; "
            "KILN_WEIGHTS_DIR names another folder)";
    return false;
  }
  uint64_t expected = kHeaderBytes + kiln_model_weights_bytes;
  struct stat st;
  unsigned char header[kHeaderBytes];
  std::optional<abi::WeightsHeader> decoded;
  bool ok = false;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    error = path + ": not a regular file";
  } else if ((uint64_t)st.st_size != expected) {
    error = path + ": expected " + std::to_string(expected) +
            " bytes of weights, the file has " + std::to_string(st.st_size) +
            " (not the weights this model was compiled with)";
  } else if (::pread(fd, header, kHeaderBytes, 0) != (ssize_t)kHeaderBytes ||
             !(decoded = abi::decodeWeightsHeader(header))) {
    error = path + ": not a Kiln weights file";
  } else if (decoded->payloadBytes != kiln_model_weights_bytes ||
             decoded->hash != kiln_model_weights_id) {
    error = path + ": not the weights this model was compiled with";
  } else {
    void *map = ::mmap(nullptr, expected, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
      error = "cannot map " + path + ": " + std::strerror(errno);
    } else {
      mapping = map;
      mappingBytes = expected;
      kiln_model_weights_base = (char *)map + kHeaderBytes;
      ok = true;
    }
  }
  ::close(fd);
  if (!ok)
    return false;
  users = 1;
  held = true;
  return true;
}

Weights::~Weights() {
  if (!held)
    return;
  std::lock_guard<std::mutex> lock(mappingMutex);
  if (--users == 0) {
    ::munmap(mapping, mappingBytes);
    mapping = nullptr;
    kiln_model_weights_base = nullptr;
  }
}

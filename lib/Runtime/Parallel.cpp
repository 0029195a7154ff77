//===- Parallel.cpp - Parallel loops of compiled models on OpenMP ---------===//
//
// Compiled models call kiln_parallel_for for their large parallel loops;
// it splits the iterations in equal contiguous chunks over a GNU OpenMP
// team (the runtime Debian's oneDNN uses too) and runs each through the
// model's kiln_model_task on the buffers of the run in progress.
//
//===----------------------------------------------------------------------===//

#include "kiln/Runtime/Parallel.h"
#include "kiln/Runtime/Runtime.h"
#include "kiln/Runtime/Tensor.h"

#include <algorithm>
#include <omp.h>

namespace {
/// The run in progress on this thread.
struct Run {
  void **buffers = nullptr;
  void *backend = nullptr;
  void *scratchpad = nullptr;
};
thread_local Run current;

uint64_t alignUp(uint64_t bytes) { return (bytes + 63) / 64 * 64; }
} // namespace

// Defined by the runtime's oneDNN part, which only models compiled with
// the dnnl backend link.
extern "C" {
__attribute__((weak)) void *kiln_dnnl_create(char *error, size_t error_size,
                                             uint64_t *scratchpad_bytes);
__attribute__((weak)) void kiln_dnnl_destroy(void *state);
__attribute__((weak)) void kiln_dnnl_describe(const void *state, char *text,
                                              size_t size);
}

kiln::runtime::Backend::~Backend() {
  if (handle && kiln_dnnl_destroy)
    kiln_dnnl_destroy(handle);
}

bool kiln::runtime::Backend::init(std::string &error) {
  if (!kiln_dnnl_create)
    return true;
  char message[512] = "";
  handle = kiln_dnnl_create(message, sizeof(message), &scratchpad);
  if (!handle)
    error = message;
  return handle != nullptr;
}

std::string kiln::runtime::Backend::describe() const {
  if (!handle || !kiln_dnnl_describe)
    return "";
  char text[256] = "";
  kiln_dnnl_describe(handle, text, sizeof(text));
  return text;
}

/// Where the index checks' slots start in the arena.
static uint64_t checksOffset(const kiln::runtime::Backend &backend) {
  return alignUp(kiln_model_workspace_bytes) +
         alignUp(backend.scratchpadBytes());
}

uint64_t kiln::runtime::arenaBytes(const Backend &backend,
                                   const Signature &signature) {
  return checksOffset(backend) + 16 * signature.checks.size();
}

bool kiln::runtime::runModel(const std::vector<void *> &io,
                             const Signature &signature, const Backend &backend,
                             void *arena, std::string &error) {
  // kiln_model_run takes the inputs, the outputs, one [min, max] pair per
  // index check, then the workspace.
  std::vector<void *> buffers(io);
  int64_t *ranges = (int64_t *)((char *)arena + checksOffset(backend));
  for (size_t i = 0; i < signature.checks.size(); ++i)
    buffers.push_back(ranges + 2 * i);
  buffers.push_back(arena);
  Run saved = current;
  current.buffers = buffers.data();
  current.backend = backend.state();
  current.scratchpad = (char *)arena + alignUp(kiln_model_workspace_bytes);
  kiln_model_run(buffers.data());
  current = saved;
  for (size_t i = 0; i < signature.checks.size(); ++i) {
    const kiln::runtime::IndexCheck &check = signature.checks[i];
    int64_t low = ranges[2 * i], high = ranges[2 * i + 1];
    if (low >= check.low && high <= check.high)
      continue;
    int64_t bad = low < check.low ? low : high;
    error = check.what + ": index " + std::to_string(bad) +
            " is out of range for an axis of size " +
            std::to_string(check.high + 1) +
            " (valid: " + std::to_string(check.low) + " to " +
            std::to_string(check.high) + ")";
    return false;
  }
  return true;
}

void *kiln::runtime::currentBackendState() { return current.backend; }

void *kiln::runtime::currentScratchpad() { return current.scratchpad; }

void kiln::runtime::setThreads(int threads) { omp_set_num_threads(threads); }

int kiln::runtime::maxThreads() { return omp_get_max_threads(); }

extern "C" void kiln_parallel_for(int32_t id, int64_t iterations) {
  void **buffers = current.buffers;
  int64_t threads = std::min<int64_t>(omp_get_max_threads(), iterations);
  if (threads < 2 || omp_in_parallel()) {
    kiln_model_task(id, 0, iterations, buffers);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    int64_t t = omp_get_thread_num(), count = omp_get_num_threads();
    int64_t lo = iterations * t / count, hi = iterations * (t + 1) / count;
    if (lo < hi)
      kiln_model_task(id, lo, hi, buffers);
  }
}

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
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
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

struct kiln::runtime::ArenaPool::State {
  std::mutex mutex;
  std::vector<void *> free;
};

kiln::runtime::ArenaPool::ArenaPool(const Backend &backend,
                                    const Signature &signature)
    : size(alignUp(std::max<uint64_t>(arenaBytes(backend, signature), 1))),
      state(new State) {}

kiln::runtime::ArenaPool::~ArenaPool() {
  for (void *arena : state->free)
    std::free(arena);
  delete state;
}

void *kiln::runtime::ArenaPool::acquire() {
  {
    std::lock_guard<std::mutex> lock(state->mutex);
    if (!state->free.empty()) {
      void *arena = state->free.back();
      state->free.pop_back();
      return arena;
    }
  }
  return std::aligned_alloc(64, size);
}

void kiln::runtime::ArenaPool::release(void *arena) {
  if (!arena)
    return;
  std::lock_guard<std::mutex> lock(state->mutex);
  state->free.push_back(arena);
}

namespace {
/// Where one sample of a tensor lies in the buffer for all of them:
/// `outer` blocks of `bytes` bytes, `stride` bytes apart, the first at
/// `offset`.
struct SampleSlice {
  int64_t outer = 1, bytes = 0, stride = 0, offset = 0;
};

SampleSlice sliceOf(const kiln::runtime::TensorInfo &info, int64_t samples,
                    int64_t sample) {
  SampleSlice slice;
  int64_t inner = kiln::runtime::dtypeSize(info.dtype);
  for (size_t d = info.sampleAxis + 1; d < info.shape.size(); ++d)
    inner *= info.shape[d];
  slice.outer = info.sampleBlocks;
  for (int d = 0; d < info.sampleAxis; ++d)
    slice.outer *= info.shape[d];
  slice.bytes = info.shape[info.sampleAxis] / info.sampleBlocks * inner;
  slice.stride = slice.bytes * samples;
  slice.offset = slice.bytes * sample;
  return slice;
}
} // namespace

bool kiln::runtime::runSamples(const std::vector<void *> &io,
                               const Signature &signature,
                               const Backend &backend, int64_t samples,
                               ArenaPool &arenas, bool parallel,
                               std::string &error) {
  size_t numInputs = signature.inputs.size();
  auto tensorOf = [&](size_t i) -> const TensorInfo & {
    return i < numInputs ? signature.inputs[i]
                         : signature.outputs[i - numInputs];
  };
  if (signature.symbol.empty() || samples == 1) {
    void *arena = arenas.acquire();
    if (!arena) {
      error = "cannot allocate the model's workspace";
      return false;
    }
    bool ok = runModel(io, signature, backend, arena, error);
    arenas.release(arena);
    return ok;
  }
  if (samples == 0)
    return true;
  // Tensors whose samples are strided go through a staging buffer per run.
  uint64_t stagingBytes = 0;
  for (size_t i = 0; i < io.size(); ++i) {
    const TensorInfo &info = tensorOf(i);
    if (info.sampleAxis >= 0 && sliceOf(info, samples, 0).outer > 1)
      stagingBytes += alignUp(info.byteSize());
  }
  std::mutex errorMutex;
  std::atomic<bool> failed{false};
  auto runOne = [&](int64_t sample, void *arena, char *staging) {
    std::vector<void *> buffers(io.size());
    char *next = staging;
    for (size_t i = 0; i < io.size(); ++i) {
      const TensorInfo &info = tensorOf(i);
      if (info.sampleAxis < 0) {
        buffers[i] = io[i];
        continue;
      }
      SampleSlice slice = sliceOf(info, samples, sample);
      if (slice.outer == 1) {
        buffers[i] = (char *)io[i] + slice.offset;
        continue;
      }
      buffers[i] = next;
      if (i < numInputs)
        for (int64_t o = 0; o < slice.outer; ++o)
          std::memcpy(next + o * slice.bytes,
                      (const char *)io[i] + o * slice.stride + slice.offset,
                      slice.bytes);
      next += alignUp(info.byteSize());
    }
    std::string message;
    if (!runModel(buffers, signature, backend, arena, message)) {
      std::lock_guard<std::mutex> lock(errorMutex);
      if (!failed)
        error = "sample " + std::to_string(sample) + ": " + message;
      failed = true;
      return;
    }
    for (size_t i = numInputs; i < io.size(); ++i) {
      const TensorInfo &info = tensorOf(i);
      if (info.sampleAxis < 0)
        continue;
      SampleSlice slice = sliceOf(info, samples, sample);
      if (slice.outer == 1)
        continue;
      for (int64_t o = 0; o < slice.outer; ++o)
        std::memcpy((char *)io[i] + o * slice.stride + slice.offset,
                    (const char *)buffers[i] + o * slice.bytes, slice.bytes);
    }
  };
  auto runRange = [&](int64_t lo, int64_t hi) {
    void *arena = arenas.acquire();
    char *staging =
        stagingBytes ? (char *)std::aligned_alloc(64, stagingBytes) : nullptr;
    if (!arena || (stagingBytes && !staging)) {
      std::lock_guard<std::mutex> lock(errorMutex);
      if (!failed)
        error = "cannot allocate the model's workspace";
      failed = true;
    } else {
      for (int64_t s = lo; s < hi && !failed; ++s)
        runOne(s, arena, staging);
    }
    arenas.release(arena);
    std::free(staging);
  };
  int64_t threads = std::min<int64_t>(omp_get_max_threads(), samples);
  if (!parallel || threads < 2 || omp_in_parallel()) {
    runRange(0, samples);
  } else {
#pragma omp parallel num_threads(threads)
    {
      int64_t t = omp_get_thread_num(), count = omp_get_num_threads();
      int64_t lo = samples * t / count, hi = samples * (t + 1) / count;
      if (lo < hi)
        runRange(lo, hi);
    }
  }
  return !failed;
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

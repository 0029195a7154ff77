//===- Parallel.cpp - Parallel loops of compiled models on OpenMP ---------===//
//
// Compiled models call kiln_parallel_for for their large parallel loops;
// it splits the iterations in contiguous chunks that the threads of a GNU
// OpenMP team (the runtime Debian's oneDNN uses too) take in turn, and runs
// each through the model's kiln_model_task on the buffers of the run in
// progress.
//
//===----------------------------------------------------------------------===//

#include "kiln/Runtime/Parallel.h"
#include "kiln/Runtime/Runtime.h"
#include "kiln/Runtime/Tensor.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <mutex>
#include <omp.h>
#include <sys/mman.h>

namespace {
using TaskFn = void (*)(int32_t, int64_t, int64_t, void **);
using RunFn = void (*)(void **);

/// The run in progress on this thread.
struct Run {
  void **buffers = nullptr;
  void *backend = nullptr;
  void *scratchpad = nullptr;
  TaskFn task = nullptr;
  /// Whether its parallel loops run on this thread alone (a graph without
  /// oneDNN ops on one thread, whose thread count stays as it is).
  bool alone = false;
};
thread_local Run current;

using kiln::runtime::alignUp;

/// The slot for the hash of `parts` in `table`, a table of choices kept
/// by open addressing (a slot's atomic `key` is 0 while it is free): the
/// slot found or claimed, or null when `probes` slots from its place are
/// all taken by others.
template <typename Slot, size_t N>
Slot *choiceSlot(Slot (&table)[N], std::initializer_list<uint64_t> parts,
                 size_t probes) {
  uint64_t key = 0x9E3779B97F4A7C15ull;
  for (uint64_t part : parts)
    key = (key ^ part) * 0xBF58476D1CE4E5B9ull;
  key |= 1; // 0 marks a free slot
  for (size_t probe = 0; probe < probes; ++probe) {
    Slot &slot = table[(key + probe) % N];
    uint64_t seen = slot.key.load(std::memory_order_acquire);
    if (seen == 0 &&
        slot.key.compare_exchange_strong(seen, key, std::memory_order_acq_rel))
      return &slot;
    if (seen == key) // found, or just claimed by another thread
      return &slot;
  }
  return nullptr;
}
} // namespace

// Defined by the runtime's oneDNN part, which only models compiled with
// the dnnl backend link.
extern "C" {
__attribute__((weak)) void *kiln_dnnl_create(char *error, size_t error_size,
                                             uint64_t *scratchpad_bytes);
__attribute__((weak)) void *
kiln_dnnl_create_program(const int64_t *program,
                         void (*constantsOf)(uintptr_t *),
                         const void *sharesWith, char *error, size_t error_size,
                         uint64_t *scratchpad_bytes);
// The model for blocks of samples, in binaries that have one (see
// kilnc --block-samples): kiln_model_*'s twins.
__attribute__((weak)) extern const char kiln_block_signature[];
__attribute__((weak)) extern const uint64_t kiln_block_workspace_bytes;
__attribute__((weak)) extern const int64_t kiln_block_dnnl_program[];
__attribute__((weak)) void kiln_block_dnnl_constants(uintptr_t *pointers);
__attribute__((weak)) void kiln_block_run(void **buffers);
__attribute__((weak)) void kiln_block_task(int32_t id, int64_t lo, int64_t hi,
                                           void **buffers);
// The buckets of a padded sequence (kiln/Runtime/Runtime.h).
struct KilnSequenceBucket {
  int64_t extent;
  kiln::runtime::GraphSymbols graph, block;
};
__attribute__((weak)) extern const KilnSequenceBucket kiln_sequence_buckets[];
__attribute__((weak)) extern const int64_t kiln_sequence_bucket_count;
__attribute__((weak)) void kiln_dnnl_destroy(void *state);
__attribute__((weak)) void kiln_dnnl_run_begin(void *state);
__attribute__((weak)) void kiln_dnnl_run_end(void *state, int64_t ns);
__attribute__((weak)) bool kiln_dnnl_settled(const void *state);
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

std::string kiln::runtime::CompiledGraph::describe() const {
  if (!dnnl || !kiln_dnnl_describe)
    return "";
  char text[512] = "";
  kiln_dnnl_describe(dnnl, text, sizeof(text));
  return text;
}

std::string kiln::runtime::BlockProgram::describe() const {
  return graph.describe();
}

std::string kiln::runtime::Backend::describe() const {
  if (!handle || !kiln_dnnl_describe)
    return "";
  char text[512] = "";
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

/// The size of a transparent huge page on x86-64 and AArch64 (4 KiB base
/// pages).
static constexpr uint64_t kHugePage = uint64_t(2) << 20;

struct kiln::runtime::ArenaPool::State {
  std::mutex mutex;
  std::vector<void *> free;
};

kiln::runtime::ArenaPool::ArenaPool(const Backend &backend,
                                    const Signature &signature)
    : ArenaPool(arenaBytes(backend, signature), kiln_model_workspace_bytes) {}

kiln::runtime::ArenaPool::ArenaPool(uint64_t bytes, uint64_t workspace)
    : size(alignUp(std::max<uint64_t>(bytes, 1))),
      hugeBytes(std::min(workspace, size) / kHugePage * kHugePage),
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
  if (!hugeBytes)
    return std::aligned_alloc(64, size);
  // The workspace's whole huge pages go on transparent huge pages where
  // the system offers them on request (`madvise` mode): the ops that read
  // activations by strided rows (attention heads, a product's source)
  // then miss the TLB once per 2 MiB instead of once per 4 KiB. oneDNN's
  // scratchpad after it, of which a run may touch little, stays on small
  // pages.
  void *arena = nullptr;
  if (posix_memalign(&arena, kHugePage, size) != 0)
    return nullptr;
  (void)madvise(arena, hugeBytes, MADV_HUGEPAGE);
  return arena;
}

void kiln::runtime::ArenaPool::release(void *arena) {
  if (!arena)
    return;
  std::lock_guard<std::mutex> lock(state->mutex);
  state->free.push_back(arena);
}

namespace {
/// Where samples [first, first + count) of a tensor lie in the buffer for
/// all of them: `outer` blocks of `bytes` bytes, `stride` bytes apart, the
/// first at `offset`.
struct SampleSlice {
  int64_t outer = 1, bytes = 0, stride = 0, offset = 0;
};

SampleSlice sliceOf(const kiln::runtime::TensorInfo &info, int64_t samples,
                    int64_t first, int64_t count) {
  SampleSlice slice;
  int64_t inner = kiln::runtime::dtypeSize(info.dtype);
  for (size_t d = info.sampleAxis + 1; d < info.shape.size(); ++d)
    inner *= info.shape[d];
  slice.outer = info.sampleBlocks;
  for (int d = 0; d < info.sampleAxis; ++d)
    slice.outer *= info.shape[d];
  int64_t each = info.shape[info.sampleAxis] / info.sampleBlocks * inner;
  slice.bytes = each * count;
  slice.stride = each * samples;
  slice.offset = each * first;
  return slice;
}
} // namespace

bool kiln::runtime::runSamples(const std::vector<void *> &io,
                               const Signature &signature,
                               const Backend &backend, int64_t samples,
                               ArenaPool &arenas, bool parallel,
                               std::string &error, const BlockProgram *block,
                               const SequenceBucket *bucket) {
  // One sample through the model, or through the bucket it is padded for.
  auto runOne = [&](const std::vector<void *> &buffers, void *arena,
                    std::string &message) {
    return bucket ? bucket->graph().run(buffers, arena, message)
                  : runModel(buffers, signature, backend, arena, message);
  };
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
    bool ok = runOne(io, arena, error);
    arenas.release(arena);
    return ok;
  }
  if (samples == 0)
    return true;
  // Tensors whose samples are strided go through staging buffers: the
  // bytes they take for `count` samples.
  auto stagingBytes = [&](int64_t count) {
    uint64_t bytes = 0;
    for (size_t i = 0; i < io.size(); ++i) {
      const TensorInfo &info = tensorOf(i);
      if (info.sampleAxis >= 0 && sliceOf(info, samples, 0, 1).outer > 1)
        bytes += alignUp(info.byteSize() * count);
    }
    return bytes;
  };
  // The buffers of samples [first, first + count): slices of io, or
  // staging buffers filled from the inputs.
  auto gather = [&](int64_t first, int64_t count, char *staging) {
    std::vector<void *> buffers(io.size());
    for (size_t i = 0; i < io.size(); ++i) {
      const TensorInfo &info = tensorOf(i);
      if (info.sampleAxis < 0) {
        buffers[i] = io[i];
        continue;
      }
      SampleSlice slice = sliceOf(info, samples, first, count);
      if (slice.outer == 1) {
        buffers[i] = (char *)io[i] + slice.offset;
        continue;
      }
      buffers[i] = staging;
      if (i < numInputs)
        for (int64_t o = 0; o < slice.outer; ++o)
          std::memcpy(staging + o * slice.bytes,
                      (const char *)io[i] + o * slice.stride + slice.offset,
                      slice.bytes);
      staging += alignUp(info.byteSize() * count);
    }
    return buffers;
  };
  // Copies the staged outputs of samples [first, first + count) back.
  auto scatter = [&](int64_t first, int64_t count,
                     const std::vector<void *> &buffers) {
    for (size_t i = numInputs; i < io.size(); ++i) {
      const TensorInfo &info = tensorOf(i);
      if (info.sampleAxis < 0)
        continue;
      SampleSlice slice = sliceOf(info, samples, first, count);
      if (slice.outer == 1)
        continue;
      for (int64_t o = 0; o < slice.outer; ++o)
        std::memcpy((char *)io[i] + o * slice.stride + slice.offset,
                    (const char *)buffers[i] + o * slice.bytes, slice.bytes);
    }
  };
  std::mutex errorMutex;
  std::atomic<bool> failed{false};
  auto fail = [&](const std::string &message) {
    std::lock_guard<std::mutex> lock(errorMutex);
    if (!failed)
      error = message;
    failed = true;
  };
  // Samples [first, first + count) through one block, padded with zero
  // samples: every tensor that holds samples is staged.
  auto runPadded = [&](int64_t first, int64_t count) {
    int64_t padded = block->samples();
    uint64_t bytes = 0;
    for (size_t i = 0; i < io.size(); ++i)
      if (tensorOf(i).sampleAxis >= 0)
        bytes += alignUp(tensorOf(i).byteSize() * padded);
    char *staging =
        (char *)std::aligned_alloc(64, std::max<uint64_t>(bytes, 64));
    if (!staging) {
      error = "cannot allocate the model's staging buffers";
      return false;
    }
    std::vector<void *> buffers(io.size());
    char *next = staging;
    for (size_t i = 0; i < io.size(); ++i) {
      const TensorInfo &info = tensorOf(i);
      if (info.sampleAxis < 0) {
        buffers[i] = io[i];
        continue;
      }
      buffers[i] = next;
      uint64_t size = alignUp(info.byteSize() * padded);
      if (i < numInputs) {
        std::memset(next, 0, size);
        SampleSlice from = sliceOf(info, samples, first, count);
        SampleSlice to = sliceOf(info, padded, 0, count);
        for (int64_t o = 0; o < from.outer; ++o)
          std::memcpy(next + o * to.stride,
                      (const char *)io[i] + o * from.stride + from.offset,
                      from.bytes);
      }
      next += size;
    }
    std::string message;
    auto start = std::chrono::steady_clock::now();
    bool ok = block->run(buffers, message);
    block->blockNs = std::chrono::duration_cast<std::chrono::nanoseconds>(
                         std::chrono::steady_clock::now() - start)
                         .count();
    ++block->blockRuns;
    if (!ok)
      error = "samples " + std::to_string(first) + " to " +
              std::to_string(first + count - 1) + ": " + message;
    for (size_t i = numInputs; ok && i < io.size(); ++i) {
      const TensorInfo &info = tensorOf(i);
      if (info.sampleAxis < 0)
        continue;
      SampleSlice to = sliceOf(info, samples, first, count);
      SampleSlice from = sliceOf(info, padded, 0, count);
      for (int64_t o = 0; o < to.outer; ++o)
        std::memcpy((char *)io[i] + o * to.stride + to.offset,
                    (const char *)buffers[i] + o * from.stride, to.bytes);
    }
    std::free(staging);
    return ok;
  };
  // Whole blocks first, one after the other, each on all the threads.
  int64_t blockSamples = block ? block->samples() : 0;
  int64_t done = 0;
  if (blockSamples > 1 && samples >= blockSamples) {
    uint64_t bytes = stagingBytes(blockSamples);
    char *staging = bytes ? (char *)std::aligned_alloc(64, bytes) : nullptr;
    if (bytes && !staging) {
      error = "cannot allocate the model's staging buffers";
      return false;
    }
    for (; done + blockSamples <= samples; done += blockSamples) {
      std::vector<void *> buffers = gather(done, blockSamples, staging);
      std::string message;
      auto start = std::chrono::steady_clock::now();
      if (!block->run(buffers, message)) {
        std::free(staging);
        error = "samples " + std::to_string(done) + " to " +
                std::to_string(done + blockSamples - 1) + ": " + message;
        return false;
      }
      block->blockNs = std::chrono::duration_cast<std::chrono::nanoseconds>(
                           std::chrono::steady_clock::now() - start)
                           .count();
      ++block->blockRuns;
      scatter(done, blockSamples, buffers);
    }
    std::free(staging);
  }
  // The rest may go through one block too, padded with zero samples, when
  // that is faster than running them one by one: by the times of the
  // last block and sample runs, once each way has been timed twice (the
  // first runs of a graph also make its choices). Until then the way timed
  // fewer times, the block first when the rest fills half of it (a model
  // whose samples run faster one by one, 8 of MobileNet-V2 in a block of
  // 16, would otherwise stay padded: 57 ms against 24).
  int64_t rest = samples - done;
  if (blockSamples > 1 && rest > 1) {
    int64_t blockTime = block->blockNs, sampleTime = block->sampleNs;
    int64_t blockRuns = block->blockRuns, sampleRuns = block->sampleRuns;
    int64_t lanes =
        parallel ? std::min<int64_t>(omp_get_max_threads(), rest) : 1;
    bool pad;
    if (blockRuns >= 2 && sampleRuns >= 2) {
      pad = blockTime < sampleTime * ((rest + lanes - 1) / lanes);
    } else {
      pad = blockRuns < sampleRuns ||
            (blockRuns == sampleRuns && 2 * rest >= blockSamples);
      noteTrial();
    }
    if (pad && !runPadded(done, rest))
      return false;
    if (pad)
      done = samples;
  }
  // Then the rest, one sample at a time, spread over the threads.
  auto runRange = [&](int64_t lo, int64_t hi) {
    void *arena = arenas.acquire();
    uint64_t bytes = stagingBytes(1);
    char *staging = bytes ? (char *)std::aligned_alloc(64, bytes) : nullptr;
    if (!arena || (bytes && !staging)) {
      fail("cannot allocate the model's workspace");
    } else {
      for (int64_t s = lo; s < hi && !failed; ++s) {
        std::vector<void *> buffers = gather(s, 1, staging);
        std::string message;
        if (!runOne(buffers, arena, message)) {
          fail("sample " + std::to_string(s) + ": " + message);
          break;
        }
        scatter(s, 1, buffers);
      }
    }
    arenas.release(arena);
    std::free(staging);
  };
  int64_t left = samples - done;
  int64_t threads = std::min<int64_t>(omp_get_max_threads(), left);
  if (left > 1 &&
      ((parallel && threads > 1 && !omp_in_parallel()) || blockSamples > 1)) {
    // Samples too small to pay for a parallel region (a few microseconds)
    // run on this thread: the first one, timed, says; its time is also
    // the one padding into a block is weighed against.
    auto start = std::chrono::steady_clock::now();
    runRange(done, done + 1);
    ++done;
    --left;
    auto elapsed = std::chrono::steady_clock::now() - start;
    double us = std::chrono::duration<double, std::micro>(elapsed).count();
    if (block) {
      block->sampleNs =
          std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count();
      ++block->sampleRuns;
    }
    if (us * left < 50)
      parallel = false;
    threads = std::min<int64_t>(threads, left);
  }
  if (left == 0 || failed) {
    // nothing left
  } else if (!parallel || threads < 2 || omp_in_parallel()) {
    runRange(done, samples);
  } else {
#pragma omp parallel num_threads(threads)
    {
      int64_t t = omp_get_thread_num(), count = omp_get_num_threads();
      int64_t lo = done + left * t / count, hi = done + left * (t + 1) / count;
      if (lo < hi)
        runRange(lo, hi);
    }
  }
  return !failed;
}

namespace {
/// One compiled graph: the model, or its block.
struct Program {
  RunFn run;
  TaskFn task;
  uint64_t workspaceBytes;
  const std::vector<kiln::runtime::IndexCheck> &checks;
  void *backend;
  uint64_t scratchpadBytes;
};

/// Whether whole runs of a compiled graph are faster on the calling
/// thread alone than on the team. Each parallel loop and oneDNN op already
/// chooses by its own time, but a small model's ops, each a little faster
/// on the team, may still add up to a slower run: the team's threads wake
/// and wait at every op, and an op's output is split between the cores'
/// caches. Once those choices are made (the oneDNN part settled, and
/// kSkipRuns runs for the loops' trials), runs alternate between the team
/// and one thread in blocks of kBlock (the first of each untimed: it
/// finds the data where the other kind of run left it, in the other
/// cores' caches or in one), and the graph runs on the team from then on
/// only if the median of kRuns runs of each is lower there by kTeamMargin:
/// at about equal speed one thread leaves the other cores free, and its
/// runs do not slow down when another process takes one of the team's
/// cores.
struct RunChoice {
  static constexpr int32_t kSkipRuns = 6, kBlock = 5, kRuns = 20;
  static constexpr double kTeamMargin = 0.95;
  /// A graph whose quickest of the first kSkipRuns runs (on the team)
  /// took this long spends its time in ops large enough to have made
  /// their own choices: it stays on the team untimed (a model of 1 s runs
  /// would otherwise spend a minute choosing).
  static constexpr int64_t kLongRunNs = 10000000;
  std::atomic<uint64_t> key{0};
  /// 0 while measuring, 1: on one thread, 2: on the team, 3: on the team
  /// without timing (long runs).
  std::atomic<int32_t> decided{0};
  std::mutex mutex;
  int32_t runs = 0, teamCount = 0, oneCount = 0;
  int64_t quickestSkipped = INT64_MAX;
  int64_t teamNs[kRuns], oneNs[kRuns];
};

/// The choices, by (graph, backend state, threads), in open addressing.
constexpr size_t kRunChoices = 256;
RunChoice runChoices[kRunChoices];

/// The choice of a graph, or null when the table has no room for it.
RunChoice *runChoice(const Program &program, int64_t threads) {
  return choiceSlot(runChoices,
                    {(uint64_t)(uintptr_t)program.run,
                     (uint64_t)(uintptr_t)program.backend, (uint64_t)threads},
                    16);
}

/// How a run goes: on one thread or the team, and whether it is timed.
struct RunPlan {
  RunChoice *choice = nullptr;
  int32_t run = 0;
  bool oneThread = false, timed = false;
  /// The thread count in force, when the graph has a choice.
  int threads = 0;
};

RunPlan planRun(const Program &program) {
  RunPlan plan;
  int64_t threads = omp_get_max_threads();
  if (threads < 2 || omp_in_parallel() || !kiln::runtime::chooseRunThreads())
    return plan;
  // The graph this thread ran last and its choice: the table's hash of
  // the key takes about what a run of the smallest models takes. A slot
  // keeps its key once claimed, so the pointer stays the key's.
  struct Last {
    RunFn run = nullptr;
    void *backend = nullptr;
    int64_t threads = 0;
    RunChoice *choice = nullptr;
  };
  static thread_local Last last;
  RunChoice *choice = last.choice;
  if (!choice || last.run != program.run || last.backend != program.backend ||
      last.threads != threads) {
    choice = runChoice(program, threads);
    if (!choice)
      return plan;
    last = {program.run, program.backend, threads, choice};
  }
  plan.threads = (int)threads;
  int32_t decided = choice->decided.load(std::memory_order_acquire);
  if (decided != 0) {
    plan.oneThread = decided == 1;
    return plan;
  }
  // The oneDNN part's own choice first: its runs would blur this one.
  if (program.backend && kiln_dnnl_settled &&
      !kiln_dnnl_settled(program.backend))
    return plan;
  int32_t run;
  {
    std::lock_guard<std::mutex> lock(choice->mutex);
    run = choice->runs++;
  }
  kiln::runtime::noteTrial();
  plan.choice = choice;
  plan.run = run;
  if (run >= RunChoice::kSkipRuns) {
    run -= RunChoice::kSkipRuns;
    plan.oneThread = run / RunChoice::kBlock % 2 == 1;
    plan.timed = run % RunChoice::kBlock != 0;
  }
  return plan;
}

/// Records a run of `plan` while choosing; the last timed one decides.
void endRun(const RunPlan &plan, int64_t ns) {
  if (!plan.choice)
    return;
  RunChoice &choice = *plan.choice;
  std::lock_guard<std::mutex> lock(choice.mutex);
  if (choice.decided.load(std::memory_order_relaxed) != 0)
    return;
  if (plan.run < RunChoice::kSkipRuns) {
    choice.quickestSkipped = std::min(choice.quickestSkipped, ns);
    if (plan.run == RunChoice::kSkipRuns - 1 &&
        choice.quickestSkipped >= RunChoice::kLongRunNs)
      choice.decided.store(3, std::memory_order_release);
    return;
  }
  if (!plan.timed)
    return;
  int32_t &count = plan.oneThread ? choice.oneCount : choice.teamCount;
  int64_t *times = plan.oneThread ? choice.oneNs : choice.teamNs;
  if (count < RunChoice::kRuns)
    times[count++] = ns;
  if (choice.oneCount < RunChoice::kRuns || choice.teamCount < RunChoice::kRuns)
    return;
  auto median = [](int64_t *v) {
    std::nth_element(v, v + RunChoice::kRuns / 2, v + RunChoice::kRuns);
    return v[RunChoice::kRuns / 2];
  };
  int64_t team = median(choice.teamNs), one = median(choice.oneNs);
  choice.decided.store(team < one * RunChoice::kTeamMargin ? 2 : 1,
                       std::memory_order_release);
}

} // namespace

std::string kiln::runtime::describeRunThreads() {
  int64_t one = 0, team = 0, untimed = 0;
  for (const RunChoice &choice : runChoices) {
    if (choice.key.load(std::memory_order_acquire) == 0)
      continue;
    int32_t decided = choice.decided.load(std::memory_order_acquire);
    one += decided == 1;
    team += decided == 2;
    untimed += decided == 3;
  }
  if (one + team == 0)
    return untimed ? "threads: runs of 10 ms or more stay on the team, untimed"
                   : "";
  return "threads: whole runs timed on one thread and on the team: " +
         std::string(one && team ? "some graphs run on one thread"
                     : one       ? "on one thread"
                                 : "on the team, faster");
}

namespace {
bool runProgram(const Program &program, const std::vector<void *> &io,
                void *arena, std::string &error) {
  // The graph takes the inputs, the outputs, one [min, max] pair per index
  // check, then the workspace: on the stack for up to 32 (no allocation
  // per run).
  size_t count = io.size() + program.checks.size() + 1;
  void *onStack[32];
  std::vector<void *> onHeap(count > 32 ? count : 0);
  void **buffers = count > 32 ? onHeap.data() : onStack;
  std::copy(io.begin(), io.end(), buffers);
  int64_t *ranges =
      (int64_t *)((char *)arena + alignUp(program.workspaceBytes) +
                  alignUp(program.scratchpadBytes));
  for (size_t i = 0; i < program.checks.size(); ++i)
    buffers[io.size() + i] = ranges + 2 * i;
  buffers[count - 1] = arena;
  Run saved = current;
  current.buffers = buffers;
  current.backend = program.backend;
  current.scratchpad = (char *)arena + alignUp(program.workspaceBytes);
  current.task = program.task;
  // The oneDNN part times whole runs while it chooses its ops' variants.
  bool dnnl = program.backend && kiln_dnnl_run_begin;
  RunPlan plan = planRun(program);
  // The clock is read only while a choice is being made: two reads take
  // tens of nanoseconds, a good part of a run of the smallest models.
  bool timed =
      plan.choice ||
      (dnnl && (!kiln_dnnl_settled || !kiln_dnnl_settled(program.backend)));
  int64_t ns = 0;
  // A graph without oneDNN ops reads the thread count only in
  // kiln_parallel_for: a run on one thread tells it so rather than set the
  // count and set it back (calls into the OpenMP runtime that take a few
  // nanoseconds of a run of the smallest models).
  bool alone = plan.oneThread && !program.backend;
  current.alone = alone;
  {
    kiln::runtime::ThreadsScope one(plan.oneThread && !alone ? 1 : 0,
                                    plan.threads);
    if (dnnl)
      kiln_dnnl_run_begin(program.backend);
    std::chrono::steady_clock::time_point start;
    if (timed)
      start = std::chrono::steady_clock::now();
    program.run(buffers);
    if (timed)
      ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now() - start)
               .count();
    if (dnnl)
      kiln_dnnl_run_end(program.backend, ns);
  }
  endRun(plan, ns);
  current = saved;
  for (size_t i = 0; i < program.checks.size(); ++i) {
    const kiln::runtime::IndexCheck &check = program.checks[i];
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
} // namespace

bool kiln::runtime::runModel(const std::vector<void *> &io,
                             const Signature &signature, const Backend &backend,
                             void *arena, std::string &error) {
  Program program{kiln_model_run,   kiln_model_task, kiln_model_workspace_bytes,
                  signature.checks, backend.state(), backend.scratchpadBytes()};
  return runProgram(program, io, arena, error);
}

kiln::runtime::CompiledGraph::~CompiledGraph() {
  delete pool;
  if (dnnl && kiln_dnnl_destroy)
    kiln_dnnl_destroy(dnnl);
}

bool kiln::runtime::CompiledGraph::init(const GraphSymbols &symbols,
                                        std::vector<IndexCheck> checks,
                                        const Backend &model,
                                        const std::string &what,
                                        std::string &error) {
  graph = symbols;
  checkList = std::move(checks);
  if (graph.dnnlProgram) {
    if (!kiln_dnnl_create_program) {
      error = what + " needs oneDNN";
      return false;
    }
    char message[512] = "";
    // Weights the model for one sample reordered to the same layout are
    // shared, not reordered again.
    dnnl = kiln_dnnl_create_program(graph.dnnlProgram, graph.dnnlConstants,
                                    model.state(), message, sizeof(message),
                                    &scratchpad);
    if (!dnnl) {
      error = what + ": " + message;
      return false;
    }
  }
  pool = new ArenaPool(alignUp(*graph.workspaceBytes) + alignUp(scratchpad) +
                           16 * checkList.size(),
                       *graph.workspaceBytes);
  return true;
}

bool kiln::runtime::CompiledGraph::run(const std::vector<void *> &io,
                                       void *arena, std::string &error) const {
  Program program{graph.run, graph.task, *graph.workspaceBytes,
                  checkList, dnnl,       scratchpad};
  return runProgram(program, io, arena, error);
}

bool kiln::runtime::BlockProgram::init(const Signature &signature,
                                       const Backend &model, std::string &error,
                                       const GraphSymbols *symbols) {
  GraphSymbols block;
  if (symbols) {
    block = *symbols;
  } else {
    block.run = kiln_block_run;
    block.task = kiln_block_task;
    block.signature = kiln_block_signature;
    block.workspaceBytes =
        kiln_block_run ? &kiln_block_workspace_bytes : nullptr;
    block.dnnlProgram = kiln_block_dnnl_program;
    block.dnnlConstants = kiln_block_dnnl_constants;
  }
  if (!block.run || !block.task || !block.signature || !block.workspaceBytes ||
      signature.symbol.empty())
    return true;
  Signature own;
  if (!parseSignature(block.signature, own, error))
    return false;
  // Its tensors are those of the model for as many samples.
  int64_t samples = 0;
  bool same = own.inputs.size() == signature.inputs.size() &&
              own.outputs.size() == signature.outputs.size();
  for (size_t i = 0; same && i < signature.inputs.size(); ++i) {
    const TensorInfo &info = signature.inputs[i];
    if (info.sampleAxis >= 0 && samples == 0 &&
        (size_t)info.sampleAxis < own.inputs[i].shape.size())
      samples =
          own.inputs[i].shape[info.sampleAxis] / info.shape[info.sampleAxis];
  }
  same = same && samples > 1;
  for (size_t i = 0; same && i < signature.inputs.size(); ++i)
    same = own.inputs[i].shape == signature.inputs[i].forSamples(samples).shape;
  for (size_t i = 0; same && i < signature.outputs.size(); ++i)
    same =
        own.outputs[i].shape == signature.outputs[i].forSamples(samples).shape;
  if (!same) {
    error = "the model's block of samples does not match its signature";
    return false;
  }
  if (!graph.init(block, own.checks, model, "the model's block", error))
    return false;
  blockSamples = samples;
  return true;
}

bool kiln::runtime::BlockProgram::run(const std::vector<void *> &io,
                                      std::string &error) const {
  void *arena = graph.arenas().acquire();
  if (!arena) {
    error = "cannot allocate the model's workspace";
    return false;
  }
  bool ok = graph.run(io, arena, error);
  graph.arenas().release(arena);
  return ok;
}

void *kiln::runtime::currentBackendState() { return current.backend; }

void *kiln::runtime::currentScratchpad() { return current.scratchpad; }

kiln::runtime::Signature
kiln::runtime::paddedSignature(const Signature &signature, int64_t extent) {
  Signature graph = signature;
  graph.sequenceExtent = 0;
  graph.sequenceSymbol.clear();
  graph.lengthInput = -1;
  for (auto *list : {&graph.inputs, &graph.outputs})
    for (TensorInfo &info : *list)
      if (info.sequenceAxis >= 0) {
        info.shape[info.sequenceAxis] =
            info.shape[info.sequenceAxis] / info.sequenceExtent * extent;
        info.sequenceAxis = -1;
      }
  TensorInfo lengthInfo;
  lengthInfo.name = "sequence_length";
  lengthInfo.dtype = 7;
  graph.inputs.push_back(lengthInfo);
  return graph;
}

namespace {
/// The padded buffers of this thread's runs, kept from run to run (each
/// grows to the largest it held).
struct PaddedBuffers {
  std::vector<std::pair<void *, uint64_t>> slots;
  PaddedBuffers() = default;
  PaddedBuffers(const PaddedBuffers &) = delete;
  PaddedBuffers &operator=(const PaddedBuffers &) = delete;
  ~PaddedBuffers() {
    for (auto &slot : slots)
      std::free(slot.first);
  }
  /// Slot `i` with at least `bytes`, or null when out of memory.
  void *get(size_t i, uint64_t bytes) {
    if (slots.size() <= i)
      slots.resize(i + 1, {nullptr, 0});
    auto &slot = slots[i];
    if (slot.second < bytes) {
      std::free(slot.first);
      slot = {std::aligned_alloc(64, alignUp(std::max<uint64_t>(bytes, 1))),
              bytes};
      if (!slot.first)
        slot.second = 0;
    }
    return slot.first;
  }
};
thread_local PaddedBuffers paddedBuffers;

/// The buffers a model with a padded sequence runs on: its inputs and
/// outputs padded to the sequence's extent, and the length.
class PaddedIO {
public:
  /// Pads to `extent` positions (the model's, or a bucket's), whose
  /// signature is `padded` (paddedSignature's, made here when null).
  PaddedIO(const std::vector<void *> &io, const kiln::runtime::Signature &sig,
           int64_t samples, int64_t length, int64_t extent,
           const kiln::runtime::Signature *padded = nullptr)
      : graph(padded ? *padded : own), user(io), signature(sig),
        samples(samples), length(length), extent(extent) {
    if (!padded)
      own = kiln::runtime::paddedSignature(sig, extent);
  }
  PaddedIO(const PaddedIO &) = delete;
  PaddedIO &operator=(const PaddedIO &) = delete;

  /// Fills the padded inputs; false when out of memory.
  bool prepare(std::string &error) {
    size_t numInputs = signature.inputs.size();
    for (size_t i = 0; i < user.size(); ++i) {
      const auto &info = i < numInputs ? signature.inputs[i]
                                       : signature.outputs[i - numInputs];
      if (i == numInputs)
        buffers.push_back(&length);
      if (info.sequenceAxis < 0) {
        buffers.push_back(user[i]);
        continue;
      }
      uint64_t bytes = paddedOf(info).byteSize();
      void *padded = paddedBuffers.get(slot++, bytes);
      if (!padded) {
        error = "cannot allocate the padded " + info.name;
        return false;
      }
      buffers.push_back(padded);
      if (i < numInputs) {
        std::memset(padded, 0, bytes);
        copy(info, user[i], padded, /*toPadded=*/true);
      }
    }
    if (numInputs == user.size())
      buffers.insert(buffers.begin() + numInputs, &length);
    return true;
  }
  /// Copies the outputs' first `length` positions back.
  void finish() {
    size_t numInputs = signature.inputs.size();
    for (size_t i = numInputs; i < user.size(); ++i) {
      const auto &info = signature.outputs[i - numInputs];
      if (info.sequenceAxis >= 0)
        copy(info, buffers[i + 1], user[i], /*toPadded=*/false);
    }
  }

  std::vector<void *> buffers;
  const kiln::runtime::Signature &graph;

private:
  kiln::runtime::Signature own;
  /// Copies between a tensor of `length` positions and its padded form.
  void copy(const kiln::runtime::TensorInfo &info, const void *from, void *to,
            bool toPadded) {
    kiln::runtime::TensorInfo padded = paddedOf(info);
    kiln::runtime::TensorInfo actual = info.forShape(samples, length);
    int axis = info.sequenceAxis;
    int64_t outer = 1, inner = kiln::runtime::dtypeSize(info.dtype);
    for (int d = 0; d < axis; ++d)
      outer *= padded.shape[d];
    for (size_t d = axis + 1; d < padded.shape.size(); ++d)
      inner *= padded.shape[d];
    int64_t paddedRow = padded.shape[axis] * inner;
    int64_t actualRow = actual.shape[axis] * inner;
    for (int64_t o = 0; o < outer; ++o) {
      if (toPadded)
        std::memcpy((char *)to + o * paddedRow,
                    (const char *)from + o * actualRow, actualRow);
      else
        std::memcpy((char *)to + o * actualRow,
                    (const char *)from + o * paddedRow, actualRow);
    }
  }

  /// The tensor for all the samples, padded to the extent.
  kiln::runtime::TensorInfo paddedOf(const kiln::runtime::TensorInfo &info) {
    return info.forShape(samples, extent);
  }

  const std::vector<void *> &user;
  const kiln::runtime::Signature &signature;
  int64_t samples;
  int64_t length;
  int64_t extent;
  size_t slot = 0;
};
} // namespace

namespace {
/// Calls `run(buffers, graph, arenas, bucket)` on `io` as a run of
/// `length` positions takes it: a model with a padded sequence on copies
/// padded to the smallest bucket that holds the length (or to its own
/// extent, bucket null), whose outputs' first `length` positions are
/// copied back after; any other model on `io` itself.
template <typename Run>
bool onPadded(const std::vector<void *> &io,
              const kiln::runtime::Signature &signature, int64_t samples,
              int64_t length, kiln::runtime::ArenaPool &arenas,
              const kiln::runtime::SequenceBuckets *buckets, std::string &error,
              Run run) {
  if (!signature.hasSequence())
    return run(io, signature, arenas, nullptr);
  if (samples == 0)
    return true;
  const kiln::runtime::SequenceBucket *bucket =
      buckets ? buckets->pick(length) : nullptr;
  PaddedIO padded(io, signature, samples, length,
                  bucket ? bucket->extent() : signature.sequenceExtent,
                  bucket    ? &bucket->padded()
                  : buckets ? buckets->padded()
                            : nullptr);
  if (!padded.prepare(error) ||
      !run(padded.buffers, padded.graph,
           bucket ? bucket->graph().arenas() : arenas, bucket))
    return false;
  padded.finish();
  return true;
}
} // namespace

bool kiln::runtime::runShape(const std::vector<void *> &io,
                             const Signature &signature, const Backend &backend,
                             int64_t samples, int64_t length, ArenaPool &arenas,
                             bool parallel, std::string &error,
                             const BlockProgram *block,
                             const SequenceBuckets *buckets) {
  return onPadded(
      io, signature, samples, length, arenas, buckets, error,
      [&](const std::vector<void *> &buffers, const Signature &graph,
          ArenaPool &pool, const SequenceBucket *bucket) {
        return runSamples(buffers, graph, backend, samples, pool, parallel,
                          error, bucket ? &bucket->block() : block, bucket);
      });
}

bool kiln::runtime::profileSamples(const std::vector<void *> &io,
                                   const Signature &signature,
                                   const Backend &backend, int64_t samples,
                                   ArenaPool &arenas, long runs, double &runUs,
                                   std::vector<OpTime> &ops, std::string &error,
                                   int64_t length,
                                   const SequenceBuckets *buckets) {
  // A bucket is the same graph at a shorter extent: its ops have the
  // model's profile ids (kiln-instrument-profile runs before any lowering
  // that depends on the extent).
  return onPadded(
      io, signature, samples, length, arenas, buckets, error,
      [&](const std::vector<void *> &buffers, const Signature &graph,
          ArenaPool &pool, const SequenceBucket *bucket) {
        using Clock = std::chrono::steady_clock;
        startProfile(kiln_model_profile_ops);
        auto start = Clock::now();
        for (long r = 0; r < runs; ++r) {
          if (!runSamples(buffers, graph, backend, samples, pool,
                          /*parallel=*/false, error, nullptr, bucket)) {
            stopProfile();
            return false;
          }
        }
        runUs = std::chrono::duration<double, std::micro>(Clock::now() - start)
                    .count() /
                runs;
        ops = profileResults();
        stopProfile();
        return true;
      });
}

void kiln::runtime::setThreads(int threads) { omp_set_num_threads(threads); }

bool kiln::runtime::chooseRunThreads() {
  // KILN_RUN_THREADS=team: every run on the team it is given.
  static const bool choose = [] {
    const char *setting = std::getenv("KILN_RUN_THREADS");
    return !setting || std::strcmp(setting, "team") != 0;
  }();
  return choose;
}

int kiln::runtime::maxThreads() { return omp_get_max_threads(); }

static std::atomic<uint64_t> trials{0};

void kiln::runtime::noteTrial() {
  trials.fetch_add(1, std::memory_order_relaxed);
}

uint64_t kiln::runtime::trialCount() {
  return trials.load(std::memory_order_relaxed);
}

namespace {
/// Whether a parallel loop of a compiled model is worth the team at a
/// given thread count. A loop whose calls take under kTeamMinNs on one
/// thread runs on the calling thread: waking the team and splitting the
/// loop cost about what they save (the attention models at batch 1 ran
/// slower on two threads than on one). Its first kTrials calls run on one
/// thread, timed: the loop goes to the team if every one reaches the bound
/// and stays on one thread as soon as one does not (a first call slowed by
/// cold caches or page faults must not send a loop that a recurrent
/// layer's every step calls to the team).
struct LoopChoice {
  static constexpr int32_t kTrials = 3;
  static constexpr int64_t kTeamMinNs = 20000;
  std::atomic<uint64_t> key{0};
  std::atomic<int32_t> calls{0};
  /// 0 while timing, 1: on one thread, 2: on the team.
  std::atomic<int32_t> decided{0};
};

/// The choices, by (model, loop, iterations, threads), in open addressing.
constexpr size_t kLoopChoices = 4096;
LoopChoice loopChoices[kLoopChoices];

/// The choice of a loop, or null when the table has no room for it.
LoopChoice *loopChoice(TaskFn task, int32_t id, int64_t iterations,
                       int64_t threads) {
  return choiceSlot(loopChoices,
                    {(uint64_t)(uintptr_t)task, (uint64_t)id,
                     (uint64_t)iterations, (uint64_t)threads},
                    64);
}

/// Runs a loop on the team. Each thread owns the share of the iterations
/// that a static split gives it (the first thread the first share), and
/// takes it in chunks: half of it first, then kChunksPerThread more; once
/// its own share is done it takes chunks of the others' that are left. An
/// unloaded team so runs the static split, whose shares line up with the
/// previous op's (a loop over the output of a oneDNN primitive, which
/// splits its work the same way, reads what the same core wrote), while a
/// thread that a busy core slows down leaves its last chunks to the
/// others instead of making them wait.
void runOnTeam(TaskFn task, int32_t id, int64_t iterations, int64_t threads,
               void **buffers) {
  constexpr int64_t kChunksPerThread = 4;
  struct alignas(64) Share {
    std::atomic<int64_t> next;
    int64_t end, first, chunk;
  };
  // On the stack for the usual teams.
  Share local[8];
  std::unique_ptr<Share[]> heap;
  Share *shares = local;
  if (threads > 8) {
    heap.reset(new Share[threads]);
    shares = heap.get();
  }
  for (int64_t t = 0; t < threads; ++t) {
    int64_t lo = iterations * t / threads, hi = iterations * (t + 1) / threads;
    shares[t].next.store(lo, std::memory_order_relaxed);
    shares[t].end = hi;
    shares[t].first = std::max<int64_t>(1, (hi - lo) / 2);
    shares[t].chunk = std::max<int64_t>(1, (hi - lo) / (2 * kChunksPerThread));
  }
#pragma omp parallel num_threads(threads)
  {
    // Takes `size` iterations from `share`; false when it has none left.
    auto take = [&](Share &share, int64_t size) {
      int64_t from = share.next.fetch_add(size, std::memory_order_relaxed);
      if (from >= share.end)
        return false;
      task(id, from, std::min(share.end, from + size), buffers);
      return true;
    };
    // A team smaller than asked for leaves shares to the others.
    int64_t t = omp_get_thread_num();
    Share &own = shares[t];
    if (take(own, own.first))
      while (take(own, own.chunk)) {
      }
    for (int64_t k = 1; k < threads; ++k) {
      Share &other = shares[(t + k) % threads];
      while (take(other, other.chunk)) {
      }
    }
  }
}
} // namespace

extern "C" void kiln_parallel_for(int32_t id, int64_t iterations) {
  void **buffers = current.buffers;
  TaskFn task = current.task ? current.task : ::kiln_model_task;
  int64_t threads =
      current.alone ? 1 : std::min<int64_t>(omp_get_max_threads(), iterations);
  if (threads < 2 || omp_in_parallel()) {
    task(id, 0, iterations, buffers);
    return;
  }
  LoopChoice *choice = loopChoice(task, id, iterations, threads);
  int32_t decided =
      choice ? choice->decided.load(std::memory_order_relaxed) : 2;
  if (decided == 2) {
    runOnTeam(task, id, iterations, threads, buffers);
    return;
  }
  if (decided == 1) {
    task(id, 0, iterations, buffers);
    return;
  }
  // Timing: a call on one thread under the bound keeps the loop there
  // from then on; kTrials calls at or over it send it to the team.
  int32_t call = choice->calls.fetch_add(1, std::memory_order_relaxed);
  kiln::runtime::noteTrial();
  auto start = std::chrono::steady_clock::now();
  task(id, 0, iterations, buffers);
  int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                   std::chrono::steady_clock::now() - start)
                   .count();
  if (ns < LoopChoice::kTeamMinNs)
    choice->decided.store(1, std::memory_order_relaxed);
  else if (call + 1 >= LoopChoice::kTrials)
    choice->decided.compare_exchange_strong(decided, 2,
                                            std::memory_order_relaxed);
}

bool kiln::runtime::SequenceBuckets::init(const Signature &signature,
                                          const Backend &model,
                                          std::string &error) {
  if (!signature.hasSequence())
    return true;
  modelGraph = paddedSignature(signature, signature.sequenceExtent);
  if (!kiln_sequence_buckets || !kiln_sequence_bucket_count)
    return true;
  int64_t count = kiln_sequence_bucket_count;
  for (int64_t i = 0; i < count; ++i) {
    const KilnSequenceBucket &entry = kiln_sequence_buckets[i];
    const GraphSymbols &graph = entry.graph;
    std::string where = "the model padded to " + std::to_string(entry.extent);
    if (!graph.run || !graph.task || !graph.signature ||
        !graph.workspaceBytes || entry.extent < 1 ||
        entry.extent >= signature.sequenceExtent ||
        (!buckets.empty() && entry.extent <= buckets.back()->extent())) {
      error = where + " is malformed";
      return false;
    }
    // Its tensors are the model's, padded to its extent.
    Signature own;
    if (!parseSignature(graph.signature, own, error))
      return false;
    bool same = own.sequenceExtent == entry.extent &&
                own.inputs.size() == signature.inputs.size() &&
                own.outputs.size() == signature.outputs.size();
    for (int list = 0; same && list < 2; ++list) {
      const auto &mine = list ? own.outputs : own.inputs;
      const auto &theirs = list ? signature.outputs : signature.inputs;
      for (size_t t = 0; same && t < mine.size(); ++t)
        same = mine[t].dtype == theirs[t].dtype &&
               mine[t].sampleAxis == theirs[t].sampleAxis &&
               mine[t].sequenceAxis == theirs[t].sequenceAxis &&
               mine[t].forShape(1, 1).shape == theirs[t].forShape(1, 1).shape;
    }
    if (!same) {
      error = where + " does not take and give the model's tensors";
      return false;
    }
    auto bucket = std::make_unique<SequenceBucket>();
    bucket->extentOf = entry.extent;
    bucket->paddedGraph = paddedSignature(signature, entry.extent);
    if (!bucket->sample.init(graph, own.checks, model, where, error))
      return false;
    // Its block, when it has one.
    if (entry.block.run &&
        !bucket->blocks.init(own, model, error, &entry.block))
      return false;
    buckets.push_back(std::move(bucket));
  }
  return true;
}

const kiln::runtime::SequenceBucket *
kiln::runtime::SequenceBuckets::pick(int64_t length) const {
  for (const auto &bucket : buckets)
    if (length <= bucket->extent())
      return bucket.get();
  return nullptr;
}

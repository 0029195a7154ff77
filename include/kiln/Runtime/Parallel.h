//===- Parallel.h - Running compiled models on threads ----------*- C++ -*-===//

#ifndef KILN_RUNTIME_PARALLEL_H
#define KILN_RUNTIME_PARALLEL_H

#include "kiln/Runtime/KilnModel.h"
#include "kiln/Runtime/Profile.h"
#include "kiln/Runtime/Tensor.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace kiln::runtime {

/// What a model instance keeps besides its workspace: for a model compiled
/// with the dnnl backend, its oneDNN primitives, created once with their
/// weights reordered; nothing for other models.
class Backend {
public:
  Backend() = default;
  Backend(const Backend &) = delete;
  Backend &operator=(const Backend &) = delete;
  ~Backend();

  /// Creates the primitives; false with `error` set on failure.
  bool init(std::string &error);
  /// The bytes the primitives' scratchpad needs beside the workspace.
  uint64_t scratchpadBytes() const { return scratchpad; }
  void *state() const { return handle; }
  /// How many oneDNN primitives and weight reorders the instance made when
  /// it was created, or "" for models without oneDNN primitives.
  std::string describe() const;

private:
  void *handle = nullptr;
  uint64_t scratchpad = 0;
};

/// The bytes of one run's arena: the model's workspace, then, 64-byte
/// aligned, the backend's scratchpad, then 16 bytes per index check.
uint64_t arenaBytes(const Backend &backend, const Signature &signature);

/// Runs the model (kiln_model_run) on `io`, its inputs then its outputs,
/// with `arena`, 64-byte aligned, of arenaBytes(backend, signature). The
/// model's parallel loops run on the calling thread's OpenMP team. Returns
/// false, with a message naming the op, when the signature's index checks
/// find an index that was out of range (the outputs are then meaningless).
bool runModel(const std::vector<void *> &io, const Signature &signature,
              const Backend &backend, void *arena, std::string &error);

/// Arenas of arenaBytes(backend, signature) bytes, kept for the next run;
/// thread-safe.
class ArenaPool {
public:
  ArenaPool(const Backend &backend, const Signature &signature);
  /// Arenas of `bytes`, whose first `workspace` bytes (the generated
  /// code's) go on transparent huge pages where they fill whole ones.
  explicit ArenaPool(uint64_t bytes, uint64_t workspace = 0);
  ArenaPool(const ArenaPool &) = delete;
  ArenaPool &operator=(const ArenaPool &) = delete;
  ~ArenaPool();
  /// A free arena, allocated when there is none; null when out of memory.
  void *acquire();
  void release(void *arena);
  uint64_t bytes() const { return size; }

private:
  uint64_t size;
  uint64_t hugeBytes;
  struct State;
  State *state;
};

/// The symbols of one compiled graph besides the model's own: its block
/// (kiln_block_*), a bucket's or a bucket's block (kiln_bucketI_*).
struct GraphSymbols {
  void (*run)(void **) = nullptr;
  void (*task)(int32_t, int64_t, int64_t, void **) = nullptr;
  const char *signature = nullptr;
  const uint64_t *workspaceBytes = nullptr;
  const int64_t *dnnlProgram = nullptr;
  void (*dnnlConstants)(uintptr_t *) = nullptr;
};

/// One such graph, prepared: its oneDNN primitives (which share the
/// weights the model's reordered), its index checks and its arenas.
class CompiledGraph {
public:
  CompiledGraph() = default;
  CompiledGraph(const CompiledGraph &) = delete;
  CompiledGraph &operator=(const CompiledGraph &) = delete;
  ~CompiledGraph();

  /// Prepares `symbols` (`what` names the graph in messages); false with
  /// `error` set on failure.
  bool init(const GraphSymbols &symbols, std::vector<IndexCheck> checks,
            const Backend &model, const std::string &what, std::string &error);
  /// Runs the graph on `io` with an arena of arenas().
  bool run(const std::vector<void *> &io, void *arena,
           std::string &error) const;
  ArenaPool &arenas() const { return *pool; }
  /// What its oneDNN primitives took when it was prepared, or "".
  std::string describe() const;

private:
  GraphSymbols graph;
  void *dnnl = nullptr;
  uint64_t scratchpad = 0;
  std::vector<IndexCheck> checkList;
  ArenaPool *pool = nullptr;
};

/// The model compiled for blocks of samples (kilnc --block-samples), when
/// the binary holds one: its primitives, created once, and its arenas.
class BlockProgram {
public:
  BlockProgram() = default;
  BlockProgram(const BlockProgram &) = delete;
  BlockProgram &operator=(const BlockProgram &) = delete;

  /// Prepares the block of a model of signature `signature` (whose
  /// primitives, in `model`, share their reordered weights with the
  /// block's): kiln_block_*, or the graph of `symbols`; true without doing
  /// anything when there is none, false with `error` set on failure.
  bool init(const Signature &signature, const Backend &model,
            std::string &error, const GraphSymbols *symbols = nullptr);
  /// What the block's oneDNN primitives took when the model loaded, or "".
  std::string describe() const;
  /// The samples a block takes; 0 when there is no block.
  int64_t samples() const { return blockSamples; }
  /// Runs one block on `io`, buffers for samples() samples.
  bool run(const std::vector<void *> &io, std::string &error) const;

  /// The times of the last block run and of the last sample run timed
  /// (0: none yet), and how many of each were timed, by which runSamples
  /// decides whether to pad the samples left after whole blocks into one
  /// more block.
  mutable std::atomic<int64_t> blockNs{0}, sampleNs{0};
  mutable std::atomic<int64_t> blockRuns{0}, sampleRuns{0};

private:
  CompiledGraph graph;
  int64_t blockSamples = 0;
};

/// The model padded to a shorter extent than its own, for the shorter
/// sequences of a model with a padded sequence (kilnc links them in as
/// `kiln_bucketI_*`, listed in `kiln_sequence_buckets`).
class SequenceBucket {
public:
  /// The extent its positions are padded to.
  int64_t extent() const { return extentOf; }
  /// The signature it runs with (paddedSignature's).
  const Signature &padded() const { return paddedGraph; }
  /// The graph for one sample (its inputs, the length, its outputs).
  const CompiledGraph &graph() const { return sample; }
  /// The bucket for blocks of samples (none: samples() is 0).
  const BlockProgram &block() const { return blocks; }

private:
  friend class SequenceBuckets;
  CompiledGraph sample;
  BlockProgram blocks;
  int64_t extentOf = 0;
  Signature paddedGraph;
};

/// The buckets of a model with a padded sequence, smallest first.
class SequenceBuckets {
public:
  /// Prepares them (their oneDNN primitives share the weights `model`
  /// reordered); true without any for a binary that has none.
  bool init(const Signature &signature, const Backend &model,
            std::string &error);
  /// The smallest bucket that holds `length` positions, or null when only
  /// the model does.
  const SequenceBucket *pick(int64_t length) const;
  /// The signature the model runs with at its own extent (null before
  /// init or without a padded sequence).
  const Signature *padded() const {
    return modelGraph.inputs.empty() ? nullptr : &modelGraph;
  }

private:
  std::vector<std::unique_ptr<SequenceBucket>> buckets;
  Signature modelGraph;
};

/// Runs a model whose open dim varies at run time on `samples` samples:
/// `io` holds the inputs and outputs for that many (see
/// TensorInfo::forSamples). The model runs once per sample, on the
/// samples' slices of the buffers (copied to and from contiguous ones
/// when they are strided), the samples spread over the OpenMP threads when
/// `parallel` is set; with a `block`, whole blocks of samples go through it
/// first, one after the other, and the rest too, padded with zero samples,
/// when that is faster (see BlockProgram::blockNs). A model of fixed shapes
/// runs once. Returns false, with the message of the first sample that failed,
/// like runModel.
bool runSamples(const std::vector<void *> &io, const Signature &signature,
                const Backend &backend, int64_t samples, ArenaPool &arenas,
                bool parallel, std::string &error,
                const BlockProgram *block = nullptr,
                const SequenceBucket *bucket = nullptr);

/// The signature of a model with a padded sequence run at `extent`
/// positions: its tensors padded to it, and the length as one more input.
Signature paddedSignature(const Signature &signature, int64_t extent);

/// runSamples for `samples` samples of sequences of `length` positions
/// (see countShape). A model with a padded sequence (Signature::
/// hasSequence) runs on copies of the tensors that hold the positions,
/// padded with zeros to the extent it was compiled for, and is given the
/// length; only the first `length` positions of its outputs are copied
/// back.
bool runShape(const std::vector<void *> &io, const Signature &signature,
              const Backend &backend, int64_t samples, int64_t length,
              ArenaPool &arenas, bool parallel, std::string &error,
              const BlockProgram *block = nullptr,
              const SequenceBuckets *buckets = nullptr);

/// Runs the model `runs` times on `io`, one sample at a time, with the
/// per-op timers on (for this thread only): sets `runUs` to the mean time
/// of a run and `ops` to every op's recorded times. Returns false, with
/// the first failure's message, like runSamples. A padded sequence of
/// `length` positions runs in the bucket runShape would pick.
bool profileSamples(const std::vector<void *> &io, const Signature &signature,
                    const Backend &backend, int64_t samples, ArenaPool &arenas,
                    long runs, double &runUs, std::vector<OpTime> &ops,
                    std::string &error, int64_t length = 0,
                    const SequenceBuckets *buckets = nullptr);

/// The backend and the scratchpad of the run in progress on this thread.
void *currentBackendState();
void *currentScratchpad();

/// Sets the number of OpenMP threads the calling thread's runs use.
void setThreads(int threads);

/// The number of threads a run would use.
int maxThreads();

/// The most threads a model's runs take (KilnModel.h): more is refused
/// (libgomp fails to start a team of tens of thousands of threads, and no
/// CPU here has that many).
constexpr int kMaxThreads = KILN_MAX_THREADS;

/// Sets the calling thread's OpenMP team size for its scope, and restores
/// it; a size of 0 leaves the team as it is.
class ThreadsScope {
public:
  explicit ThreadsScope(int threads)
      : ThreadsScope(threads, threads > 0 ? maxThreads() : 0) {}
  /// The same, for a caller that knows the count in force (`current`).
  ThreadsScope(int threads, int current) : threads(threads), saved(current) {
    if (threads > 0)
      setThreads(threads);
  }
  ~ThreadsScope() {
    if (threads > 0)
      setThreads(saved);
  }
  ThreadsScope(const ThreadsScope &) = delete;
  ThreadsScope &operator=(const ThreadsScope &) = delete;

private:
  int threads, saved = 0;
};

/// `bytes` rounded up to a multiple of 64 (a cache line), as buffers in
/// the workspace and scratchpad are laid out.
inline uint64_t alignUp(uint64_t bytes) { return (bytes + 63) / 64 * 64; }

/// Runs of a new model make choices by timing their first calls: a
/// parallel loop runs on one thread or the team, a oneDNN primitive runs
/// in the variant (thread count, algorithm) that was fastest. Each timed
/// call counts one trial: a run that counts none ran as every later run of
/// the same shapes will (a warm-up can go on until then).
void noteTrial();
uint64_t trialCount();

/// Whether a compiled graph's runs may choose one thread over the team by
/// timing whole runs (KILN_RUN_THREADS=team turns it off).
bool chooseRunThreads();
/// What whole runs of the graphs run so far chose, for --profile; empty
/// before any choice.
std::string describeRunThreads();

} // namespace kiln::runtime

#endif // KILN_RUNTIME_PARALLEL_H

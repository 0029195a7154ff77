//===- Main.cpp - The compiled executable's command line ------------------===//
//
// ./model [INPUT ...] [-o OUTDIR] [--bench N] [--threads N] [--info]
//         [--profile]
//
// Inputs are .npy or onnx.TensorProto (.pb) files in graph-input order;
// every input is checked against the model's signature before it runs.
// Outputs are written to OUTDIR/<name>.npy.
//
//===----------------------------------------------------------------------===//

#include "kiln/Runtime/Parallel.h"
#include "kiln/Runtime/Profile.h"
#include "kiln/Runtime/Runtime.h"
#include "kiln/Runtime/Tensor.h"
#include "kiln/Runtime/Weights.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <sys/stat.h>
#include <vector>

using namespace kiln::runtime;

namespace {

/// The most runs `--bench` times as one sample.
constexpr long kMaxRunsPerSample = 100000;

struct AlignedFree {
  void operator()(void *p) const { std::free(p); }
};
using Buffer = std::unique_ptr<uint8_t, AlignedFree>;

/// A 64-byte aligned buffer of at least one byte.
Buffer allocate(size_t bytes) {
  size_t rounded = kiln::runtime::alignUp(std::max<size_t>(bytes, 1));
  return Buffer((uint8_t *)std::aligned_alloc(64, rounded));
}

int usage(const char *argv0) {
  std::fprintf(stderr,
               "usage: %s [INPUT ...] [-o OUTDIR] [--bench N] [--threads N] "
               "[--info] [--profile]\n"
               "  INPUT is a .npy file or a serialized onnx.TensorProto (.pb),"
               " in graph-input order\n",
               argv0);
  return 2;
}

bool parseCount(const char *text, long &value) {
  char *end = nullptr;
  errno = 0;
  value = std::strtol(text, &end, 10);
  return !errno && end != text && !*end && value > 0 && value <= 1000000000;
}

void printSignature(const Signature &signature) {
  std::printf("inputs:\n");
  for (const TensorInfo &info : signature.inputs)
    std::printf("  %s\n", info.describe().c_str());
  std::printf("outputs:\n");
  for (const TensorInfo &info : signature.outputs)
    std::printf("  %s\n", info.describe().c_str());
  if (signature.maxSamples != INT64_MAX)
    std::printf("%s: %lld to %lld\n", signature.symbol.c_str(),
                (long long)signature.minSamples,
                (long long)signature.maxSamples);
  if (signature.hasSequence())
    std::printf("%s: %lld to %lld\n", signature.sequenceSymbol.c_str(),
                (long long)signature.minLength, (long long)signature.maxLength);
}

/// `bytes` in KiB below a MiB, else in MiB.
std::string formatBytes(uint64_t bytes) {
  char text[32];
  if (bytes < (uint64_t(1) << 20))
    std::snprintf(text, sizeof(text), "%.1f KiB", bytes / 1024.0);
  else
    std::snprintf(text, sizeof(text), "%.2f MiB", bytes / (1024.0 * 1024.0));
  return text;
}

/// Runs the model `runs` more times with the per-op hooks recording, then
/// prints each op's mean time, the slowest first.
bool printProfile(const std::vector<void *> &io, const Signature &signature,
                  const Backend &backend, int64_t samples, int64_t length,
                  const SequenceBuckets &buckets, ArenaPool &arenas, long runs,
                  std::string &error) {
  double wallUs;
  std::vector<OpTime> ops;
  if (!profileSamples(io, signature, backend, samples, arenas, runs, wallUs,
                      ops, error, length, &buckets))
    return false;
  double opsUs = 0;
  for (const OpTime &op : ops)
    opsUs += op.totalUs / runs;
  std::stable_sort(
      ops.begin(), ops.end(),
      [](const OpTime &a, const OpTime &b) { return a.totalUs > b.totalUs; });
  std::printf("profile: %ld runs, %.1f us per run, %.1f us in ops\n", runs,
              wallUs, opsUs);
  std::printf("%10s %6s  %-16s %s\n", "us/run", "%", "op", "node");
  for (const OpTime &op : ops)
    std::printf("%10.1f %6.1f  %-16s %s\n", op.totalUs / runs,
                wallUs > 0 ? 100.0 * op.totalUs / runs / wallUs : 0.0,
                op.op.c_str(), op.name.c_str());
  std::string primitives = backend.describe();
  if (!primitives.empty())
    std::printf("%s\n", primitives.c_str());
  // The arena of a run for all the samples at once (a block of samples or
  // a sequence bucket has its own).
  std::printf("memory: %s for each run's intermediate tensors",
              formatBytes(kiln_model_workspace_bytes).c_str());
  if (backend.state())
    std::printf(" and %s for oneDNN's scratchpads",
                formatBytes(backend.scratchpadBytes()).c_str());
  std::printf("\n");
  std::string threads = kiln::runtime::describeRunThreads();
  if (!threads.empty())
    std::printf("%s\n", threads.c_str());
  return true;
}

} // namespace

int main(int argc, char **argv) {
  Signature signature;
  std::string error;
  if (!parseSignature(kiln_model_signature, signature, error)) {
    std::fprintf(stderr, "kiln: %s\n", error.c_str());
    return 1;
  }

  std::vector<std::string> inputPaths;
  std::string outDir = ".";
  long benchRuns = 0, threads = 0;
  bool info = false, profile = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char *flag) -> const char * {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "kiln: %s needs a value\n", flag);
        return nullptr;
      }
      return argv[++i];
    };
    if (arg == "-o") {
      const char *v = value("-o");
      if (!v)
        return usage(argv[0]);
      outDir = v;
    } else if (arg == "--bench" || arg == "--threads") {
      const char *v = value(arg.c_str());
      long n;
      if (!v || !parseCount(v, n)) {
        std::fprintf(stderr, "kiln: %s needs a positive count\n", arg.c_str());
        return 2;
      }
      if (arg == "--threads" && n > kiln::runtime::kMaxThreads) {
        std::fprintf(stderr, "kiln: --threads takes at most %d\n",
                     kiln::runtime::kMaxThreads);
        return 2;
      }
      (arg == "--bench" ? benchRuns : threads) = n;
    } else if (arg == "--info") {
      info = true;
    } else if (arg == "--profile") {
      profile = true;
    } else if (arg == "-h" || arg == "--help") {
      usage(argv[0]);
      printSignature(signature);
      return 0;
    } else if (arg.size() > 1 && arg[0] == '-') {
      std::fprintf(stderr, "kiln: unknown option %s\n", arg.c_str());
      return usage(argv[0]);
    } else {
      inputPaths.push_back(arg);
    }
  }
  if (info) {
    printSignature(signature);
    return 0;
  }
  if (profile && !*kiln_model_profile_ops) {
    std::fprintf(stderr, "kiln: --profile: this model was compiled without "
                         "per-op timing hooks\n");
    return 2;
  }
  if (threads > 0)
    setThreads((int)threads);

  if (inputPaths.size() != signature.inputs.size()) {
    std::fprintf(stderr,
                 "kiln: expected %zu input file(s), got %zu; the model "
                 "takes:\n",
                 signature.inputs.size(), inputPaths.size());
    for (const TensorInfo &in : signature.inputs)
      std::fprintf(stderr, "  %s\n", in.describe().c_str());
    return 2;
  }
  struct stat dirInfo;
  if (stat(outDir.c_str(), &dirInfo) != 0 || !S_ISDIR(dirInfo.st_mode)) {
    std::fprintf(stderr, "kiln: output directory %s does not exist\n",
                 outDir.c_str());
    return 2;
  }

  // Every input is read and checked, and the number of samples found,
  // before anything runs.
  std::vector<HostTensor> tensors(inputPaths.size());
  std::vector<TensorInfo> given;
  for (size_t i = 0; i < inputPaths.size(); ++i) {
    const TensorInfo &expected = signature.inputs[i];
    if (!readTensorFile(inputPaths[i], tensors[i], error)) {
      std::fprintf(stderr, "kiln: input %zu (%s): %s\n", i,
                   expected.name.c_str(), error.c_str());
      return 1;
    }
    given.push_back(tensors[i].info);
    if (signature.symbol.empty() && (given[i].dtype != expected.dtype ||
                                     given[i].shape != expected.shape)) {
      given[i].name = inputPaths[i];
      std::fprintf(stderr, "kiln: input %zu: expected %s, got %s\n", i,
                   expected.describe().c_str(), given[i].describe().c_str());
      return 1;
    }
  }
  int64_t samples = 1, length = 0;
  if (!countShape(signature, given, samples, length, error)) {
    std::fprintf(stderr, "kiln: %s\n", error.c_str());
    return 1;
  }
  std::vector<Buffer> buffers;
  std::vector<void *> pointers;
  std::vector<TensorInfo> outputs;
  auto allocateOrFail = [&](size_t bytes, const std::string &what) {
    buffers.push_back(allocate(bytes));
    if (!buffers.back())
      std::fprintf(stderr, "kiln: cannot allocate %zu bytes for %s\n", bytes,
                   what.c_str());
    return (bool)buffers.back();
  };
  for (HostTensor &tensor : tensors) {
    if (!allocateOrFail(tensor.data.size(), tensor.info.name))
      return 1;
    if (!tensor.data.empty()) // an empty vector's data() may be null
      std::memcpy(buffers.back().get(), tensor.data.data(), tensor.data.size());
    pointers.push_back(buffers.back().get());
    // Released, not only emptied: the run's copy is the only one kept.
    std::vector<uint8_t>().swap(tensor.data);
  }
  for (const TensorInfo &out : signature.outputs) {
    outputs.push_back(out.forShape(samples, length));
    if (!allocateOrFail(outputs.back().byteSize(), out.name))
      return 1;
    pointers.push_back(buffers.back().get());
  }
  // The weights, when kept beside the executable; the backend's
  // primitives, created once; and the arenas for intermediate tensors and
  // scratchpads, allocated for the first run and kept.
  Weights weights;
  if (!weights.acquire("/proc/self/exe", error)) {
    std::fprintf(stderr, "kiln: %s\n", error.c_str());
    return 1;
  }
  Backend backend;
  if (!backend.init(error)) {
    std::fprintf(stderr, "kiln: cannot prepare the model: %s\n", error.c_str());
    return 1;
  }
  BlockProgram block;
  if (!block.init(signature, backend, error)) {
    std::fprintf(stderr, "kiln: cannot prepare the model: %s\n", error.c_str());
    return 1;
  }
  SequenceBuckets buckets;
  if (!buckets.init(signature, backend, error)) {
    std::fprintf(stderr, "kiln: cannot prepare the model: %s\n", error.c_str());
    return 1;
  }
  ArenaPool arenas(backend, signature);
  auto run = [&] {
    if (runShape(pointers, signature, backend, samples, length, arenas,
                 /*parallel=*/true, error, &block, &buckets))
      return true;
    std::fprintf(stderr, "kiln: %s\n", error.c_str());
    return false;
  };

  if (benchRuns > 0) {
    using Clock = std::chrono::steady_clock;
    // Warm-up: 20 ms of runs, one at least, and on until a run times no
    // choice (the first runs time the variants of parallel loops and
    // oneDNN primitives; see noteTrial). A new process takes about a
    // millisecond of runs to reach its steady speed (caches, the threads'
    // first wake-ups).
    auto micros = [](Clock::duration d) {
      return std::chrono::duration<double, std::micro>(d).count();
    };
    auto warm = Clock::now();
    double lastUs = 0;
    for (int warmRuns = 1;; ++warmRuns) {
      uint64_t trials = trialCount();
      auto start = Clock::now();
      if (!run())
        return 1;
      auto end = Clock::now();
      lastUs = micros(end - start);
      bool timing = trialCount() != trials && warmRuns < 1000;
      if (!timing && end - warm >= std::chrono::milliseconds(20))
        break;
    }
    // A sample is the mean of as many back-to-back runs as take about
    // kSampleUs (one run, for a model that takes longer): one reading of
    // the clock around a run of a tenth of a microsecond would measure
    // the clock's granularity and its own cost. The count comes from a
    // millisecond of runs after the warm-up.
    constexpr double kSampleUs = 20;
    long perSample = 1;
    if (lastUs < kSampleUs) {
      long calibration = 0;
      auto start = Clock::now();
      do {
        if (!run())
          return 1;
        ++calibration;
      } while (Clock::now() - start < std::chrono::milliseconds(1));
      double each = micros(Clock::now() - start) / calibration;
      if (each < kSampleUs)
        perSample =
            std::min<long>(kMaxRunsPerSample,
                           (long)std::ceil(kSampleUs / std::max(each, 1e-3)));
    }
    std::vector<double> times;
    for (long r = 0; r < benchRuns; ++r) {
      auto start = Clock::now();
      for (long i = 0; i < perSample; ++i)
        if (!run())
          return 1;
      times.push_back(micros(Clock::now() - start) / perSample);
    }
    std::string samples;
    for (double t : times)
      samples += (samples.empty() ? "" : ", ") + std::to_string(t);
    std::sort(times.begin(), times.end());
    double median =
        times.size() % 2
            ? times[times.size() / 2]
            : (times[times.size() / 2 - 1] + times[times.size() / 2]) / 2;
    std::printf("{\"runs\": %ld, \"median_us\": %.3f, \"min_us\": %.3f, "
                "\"max_us\": %.3f, \"samples_us\": [%s], "
                "\"runs_per_sample\": %ld}\n",
                benchRuns, median, times.front(), times.back(), samples.c_str(),
                perSample);
  } else if (!run()) {
    return 1;
  }
  if (profile &&
      !printProfile(pointers, signature, backend, samples, length, buckets,
                    arenas, std::max(benchRuns, 10L), error)) {
    std::fprintf(stderr, "kiln: %s\n", error.c_str());
    return 1;
  }
  if (profile && !block.describe().empty())
    std::printf("block of %lld samples: %s\n", (long long)block.samples(),
                block.describe().c_str());

  for (size_t i = 0; i < signature.outputs.size(); ++i) {
    // Written from the run's buffer, not from a copy of it.
    const TensorInfo &info = outputs[i];
    std::string path = outDir + "/" + sanitizeFileName(info.name) + ".npy";
    if (!writeNpy(path, info, pointers[inputPaths.size() + i], info.byteSize(),
                  error)) {
      std::fprintf(stderr, "kiln: %s\n", error.c_str());
      return 1;
    }
  }
  return 0;
}

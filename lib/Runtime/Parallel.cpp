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

#include <algorithm>
#include <omp.h>

namespace {
/// The buffers of the run in progress on this thread.
thread_local void **currentBuffers = nullptr;
} // namespace

void kiln::runtime::runModel(void **buffers) {
  void **saved = currentBuffers;
  currentBuffers = buffers;
  kiln_model_run(buffers);
  currentBuffers = saved;
}

void kiln::runtime::setThreads(int threads) { omp_set_num_threads(threads); }

int kiln::runtime::maxThreads() { return omp_get_max_threads(); }

extern "C" void kiln_parallel_for(int32_t id, int64_t iterations) {
  void **buffers = currentBuffers;
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

//===- Parallel.h - Running compiled models on threads ----------*- C++ -*-===//

#ifndef KILN_RUNTIME_PARALLEL_H
#define KILN_RUNTIME_PARALLEL_H

namespace kiln::runtime {

/// Runs the model (kiln_model_run) on `buffers`; the model's parallel loops
/// run on the calling thread's OpenMP team.
void runModel(void **buffers);

/// Sets the number of OpenMP threads the calling thread's runs use.
void setThreads(int threads);

/// The number of threads a run would use.
int maxThreads();

} // namespace kiln::runtime

#endif // KILN_RUNTIME_PARALLEL_H

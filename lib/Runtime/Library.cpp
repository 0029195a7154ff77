//===- Library.cpp - The C API of shared-library models -------------------===//

#include "kiln/Runtime/KilnModel.h"
#include "kiln/Runtime/Parallel.h"
#include "kiln/Runtime/Runtime.h"
#include "kiln/Runtime/Tensor.h"
#include "kiln/Runtime/Weights.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <vector>

using namespace kiln::runtime;

struct kiln_model {
  Signature signature;
  /// The dims kiln_input_info and kiln_output_info report: -1 on the axis
  /// that holds the samples.
  std::vector<std::vector<int64_t>> inputDims, outputDims;
  /// The mapping of the weights file, for models compiled with
  /// --weights=external; released after the primitives that read it.
  Weights weights;
  /// The oneDNN primitives of a dnnl-backend model, shared by all runs.
  Backend backend;
  /// The model for blocks of samples, when it has one.
  BlockProgram block;
  SequenceBuckets buckets;
  /// Workspaces not in use by a run; a run takes one per thread (allocating
  /// it the first time several runs overlap) and puts it back.
  std::unique_ptr<ArenaPool> arenas;
  /// The OpenMP threads of each run (kiln_set_threads); 0: the caller's.
  std::atomic<int> threads{0};
};

namespace {

void report(char *error, size_t size, const std::string &message) {
  if (error && size > 0)
    std::snprintf(error, size, "%s", message.c_str());
}

int fill(const std::vector<TensorInfo> &tensors,
         const std::vector<std::vector<int64_t>> &dims, size_t i,
         kiln_tensor_info *info) {
  if (!info || i >= tensors.size())
    return -1;
  const TensorInfo &t = tensors[i];
  info->name = t.name.c_str();
  info->dtype = t.dtype;
  info->rank = (int)t.shape.size();
  info->dims = dims[i].data();
  // A tensor that holds the positions of a sequence: the bytes of one
  // (sample and) position.
  info->bytes =
      t.sequenceAxis >= 0 ? t.byteSize() / t.sequenceExtent : t.byteSize();
  return 0;
}

std::vector<std::vector<int64_t>>
publicDims(const std::vector<TensorInfo> &tensors) {
  std::vector<std::vector<int64_t>> dims;
  for (const TensorInfo &t : tensors) {
    dims.push_back(t.shape);
    if (t.sampleAxis >= 0)
      dims.back()[t.sampleAxis] = -1;
    if (t.sequenceAxis >= 0)
      dims.back()[t.sequenceAxis] = -1;
  }
  return dims;
}

/// Checks one buffer against its tensor's size and alignment.
bool checkBuffer(const void *buffer, size_t bytes, const TensorInfo &info,
                 const char *kind, size_t index, char *error, size_t size) {
  std::string where = std::string(kind) + " " + std::to_string(index) + " (" +
                      info.describe() + ")";
  if (!buffer && info.byteSize() != 0) {
    report(error, size, where + ": the buffer is NULL");
    return false;
  }
  if (bytes != info.byteSize()) {
    report(error, size,
           where + ": expected " + std::to_string(info.byteSize()) +
               " bytes, got " + std::to_string(bytes));
    return false;
  }
  if ((uintptr_t)buffer % dtypeSize(info.dtype) != 0) {
    report(error, size, where + ": the buffer is not aligned to its elements");
    return false;
  }
  return true;
}

} // namespace

extern "C" {

kiln_model *kiln_create(char *error, size_t error_size) {
  auto *model = new (std::nothrow) kiln_model();
  if (!model) {
    report(error, error_size, "out of memory");
    return nullptr;
  }
  std::string message;
  if (!parseSignature(kiln_model_signature, model->signature, message) ||
      !model->weights.acquire(Weights::libraryPath(), message) ||
      !model->backend.init(message) ||
      !model->block.init(model->signature, model->backend, message) ||
      !model->buckets.init(model->signature, model->backend, message)) {
    report(error, error_size, message);
    delete model;
    return nullptr;
  }
  model->inputDims = publicDims(model->signature.inputs);
  model->outputDims = publicDims(model->signature.outputs);
  model->arenas = std::make_unique<ArenaPool>(model->backend, model->signature);
  return model;
}

kiln_model *kiln_create_threads(int threads, char *error, size_t error_size) {
  if (threads < 0 || threads > kiln::runtime::kMaxThreads) {
    report(error, error_size,
           "the thread count must be from 0 to " +
               std::to_string(kiln::runtime::kMaxThreads) + ", got " +
               std::to_string(threads));
    return nullptr;
  }
  // The backend's state reads the team size as it is loaded.
  ThreadsScope scope(threads);
  kiln_model *model = kiln_create(error, error_size);
  if (model)
    model->threads.store(threads, std::memory_order_relaxed);
  return model;
}

void kiln_destroy(kiln_model *model) { delete model; }

size_t kiln_num_inputs(const kiln_model *model) {
  return model ? model->signature.inputs.size() : 0;
}

size_t kiln_num_outputs(const kiln_model *model) {
  return model ? model->signature.outputs.size() : 0;
}

int kiln_input_info(const kiln_model *model, size_t i, kiln_tensor_info *info) {
  return model ? fill(model->signature.inputs, model->inputDims, i, info) : -1;
}

int kiln_output_info(const kiln_model *model, size_t i,
                     kiln_tensor_info *info) {
  return model ? fill(model->signature.outputs, model->outputDims, i, info)
               : -1;
}

} // extern "C"

namespace {

/// The number of samples and the sequence length of inputs of the dims
/// given (input_dims[i] holds the rank of input i dims); false with a
/// message naming the input and the dim.
bool shapeOfDims(const Signature &sig, const int64_t *const *input_dims,
                 int64_t &samples, int64_t &length, char *error,
                 size_t error_size) {
  std::vector<TensorInfo> given;
  for (size_t i = 0; i < sig.inputs.size(); ++i) {
    if (!input_dims[i] && !sig.inputs[i].shape.empty()) {
      report(error, error_size,
             "the dims of input " + std::to_string(i) + " are NULL");
      return false;
    }
    TensorInfo info = sig.inputs[i];
    info.sampleAxis = -1;
    info.sequenceAxis = -1;
    for (size_t d = 0; d < info.shape.size(); ++d)
      info.shape[d] = input_dims[i][d];
    given.push_back(info);
  }
  std::string message;
  if (!countShape(sig, given, samples, length, message)) {
    report(error, error_size, message);
    return false;
  }
  return true;
}

/// Checks the buffers of a run against the model and gathers them in
/// signature order, with the number of samples they hold.
bool prepareRun(const kiln_model *model, const void *const *inputs,
                const size_t *input_bytes, const int64_t *const *input_dims,
                void *const *outputs, const size_t *output_bytes,
                std::vector<void *> &buffers, int64_t &samples, int64_t &length,
                char *error, size_t error_size) {
  length = 0;
  if (!model) {
    report(error, error_size, "the model is NULL");
    return false;
  }
  const Signature &sig = model->signature;
  if ((!inputs || (!input_bytes && !input_dims)) && !sig.inputs.empty()) {
    report(error, error_size, "the input arrays are NULL");
    return false;
  }
  if (input_dims) {
    // The shapes are given: they decide the samples and the length.
    if (!shapeOfDims(sig, input_dims, samples, length, error, error_size))
      return false;
  } else if (sig.hasSequence()) {
    report(error, error_size,
           "the model's sequence length '" + sig.sequenceSymbol +
               "' varies at run time: byte sizes do not decide the shapes; "
               "call kiln_run_shaped with the inputs' dims");
    return false;
  }
  if (!outputs || !output_bytes) {
    report(error, error_size, "the output arrays are NULL");
    return false;
  }
  // The number of samples, from the inputs' sizes: only the open dim
  // varies, so a size decides the shape.
  if (!input_dims)
    samples = 1;
  if (!input_dims && !sig.symbol.empty()) {
    std::vector<TensorInfo> given;
    for (size_t i = 0; i < sig.inputs.size(); ++i) {
      TensorInfo info = sig.inputs[i];
      info.sampleAxis = -1;
      const TensorInfo &expected = sig.inputs[i];
      size_t perSample = expected.byteSize();
      if (expected.sampleAxis >= 0 && perSample > 0) {
        if (input_bytes[i] % perSample != 0) {
          report(error, error_size,
                 "input " + std::to_string(i) + " (" + expected.describe() +
                     "): expected a multiple of " + std::to_string(perSample) +
                     " bytes, got " + std::to_string(input_bytes[i]));
          return false;
        }
        info.shape[expected.sampleAxis] *= input_bytes[i] / perSample;
      }
      given.push_back(info);
    }
    std::string message;
    if (!countSamples(sig, given, samples, message)) {
      report(error, error_size, message);
      return false;
    }
  }
  for (size_t i = 0; i < sig.inputs.size(); ++i) {
    TensorInfo expected = sig.inputs[i].forShape(samples, length);
    if (!checkBuffer(inputs[i],
                     input_bytes ? input_bytes[i] : expected.byteSize(),
                     expected, "input", i, error, error_size))
      return false;
    buffers.push_back(const_cast<void *>(inputs[i]));
  }
  for (size_t i = 0; i < sig.outputs.size(); ++i) {
    if (!checkBuffer(outputs[i], output_bytes[i],
                     sig.outputs[i].forShape(samples, length), "output", i,
                     error, error_size))
      return false;
    buffers.push_back(outputs[i]);
  }
  return true;
}

/// One profile at a time: the per-op hooks record into one table.
std::mutex profileMutex;

/// kiln_run and kiln_run_shaped: the inputs' sizes are given by their byte
/// sizes or by their dims.
int run(const kiln_model *model, const void *const *inputs,
        const size_t *input_bytes, const int64_t *const *input_dims,
        void *const *outputs, const size_t *output_bytes, char *error,
        size_t error_size) {
  std::vector<void *> buffers;
  int64_t samples, length;
  if (!prepareRun(model, inputs, input_bytes, input_dims, outputs, output_bytes,
                  buffers, samples, length, error, error_size))
    return -1;
  ThreadsScope threads(model->threads.load(std::memory_order_relaxed));
  std::string message;
  if (!runShape(buffers, model->signature, model->backend, samples, length,
                *model->arenas,
                /*parallel=*/true, message, &model->block, &model->buckets)) {
    report(error, error_size, message);
    return -1;
  }
  return 0;
}

} // namespace

extern "C" {

int kiln_run(const kiln_model *model, const void *const *inputs,
             const size_t *input_bytes, void *const *outputs,
             const size_t *output_bytes, char *error, size_t error_size) {
  return run(model, inputs, input_bytes, nullptr, outputs, output_bytes, error,
             error_size);
}

int kiln_run_shaped(const kiln_model *model, const void *const *inputs,
                    const int64_t *const *input_dims, void *const *outputs,
                    const size_t *output_bytes, char *error,
                    size_t error_size) {
  if (model && !input_dims && !model->signature.inputs.empty()) {
    report(error, error_size, "the dims arrays are NULL");
    return -1;
  }
  return run(model, inputs, nullptr, input_dims, outputs, output_bytes, error,
             error_size);
}

int kiln_set_threads(kiln_model *model, int threads) {
  if (!model || threads < 0 || threads > kiln::runtime::kMaxThreads)
    return -1;
  model->threads.store(threads, std::memory_order_relaxed);
  return 0;
}

int kiln_profile(const kiln_model *model, const void *const *inputs,
                 const size_t *input_bytes, void *const *outputs,
                 const size_t *output_bytes, long runs, kiln_op_time_fn each_op,
                 void *user, double *run_us, char *error, size_t error_size) {
  std::vector<void *> buffers;
  int64_t samples, length;
  if (!prepareRun(model, inputs, input_bytes, nullptr, outputs, output_bytes,
                  buffers, samples, length, error, error_size))
    return -1;
  if (runs < 1) {
    report(error, error_size, "the number of runs must be at least 1");
    return -1;
  }
  std::lock_guard<std::mutex> lock(profileMutex);
  ThreadsScope threads(model->threads.load(std::memory_order_relaxed));
  // One sample at a time, as the executable's --profile does, so that each
  // op is timed once per sample.
  double runUs;
  std::vector<OpTime> ops;
  std::string message;
  if (!profileSamples(buffers, model->signature, model->backend, samples,
                      *model->arenas, runs, runUs, ops, message, length,
                      &model->buckets)) {
    report(error, error_size, message);
    return -1;
  }
  if (run_us)
    *run_us = runUs;
  if (each_op)
    for (const OpTime &op : ops)
      each_op(user, op.name.c_str(), op.op.c_str(), op.calls,
              op.totalUs / runs);
  return 0;
}

const char *kiln_dim_symbol(const kiln_model *model) {
  if (!model || model->signature.symbol.empty())
    return nullptr;
  return model->signature.symbol.c_str();
}

const char *kiln_sequence_symbol(const kiln_model *model) {
  if (!model || !model->signature.hasSequence())
    return nullptr;
  return model->signature.sequenceSymbol.c_str();
}

int kiln_sequence_axis(const kiln_model *model, int output, size_t i,
                       int64_t *entries) {
  if (!model)
    return -2;
  const std::vector<TensorInfo> &tensors =
      output ? model->signature.outputs : model->signature.inputs;
  if (i >= tensors.size())
    return -2;
  const TensorInfo &t = tensors[i];
  if (t.sequenceAxis < 0)
    return -1;
  if (entries)
    *entries = t.shape[t.sequenceAxis] / t.sequenceExtent;
  return t.sequenceAxis;
}

int kiln_sequence_range(const kiln_model *model, int64_t *low, int64_t *high) {
  if (!model || !model->signature.hasSequence())
    return -1;
  if (low)
    *low = model->signature.minLength;
  if (high)
    *high = model->signature.maxLength;
  return 0;
}

int kiln_output_shapes(const kiln_model *model,
                       const int64_t *const *input_dims,
                       int64_t *const *output_dims, char *error,
                       size_t error_size) {
  if (!model) {
    report(error, error_size, "the model is NULL");
    return -1;
  }
  const Signature &sig = model->signature;
  if ((!input_dims && !sig.inputs.empty()) || !output_dims) {
    report(error, error_size, "the dims arrays are NULL");
    return -1;
  }
  int64_t samples = 1, length = 0;
  if (!shapeOfDims(sig, input_dims, samples, length, error, error_size))
    return -1;
  for (size_t i = 0; i < sig.outputs.size(); ++i) {
    TensorInfo out = sig.outputs[i].forShape(samples, length);
    if (!output_dims[i] && !out.shape.empty()) {
      report(error, error_size,
             "the dims of output " + std::to_string(i) + " are NULL");
      return -1;
    }
    for (size_t d = 0; d < out.shape.size(); ++d)
      output_dims[i][d] = out.shape[d];
  }
  return 0;
}

} // extern "C"

//===- Library.cpp - The C API of shared-library models -------------------===//

#include "kiln/Runtime/KilnModel.h"
#include "kiln/Runtime/Parallel.h"
#include "kiln/Runtime/Runtime.h"
#include "kiln/Runtime/Tensor.h"
#include "kiln/Runtime/Weights.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <string>
#include <vector>

using namespace kiln::runtime;

struct kiln_model {
  Signature signature;
  /// The mapping of the weights file, for models compiled with
  /// --weights=external; released after the primitives that read it.
  Weights weights;
  /// The oneDNN primitives of a dnnl-backend model, shared by all runs.
  Backend backend;
  /// Workspaces not in use by a run; kiln_run takes one (allocating it the
  /// first time several runs overlap) and puts it back.
  mutable std::mutex mutex;
  mutable std::vector<void *> workspaces;

  ~kiln_model() {
    for (void *w : workspaces)
      std::free(w);
  }
  void *acquire() const {
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (!workspaces.empty()) {
        void *w = workspaces.back();
        workspaces.pop_back();
        return w;
      }
    }
    size_t bytes =
        (std::max<uint64_t>(arenaBytes(backend, signature), 1) + 63) / 64 * 64;
    return std::aligned_alloc(64, bytes);
  }
  void release(void *w) const {
    std::lock_guard<std::mutex> lock(mutex);
    workspaces.push_back(w);
  }
};

namespace {

void report(char *error, size_t size, const std::string &message) {
  if (error && size > 0)
    std::snprintf(error, size, "%s", message.c_str());
}

int fill(const std::vector<TensorInfo> &tensors, size_t i,
         kiln_tensor_info *info) {
  if (!info || i >= tensors.size())
    return -1;
  const TensorInfo &t = tensors[i];
  info->name = t.name.c_str();
  info->dtype = t.dtype;
  info->rank = (int)t.shape.size();
  info->dims = t.shape.data();
  info->bytes = t.byteSize();
  return 0;
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
      !model->backend.init(message)) {
    report(error, error_size, message);
    delete model;
    return nullptr;
  }
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
  return model ? fill(model->signature.inputs, i, info) : -1;
}

int kiln_output_info(const kiln_model *model, size_t i,
                     kiln_tensor_info *info) {
  return model ? fill(model->signature.outputs, i, info) : -1;
}

int kiln_run(const kiln_model *model, const void *const *inputs,
             const size_t *input_bytes, void *const *outputs,
             const size_t *output_bytes, char *error, size_t error_size) {
  if (!model) {
    report(error, error_size, "the model is NULL");
    return -1;
  }
  const Signature &sig = model->signature;
  if ((!inputs || !input_bytes) && !sig.inputs.empty()) {
    report(error, error_size, "the input arrays are NULL");
    return -1;
  }
  if (!outputs || !output_bytes) {
    report(error, error_size, "the output arrays are NULL");
    return -1;
  }
  std::vector<void *> buffers;
  for (size_t i = 0; i < sig.inputs.size(); ++i) {
    if (!checkBuffer(inputs[i], input_bytes[i], sig.inputs[i], "input", i,
                     error, error_size))
      return -1;
    buffers.push_back(const_cast<void *>(inputs[i]));
  }
  for (size_t i = 0; i < sig.outputs.size(); ++i) {
    if (!checkBuffer(outputs[i], output_bytes[i], sig.outputs[i], "output", i,
                     error, error_size))
      return -1;
    buffers.push_back(outputs[i]);
  }
  void *workspace = model->acquire();
  if (!workspace) {
    report(error, error_size, "cannot allocate the model's workspace");
    return -1;
  }
  std::string message;
  bool ok = runModel(buffers, sig, model->backend, workspace, message);
  model->release(workspace);
  if (!ok) {
    report(error, error_size, message);
    return -1;
  }
  return 0;
}

} // extern "C"

//===- Tensor.h - Host tensors, signatures and tensor files -----*- C++ -*-===//
//
// Reading and writing .npy files and serialized onnx.TensorProto (.pb)
// files, validated against a model's signature. Errors are returned as
// messages, never as undefined behaviour on malformed files.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_TENSOR_H
#define KILN_RUNTIME_TENSOR_H

#include "kiln/Runtime/ABI.h"

#include <cstdint>
#include <string>
#include <vector>

namespace kiln::runtime {

/// Element types, by their ONNX TensorProto code.
using abi::DType;
using abi::dtypeSize;

/// "f32", "i64", ...; "dtype N" for unknown codes.
std::string dtypeName(int code);

struct TensorInfo {
  std::string name;
  int dtype = 0;
  /// The shape; for a tensor that holds the samples of a model whose open
  /// dim varies at run time, the shape for one sample.
  std::vector<int64_t> shape;
  /// The axis that holds the samples (-1: none), each sample taking
  /// shape[sampleAxis] entries along it, and the open dim's name.
  int sampleAxis = -1;
  /// How many blocks of all the samples the axis holds: 1 when the samples
  /// are its outermost factor, S for an axis of S*N entries whose entry
  /// s*N + n belongs to sample n.
  int64_t sampleBlocks = 1;
  std::string symbol;
  /// For a tensor that holds the positions of a padded sequence: their
  /// axis (-1: none), the extent they are padded to (shape[sequenceAxis]
  /// is a multiple of it) and the sequence's name.
  int sequenceAxis = -1;
  int64_t sequenceExtent = 0;
  std::string sequenceSymbol;
  int64_t numElements() const;
  size_t byteSize() const { return numElements() * dtypeSize(dtype); }
  /// "x: f32 [1, 3, 224, 224]"; "x: f32 [batch, 3, 224, 224]" when dim 0
  /// holds the samples.
  std::string describe() const;
  /// The tensor for `samples` samples (itself when it holds none).
  TensorInfo forSamples(int64_t samples) const;
  /// The tensor for `samples` samples of sequences of `length` positions.
  TensorInfo forShape(int64_t samples, int64_t length) const;
};

/// A run-time check of data-dependent indices (kiln-check-indices): the
/// model writes the smallest and largest index an op read, which must lie
/// in [low, high].
struct IndexCheck {
  int64_t low = 0, high = 0;
  /// The op, as kilnc names it in messages: "NODE (Gather)".
  std::string what;
};

struct Signature {
  std::vector<TensorInfo> inputs, outputs;
  std::vector<IndexCheck> checks;
  /// The open dim that varies at run time, "" for a model of fixed shapes,
  /// and the numbers of samples the model takes.
  std::string symbol;
  int64_t minSamples = 0, maxSamples = INT64_MAX;
  /// A second open dim, a sequence length: its name, the extent the
  /// model's tensors pad it to and the lengths it takes ("" and 0 without
  /// one). The model then takes the length as one more input, after the
  /// others, which `inputs` leaves out.
  std::string sequenceSymbol;
  int64_t sequenceExtent = 0, minLength = 0, maxLength = 0;
  /// Where the length goes among the model's inputs (-1: none).
  int lengthInput = -1;
  bool hasSequence() const { return sequenceExtent > 0; }
};

/// The number of samples and the sequence length (0 for a model without
/// one) of inputs of the shapes `given`; false with a message as
/// countSamples.
bool countShape(const Signature &signature,
                const std::vector<TensorInfo> &given, int64_t &samples,
                int64_t &length, std::string &error);

/// The number of samples in inputs of the shapes `given` (one per input of
/// `signature`): 1 for a model of fixed shapes. Returns false, with a
/// message naming the input and the dim, when a shape does not fit the
/// signature, inputs disagree on the number of samples or a tensor's size
/// would overflow.
bool countSamples(const Signature &signature,
                  const std::vector<TensorInfo> &given, int64_t &samples,
                  std::string &error);

/// Parses kiln_model_signature. Returns false (with a message) when it is
/// malformed.
bool parseSignature(const char *text, Signature &signature, std::string &error);

struct HostTensor {
  TensorInfo info;
  std::vector<uint8_t> data;
};

/// Reads a .npy file or a serialized onnx.TensorProto (.pb).
bool readTensorFile(const std::string &path, HostTensor &tensor,
                    std::string &error);

/// Writes a .npy file (through a temporary file and a rename).
bool writeNpy(const std::string &path, const HostTensor &tensor,
              std::string &error);
/// The same from `bytes` bytes at `data`, laid out as `info` says (no copy
/// of them is made, but of bfloat16, which is widened to float32).
bool writeNpy(const std::string &path, const TensorInfo &info, const void *data,
              size_t bytes, std::string &error);

/// Replaces every character of `name` outside [A-Za-z0-9_.-] by '_'.
std::string sanitizeFileName(const std::string &name);

} // namespace kiln::runtime

#endif // KILN_RUNTIME_TENSOR_H

//===- ABI.h - What the compiler and the runtime agree on -------*- C++ -*-===//
//
// Every code and record a compiled model hands to Kiln's runtime, with the
// helpers that write them (in the compiler) and read them back (in the
// runtime): the symbols a model defines, element type codes, the weights
// file's header and the program of oneDNN primitives of the dnnl backend.
// Plain C++17 and header-only: the runtime links no MLIR or LLVM.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_ABI_H
#define KILN_RUNTIME_ABI_H

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>
#include <vector>

namespace kiln::abi {

//===----------------------------------------------------------------------===//
// Symbols of a compiled model (see Runtime.h for their C declarations)
//===----------------------------------------------------------------------===//

inline constexpr const char *kModelRun = "kiln_model_run";
inline constexpr const char *kModelTask = "kiln_model_task";
inline constexpr const char *kModelSignature = "kiln_model_signature";
inline constexpr const char *kModelProfileOps = "kiln_model_profile_ops";
inline constexpr const char *kModelWorkspaceBytes =
    "kiln_model_workspace_bytes";
inline constexpr const char *kModelWeightsBytes = "kiln_model_weights_bytes";
inline constexpr const char *kModelWeightsId = "kiln_model_weights_id";
inline constexpr const char *kModelWeightsFile = "kiln_model_weights_file";
inline constexpr const char *kModelWeightsBase = "kiln_model_weights_base";
/// The weights kept in the binary, as one array (kiln-externalize-weights'
/// `embed`).
inline constexpr const char *kModelWeightsData = "kiln_model_weights_data";
inline constexpr const char *kModelDnnlProgram = "kiln_model_dnnl_program";
inline constexpr const char *kModelDnnlConstants = "kiln_model_dnnl_constants";
/// Runtime functions the model calls.
inline constexpr const char *kDnnlExecute = "kiln_dnnl_execute";
inline constexpr const char *kParallelFor = "kiln_parallel_for";
inline constexpr const char *kProfileEnter = "kiln_profile_enter";
inline constexpr const char *kProfileExit = "kiln_profile_exit";
/// An i32 of the runtime's, nonzero while some thread profiles: the model
/// calls the two hooks above only then.
inline constexpr const char *kProfileActive = "kiln_profile_active";

//===----------------------------------------------------------------------===//
// Element types: ONNX's TensorProto.DataType codes
//===----------------------------------------------------------------------===//

enum class DType : int {
  Undefined = 0,
  F32 = 1,
  U8 = 2,
  I8 = 3,
  U16 = 4,
  I16 = 5,
  I32 = 6,
  I64 = 7,
  Bool = 9,
  F16 = 10,
  F64 = 11,
  U32 = 12,
  U64 = 13,
  BF16 = 16
};

/// Bytes per element; 0 for codes Kiln does not know.
inline size_t dtypeSize(int code) {
  switch (DType(code)) {
  case DType::U8:
  case DType::I8:
  case DType::Bool:
    return 1;
  case DType::U16:
  case DType::I16:
  case DType::F16:
  case DType::BF16:
    return 2;
  case DType::F32:
  case DType::I32:
  case DType::U32:
    return 4;
  case DType::I64:
  case DType::U64:
  case DType::F64:
    return 8;
  default:
    return 0;
  }
}

/// The code of an element type by its kind and width: float (`isFloat`,
/// with `isBrain` for bfloat16), or integer (`isUnsigned`; width 1 is
/// bool); Undefined for the others.
inline DType dtypeOf(bool isFloat, unsigned bits, bool isUnsigned = false,
                     bool isBrain = false) {
  if (isFloat)
    return bits == 32   ? DType::F32
           : bits == 64 ? DType::F64
           : bits == 16 ? (isBrain ? DType::BF16 : DType::F16)
                        : DType::Undefined;
  switch (bits) {
  case 1:
    return DType::Bool;
  case 8:
    return isUnsigned ? DType::U8 : DType::I8;
  case 16:
    return isUnsigned ? DType::U16 : DType::I16;
  case 32:
    return isUnsigned ? DType::U32 : DType::I32;
  case 64:
    return isUnsigned ? DType::U64 : DType::I64;
  default:
    return DType::Undefined;
  }
}

//===----------------------------------------------------------------------===//
// The weights file (--weights=external)
//===----------------------------------------------------------------------===//
//
// A 64-byte header, then the payload: each constant at a 64-byte aligned
// offset. The header holds the magic, the payload's size and its 64-bit
// FNV-1a hash, little endian; the model holds the same size and hash
// (kiln_model_weights_bytes and _id) and maps the payload at
// kiln_model_weights_base.

inline constexpr size_t kWeightsHeaderBytes = 64;
inline constexpr size_t kWeightsAlignment = 64;
/// Constants smaller than this stay in the binary.
inline constexpr size_t kWeightsMinBytes = 64;
/// The smallest constant gathered into the array of weights kept in the
/// binary: smaller ones, and splats, stay constants LLVM can fold.
inline constexpr size_t kEmbeddedWeightsMinBytes = 4096;
inline constexpr char kWeightsMagic[8] = {'K', 'I', 'L', 'N',
                                          'W', 'T', 'S', '1'};

struct WeightsHeader {
  uint64_t payloadBytes = 0;
  uint64_t hash = 0;
};

/// 64-bit FNV-1a of `size` bytes.
inline uint64_t fnv1a(const void *data, size_t size) {
  uint64_t hash = 0xcbf29ce484222325ull;
  const auto *bytes = static_cast<const unsigned char *>(data);
  for (size_t i = 0; i < size; ++i)
    hash = (hash ^ bytes[i]) * 0x100000001b3ull;
  return hash;
}

inline void encodeWeightsHeader(const WeightsHeader &header,
                                char out[kWeightsHeaderBytes]) {
  std::memset(out, 0, kWeightsHeaderBytes);
  std::memcpy(out, kWeightsMagic, sizeof(kWeightsMagic));
  for (int i = 0; i < 8; ++i) {
    out[8 + i] = (char)((header.payloadBytes >> (8 * i)) & 0xff);
    out[16 + i] = (char)((header.hash >> (8 * i)) & 0xff);
  }
}

/// The header of a weights file; nullopt when it has not the magic.
inline std::optional<WeightsHeader>
decodeWeightsHeader(const unsigned char in[kWeightsHeaderBytes]) {
  if (std::memcmp(in, kWeightsMagic, sizeof(kWeightsMagic)) != 0)
    return std::nullopt;
  WeightsHeader header;
  for (int i = 7; i >= 0; --i) {
    header.payloadBytes = (header.payloadBytes << 8) | in[8 + i];
    header.hash = (header.hash << 8) | in[16 + i];
  }
  return header;
}

//===----------------------------------------------------------------------===//
// The oneDNN program of the dnnl backend
//===----------------------------------------------------------------------===//
//
// kiln_model_dnnl_program is an array of int64: the magic, the version, the
// program's length in words and the number of records, then each record:
// its primitive, input and output counts, per operand its constant index
// (-1: passed at run time), dtype, layout, rank and dims, then the count
// and values of its integer parameters and of its float parameters (as
// f32 bit patterns). Each primitive's parameters are one of the named
// records below, which say what each word means.

inline constexpr int64_t kDnnlProgramMagic = 0x4b494c4e; // "KILN"
inline constexpr int64_t kDnnlProgramVersion = 1;
inline constexpr int64_t kDnnlProgramHeaderWords = 4;
/// Most non-constant operands of one primitive call (the pointers passed to
/// kiln_dnnl_execute).
inline constexpr int64_t kDnnlMaxPointers = 16;
/// Most operands of one record, and most parameters of each kind.
inline constexpr int64_t kDnnlMaxOperands = 32;
inline constexpr int64_t kDnnlMaxParams = 64;
inline constexpr int64_t kDnnlMaxRank = 12;

enum class DnnlPrimitive : int64_t {
  Conv = 1,
  Deconv,
  MatMul,
  Pool,
  BatchNorm,
  LayerNorm,
  Softmax,
  LogSoftmax,
  LRN,
  Reorder,
  RNN,
  GRU,
  LSTM
};

/// The names of the primitives, as kiln_backend.dnnl_call spells them, by code.
inline constexpr std::string_view kDnnlPrimitiveNames[] = {
    "?",          "conv",       "deconv",  "matmul",      "pool",
    "batch_norm", "layer_norm", "softmax", "log_softmax", "lrn",
    "reorder",    "rnn",        "gru",     "lstm"};

inline bool isDnnlPrimitive(int64_t code) {
  return code >= (int64_t)DnnlPrimitive::Conv &&
         code <= (int64_t)DnnlPrimitive::LSTM;
}
inline std::string_view dnnlPrimitiveName(int64_t code) {
  return isDnnlPrimitive(code) ? kDnnlPrimitiveNames[code] : "?";
}
inline std::optional<DnnlPrimitive> parseDnnlPrimitive(std::string_view name) {
  for (int64_t code = 1; code <= (int64_t)DnnlPrimitive::LSTM; ++code)
    if (kDnnlPrimitiveNames[code] == name)
      return DnnlPrimitive(code);
  return std::nullopt;
}

/// Operand layouts: dense row-major, or oneDNN's nC[D][H]W{8,16}c.
inline constexpr int64_t kDenseLayout = 0;
inline bool isBlockedLayout(int64_t layout) {
  return layout == 8 || layout == 16;
}

/// oneDNN's eltwise post-ops a convolution or matmul may end with.
enum class DnnlEltwise : int64_t {
  None = 0,
  Relu, // alpha: the negative slope
  Clip, // alpha, beta: the bounds
  Logistic,
  Tanh,
  GeluErf,
  GeluTanh,
  Swish, // alpha: 1
  HardSwish,
  Elu, // alpha
  Last = Elu
};

/// An eltwise post-op with its alpha and beta.
struct DnnlActivation {
  DnnlEltwise eltwise = DnnlEltwise::None;
  float alpha = 0.0f, beta = 0.0f;
};

struct DnnlOperand {
  int64_t constant = -1;
  int64_t dtype = (int64_t)DType::F32;
  int64_t layout = kDenseLayout;
  std::vector<int64_t> dims;
};

/// One primitive of the program, its parameters still as words.
struct DnnlRecord {
  int64_t kind = 0, inputs = 0, outputs = 0;
  std::vector<DnnlOperand> operands;
  std::vector<int64_t> params;
  std::vector<float> fparams;
};

/// Reads a record's parameters in order, never past their end.
class ParamReader {
public:
  ParamReader(const std::vector<int64_t> &params,
              const std::vector<float> &fparams)
      : params(params), fparams(fparams) {}
  bool next(int64_t &value) {
    if (at >= params.size())
      return false;
    value = params[at++];
    return true;
  }
  bool next(bool &value) {
    int64_t word;
    if (!next(word) || (word != 0 && word != 1))
      return false;
    value = word != 0;
    return true;
  }
  bool take(std::vector<int64_t> &out, int64_t count) {
    if (count < 0 || (size_t)count > params.size() - at)
      return false;
    out.assign(params.begin() + at, params.begin() + at + count);
    at += count;
    return true;
  }
  bool nextFloat(float &value) {
    if (fat >= fparams.size())
      return false;
    value = fparams[fat++];
    return true;
  }
  bool atEnd() const { return at == params.size(); }
  bool allFloatsRead() const { return fat == fparams.size(); }

private:
  const std::vector<int64_t> &params;
  const std::vector<float> &fparams;
  size_t at = 0, fat = 0;
};

/// A spatial window of `k` dims: strides, dilations (1 is dense, as ONNX
/// counts them) and begin and end pads, and for pooling the kernel first.
struct DnnlWindow {
  std::vector<int64_t> kernel, strides, dilations, padBegin, padEnd;

  void encode(std::vector<int64_t> &params, bool withKernel) const {
    params.push_back((int64_t)strides.size());
    if (withKernel)
      params.insert(params.end(), kernel.begin(), kernel.end());
    for (const auto *part : {&strides, &dilations, &padBegin, &padEnd})
      params.insert(params.end(), part->begin(), part->end());
  }
  bool decode(ParamReader &reader, bool withKernel) {
    int64_t k;
    if (!reader.next(k) || k < 1 || k > 3)
      return false;
    if (withKernel && !reader.take(kernel, k))
      return false;
    return reader.take(strides, k) && reader.take(dilations, k) &&
           reader.take(padBegin, k) && reader.take(padEnd, k);
  }
};

/// Appends the post-op code and, when there is one, its alpha and beta.
inline void encodeActivation(const DnnlActivation &activation,
                             std::vector<int64_t> &params,
                             std::vector<float> &fparams) {
  params.push_back((int64_t)activation.eltwise);
  if (activation.eltwise != DnnlEltwise::None)
    fparams.insert(fparams.end(), {activation.alpha, activation.beta});
}
inline bool decodeActivation(ParamReader &reader, DnnlActivation &activation) {
  int64_t code;
  if (!reader.next(code) || code < 0 || code > (int64_t)DnnlEltwise::Last)
    return false;
  activation.eltwise = DnnlEltwise(code);
  return activation.eltwise == DnnlEltwise::None ||
         (reader.nextFloat(activation.alpha) &&
          reader.nextFloat(activation.beta));
}

/// conv: src, weights ([G,] OC/G, IC/G, K...), [bias] -> dst (holding the
/// residual when `sum`), then the post-ops: the sum and the activation;
/// `winograd`: computed by Winograd's minimal filtering where oneDNN has a
/// kernel for it (else directly). deconv: src, weights (ONNX's [IC, OC/G,
/// K...]) -> dst; no bias, no post-ops.
struct DnnlConvParams {
  bool hasBias = false;
  int64_t groups = 1;
  DnnlWindow window;
  bool sum = false;
  bool winograd = false;
  DnnlActivation activation;

  void encode(DnnlPrimitive kind, std::vector<int64_t> &params,
              std::vector<float> &fparams) const {
    params.insert(params.end(), {hasBias ? 1 : 0, groups});
    window.encode(params, /*withKernel=*/false);
    if (kind != DnnlPrimitive::Conv)
      return;
    params.push_back(sum ? 1 : 0);
    params.push_back(winograd ? 1 : 0);
    encodeActivation(activation, params, fparams);
  }
  bool decode(DnnlPrimitive kind, ParamReader &reader) {
    if (!reader.next(hasBias) || !reader.next(groups) || groups < 1 ||
        !window.decode(reader, /*withKernel=*/false))
      return false;
    if (kind == DnnlPrimitive::Conv &&
        (!reader.next(sum) || !reader.next(winograd) ||
         !decodeActivation(reader, activation)))
      return false;
    return reader.atEnd() && reader.allFloatsRead();
  }
};

/// matmul: src, weights, [bias] -> dst (holding the residual when `sum`);
/// an operand marked transposed is stored with its last two dims swapped;
/// then the post-ops: the sum and optionally an activation.
struct DnnlMatMulParams {
  bool hasBias = false, transSrc = false, transWeights = false, sum = false;
  DnnlActivation activation;

  void encode(std::vector<int64_t> &params, std::vector<float> &fparams) const {
    params.insert(params.end(), {hasBias ? 1 : 0, transSrc ? 1 : 0,
                                 transWeights ? 1 : 0, sum ? 1 : 0});
    if (activation.eltwise != DnnlEltwise::None)
      encodeActivation(activation, params, fparams);
  }
  bool decode(ParamReader &reader) {
    if (!reader.next(hasBias) || !reader.next(transSrc) ||
        !reader.next(transWeights) || !reader.next(sum))
      return false;
    if (!reader.atEnd() && !decodeActivation(reader, activation))
      return false;
    return reader.atEnd() && reader.allFloatsRead();
  }
};

enum class DnnlPoolAlgorithm : int64_t {
  Max = 0,
  AvgIncludePadding = 1,
  AvgExcludePadding = 2
};

/// pool: src -> dst.
struct DnnlPoolParams {
  DnnlPoolAlgorithm algorithm = DnnlPoolAlgorithm::Max;
  DnnlWindow window;

  void encode(std::vector<int64_t> &params, std::vector<float> &) const {
    params.push_back((int64_t)algorithm);
    window.encode(params, /*withKernel=*/true);
  }
  bool decode(ParamReader &reader) {
    int64_t code;
    if (!reader.next(code) || code < 0 || code > 2)
      return false;
    algorithm = DnnlPoolAlgorithm(code);
    return window.decode(reader, /*withKernel=*/true) && reader.atEnd();
  }
};

/// batch_norm: src, scale, shift, mean, variance -> dst.
struct DnnlBatchNormParams {
  float epsilon = 0.0f;

  void encode(std::vector<int64_t> &, std::vector<float> &fparams) const {
    fparams.push_back(epsilon);
  }
  bool decode(ParamReader &reader) {
    return reader.nextFloat(epsilon) && reader.atEnd() &&
           reader.allFloatsRead();
  }
};

/// layer_norm: src [outer, inner], scale [inner], [shift [inner]] -> dst.
struct DnnlLayerNormParams {
  bool hasShift = false;
  float epsilon = 0.0f;

  void encode(std::vector<int64_t> &params, std::vector<float> &fparams) const {
    params.push_back(hasShift ? 1 : 0);
    fparams.push_back(epsilon);
  }
  bool decode(ParamReader &reader) {
    return reader.next(hasShift) && reader.nextFloat(epsilon) &&
           reader.atEnd() && reader.allFloatsRead();
  }
};

/// softmax, log_softmax: src -> dst.
struct DnnlSoftmaxParams {
  int64_t axis = 0;

  void encode(std::vector<int64_t> &params, std::vector<float> &) const {
    params.push_back(axis);
  }
  bool decode(ParamReader &reader) {
    return reader.next(axis) && reader.atEnd();
  }
};

/// lrn: src -> dst, across channels.
struct DnnlLRNParams {
  int64_t size = 1;
  float alpha = 0.0f, beta = 0.0f, bias = 0.0f;

  void encode(std::vector<int64_t> &params, std::vector<float> &fparams) const {
    params.push_back(size);
    fparams.insert(fparams.end(), {alpha, beta, bias});
  }
  bool decode(ParamReader &reader) {
    return reader.next(size) && reader.nextFloat(alpha) &&
           reader.nextFloat(beta) && reader.nextFloat(bias) && reader.atEnd() &&
           reader.allFloatsRead();
  }
};

enum class DnnlDirection : int64_t {
  Forward = 0,
  Reverse = 1,
  Bidirectional = 2
};
/// The activation of a vanilla RNN.
enum class DnnlRNNActivation : int64_t { Tanh = 0, Relu = 1, Sigmoid = 2 };

/// rnn, gru, lstm: src_layer [T, N, I], W [D, G*H, I], R [D, G*H, H],
/// B [D, 2*G*H] (ONNX's layouts and gate order, all constants),
/// [h0 [1, D, N, H]], [c0 [1, D, N, H]] -> dst_layer [T, N, D*H],
/// dst_iter [1, D, N, H], [dst_iter_c [1, D, N, H]].
struct DnnlRecurrentParams {
  DnnlDirection direction = DnnlDirection::Forward;
  int64_t hidden = 0;
  bool hasH0 = false, hasC0 = false, linearBeforeReset = false;
  DnnlRNNActivation activation = DnnlRNNActivation::Tanh;

  void encode(std::vector<int64_t> &params, std::vector<float> &) const {
    params.insert(params.end(),
                  {(int64_t)direction, hidden, hasH0 ? 1 : 0, hasC0 ? 1 : 0,
                   linearBeforeReset ? 1 : 0, (int64_t)activation});
  }
  bool decode(ParamReader &reader) {
    int64_t dir, act;
    if (!reader.next(dir) || dir < 0 || dir > 2 || !reader.next(hidden) ||
        hidden < 1 || !reader.next(hasH0) || !reader.next(hasC0) ||
        !reader.next(linearBeforeReset) || !reader.next(act) || act < 0 ||
        act > 2)
      return false;
    direction = DnnlDirection(dir);
    activation = DnnlRNNActivation(act);
    return reader.atEnd();
  }
};

/// Appends the program's header for `count` records; the length is filled
/// in by finishDnnlProgram.
inline void beginDnnlProgram(std::vector<int64_t> &program, int64_t count) {
  program = {kDnnlProgramMagic, kDnnlProgramVersion, 0, count};
}

/// Appends a record's kind, operand counts and operands.
inline void appendDnnlRecordHead(std::vector<int64_t> &program,
                                 DnnlPrimitive kind, int64_t inputs,
                                 int64_t outputs) {
  program.insert(program.end(), {(int64_t)kind, inputs, outputs});
}
inline void appendDnnlOperand(std::vector<int64_t> &program,
                              const DnnlOperand &operand) {
  program.insert(program.end(), {operand.constant, operand.dtype,
                                 operand.layout, (int64_t)operand.dims.size()});
  program.insert(program.end(), operand.dims.begin(), operand.dims.end());
}
/// Appends a record's parameters, after its operands.
inline void appendDnnlParams(std::vector<int64_t> &program,
                             const std::vector<int64_t> &params,
                             const std::vector<float> &fparams) {
  program.push_back((int64_t)params.size());
  program.insert(program.end(), params.begin(), params.end());
  program.push_back((int64_t)fparams.size());
  for (float value : fparams) {
    uint32_t bits;
    std::memcpy(&bits, &value, sizeof(bits));
    program.push_back(bits);
  }
}
inline void finishDnnlProgram(std::vector<int64_t> &program) {
  program[2] = (int64_t)program.size();
}

/// Reads the records of a program; false when it is malformed: another
/// magic or version, a length or count out of bounds, an operand that is
/// not f32 or of an unknown layout, too many operands or parameters.
/// Never reads past the program's recorded length.
inline bool readDnnlProgram(const int64_t *program,
                            std::vector<DnnlRecord> &records) {
  if (program[0] != kDnnlProgramMagic || program[1] != kDnnlProgramVersion ||
      program[2] < kDnnlProgramHeaderWords || program[3] < 0)
    return false;
  const int64_t *words = program + kDnnlProgramHeaderWords;
  int64_t length = program[2] - kDnnlProgramHeaderWords, at = 0;
  auto next = [&](int64_t &value) {
    if (at >= length)
      return false;
    value = words[at++];
    return true;
  };
  records.assign(program[3], DnnlRecord());
  for (DnnlRecord &record : records) {
    int64_t count;
    if (!next(record.kind) || !isDnnlPrimitive(record.kind) ||
        !next(record.inputs) || !next(record.outputs) || record.inputs < 0 ||
        record.outputs < 0 || record.inputs + record.outputs > kDnnlMaxOperands)
      return false;
    for (int64_t i = 0; i < record.inputs + record.outputs; ++i) {
      DnnlOperand operand;
      int64_t rank;
      if (!next(operand.constant) || !next(operand.dtype) ||
          !next(operand.layout) || !next(rank) ||
          operand.dtype != (int64_t)DType::F32 || rank < 0 ||
          rank > kDnnlMaxRank)
        return false;
      if (operand.layout != kDenseLayout &&
          (!isBlockedLayout(operand.layout) || rank < 3 || rank > 5 ||
           operand.constant >= 0))
        return false;
      operand.dims.resize(rank);
      for (int64_t &d : operand.dims)
        if (!next(d) || d < 0)
          return false;
      record.operands.push_back(operand);
    }
    if (!next(count) || count < 0 || count > kDnnlMaxParams)
      return false;
    record.params.resize(count);
    for (int64_t &p : record.params)
      if (!next(p))
        return false;
    if (!next(count) || count < 0 || count > kDnnlMaxParams)
      return false;
    for (int64_t i = 0; i < count; ++i) {
      int64_t bits;
      if (!next(bits))
        return false;
      uint32_t word = (uint32_t)bits;
      float value;
      std::memcpy(&value, &word, sizeof(value));
      record.fparams.push_back(value);
    }
  }
  return true;
}

} // namespace kiln::abi

#endif // KILN_RUNTIME_ABI_H

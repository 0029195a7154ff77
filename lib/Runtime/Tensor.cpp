//===- Tensor.cpp - Host tensors, signatures and tensor files -------------===//

#include "kiln/Runtime/Tensor.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace kiln::runtime {

std::string dtypeName(int code) {
  switch ((DType)code) {
  case DType::F32:
    return "f32";
  case DType::F64:
    return "f64";
  case DType::F16:
    return "f16";
  case DType::BF16:
    return "bf16";
  case DType::I8:
    return "i8";
  case DType::I16:
    return "i16";
  case DType::I32:
    return "i32";
  case DType::I64:
    return "i64";
  case DType::U8:
    return "u8";
  case DType::U16:
    return "u16";
  case DType::U32:
    return "u32";
  case DType::U64:
    return "u64";
  case DType::Bool:
    return "bool";
  }
  return "dtype " + std::to_string(code);
}

int64_t TensorInfo::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

static std::string shapeText(const std::vector<int64_t> &shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

std::string TensorInfo::describe() const {
  if (sampleAxis < 0 && sequenceAxis < 0)
    return name + ": " + dtypeName(dtype) + " " + shapeText(shape);
  std::string text = name + ": " + dtypeName(dtype) + " [";
  for (size_t i = 0; i < shape.size(); ++i) {
    text += i ? ", " : "";
    if ((int)i == sequenceAxis) {
      int64_t each = shape[i] / sequenceExtent;
      text += sequenceSymbol;
      if (each != 1)
        text += "*" + std::to_string(each);
      continue;
    }
    if ((int)i != sampleAxis) {
      text += std::to_string(shape[i]);
      continue;
    }
    int64_t each = shape[i] / sampleBlocks;
    if (sampleBlocks != 1)
      text += std::to_string(sampleBlocks) + "*";
    text += symbol;
    if (each != 1)
      text += "*" + std::to_string(each);
  }
  return text + "]";
}

TensorInfo TensorInfo::forSamples(int64_t samples) const {
  TensorInfo info = *this;
  if (sampleAxis >= 0) {
    info.shape[sampleAxis] *= samples;
    info.sampleAxis = -1;
  }
  return info;
}

TensorInfo TensorInfo::forShape(int64_t samples, int64_t length) const {
  TensorInfo info = forSamples(samples);
  if (sequenceAxis >= 0) {
    info.shape[sequenceAxis] = shape[sequenceAxis] / sequenceExtent * length;
    info.sequenceAxis = -1;
  }
  return info;
}

bool countSamples(const Signature &signature,
                  const std::vector<TensorInfo> &given, int64_t &samples,
                  std::string &error) {
  int64_t length;
  return countShape(signature, given, samples, length, error);
}

bool countShape(const Signature &signature,
                const std::vector<TensorInfo> &given, int64_t &samples,
                int64_t &length, std::string &error) {
  samples = -1;
  length = -1;
  std::string decidedBy, lengthBy;
  for (size_t i = 0; i < signature.inputs.size(); ++i) {
    const TensorInfo &expected = signature.inputs[i];
    const TensorInfo &got = given[i];
    std::string where =
        "input " + std::to_string(i) + " (" + expected.describe() + ")";
    if (got.dtype != expected.dtype) {
      error = where + ": expected " + dtypeName(expected.dtype) + ", got " +
              dtypeName(got.dtype);
      return false;
    }
    if (got.shape.size() != expected.shape.size()) {
      error = where + ": expected rank " +
              std::to_string(expected.shape.size()) + ", got shape " +
              shapeText(got.shape);
      return false;
    }
    for (size_t d = 0; d < got.shape.size(); ++d) {
      if ((int)d == expected.sequenceAxis) {
        int64_t each = expected.shape[d] / expected.sequenceExtent;
        if (got.shape[d] < 0 || got.shape[d] % each != 0) {
          error = where + ": dim " + std::to_string(d) + " ('" +
                  expected.sequenceSymbol + "') must be a multiple of " +
                  std::to_string(each) + ", got shape " + shapeText(got.shape);
          return false;
        }
        int64_t n = got.shape[d] / each;
        if (length >= 0 && n != length) {
          error = "inputs disagree on '" + expected.sequenceSymbol +
                  "': " + lengthBy + " gives " + std::to_string(length) +
                  ", input " + std::to_string(i) + " (" + expected.name +
                  ") gives " + std::to_string(n);
          return false;
        }
        if (length < 0)
          lengthBy = "input " + std::to_string(i) + " (" + expected.name + ")";
        length = n;
        continue;
      }
      if ((int)d != expected.sampleAxis) {
        if (got.shape[d] != expected.shape[d]) {
          error = where + ": dim " + std::to_string(d) + " must be " +
                  std::to_string(expected.shape[d]) + ", got shape " +
                  shapeText(got.shape);
          return false;
        }
        continue;
      }
      int64_t extent = expected.shape[d];
      if (got.shape[d] < 0 || got.shape[d] % extent != 0) {
        error = where + ": dim " + std::to_string(d) + " ('" + expected.symbol +
                "') must be a multiple of " + std::to_string(extent) +
                ", got shape " + shapeText(got.shape);
        return false;
      }
      int64_t n = got.shape[d] / extent;
      if (samples >= 0 && n != samples) {
        error = "inputs disagree on '" + expected.symbol + "': " + decidedBy +
                " gives " + std::to_string(samples) + ", input " +
                std::to_string(i) + " (" + expected.name + ") gives " +
                std::to_string(n);
        return false;
      }
      samples = n;
      decidedBy = "input " + std::to_string(i) + " (" + expected.name + ")";
    }
  }
  if (samples < 0)
    samples = 1;
  if (!signature.symbol.empty() &&
      (samples < signature.minSamples || samples > signature.maxSamples)) {
    error = decidedBy + " gives " + std::to_string(samples) + " for '" +
            signature.symbol +
            "', outside the range the model was compiled "
            "for (" +
            std::to_string(signature.minSamples) + " to " +
            std::to_string(signature.maxSamples) + ")";
    return false;
  }
  if (!signature.hasSequence())
    length = 0;
  else if (length < 0) {
    error = "no input gives the length of '" + signature.sequenceSymbol + "'";
    return false;
  } else if (length < signature.minLength || length > signature.maxLength) {
    error = lengthBy + " gives " + std::to_string(length) + " for '" +
            signature.sequenceSymbol +
            "', outside the lengths the model was compiled for (" +
            std::to_string(signature.minLength) + " to " +
            std::to_string(signature.maxLength) + "; kilnc --shape " +
            signature.sequenceSymbol + "=LO..HI sets them)";
    return false;
  }
  // Every tensor's byte size must stay far from overflow.
  constexpr int64_t kMaxBytes = int64_t(1) << 46;
  for (const auto *list : {&signature.inputs, &signature.outputs})
    for (const TensorInfo &info : *list) {
      int64_t bytes = dtypeSize(info.dtype);
      for (int64_t d : info.forShape(samples, length).shape)
        if (d != 0 &&
            (__builtin_mul_overflow(bytes, d, &bytes) || bytes > kMaxBytes)) {
          error = std::to_string(samples) + " samples ('" + info.symbol +
                  "') make " + info.name + " larger than 64 TiB";
          return false;
        }
    }
  return true;
}

bool parseSignature(const char *text, Signature &signature,
                    std::string &error) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty())
      continue;
    std::istringstream fields(line);
    std::string direction, name, dims;
    int dtype = 0;
    if (line.rfind("check ", 0) == 0) {
      IndexCheck check;
      fields >> direction;
      if (!(fields >> check.low >> check.high) || check.low > check.high) {
        error = "malformed model signature line '" + line + "'";
        return false;
      }
      fields >> std::ws;
      std::getline(fields, check.what);
      signature.checks.push_back(check);
      continue;
    }
    if (line.rfind("symbol ", 0) == 0) {
      fields >> direction >> signature.symbol;
      int64_t low, high;
      if (fields >> low >> high) {
        if (low < 0 || low > high) {
          error = "malformed model signature line '" + line + "'";
          return false;
        }
        signature.minSamples = low;
        signature.maxSamples = high;
      }
      continue;
    }
    if (line.rfind("sequence ", 0) == 0) {
      fields >> direction >> signature.sequenceSymbol;
      int64_t extent, low, high;
      if (!(fields >> extent >> low >> high) || extent < 1 || low < 1 ||
          low > high || high > extent) {
        error = "malformed model signature line '" + line + "'";
        return false;
      }
      signature.sequenceExtent = extent;
      signature.minLength = low;
      signature.maxLength = high;
      continue;
    }
    if (!(fields >> direction >> name >> dtype >> dims) ||
        (direction != "in" && direction != "out") || dtypeSize(dtype) == 0) {
      error = "malformed model signature line '" + line + "'";
      return false;
    }
    TensorInfo info;
    info.name = name;
    info.dtype = dtype;
    if (dims != "-") {
      std::istringstream parts(dims);
      std::string part;
      while (std::getline(parts, part, 'x'))
        info.shape.push_back(std::stoll(part));
    }
    // AXIS or AXIS:BLOCKS (the samples), seq=AXIS (the positions),
    // `length` (the input of the sequence length); numbers are decimal
    // digits only.
    auto number = [](const std::string &text, long long &value) {
      if (text.empty() || text.size() > 12 ||
          text.find_first_not_of("0123456789") != std::string::npos)
        return false;
      value = std::stoll(text);
      return true;
    };
    std::string sample, token;
    bool isLength = false;
    while (fields >> token) {
      if (token == "length") {
        isLength = true;
      } else if (token.rfind("seq=", 0) == 0) {
        long long axis = -1;
        if (!signature.hasSequence() || !number(token.substr(4), axis) ||
            axis >= (long long)info.shape.size() ||
            info.shape[axis] % signature.sequenceExtent != 0) {
          error = "malformed model signature line '" + line + "'";
          return false;
        }
        info.sequenceAxis = (int)axis;
        info.sequenceExtent = signature.sequenceExtent;
        info.sequenceSymbol = signature.sequenceSymbol;
      } else if (sample.empty()) {
        sample = token;
      } else {
        error = "malformed model signature line '" + line + "'";
        return false;
      }
    }
    if (isLength) {
      if (direction != "in" || dtype != 7 || !info.shape.empty() ||
          !signature.hasSequence() || !sample.empty() ||
          info.sequenceAxis >= 0 || signature.lengthInput >= 0) {
        error = "malformed model signature line '" + line + "'";
        return false;
      }
      signature.lengthInput = (int)signature.inputs.size();
      continue;
    }
    if (!sample.empty()) {
      size_t colon = sample.find(':');
      long long axis = -1, blocks = 1;
      bool parsed = number(sample.substr(0, colon), axis) &&
                    (colon == std::string::npos ||
                     number(sample.substr(colon + 1), blocks));
      if (signature.symbol.empty() || !parsed ||
          axis >= (long long)info.shape.size() || blocks < 1 ||
          info.shape[axis] <= 0 || info.shape[axis] % blocks != 0) {
        error = "malformed model signature line '" + line + "'";
        return false;
      }
      info.sampleAxis = axis;
      info.sampleBlocks = blocks;
      info.symbol = signature.symbol;
    }
    (direction == "in" ? signature.inputs : signature.outputs).push_back(info);
  }
  // The length comes after the other inputs.
  if (signature.hasSequence() &&
      signature.lengthInput != (int)signature.inputs.size()) {
    error = "malformed model signature: the sequence length is not the last "
            "input";
    return false;
  }
  return true;
}

std::string sanitizeFileName(const std::string &name) {
  std::string out = name;
  for (char &c : out)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
          (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
      c = '_';
  if (out.empty() || out == "." || out == "..")
    out = "_" + out;
  return out;
}

//===----------------------------------------------------------------------===//
// Files
//===----------------------------------------------------------------------===//

/// Files larger than this are refused (16 GiB).
static constexpr uint64_t kMaxFileBytes = uint64_t(16) << 30;

static bool readFile(const std::string &path, std::vector<uint8_t> &bytes,
                     std::string &error) {
  FILE *file = std::fopen(path.c_str(), "rb");
  if (!file) {
    error = "cannot open " + path + ": " + std::strerror(errno);
    return false;
  }
  bytes.clear();
  uint8_t chunk[1 << 16];
  size_t n;
  while ((n = std::fread(chunk, 1, sizeof(chunk), file)) > 0) {
    bytes.insert(bytes.end(), chunk, chunk + n);
    if (bytes.size() > kMaxFileBytes) {
      std::fclose(file);
      error = path + " is too large";
      return false;
    }
  }
  bool failed = std::ferror(file);
  std::fclose(file);
  if (failed) {
    error = "cannot read " + path;
    return false;
  }
  return true;
}

/// Checks that `count` elements of `size` bytes make `bytes`, without
/// overflow.
static bool sizeMatches(int64_t count, size_t size, uint64_t bytes) {
  uint64_t total;
  return count >= 0 && !__builtin_mul_overflow((uint64_t)count, size, &total) &&
         total == bytes;
}

//===----------------------------------------------------------------------===//
// .npy
//===----------------------------------------------------------------------===//

static int npyDtype(const std::string &descr) {
  static const struct {
    const char *descr;
    DType dtype;
  } table[] = {{"<f4", DType::F32}, {"<f8", DType::F64}, {"<f2", DType::F16},
               {"<i8", DType::I64}, {"<i4", DType::I32}, {"<i2", DType::I16},
               {"|i1", DType::I8},  {"<u8", DType::U64}, {"<u4", DType::U32},
               {"<u2", DType::U16}, {"|u1", DType::U8},  {"|b1", DType::Bool}};
  for (const auto &entry : table)
    if (descr == entry.descr)
      return (int)entry.dtype;
  return 0;
}

static const char *npyDescr(int dtype) {
  switch ((DType)dtype) {
  case DType::F32:
    return "<f4";
  case DType::F64:
    return "<f8";
  case DType::F16:
    return "<f2";
  case DType::I64:
    return "<i8";
  case DType::I32:
    return "<i4";
  case DType::I16:
    return "<i2";
  case DType::I8:
    return "|i1";
  case DType::U64:
    return "<u8";
  case DType::U32:
    return "<u4";
  case DType::U16:
    return "<u2";
  case DType::U8:
    return "|u1";
  case DType::Bool:
    return "|b1";
  case DType::BF16:
    return nullptr; // NumPy has no bfloat16 (writeNpy widens to float32)
  }
  return nullptr;
}

/// The value of `key` in the header dict, as raw text up to the next
/// top-level comma or the closing brace.
static bool headerValue(const std::string &header, const std::string &key,
                        std::string &value) {
  size_t at = header.find("'" + key + "'");
  if (at == std::string::npos)
    return false;
  at = header.find(':', at);
  if (at == std::string::npos)
    return false;
  size_t end = ++at;
  int depth = 0;
  for (; end < header.size(); ++end) {
    char c = header[end];
    if (c == '(')
      ++depth;
    else if (c == ')')
      --depth;
    else if ((c == ',' || c == '}') && depth == 0)
      break;
  }
  value = header.substr(at, end - at);
  size_t first = value.find_first_not_of(" ");
  size_t last = value.find_last_not_of(" ");
  value =
      first == std::string::npos ? "" : value.substr(first, last - first + 1);
  return true;
}

static bool parseNpy(const std::string &path, const std::vector<uint8_t> &bytes,
                     HostTensor &tensor, std::string &error) {
  auto fail = [&](const std::string &why) {
    error = path + ": not a valid .npy file (" + why + ")";
    return false;
  };
  if (bytes.size() < 10 || std::memcmp(bytes.data(), "\x93NUMPY", 6) != 0)
    return fail("bad magic");
  int major = bytes[6];
  size_t headerLength, headerStart;
  if (major == 1) {
    headerLength = bytes[8] | (bytes[9] << 8);
    headerStart = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12)
      return fail("truncated header");
    headerLength = (size_t)bytes[8] | ((size_t)bytes[9] << 8) |
                   ((size_t)bytes[10] << 16) | ((size_t)bytes[11] << 24);
    headerStart = 12;
  } else {
    return fail("unknown version " + std::to_string(major));
  }
  if (headerLength > bytes.size() - headerStart)
    return fail("truncated header");
  std::string header(bytes.begin() + headerStart,
                     bytes.begin() + headerStart + headerLength);
  std::string descr, order, shape;
  if (!headerValue(header, "descr", descr) ||
      !headerValue(header, "fortran_order", order) ||
      !headerValue(header, "shape", shape))
    return fail("header lacks descr, fortran_order or shape");
  if (order != "False")
    return fail("Fortran order is not supported");
  if (descr.size() < 2 || descr.front() != '\'' || descr.back() != '\'')
    return fail("malformed descr");
  descr = descr.substr(1, descr.size() - 2);
  if (descr.size() == 3 && descr[0] == '=')
    descr[0] = descr[1] == '1' ? '|' : '<';
  tensor.info.dtype = npyDtype(descr);
  if (!tensor.info.dtype)
    return fail("unsupported dtype '" + descr + "'");
  if (shape.size() < 2 || shape.front() != '(' || shape.back() != ')')
    return fail("malformed shape");
  tensor.info.shape.clear();
  std::istringstream dims(shape.substr(1, shape.size() - 2));
  std::string dim;
  while (std::getline(dims, dim, ',')) {
    size_t first = dim.find_first_not_of(" ");
    if (first == std::string::npos)
      continue;
    dim = dim.substr(first);
    char *end = nullptr;
    errno = 0;
    long long value = std::strtoll(dim.c_str(), &end, 10);
    if (errno || value < 0 || (*end && *end != ' '))
      return fail("malformed shape");
    tensor.info.shape.push_back(value);
  }
  int64_t count = 1;
  for (int64_t d : tensor.info.shape)
    if (__builtin_mul_overflow(count, d, &count))
      return fail("shape overflows");
  size_t dataStart = headerStart + headerLength;
  if (!sizeMatches(count, dtypeSize(tensor.info.dtype),
                   bytes.size() - dataStart))
    return fail("the data holds " + std::to_string(bytes.size() - dataStart) +
                " bytes, the header says " + std::to_string(count) +
                " elements of " + dtypeName(tensor.info.dtype));
  tensor.data.assign(bytes.begin() + dataStart, bytes.end());
  return true;
}

bool writeNpy(const std::string &path, const HostTensor &tensor,
              std::string &error) {
  return writeNpy(path, tensor.info, tensor.data.data(), tensor.data.size(),
                  error);
}

bool writeNpy(const std::string &path, const TensorInfo &info, const void *data,
              size_t bytes, std::string &error) {
  // NumPy has no bfloat16: such tensors are written as float32, which holds
  // every bfloat16 value exactly (the 16 bits are its upper half).
  if (info.dtype == (int)DType::BF16) {
    TensorInfo wide = info;
    wide.dtype = (int)DType::F32;
    size_t count = bytes / 2;
    std::vector<uint8_t> words(count * 4);
    for (size_t i = 0; i < count; ++i) {
      uint16_t bits;
      std::memcpy(&bits, (const uint8_t *)data + 2 * i, 2);
      uint32_t word = (uint32_t)bits << 16;
      std::memcpy(&words[4 * i], &word, 4);
    }
    return writeNpy(path, wide, words.data(), words.size(), error);
  }
  const char *descr = npyDescr(info.dtype);
  if (!descr) {
    error = "cannot write " + dtypeName(info.dtype) + " as .npy";
    return false;
  }
  std::string shape = "(";
  for (size_t i = 0; i < info.shape.size(); ++i)
    shape += std::to_string(info.shape[i]) + ",";
  if (info.shape.size() > 1)
    shape.pop_back();
  shape += ")";
  std::string header = std::string("{'descr': '") + descr +
                       "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad so that the data starts on a 64-byte boundary; end with '\n'.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string temp = path + ".tmp" + std::to_string(getpid());
  FILE *file = std::fopen(temp.c_str(), "wb");
  if (!file) {
    error = "cannot write " + path + ": " + std::strerror(errno);
    return false;
  }
  uint8_t preamble[10] = {0x93,
                          'N',
                          'U',
                          'M',
                          'P',
                          'Y',
                          1,
                          0,
                          (uint8_t)(header.size() & 0xff),
                          (uint8_t)(header.size() >> 8)};
  bool ok =
      std::fwrite(preamble, 1, 10, file) == 10 &&
      std::fwrite(header.data(), 1, header.size(), file) == header.size() &&
      (bytes == 0 || std::fwrite(data, 1, bytes, file) == bytes);
  ok = (std::fclose(file) == 0) && ok;
  if (!ok || std::rename(temp.c_str(), path.c_str()) != 0) {
    std::remove(temp.c_str());
    error = "cannot write " + path + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

//===----------------------------------------------------------------------===//
// onnx.TensorProto
//===----------------------------------------------------------------------===//

namespace {
/// A bounds-checked reader of protobuf wire format.
struct ProtoReader {
  const uint8_t *pos, *end;
  bool varint(uint64_t &value) {
    value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos >= end)
        return false;
      uint8_t byte = *pos++;
      value |= (uint64_t)(byte & 0x7f) << shift;
      if (!(byte & 0x80))
        return true;
    }
    return false;
  }
  bool bytes(uint64_t length, const uint8_t *&start) {
    if (length > (uint64_t)(end - pos))
      return false;
    start = pos;
    pos += length;
    return true;
  }
};
} // namespace

static bool parseTensorProto(const std::string &path,
                             const std::vector<uint8_t> &bytes,
                             HostTensor &tensor, std::string &error) {
  auto fail = [&](const std::string &why) {
    error = path + ": not a valid serialized onnx.TensorProto (" + why + ")";
    return false;
  };
  ProtoReader reader{bytes.data(), bytes.data() + bytes.size()};
  std::vector<uint8_t> raw;
  bool hasRaw = false, external = false;
  std::vector<uint64_t> typedInts;
  std::vector<uint8_t> typedBytes; // float/double data, little endian
  int typedField = 0;
  tensor.info = TensorInfo();
  while (reader.pos < reader.end) {
    uint64_t key;
    if (!reader.varint(key))
      return fail("truncated");
    uint64_t field = key >> 3, wire = key & 7;
    if (wire == 0) {
      uint64_t value;
      if (!reader.varint(value))
        return fail("truncated");
      if (field == 1)
        tensor.info.shape.push_back((int64_t)value);
      else if (field == 2)
        tensor.info.dtype = (int)value;
      else if (field == 14)
        external = value == 1;
      else if (field == 5 || field == 7 || field == 11) {
        typedField = (int)field;
        typedInts.push_back(value);
      }
    } else if (wire == 2) {
      uint64_t length;
      const uint8_t *start;
      if (!reader.varint(length) || !reader.bytes(length, start))
        return fail("truncated");
      if (field == 1 || field == 5 || field == 7 || field == 11) {
        // Packed varints.
        ProtoReader packed{start, start + length};
        while (packed.pos < packed.end) {
          uint64_t value;
          if (!packed.varint(value))
            return fail("truncated packed field");
          if (field == 1)
            tensor.info.shape.push_back((int64_t)value);
          else
            typedInts.push_back(value);
        }
        if (field != 1)
          typedField = (int)field;
      } else if (field == 4 || field == 10) {
        typedField = (int)field;
        typedBytes.insert(typedBytes.end(), start, start + length);
      } else if (field == 8) {
        tensor.info.name.assign((const char *)start, length);
      } else if (field == 9) {
        hasRaw = true;
        raw.assign(start, start + length);
      } else if (field == 6) {
        return fail("string tensors are not supported");
      }
    } else if (wire == 5 || wire == 1) {
      // Unpacked float (4) or double (10) elements.
      size_t size = wire == 5 ? 4 : 8;
      const uint8_t *start;
      if (!reader.bytes(size, start))
        return fail("truncated");
      if (field == 4 || field == 10) {
        typedField = (int)field;
        typedBytes.insert(typedBytes.end(), start, start + size);
      }
    } else {
      return fail("unknown wire type");
    }
  }
  if (external)
    return fail("external data is not supported here");
  size_t size = dtypeSize(tensor.info.dtype);
  if (!size)
    return fail("unsupported data type " + std::to_string(tensor.info.dtype));
  int64_t count = 1;
  for (int64_t d : tensor.info.shape)
    if (d < 0 || __builtin_mul_overflow(count, d, &count))
      return fail("bad dims");
  if (hasRaw) {
    if (!sizeMatches(count, size, raw.size()))
      return fail("raw_data holds " + std::to_string(raw.size()) +
                  " bytes for " + std::to_string(count) + " elements");
    tensor.data = std::move(raw);
    return true;
  }
  tensor.data.clear();
  if (typedField == 4 || typedField == 10) {
    size_t element = typedField == 4 ? 4 : 8;
    if (element != size || !sizeMatches(count, size, typedBytes.size()))
      return fail("typed data does not match the dims");
    tensor.data = std::move(typedBytes);
    return true;
  }
  if ((int64_t)typedInts.size() != count)
    return fail("typed data does not match the dims");
  for (uint64_t v : typedInts)
    for (size_t b = 0; b < size; ++b)
      tensor.data.push_back((uint8_t)(v >> (8 * b)));
  return true;
}

bool readTensorFile(const std::string &path, HostTensor &tensor,
                    std::string &error) {
  std::vector<uint8_t> bytes;
  if (!readFile(path, bytes, error))
    return false;
  bool npy = path.size() >= 4 && path.compare(path.size() - 4, 4, ".npy") == 0;
  return npy ? parseNpy(path, bytes, tensor, error)
             : parseTensorProto(path, bytes, tensor, error);
}

} // namespace kiln::runtime

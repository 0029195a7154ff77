//===- Importer.cpp - ONNX models to kiln IR ------------------------------===//
//
// Reads a model (protobuf or textual syntax), checks its structure (opsets,
// names, topological order, initializers, external data), and imports its
// nodes in topological order through the op handlers.
//
//===----------------------------------------------------------------------===//

#include "GraphImporter.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <google/protobuf/io/coded_stream.h>
#include <onnx/defs/parser.h>

#include <climits>
#include <deque>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace mlir;
using namespace kiln;
using namespace kiln::onnx_frontend;

/// The newest version of the default ONNX domain Kiln knows.
static constexpr int64_t kMaxOpset = 28;
/// Float tensors with more elements become dense_resource blobs.
static constexpr int64_t kMaxInlineElements = 16;

/// The opset that added each operator Kiln imports, where it is not 1, and
/// the opset that removed it, if any.
static std::pair<int64_t, int64_t> operatorLifetime(StringRef opType) {
  static const llvm::StringMap<int64_t> added = {
      {"Acos", 7},
      {"Acosh", 9},
      {"Asin", 7},
      {"Asinh", 9},
      {"Atan", 7},
      {"Atanh", 9},
      {"Attention", 23},
      {"CastLike", 15},
      {"Celu", 12},
      {"ConstantOfShape", 9},
      {"Cos", 7},
      {"Cosh", 9},
      {"Einsum", 12},
      {"Erf", 9},
      {"Expand", 8},
      {"Gelu", 20},
      {"GatherElements", 11},
      {"GreaterOrEqual", 12},
      {"HardSwish", 14},
      {"IsInf", 10},
      {"IsNaN", 9},
      {"LayerNormalization", 17},
      {"LessOrEqual", 12},
      {"MeanVarianceNormalization", 9},
      {"Mish", 18},
      {"RMSNormalization", 23},
      {"Trilu", 14},
      {"Mod", 10},
      {"Range", 11},
      {"Resize", 10},
      {"Round", 11},
      {"Shrink", 9},
      {"Sign", 9},
      {"Sin", 7},
      {"Sinh", 9},
      {"Tan", 7},
      {"ThresholdedRelu", 10},
      {"Upsample", 7},
      {"Where", 9}};
  int64_t removed = opType == "Upsample" ? 10 : INT64_MAX;
  return {added.lookup(opType) ? added.lookup(opType) : 1, removed};
}

//===----------------------------------------------------------------------===//
// Data types
//===----------------------------------------------------------------------===//

Type kiln::onnx_frontend::convertDataType(MLIRContext *context, int dataType) {
  Builder b(context);
  switch (dataType) {
  case onnx::TensorProto::FLOAT:
    return b.getF32Type();
  case onnx::TensorProto::DOUBLE:
    return b.getF64Type();
  case onnx::TensorProto::FLOAT16:
    return b.getF16Type();
  case onnx::TensorProto::BFLOAT16:
    return b.getBF16Type();
  case onnx::TensorProto::BOOL:
    return b.getI1Type();
  case onnx::TensorProto::INT8:
    return b.getIntegerType(8);
  case onnx::TensorProto::INT16:
    return b.getIntegerType(16);
  case onnx::TensorProto::INT32:
    return b.getIntegerType(32);
  case onnx::TensorProto::INT64:
    return b.getIntegerType(64);
  case onnx::TensorProto::UINT8:
    return b.getIntegerType(8, /*isSigned=*/false);
  case onnx::TensorProto::UINT16:
    return b.getIntegerType(16, /*isSigned=*/false);
  case onnx::TensorProto::UINT32:
    return b.getIntegerType(32, /*isSigned=*/false);
  case onnx::TensorProto::UINT64:
    return b.getIntegerType(64, /*isSigned=*/false);
  default:
    return {};
  }
}

StringRef kiln::onnx_frontend::dataTypeName(int dataType) {
  static const char *names[] = {
      "UNDEFINED",      "FLOAT",      "UINT8",
      "INT8",           "UINT16",     "INT16",
      "INT32",          "INT64",      "STRING",
      "BOOL",           "FLOAT16",    "DOUBLE",
      "UINT32",         "UINT64",     "COMPLEX64",
      "COMPLEX128",     "BFLOAT16",   "FLOAT8E4M3FN",
      "FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ",
      "UINT4",          "INT4",       "FLOAT4E2M1",
      "FLOAT8E8M0",     "UINT2",      "INT2"};
  if (dataType >= 0 && dataType < (int)std::size(names))
    return names[dataType];
  return "an unknown data type";
}

/// Bytes one element takes in ONNX raw_data (bools take a byte).
static int64_t rawElementBytes(Type element) {
  return std::max<int64_t>(1, element.getIntOrFloatBitWidth() / 8);
}

//===----------------------------------------------------------------------===//
// Tensors
//===----------------------------------------------------------------------===//

/// Appends the low `bytes` bytes of `value` (little endian).
static void appendBytes(std::vector<char> &out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i)
    out.push_back((char)((value >> (8 * i)) & 0xff));
}

FailureOr<ElementsAttr>
GraphImporter::convertTensor(const onnx::TensorProto &tensor, Location loc,
                             StringRef what) {
  Type element = convertDataType(&context, tensor.data_type());
  if (!element)
    return emitError(loc) << "unsupported: " << what << " has data type "
                          << dataTypeName(tensor.data_type());
  if (tensor.has_segment())
    return emitError(loc) << "unsupported: " << what << " is segmented";
  SmallVector<int64_t> shape;
  int64_t count = 1;
  for (int64_t dim : tensor.dims()) {
    if (dim < 0)
      return emitError(loc) << what << " has a negative dim (" << dim << ")";
    if (dim > kMaxElements || __builtin_mul_overflow(count, dim, &count) ||
        count > kMaxElements)
      return emitError(loc) << what << " has too many elements";
    shape.push_back(dim);
  }
  auto type = RankedTensorType::get(shape, element);
  int64_t elementBytes = rawElementBytes(element);
  uint64_t expectedBytes = count * elementBytes;

  std::vector<char> bytes;
  if (tensor.data_location() == onnx::TensorProto::EXTERNAL) {
    auto data = readExternalData(tensor, loc, what, expectedBytes);
    if (failed(data))
      return failure();
    bytes = std::move(*data);
  } else if (tensor.has_raw_data()) {
    const std::string &raw = tensor.raw_data();
    if (raw.size() != expectedBytes)
      return emitError(loc)
             << what << " has " << raw.size() << " bytes of raw_data, expected "
             << expectedBytes << " for " << type;
    bytes.assign(raw.begin(), raw.end());
  } else {
    // Typed fields: check the count, then lay the values out like raw_data.
    auto checkCount = [&](int64_t got, StringRef field) -> LogicalResult {
      if (got == count)
        return success();
      return emitError(loc) << what << " has " << got << " values in " << field
                            << ", expected " << count << " for " << type;
    };
    bytes.reserve(expectedBytes);
    switch (tensor.data_type()) {
    case onnx::TensorProto::FLOAT:
      if (failed(checkCount(tensor.float_data_size(), "float_data")))
        return failure();
      for (float v : tensor.float_data()) {
        uint32_t bits;
        memcpy(&bits, &v, 4);
        appendBytes(bytes, bits, 4);
      }
      break;
    case onnx::TensorProto::DOUBLE:
      if (failed(checkCount(tensor.double_data_size(), "double_data")))
        return failure();
      for (double v : tensor.double_data()) {
        uint64_t bits;
        memcpy(&bits, &v, 8);
        appendBytes(bytes, bits, 8);
      }
      break;
    case onnx::TensorProto::INT64:
      if (failed(checkCount(tensor.int64_data_size(), "int64_data")))
        return failure();
      for (int64_t v : tensor.int64_data())
        appendBytes(bytes, (uint64_t)v, 8);
      break;
    case onnx::TensorProto::UINT32:
    case onnx::TensorProto::UINT64:
      if (failed(checkCount(tensor.uint64_data_size(), "uint64_data")))
        return failure();
      for (uint64_t v : tensor.uint64_data())
        appendBytes(bytes, v, elementBytes);
      break;
    default:
      // INT32 and the narrower types, float16 and bfloat16 as their bits.
      if (failed(checkCount(tensor.int32_data_size(), "int32_data")))
        return failure();
      for (int32_t v : tensor.int32_data())
        appendBytes(bytes, (uint32_t)v, elementBytes);
      break;
    }
  }

  if (element.isInteger(1)) {
    SmallVector<bool> bools;
    for (char c : bytes)
      bools.push_back(c != 0);
    return ElementsAttr(DenseElementsAttr::get(type, bools));
  }
  if (llvm::isa<FloatType>(element) && count > kMaxInlineElements) {
    std::string blobName = tensor.name().empty() ? "tensor" : tensor.name();
    return ElementsAttr(DenseResourceElementsAttr::get(
        type, blobName,
        HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, alignof(double))));
  }
  bool detectedSplat = false;
  if (!DenseElementsAttr::isValidRawBuffer(type, bytes, detectedSplat))
    return emitError(loc) << what << " has malformed data";
  return ElementsAttr(DenseElementsAttr::getFromRawBuffer(type, bytes));
}

/// Parses a non-negative decimal integer, strictly.
static std::optional<int64_t> parseNonNegative(const std::string &text) {
  int64_t value = 0;
  if (text.empty())
    return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9')
      return std::nullopt;
    if (__builtin_mul_overflow(value, 10, &value) ||
        __builtin_add_overflow(value, c - '0', &value))
      return std::nullopt;
  }
  return value;
}

FailureOr<std::vector<char>>
GraphImporter::readExternalData(const onnx::TensorProto &tensor, Location loc,
                                StringRef what, uint64_t expectedBytes) {
  std::string location, offsetText, lengthText;
  for (const auto &entry : tensor.external_data()) {
    if (entry.key() == "location")
      location = entry.value();
    else if (entry.key() == "offset")
      offsetText = entry.value();
    else if (entry.key() == "length")
      lengthText = entry.value();
  }
  auto fail = [&](const Twine &why) -> FailureOr<std::vector<char>> {
    return emitError(loc) << what << ": external data '" << location << "' "
                          << why;
  };
  if (location.empty())
    return emitError(loc) << what << " has external data without a location";
  if (llvm::sys::path::is_absolute(location) ||
      location.find('\0') != std::string::npos)
    return fail("is not a path relative to the model's folder");
  // Walk the path from the model's folder, refusing '..' and symlinks.
  SmallString<256> path(modelDir);
  for (auto it = llvm::sys::path::begin(location),
            end = llvm::sys::path::end(location);
       it != end; ++it) {
    if (*it == "..")
      return fail("leaves the model's folder ('..')");
    if (*it == ".")
      continue;
    llvm::sys::path::append(path, *it);
    struct stat info;
    if (lstat(path.c_str(), &info) != 0)
      return fail("does not exist");
    if (S_ISLNK(info.st_mode))
      return fail("goes through a symbolic link");
  }
  int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return fail("cannot be opened");
  llvm::scope_exit closeFd([&] { close(fd); });
  struct stat info;
  if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode))
    return fail("is not a regular file");
  if (info.st_nlink > 1)
    return fail("has several hard links");
  uint64_t fileSize = info.st_size;

  uint64_t offset = 0, length = expectedBytes;
  if (!offsetText.empty()) {
    std::optional<int64_t> parsed = parseNonNegative(offsetText);
    if (!parsed)
      return fail("has an invalid offset '" + offsetText + "'");
    offset = *parsed;
  }
  if (!lengthText.empty()) {
    std::optional<int64_t> parsed = parseNonNegative(lengthText);
    if (!parsed)
      return fail("has an invalid length '" + lengthText + "'");
    length = *parsed;
    if (length != expectedBytes)
      return fail("has length " + Twine(length) + ", but the tensor needs " +
                  Twine(expectedBytes) + " bytes");
  }
  if (offset > fileSize || fileSize - offset < length)
    return fail("is " + Twine(fileSize) + " bytes long; offset " +
                Twine(offset) + " + length " + Twine(length) +
                " is past its end");
  std::vector<char> bytes(length);
  uint64_t done = 0;
  while (done < length) {
    ssize_t n = pread(fd, bytes.data() + done, length - done, offset + done);
    if (n <= 0)
      return fail("could not be read");
    done += n;
  }
  return bytes;
}

//===----------------------------------------------------------------------===//
// Graphs
//===----------------------------------------------------------------------===//

GraphImporter::GraphImporter(MLIRContext &context, StringRef modelPath,
                             const ImportOptions &options)
    : context(context), builder(&context), modelPath(modelPath.str()),
      fileLoc(FileLineColLoc::get(&context, modelPath, 0, 0)),
      options(options) {
  SmallString<256> dir(modelPath);
  llvm::sys::path::remove_filename(dir);
  if (dir.empty())
    dir = ".";
  modelDir = std::string(dir);
  registerElementwiseOps(handlers);
  registerReductionOps(handlers);
  registerConvolutionOps(handlers);
  registerMatmulOps(handlers);
  registerNormalizationOps(handlers);
  registerRecurrentOps(handlers);
  registerDataMovementOps(handlers);
  registerResizeOps(handlers);
}

Location GraphImporter::nodeLocation(const onnx::NodeProto &node,
                                     size_t index) {
  std::string label =
      node.name().empty() ? "#" + std::to_string(index) : node.name();
  label += " (" + node.op_type() + ")";
  return NameLoc::get(StringAttr::get(&context, label), fileLoc);
}

FailureOr<SmallVector<int64_t>>
GraphImporter::inputShape(const onnx::ValueInfoProto &info) {
  const std::string &name = info.name();
  const auto &tensorType = info.type().tensor_type();
  auto pinned = options.inputShapes.find(name);
  if (pinned != options.inputShapes.end()) {
    // A pinned shape may resolve symbolic dims, not contradict fixed ones.
    if (tensorType.has_shape()) {
      const auto &declared = tensorType.shape();
      if (declared.dim_size() != (int)pinned->second.size())
        return emitError(fileLoc)
               << "--shape gives '" << name << "' rank "
               << pinned->second.size() << ", but the model declares rank "
               << declared.dim_size();
      for (int d = 0; d < declared.dim_size(); ++d)
        if (declared.dim(d).has_dim_value() &&
            declared.dim(d).dim_value() != pinned->second[d])
          return emitError(fileLoc)
                 << "--shape gives '" << name << "' dim " << d << " = "
                 << pinned->second[d] << ", but the model fixes it to "
                 << declared.dim(d).dim_value();
    }
    if (exceedsMaxElements(pinned->second))
      return emitError(fileLoc)
             << "--shape gives '" << name << "' too many elements";
    return pinned->second;
  }
  if (!tensorType.has_shape())
    return emitError(fileLoc)
           << "graph input '" << name
           << "' has no shape; give one with --shape " << name << "=D0xD1x...";
  SmallVector<int64_t> shape;
  for (auto [i, dim] : llvm::enumerate(tensorType.shape().dim())) {
    bool openBatch = i == 0 && !options.openBatch.empty() &&
                     dim.has_dim_value() && openBatchSize &&
                     dim.dim_value() == *openBatchSize;
    if (dim.has_dim_value() && !openBatch) {
      if (dim.dim_value() < 0)
        return emitError(fileLoc) << "graph input '" << name << "' dim " << i
                                  << " is negative (" << dim.dim_value() << ")";
      shape.push_back(dim.dim_value());
      if (exceedsMaxElements(shape))
        return emitError(fileLoc)
               << "graph input '" << name << "' has too many elements";
      continue;
    }
    std::string symbol = openBatch ? options.openBatch
                         : dim.has_dim_param() && !dim.dim_param().empty()
                             ? dim.dim_param()
                             : unnamedSymbol(name, i);
    auto value = symbolValue(symbol);
    openDims = true;
    if (value) {
      shape.push_back(*value);
    } else if (options.symbols && options.symbols->probe) {
      shape.push_back(*options.symbols->probe);
      options.symbols->probed.push_back({name, (unsigned)i, symbol});
    } else {
      return emitError(fileLoc)
             << "graph input '" << name << "' dim " << i << " is "
             << (dim.has_dim_param() ? "'" + symbol + "'" : "unknown")
             << "; pin it with --shape " << symbol << "=SIZE or --shape "
             << name << "=D0xD1x...";
    }
    if (exceedsMaxElements(shape))
      return emitError(fileLoc)
             << "graph input '" << name << "' has too many elements";
  }
  return shape;
}

OwningOpRef<ModuleOp>
GraphImporter::importModel(const onnx::ModelProto &model) {
  int64_t opset = -1;
  std::string otherDomains;
  for (const auto &entry : model.opset_import()) {
    if (entry.domain().empty() || entry.domain() == "ai.onnx")
      opset = entry.version();
    else
      otherDomains +=
          (otherDomains.empty() ? "'" : ", '") + entry.domain() + "'";
  }
  if (opset < 0 && !otherDomains.empty()) {
    emitError(fileLoc) << "unsupported: the model imports only the operator "
                          "domains "
                       << otherDomains;
    return {};
  }
  if (opset < 0) {
    emitError(fileLoc) << "the model imports no version of the default ONNX "
                          "domain (opset_import is missing)";
    return {};
  }
  if (opset < 1 || opset > kMaxOpset) {
    emitError(fileLoc) << "unsupported: opset " << opset
                       << " of the default ONNX domain (Kiln knows 1 to "
                       << kMaxOpset << ")";
    return {};
  }
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  builder.setInsertionPointToEnd(module->getBody());
  if (failed(importGraph(model.graph(), opset)))
    return {};
  return module;
}

LogicalResult GraphImporter::importGraph(const onnx::GraphProto &graph,
                                         int64_t opset) {
  if (graph.sparse_initializer_size() > 0)
    return emitError(fileLoc) << "unsupported: sparse initializers";

  // Inputs and initializers.
  llvm::StringSet<> initializerNames;
  for (const auto &init : graph.initializer()) {
    if (init.name().empty())
      return emitError(fileLoc) << "an initializer has no name";
    if (!initializerNames.insert(init.name()).second)
      return emitError(fileLoc)
             << "initializer '" << init.name() << "' is defined twice";
  }
  auto isGraphInput = [&](StringRef name) {
    return llvm::any_of(graph.input(), [&](const onnx::ValueInfoProto &info) {
      return info.name() == name && !initializerNames.contains(name);
    });
  };
  // `--shape NAME=...` names a graph input or, with one value, a symbolic
  // dim (a dim_param, or INPUT_dAXIS for an unnamed one).
  llvm::StringSet<> symbolNames;
  for (const auto &info : graph.input()) {
    const auto &tensorType = info.type().tensor_type();
    for (auto [i, dim] : llvm::enumerate(tensorType.shape().dim()))
      if (!dim.has_dim_value())
        symbolNames.insert(dim.has_dim_param() && !dim.dim_param().empty()
                               ? dim.dim_param()
                               : unnamedSymbol(info.name(), i));
  }
  if (!options.openBatch.empty())
    symbolNames.insert(options.openBatch);
  pinnedSymbols.clear();
  for (const auto &entry : options.inputShapes) {
    if (isGraphInput(entry.getKey()))
      continue;
    if (symbolNames.contains(entry.getKey())) {
      if (entry.getValue().size() != 1)
        return emitError(fileLoc)
               << "--shape " << entry.getKey()
               << "= names a symbolic dim; give it one value";
      pinnedSymbols[entry.getKey()] = entry.getValue()[0];
      continue;
    }
    return emitError(fileLoc) << "--shape names '" << entry.getKey()
                              << "', which is neither an input of the graph "
                                 "nor a symbolic dim of one";
  }
  for (const auto &entry : options.boundInputs)
    if (!isGraphInput(entry.getKey()))
      return emitError(fileLoc) << "--bind names '" << entry.getKey()
                                << "', which is not an input of the graph";
  openBatchSize.reset();
  openDims = false;
  if (!options.openBatch.empty()) {
    for (const auto &info : graph.input()) {
      if (initializerNames.contains(info.name()) ||
          options.boundInputs.count(info.name()) ||
          options.inputShapes.count(info.name()))
        continue;
      const auto &shape = info.type().tensor_type().shape();
      if (shape.dim_size() > 0 && shape.dim(0).has_dim_value())
        openBatchSize = shape.dim(0).dim_value();
      break;
    }
  }
  SmallVector<Type> argTypes;
  SmallVector<std::string> argNames;
  llvm::StringSet<> inputNames;
  for (const auto &info : graph.input()) {
    const std::string &name = info.name();
    if (initializerNames.contains(name) || options.boundInputs.count(name))
      continue; // a constant: an initializer's default value or --bind
    if (name.empty())
      return emitError(fileLoc) << "a graph input has no name";
    if (!inputNames.insert(name).second)
      return emitError(fileLoc)
             << "graph input '" << name << "' is defined twice";
    if (!info.type().has_tensor_type())
      return emitError(fileLoc)
             << "unsupported: graph input '" << name
             << "' is not a tensor (sequences, maps and optionals are not "
                "supported)";
    int dataType = info.type().tensor_type().elem_type();
    Type element = convertDataType(&context, dataType);
    if (!element)
      return emitError(fileLoc) << "unsupported: graph input '" << name
                                << "' has data type " << dataTypeName(dataType);
    auto shape = inputShape(info);
    if (failed(shape))
      return failure();
    argTypes.push_back(RankedTensorType::get(*shape, element));
    argNames.push_back(name);
  }

  auto func = func::FuncOp::create(builder, fileLoc, "main",
                                   builder.getFunctionType(argTypes, {}));
  Block *body = func.addEntryBlock();
  builder.setInsertionPointToStart(body);
  for (auto [i, name] : llvm::enumerate(argNames)) {
    values[name] = body->getArgument(i);
    func.setArgAttr(i, "kiln.name", builder.getStringAttr(name));
  }
  for (const auto &init : graph.initializer()) {
    Location loc = NameLoc::get(builder.getStringAttr(init.name()), fileLoc);
    auto attr = convertTensor(init, loc, "initializer '" + init.name() + "'");
    if (failed(attr))
      return failure();
    values[init.name()] = ConstantOp::create(builder, loc, *attr);
  }

  for (const auto &info : graph.input()) {
    auto bound = options.boundInputs.find(info.name());
    if (bound == options.boundInputs.end())
      continue;
    auto value = bindInput(info, bound->second);
    if (failed(value))
      return failure();
    values[info.name()] = *value;
  }

  // Order the nodes topologically (Kahn's algorithm, no recursion), checking
  // that every input is defined once.
  int nodeCount = graph.node_size();
  llvm::StringMap<int> producer;
  for (int n = 0; n < nodeCount; ++n) {
    const auto &node = graph.node(n);
    for (const std::string &out : node.output()) {
      if (out.empty())
        continue;
      if (values.count(out) || producer.count(out))
        return emitError(nodeLocation(node, n))
               << "value '" << out << "' is defined twice";
      producer[out] = n;
    }
  }
  std::vector<int> pending(nodeCount, 0);
  std::vector<SmallVector<int, 2>> consumers(nodeCount);
  for (int n = 0; n < nodeCount; ++n) {
    const auto &node = graph.node(n);
    for (const std::string &in : node.input()) {
      if (in.empty())
        continue;
      ++uses[in];
      auto it = producer.find(in);
      if (it != producer.end()) {
        ++pending[n];
        consumers[it->second].push_back(n);
      } else if (!values.count(in)) {
        return emitError(nodeLocation(node, n))
               << "input '" << in << "' is not defined in the graph";
      }
    }
  }
  for (const auto &out : graph.output())
    ++uses[out.name()];
  std::deque<int> ready;
  for (int n = 0; n < nodeCount; ++n)
    if (pending[n] == 0)
      ready.push_back(n);
  std::vector<int> order;
  order.reserve(nodeCount);
  while (!ready.empty()) {
    int n = ready.front();
    ready.pop_front();
    order.push_back(n);
    for (int c : consumers[n])
      if (--pending[c] == 0)
        ready.push_back(c);
  }
  if ((int)order.size() != nodeCount) {
    for (int n = 0; n < nodeCount; ++n)
      if (pending[n] > 0)
        return emitError(nodeLocation(graph.node(n), n))
               << "the node is part of a cycle";
  }

  for (int n : order) {
    const auto &node = graph.node(n);
    Location loc = nodeLocation(node, n);
    const std::string &domain = node.domain();
    if (!domain.empty() && domain != "ai.onnx")
      return emitError(loc)
             << "unsupported: operator domain '" << domain << "'";
    auto handler = handlers.find(node.op_type());
    if (handler == handlers.end())
      return emitError(loc)
             << "unsupported: operator '" << node.op_type() << "'";
    auto [added, removed] = operatorLifetime(node.op_type());
    if (opset < added)
      return emitError(loc)
             << "operator '" << node.op_type() << "' does not exist in opset "
             << opset << " (ONNX added it in opset " << added << ")";
    if (opset >= removed)
      return emitError(loc)
             << "operator '" << node.op_type() << "' does not exist in opset "
             << opset << " (ONNX removed it in opset " << removed << ")";
    NodeContext ctx(*this, node, loc, opset);
    if (failed(handler->second(ctx)))
      return failure();
    for (const std::string &out : node.output())
      if (!out.empty() && uses.lookup(out) > 0 && !values.count(out))
        return emitError(loc)
               << "unsupported: output '" << out << "' of this operator";
  }

  // Results, checked against their declared types.
  SmallVector<Value> results;
  for (const auto &info : graph.output()) {
    auto it = values.find(info.name());
    if (it == values.end())
      return emitError(fileLoc)
             << "graph output '" << info.name() << "' is never produced";
    Value value = it->second;
    auto type = llvm::cast<RankedTensorType>(value.getType());
    if (info.type().has_tensor_type()) {
      const auto &declared = info.type().tensor_type();
      Type element = convertDataType(&context, declared.elem_type());
      if (declared.elem_type() != 0 && element != type.getElementType())
        return emitError(fileLoc)
               << "graph output '" << info.name() << "' is declared as "
               << dataTypeName(declared.elem_type()) << " but computes "
               << type.getElementType();
      if (declared.has_shape()) {
        bool contradicts = declared.shape().dim_size() != type.getRank();
        // With open inputs dims, the declared sizes are those of the export.
        for (int d = 0;
             !contradicts && !openDims && d < declared.shape().dim_size(); ++d)
          contradicts =
              declared.shape().dim(d).has_dim_value() &&
              declared.shape().dim(d).dim_value() != type.getDimSize(d);
        if (contradicts)
          return emitError(fileLoc)
                 << "graph output '" << info.name()
                 << "' is declared with another shape than the computed "
                 << type;
      }
    }
    results.push_back(value);
  }
  func::ReturnOp::create(builder, fileLoc, results);
  func.setFunctionType(
      builder.getFunctionType(argTypes, ValueRange(results).getTypes()));
  for (auto [i, info] : llvm::enumerate(graph.output()))
    func.setResultAttr(i, "kiln.name", builder.getStringAttr(info.name()));
  return success();
}

FailureOr<Value> GraphImporter::bindInput(const onnx::ValueInfoProto &info,
                                          StringRef path) {
  Location loc = NameLoc::get(builder.getStringAttr(info.name()), fileLoc);
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false);
  if (std::error_code error = buffer.getError())
    return emitError(loc) << "--bind " << info.name() << ": cannot read "
                          << path << ": " << error.message();
  onnx::TensorProto tensor;
  StringRef data = (*buffer)->getBuffer();
  if (data.size() > (size_t)INT_MAX ||
      !tensor.ParseFromArray(data.data(), (int)data.size()))
    return emitError(loc) << "--bind " << info.name() << ": " << path
                          << " is not a serialized onnx.TensorProto";
  tensor.clear_data_location();
  tensor.clear_external_data();
  auto attr = convertTensor(tensor, loc, "--bind " + info.name());
  if (failed(attr))
    return failure();
  // The value must fit the input's declared type.
  auto type = llvm::cast<RankedTensorType>(attr->getType());
  const auto &declared = info.type().tensor_type();
  Type element = convertDataType(&context, declared.elem_type());
  bool fits = element == type.getElementType();
  if (fits && declared.has_shape()) {
    fits = declared.shape().dim_size() == type.getRank();
    for (int d = 0; fits && d < declared.shape().dim_size(); ++d)
      fits = !declared.shape().dim(d).has_dim_value() ||
             declared.shape().dim(d).dim_value() == type.getDimSize(d);
  }
  if (!fits)
    return emitError(loc) << "--bind " << info.name() << ": " << path
                          << " holds " << type
                          << ", which does not fit the input's declared type";
  return ConstantOp::create(builder, loc, *attr).getResult();
}

//===----------------------------------------------------------------------===//
// Entry points
//===----------------------------------------------------------------------===//

bool kiln::onnx_frontend::parseShape(StringRef text,
                                     SmallVectorImpl<int64_t> &shape) {
  shape.clear();
  if (text.empty())
    return false;
  SmallVector<StringRef> parts;
  text.split(parts, 'x');
  for (StringRef part : parts) {
    int64_t dim;
    if (part.empty() || part.getAsInteger(10, dim) || dim < 0)
      return false;
    shape.push_back(dim);
  }
  return true;
}

SmallVector<OperatorSupport> kiln::onnx_frontend::getSupportedOperators() {
  static const HandlerTable table = [] {
    HandlerTable t;
    registerElementwiseOps(t);
    registerReductionOps(t);
    registerConvolutionOps(t);
    registerMatmulOps(t);
    registerNormalizationOps(t);
    registerRecurrentOps(t);
    registerDataMovementOps(t);
    registerResizeOps(t);
    return t;
  }();
  SmallVector<OperatorSupport> result;
  for (const auto &entry : table) {
    auto [added, removed] = operatorLifetime(entry.getKey());
    result.push_back({entry.getKey(), added, std::min(removed - 1, kMaxOpset)});
  }
  llvm::sort(result, [](const OperatorSupport &a, const OperatorSupport &b) {
    return a.name < b.name;
  });
  return result;
}

OwningOpRef<ModuleOp>
kiln::onnx_frontend::importModelFile(StringRef path, MLIRContext &context,
                                     const ImportOptions &options) {
  Location fileLoc = FileLineColLoc::get(&context, path, 0, 0);
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/true);
  if (std::error_code error = buffer.getError()) {
    emitError(fileLoc) << "cannot read: " << error.message();
    return {};
  }
  return importModelBuffer((*buffer)->getBuffer(), path,
                           llvm::sys::path::extension(path) == ".onnxtxt",
                           context, options);
}

OwningOpRef<ModuleOp>
kiln::onnx_frontend::importModelBuffer(StringRef data, StringRef path,
                                       bool textual, MLIRContext &context,
                                       const ImportOptions &options) {
  Location fileLoc = FileLineColLoc::get(&context, path, 0, 0);
  onnx::ModelProto model;
  if (textual) {
    if (data.find('\0') != StringRef::npos) {
      emitError(fileLoc) << "not ONNX textual syntax (the file holds a NUL "
                            "byte)";
      return {};
    }
    // The parser reads up to a NUL.
    std::string text = data.str();
    onnx::OnnxParser parser(text.c_str());
    auto status = parser.Parse(model);
    if (!status.IsOK()) {
      emitError(fileLoc) << "not valid ONNX textual syntax: "
                         << status.ErrorMessage();
      return {};
    }
  } else {
    if (data.size() > (size_t)INT_MAX) {
      emitError(fileLoc) << "unsupported: protobuf models larger than 2 GiB "
                            "(store weights as external data)";
      return {};
    }
    google::protobuf::io::CodedInputStream stream(
        reinterpret_cast<const uint8_t *>(data.data()), (int)data.size());
    stream.SetTotalBytesLimit(INT_MAX);
    if (!model.ParseFromCodedStream(&stream) ||
        !stream.ConsumedEntireMessage()) {
      emitError(fileLoc) << "not an ONNX model (the protobuf is malformed or "
                            "truncated)";
      return {};
    }
  }
  if (!model.has_graph()) {
    emitError(fileLoc) << "not an ONNX model (it has no graph)";
    return {};
  }
  GraphImporter importer(context, path, options);
  return importer.importModel(model);
}

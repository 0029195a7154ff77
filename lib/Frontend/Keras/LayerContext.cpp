//===- LayerContext.cpp - Importing one Keras layer call ------------------===//

#include "LayerContext.h"
#include "ModelImporter.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/StringExtras.h"

#include <cmath>

using namespace mlir;
using namespace kiln;
using namespace kiln::keras_frontend;
namespace json = llvm::json;
using llvm::SmallVector;
using llvm::StringRef;

/// Float constants with more elements become dense_resource blobs.
static constexpr int64_t kMaxInlineElements = 16;

LayerContext::LayerContext(ModelImporter &importer, const json::Object &layer,
                           const json::Object &config, StringRef className,
                           StringRef name, Location loc, WeightScope scope)
    : importer(importer), layer(layer), config(config),
      className(className.str()), name(name.str()), loc(loc),
      scope(std::move(scope)) {}

OpBuilder &LayerContext::builder() { return importer.builder; }
MLIRContext *LayerContext::context() { return &importer.context; }
bool LayerContext::legacyDialect() const { return importer.legacyDialect; }

InFlightDiagnostic LayerContext::emitError() { return mlir::emitError(loc); }

LogicalResult LayerContext::unsupported(const llvm::Twine &what) {
  return emitError() << "unsupported: " << what;
}

LogicalResult LayerContext::expectInputs(unsigned low, unsigned high) {
  if (inputs.size() >= low && inputs.size() <= high)
    return success();
  InFlightDiagnostic diag = emitError();
  diag << "the layer takes ";
  if (low == high)
    diag << low;
  else
    diag << low << " to " << high;
  diag << " input tensors, not " << inputs.size();
  return diag;
}

//===----------------------------------------------------------------------===//
// Config
//===----------------------------------------------------------------------===//

bool LayerContext::has(StringRef key) const {
  const json::Value *v = config.get(key);
  return v && v->kind() != json::Value::Null;
}

FailureOr<int64_t> LayerContext::getInt(StringRef key,
                                        std::optional<int64_t> fallback) {
  const json::Value *v = config.get(key);
  if (!v || v->kind() == json::Value::Null) {
    if (fallback)
      return *fallback;
    return emitError() << "the config has no '" << key << "'";
  }
  std::optional<int64_t> i = v->getAsInteger();
  if (!i) {
    // A list of one int (e.g. Conv1D's kernel_size [3]).
    if (const json::Array *a = v->getAsArray())
      if (a->size() == 1)
        i = (*a)[0].getAsInteger();
  }
  if (!i || *i < -(int64_t(1) << 40) || *i > (int64_t(1) << 40))
    return emitError() << "config '" << key << "' must be an integer";
  return *i;
}

FailureOr<double> LayerContext::getFloat(StringRef key,
                                         std::optional<double> fallback) {
  const json::Value *v = config.get(key);
  if (!v || v->kind() == json::Value::Null) {
    if (fallback)
      return *fallback;
    return emitError() << "the config has no '" << key << "'";
  }
  std::optional<double> d = v->getAsNumber();
  if (!d || !std::isfinite(*d))
    return emitError() << "config '" << key << "' must be a finite number";
  return *d;
}

FailureOr<bool> LayerContext::getBool(StringRef key,
                                      std::optional<bool> fallback) {
  const json::Value *v = config.get(key);
  if (!v || v->kind() == json::Value::Null) {
    if (fallback)
      return *fallback;
    return emitError() << "the config has no '" << key << "'";
  }
  std::optional<bool> b = v->getAsBoolean();
  if (!b)
    return emitError() << "config '" << key << "' must be true or false";
  return *b;
}

FailureOr<std::string>
LayerContext::getString(StringRef key, std::optional<std::string> fallback) {
  const json::Value *v = config.get(key);
  if (!v || v->kind() == json::Value::Null) {
    if (fallback)
      return *fallback;
    return emitError() << "the config has no '" << key << "'";
  }
  std::optional<StringRef> s = v->getAsString();
  if (!s)
    return emitError() << "config '" << key << "' must be a string";
  return s->str();
}

FailureOr<SmallVector<int64_t>>
LayerContext::getInts(StringRef key, size_t count,
                      std::optional<int64_t> fallback) {
  const json::Value *v = config.get(key);
  if (!v || v->kind() == json::Value::Null) {
    if (!fallback)
      return emitError() << "the config has no '" << key << "'";
    return SmallVector<int64_t>(count, *fallback);
  }
  SmallVector<int64_t> values;
  if (std::optional<int64_t> i = v->getAsInteger()) {
    values.assign(count ? count : 1, *i);
  } else if (const json::Array *a = v->getAsArray()) {
    for (const json::Value &e : *a) {
      std::optional<int64_t> i = e.getAsInteger();
      if (!i)
        return emitError() << "config '" << key
                           << "' must be an integer or a list of integers";
      values.push_back(*i);
    }
    if (count && values.size() == 1 && count > 1)
      values.assign(count, values[0]);
  } else {
    return emitError() << "config '" << key
                       << "' must be an integer or a list of integers";
  }
  if (count && values.size() != count)
    return emitError() << "config '" << key << "' has " << values.size()
                       << " values, not " << count;
  for (int64_t i : values)
    if (i < -(int64_t(1) << 40) || i > (int64_t(1) << 40))
      return emitError() << "config '" << key << "' is out of range";
  return values;
}

LogicalResult LayerContext::refuseSet(StringRef key, StringRef why) {
  if (!has(key))
    return success();
  const json::Value *v = config.get(key);
  if (auto b = v->getAsBoolean(); b && !*b)
    return success();
  return unsupported("option '" + key + "' (" + why + ")");
}

std::optional<KTensor> LayerContext::kwargTensor(StringRef key) const {
  const json::Value *v = kwargs.get(key);
  if (!v)
    return std::nullopt;
  const json::Object *object = v->getAsObject();
  if (!object)
    return std::nullopt;
  std::optional<int64_t> index = object->getInteger("__tensor__");
  if (!index || *index < 0 || *index >= (int64_t)inputs.size())
    return std::nullopt;
  return inputs[*index];
}

std::optional<bool> LayerContext::kwargBool(StringRef key) const {
  const json::Value *v = kwargs.get(key);
  return v ? v->getAsBoolean() : std::nullopt;
}

//===----------------------------------------------------------------------===//
// Weights
//===----------------------------------------------------------------------===//

/// The parts of an `.h5` weight name, ":0" dropped from the last.
static SmallVector<StringRef> nameParts(StringRef name) {
  SmallVector<StringRef> parts;
  name.split(parts, '/', -1, /*KeepEmpty=*/false);
  if (!parts.empty()) {
    StringRef &last = parts.back();
    size_t colon = last.rfind(':');
    if (colon != StringRef::npos &&
        llvm::all_of(last.substr(colon + 1), llvm::isDigit))
      last = last.take_front(colon);
  }
  return parts;
}

/// Whether the weight name `parts` matches `pattern` ("forward/kernel"):
/// the same variable name, and each other pattern part the prefix of a
/// sublayer part, in order.
static bool matchesPattern(ArrayRef<StringRef> parts, StringRef pattern) {
  SmallVector<StringRef> wanted;
  pattern.split(wanted, '/', -1, false);
  if (parts.empty() || wanted.empty() || parts.back() != wanted.back())
    return false;
  size_t next = 0;
  for (size_t w = 0; w + 1 < wanted.size(); ++w) {
    while (next + 1 < parts.size() && !parts[next].starts_with(wanted[w]))
      ++next;
    if (next + 1 >= parts.size())
      return false;
    ++next;
  }
  return true;
}

/// Finds the dataset of `pattern` in an `.h5` layer group; "" when absent.
static FailureOr<std::string> findH5Weight(LayerContext &ctx,
                                           StringRef pattern) {
  auto names = ctx.importer.weightNames(ctx.scope.h5Group, ctx.loc);
  if (failed(names))
    return failure();
  std::string found;
  for (const std::string &name : **names) {
    SmallVector<StringRef> parts = nameParts(name);
    if (!ctx.scope.h5Layer.empty() &&
        !llvm::is_contained(ArrayRef<StringRef>(parts).drop_back(),
                            StringRef(ctx.scope.h5Layer)))
      continue;
    if (!matchesPattern(parts, pattern))
      continue;
    if (!found.empty())
      return ctx.emitError() << "weights '" << found << "' and '" << name
                             << "' both match '" << pattern << "'";
    found = name;
  }
  if (found.empty())
    return std::string();
  return ctx.scope.h5Group + "/" + found;
}

bool LayerContext::hasWeight(StringRef kerasPath, StringRef h5Pattern) {
  HDF5File &file = *importer.archive.weights;
  if (!importer.archive.legacyHDF5)
    return file.isDataset(scope.path + "/" + kerasPath.str());
  auto path = findH5Weight(*this, h5Pattern);
  return succeeded(path) && !path->empty();
}

FailureOr<WeightArray> LayerContext::weight(StringRef kerasPath,
                                            StringRef h5Pattern,
                                            ArrayRef<int64_t> shape) {
  HDF5File &file = *importer.archive.weights;
  std::string path, shown;
  if (!importer.archive.legacyHDF5) {
    path = scope.path + "/" + kerasPath.str();
    shown = path;
  } else {
    auto found = findH5Weight(*this, h5Pattern);
    if (failed(found))
      return failure();
    path = *found;
    shown = "'" + h5Pattern.str() + "' of " + scope.h5Group;
  }
  if (path.empty() || !file.isDataset(path))
    return emitError() << "the weight " << shown
                       << " is missing from the weight file (was it saved by "
                          "another model?)";
  auto array = file.readFloats(path);
  if (!array)
    return emitError() << llvm::toString(array.takeError());
  if (ArrayRef<int64_t>(array->shape) != shape) {
    InFlightDiagnostic diag = emitError();
    diag << "the weight " << shown << " has shape [";
    llvm::interleaveComma(array->shape, diag);
    diag << "], but the layer needs [";
    llvm::interleaveComma(shape, diag);
    return diag << "] (was it saved by another model?)";
  }
  return std::move(*array);
}

WeightArray kiln::keras_frontend::permute(const WeightArray &array,
                                          ArrayRef<int64_t> perm) {
  size_t rank = array.shape.size();
  WeightArray result;
  for (int64_t p : perm)
    result.shape.push_back(array.shape[p]);
  result.data.resize(array.data.size());
  SmallVector<int64_t> inStrides(rank, 1);
  for (int d = (int)rank - 2; d >= 0; --d)
    inStrides[d] = inStrides[d + 1] * array.shape[d + 1];
  SmallVector<int64_t> index(rank, 0);
  for (size_t i = 0; i < result.data.size(); ++i) {
    int64_t offset = 0;
    for (size_t d = 0; d < rank; ++d)
      offset += index[d] * inStrides[perm[d]];
    result.data[i] = array.data[offset];
    for (int d = (int)rank - 1; d >= 0; --d) {
      if (++index[d] < result.shape[d])
        break;
      index[d] = 0;
    }
  }
  return result;
}

std::pair<int64_t, int64_t>
kiln::keras_frontend::samePads(int64_t size, int64_t kernel, int64_t stride) {
  int64_t out = (size + stride - 1) / stride;
  int64_t total = std::max<int64_t>((out - 1) * stride + kernel - size, 0);
  return {total / 2, total - total / 2};
}

//===----------------------------------------------------------------------===//
// Building kiln ops
//===----------------------------------------------------------------------===//

Value LayerContext::constant(ArrayRef<float> values, ArrayRef<int64_t> shape) {
  auto type = RankedTensorType::get(shape, builder().getF32Type());
  ElementsAttr attr;
  if ((int64_t)values.size() > kMaxInlineElements) {
    ArrayRef<char> bytes(reinterpret_cast<const char *>(values.data()),
                         values.size() * sizeof(float));
    attr = DenseResourceElementsAttr::get(
        type, name.empty() ? "weight" : name,
        HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, alignof(double)));
  } else {
    attr = DenseElementsAttr::get(type, values);
  }
  return ConstantOp::create(builder(), loc, attr);
}

Value LayerContext::constant(const WeightArray &array) {
  return constant(array.data, array.shape);
}

Value LayerContext::constantI64(ArrayRef<int64_t> values,
                                ArrayRef<int64_t> shape) {
  auto type = RankedTensorType::get(shape, builder().getI64Type());
  return ConstantOp::create(builder(), loc,
                            DenseElementsAttr::get(type, values));
}

Value LayerContext::scalar(double value, Type element) {
  auto type = RankedTensorType::get({}, element);
  Attribute attr;
  if (auto f = llvm::dyn_cast<FloatType>(element))
    attr = DenseElementsAttr::get(type, builder().getFloatAttr(f, value));
  else
    attr = DenseElementsAttr::get(
        type, builder().getIntegerAttr(element, (int64_t)value));
  return ConstantOp::create(builder(), loc, llvm::cast<ElementsAttr>(attr));
}

FailureOr<Value> LayerContext::reshape(Value value, ArrayRef<int64_t> shape) {
  auto type = typeOf(value);
  if (type.getShape() == shape)
    return value;
  return createTyped<ReshapeOp>(
      RankedTensorType::get(shape, type.getElementType()), {value});
}

FailureOr<Value> LayerContext::transpose(Value value, ArrayRef<int64_t> perm) {
  bool identity = true;
  for (auto [i, p] : llvm::enumerate(perm))
    identity &= (int64_t)i == p;
  if (identity)
    return value;
  return create<TransposeOp>({value}, {named("perm", i64s(perm))});
}

FailureOr<Value> LayerContext::unary(UnaryKind kind, Value value,
                                     std::optional<float> alpha,
                                     std::optional<float> beta) {
  SmallVector<NamedAttribute> attrs = {
      named("kind", UnaryKindAttr::get(context(), kind))};
  if (alpha)
    attrs.push_back(named("alpha", f32(*alpha)));
  if (beta)
    attrs.push_back(named("beta", f32(*beta)));
  return create<UnaryOp>({value}, attrs);
}

FailureOr<Value> LayerContext::binary(BinaryKind kind, Value lhs, Value rhs) {
  return create<BinaryOp>(
      {lhs, rhs}, {named("kind", BinaryKindAttr::get(context(), kind))});
}

FailureOr<Value> LayerContext::cast(Value value, Type element) {
  if (typeOf(value).getElementType() == element)
    return value;
  return createTyped<CastOp>(
      RankedTensorType::get(typeOf(value).getShape(), element), {value});
}

FailureOr<Value> LayerContext::reduce(ReduceKind kind, Value value,
                                      ArrayRef<int64_t> axes, bool keepdims) {
  SmallVector<NamedAttribute> attrs = {
      named("kind", ReduceKindAttr::get(context(), kind)),
      named("axes", i64s(axes))};
  if (keepdims)
    attrs.push_back(named("keepdims", builder().getUnitAttr()));
  return create<ReduceOp>({value}, attrs);
}

FailureOr<Value> LayerContext::concat(ValueRange values, int64_t axis) {
  if (values.size() == 1)
    return values[0];
  return create<ConcatOp>(values, {named("axis", i64(axis))});
}

FailureOr<Value> LayerContext::slice(Value value, int64_t axis, int64_t begin,
                                     int64_t end) {
  auto type = typeOf(value);
  int64_t rank = type.getRank();
  SmallVector<int64_t> offsets(rank, 0), strides(rank, 1),
      shape(type.getShape());
  offsets[axis] = begin;
  shape[axis] = end - begin;
  return createTyped<SliceOp>(
      RankedTensorType::get(shape, type.getElementType()), {value},
      {named("offsets", i64s(offsets)), named("strides", i64s(strides))});
}

NamedAttribute LayerContext::named(StringRef name, Attribute value) {
  return builder().getNamedAttr(name, value);
}
DenseI64ArrayAttr LayerContext::i64s(ArrayRef<int64_t> values) {
  return builder().getDenseI64ArrayAttr(values);
}
IntegerAttr LayerContext::i64(int64_t value) {
  return builder().getI64IntegerAttr(value);
}
FloatAttr LayerContext::f32(float value) {
  return builder().getF32FloatAttr(value);
}

FailureOr<int64_t> LayerContext::normalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return emitError() << "axis " << axis << " is out of range for rank "
                       << rank;
  return axis < 0 ? axis + rank : axis;
}

//===----------------------------------------------------------------------===//
// Activations
//===----------------------------------------------------------------------===//

FailureOr<Value> LayerContext::activation(Value value, StringRef fn,
                                          int64_t axis) {
  int64_t rank = typeOf(value).getRank();
  Type f32Type = builder().getF32Type();
  auto softmaxAxis = [&]() { return normalizeAxis(axis, rank); };
  if (fn == "linear" || fn.empty())
    return value;
  if (fn == "relu")
    return unary(UnaryKind::relu, value);
  if (fn == "relu6")
    return unary(UnaryKind::clip, value, 0.0f, 6.0f);
  if (fn == "sigmoid")
    return unary(UnaryKind::sigmoid, value);
  if (fn == "hard_sigmoid") {
    // tf.keras 2: clip(0.2x + 0.5); Keras 3: relu6(x + 3) / 6.
    if (legacyDialect())
      return unary(UnaryKind::hard_sigmoid, value, 0.2f, 0.5f);
    return unary(UnaryKind::hard_sigmoid, value, 1.0f / 6.0f, 0.5f);
  }
  if (fn == "hard_silu" || fn == "hard_swish")
    return unary(UnaryKind::hard_swish, value);
  if (fn == "tanh")
    return unary(UnaryKind::tanh, value);
  if (fn == "softmax" || fn == "log_softmax") {
    auto a = softmaxAxis();
    if (failed(a))
      return failure();
    if (fn == "softmax")
      return create<SoftmaxOp>({value}, {named("axis", i64(*a))});
    return create<LogSoftmaxOp>({value}, {named("axis", i64(*a))});
  }
  if (fn == "softplus")
    return unary(UnaryKind::softplus, value);
  if (fn == "softsign")
    return unary(UnaryKind::softsign, value);
  if (fn == "selu")
    return unary(UnaryKind::selu, value);
  if (fn == "elu")
    return unary(UnaryKind::elu, value, 1.0f);
  if (fn == "gelu")
    return unary(UnaryKind::gelu, value);
  if (fn == "silu" || fn == "swish")
    return unary(UnaryKind::silu, value);
  if (fn == "mish")
    return unary(UnaryKind::mish, value);
  if (fn == "exponential")
    return unary(UnaryKind::exp, value);
  if (fn == "leaky_relu")
    return unary(UnaryKind::leaky_relu, value, 0.2f);
  (void)f32Type;
  return unsupported("activation '" + fn + "'");
}

FailureOr<Value> LayerContext::configActivation(Value value, StringRef key) {
  const json::Value *v = config.get(key);
  if (!v || v->kind() == json::Value::Null)
    return value;
  if (std::optional<StringRef> s = v->getAsString())
    return activation(value, *s);
  // Keras 3 may serialize a built-in activation as an object.
  if (const json::Object *object = v->getAsObject()) {
    StringRef module = object->getString("module").value_or("");
    const json::Value *inner = object->get("config");
    if (module.starts_with("keras") && inner && inner->getAsString())
      return activation(value, *inner->getAsString());
    return unsupported("activation " +
                       object->getString("class_name").value_or("?") +
                       " (a custom function holds Python code)");
  }
  return emitError() << "config '" << key << "' must be a string";
}

//===----------------------------------------------------------------------===//
// Layouts
//===----------------------------------------------------------------------===//

SmallVector<int64_t> LayerContext::kerasShape(const KTensor &tensor) {
  auto shape = llvm::to_vector(typeOf(tensor.value).getShape());
  switch (tensor.layout) {
  case Layout::Keras:
    return shape;
  case Layout::ChannelsFirst: {
    SmallVector<int64_t> result = {shape[0]};
    result.append(shape.begin() + 2, shape.end());
    result.push_back(shape[1]);
    return result;
  }
  case Layout::FlatChannelsFirst:
    return shape;
  }
  return shape;
}

FailureOr<Value> LayerContext::keras(const KTensor &tensor) {
  Value v = tensor.value;
  int64_t rank = typeOf(v).getRank();
  switch (tensor.layout) {
  case Layout::Keras:
    return v;
  case Layout::ChannelsFirst: {
    SmallVector<int64_t> perm = {0};
    for (int64_t d = 2; d < rank; ++d)
      perm.push_back(d);
    perm.push_back(1);
    return transpose(v, perm);
  }
  case Layout::FlatChannelsFirst: {
    int64_t batch = typeOf(v).getDimSize(0);
    SmallVector<int64_t> unflat = {batch};
    unflat.append(tensor.flatDims.begin(), tensor.flatDims.end());
    auto shaped = reshape(v, unflat);
    if (failed(shaped))
      return failure();
    KTensor cf;
    cf.value = *shaped;
    cf.layout = Layout::ChannelsFirst;
    auto back = keras(cf);
    if (failed(back))
      return failure();
    return reshape(*back, typeOf(v).getShape());
  }
  }
  return v;
}

FailureOr<Value> LayerContext::channelsFirst(const KTensor &tensor) {
  if (tensor.layout == Layout::ChannelsFirst)
    return tensor.value;
  auto v = keras(tensor);
  if (failed(v))
    return failure();
  int64_t rank = typeOf(*v).getRank();
  SmallVector<int64_t> perm = {0, rank - 1};
  for (int64_t d = 1; d < rank - 1; ++d)
    perm.push_back(d);
  return transpose(*v, perm);
}

void LayerContext::setOutput(Value value, Layout layout) {
  KTensor out;
  out.value = value;
  out.layout = layout;
  if (!inputs.empty())
    out.mask = inputs[0].mask;
  outputs.push_back(out);
}

LogicalResult LayerContext::bindLike(const KTensor &like,
                                     FailureOr<Value> result) {
  if (failed(result))
    return failure();
  KTensor out = like;
  out.value = *result;
  outputs.push_back(out);
  return success();
}

LogicalResult LayerContext::bindPlain(FailureOr<Value> result) {
  if (failed(result))
    return failure();
  KTensor out;
  out.value = *result;
  outputs.push_back(out);
  return success();
}

FailureOr<Value> LayerContext::l2Normalize(Value value,
                                           ArrayRef<int64_t> axes) {
  auto sq = binary(BinaryKind::mul, value, value);
  if (failed(sq))
    return failure();
  auto sum = reduce(ReduceKind::sum, *sq, axes, true);
  if (failed(sum))
    return failure();
  auto clamped =
      binary(BinaryKind::max, *sum, scalar(1e-12, builder().getF32Type()));
  if (failed(clamped))
    return failure();
  auto root = unary(UnaryKind::sqrt, *clamped);
  if (failed(root))
    return failure();
  return binary(BinaryKind::div, value, *root);
}

//===- Importer.cpp - Keras models to kiln IR -----------------------------===//
//
// Reads the model's config (JSON), normalizes its two dialects (tf.keras 2:
// `batch_input_shape`, list-form `inbound_nodes`; Keras 3: `batch_shape`,
// dict-form `inbound_nodes` with `__keras_tensor__` objects) and walks the
// layer graph: Sequential models as a chain, functional models call by call
// in dependency order, nested models recursively.
//
//===----------------------------------------------------------------------===//

#include "ModelImporter.h"

#include "kiln/Dialect/Kiln/IR/KilnDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::keras_frontend;
namespace json = llvm::json;
using llvm::SmallVector;
using llvm::StringRef;

/// Nested models deeper than this are refused.
static constexpr int kMaxModelDepth = 32;
/// JSON nested deeper than this is refused before it is parsed.
static constexpr int kMaxJsonDepth = 512;

static bool isModelClass(StringRef cls) {
  return cls == "Sequential" || cls == "Functional" || cls == "Model";
}

StringRef kiln::keras_frontend::layerName(const json::Object &layer) {
  if (auto name = layer.getString("name"))
    return *name;
  if (const json::Object *config = layer.getObject("config"))
    if (auto name = config->getString("name"))
      return *name;
  return "";
}

std::string kiln::keras_frontend::snakeCase(StringRef className) {
  // re.sub("(.)([A-Z][a-z]+)", r"\1_\2"), then re.sub("([a-z])([A-Z])",
  // r"\1_\2"), lower-cased.
  std::string first;
  for (size_t i = 0; i < className.size(); ++i) {
    char c = className[i];
    if (i > 0 && llvm::isUpper(c) && i + 1 < className.size() &&
        llvm::isLower(className[i + 1]))
      first += '_';
    first += c;
  }
  std::string second;
  for (size_t i = 0; i < first.size(); ++i) {
    if (i > 0 && llvm::isUpper(first[i]) && llvm::isLower(first[i - 1]))
      second += '_';
    second += first[i];
  }
  std::string lower = llvm::StringRef(second).lower();
  // A name "first" of "_x" would be rewritten; no built-in class has one.
  if (!lower.empty() && lower[0] == '_')
    return "private" + lower;
  return lower;
}

ModelImporter::ModelImporter(MLIRContext &context, StringRef path,
                             KerasArchive archive, const ImportOptions &options)
    : context(context), builder(&context),
      fileLoc(FileLineColLoc::get(&context, path, 0, 0)),
      archive(std::move(archive)), options(options) {
  registerCoreLayers(layers);
  registerConvolutionLayers(layers);
  registerNormalizationLayers(layers);
  registerRecurrentLayers(layers);
  registerAttentionLayers(layers);
}

FailureOr<const std::vector<std::string> *>
ModelImporter::weightNames(StringRef group, Location loc) {
  auto it = namesCache.find(group.str());
  if (it != namesCache.end())
    return &it->second;
  auto names = archive.weights->stringArrayAttr(group, "weight_names");
  if (!names)
    return emitError(loc) << llvm::toString(names.takeError());
  return &(namesCache[group.str()] = std::move(*names));
}

//===----------------------------------------------------------------------===//
// Inputs
//===----------------------------------------------------------------------===//

static FailureOr<Type> inputElementType(MLIRContext *context, StringRef dtype,
                                        Location loc) {
  Builder b(context);
  if (dtype == "float32" || dtype.empty())
    return Type(b.getF32Type());
  if (dtype == "int32")
    return Type(b.getI32Type());
  if (dtype == "int64")
    return Type(b.getI64Type());
  return emitError(loc) << "unsupported: input dtype '" << dtype
                        << "' (Kiln reads float32, int32 and int64 inputs)";
}

/// A dtype from a config: a string, or a DTypePolicy object.
static std::string dtypeName(const json::Value *value) {
  if (!value)
    return "";
  if (auto s = value->getAsString())
    return s->str();
  if (const json::Object *object = value->getAsObject()) {
    if (const json::Object *config = object->getObject("config"))
      if (auto name = config->getString("name"))
        return name->str();
  }
  return "?";
}

FailureOr<KTensor> ModelImporter::makeInput(StringRef name,
                                            const json::Object &config,
                                            Location loc) {
  const json::Array *dims = config.getArray("batch_shape");
  if (!dims)
    dims = config.getArray("batch_input_shape");
  json::Array withBatch;
  if (!dims) {
    if (const json::Array *shape = config.getArray("shape")) {
      // Keras 3 InputLayer(shape=...) without the batch dim.
      withBatch.push_back(nullptr);
      for (const json::Value &d : *shape)
        withBatch.push_back(d);
      dims = &withBatch;
    }
  }
  if (!dims)
    return emitError(loc) << "the input '" << name
                          << "' declares no shape (batch_shape)";
  if (dims->empty() || dims->size() > 8)
    return emitError(loc) << "the input '" << name << "' has rank "
                          << dims->size() << "; Kiln reads ranks 1 to 8";
  SmallVector<int64_t> shape;
  bool open = false;
  for (const json::Value &d : *dims) {
    if (d.kind() == json::Value::Null) {
      shape.push_back(ShapedType::kDynamic);
      open = true;
      continue;
    }
    std::optional<int64_t> v = d.getAsInteger();
    if (!v || *v < 0 || *v > (int64_t(1) << 32))
      return emitError(loc)
             << "the input '" << name << "' has a malformed shape";
    shape.push_back(*v);
  }
  auto pinned = options.inputShapes.find(name);
  if (pinned != options.inputShapes.end()) {
    if (pinned->second.size() != shape.size())
      return emitError(loc)
             << "--shape gives '" << name << "' rank " << pinned->second.size()
             << ", but the model declares rank " << shape.size();
    for (size_t d = 0; d < shape.size(); ++d) {
      if (shape[d] != ShapedType::kDynamic && shape[d] != pinned->second[d])
        return emitError(loc) << "--shape gives '" << name << "' dim " << d
                              << " = " << pinned->second[d]
                              << ", but the model fixes it to " << shape[d];
      shape[d] = pinned->second[d];
    }
    open = false;
  }
  if (open && options.openDimDefault) {
    for (int64_t &d : shape)
      if (d == ShapedType::kDynamic)
        d = *options.openDimDefault;
    open = false;
  }
  // Open dims by symbol: "batch" for the first, INPUT_dAXIS for the others;
  // `--shape SYMBOL=N` or the caller's values pin them, else the probe.
  if (open) {
    open = false;
    for (size_t d = 0; d < shape.size(); ++d) {
      if (shape[d] != ShapedType::kDynamic)
        continue;
      std::string symbol =
          d == 0 ? std::string("batch") : unnamedSymbol(name.str(), d);
      auto pinnedSymbol = options.inputShapes.find(symbol);
      if (pinnedSymbol != options.inputShapes.end() &&
          pinnedSymbol->second.size() == 1) {
        shape[d] = pinnedSymbol->second[0];
      } else if (options.symbols && options.symbols->values.count(symbol)) {
        shape[d] = options.symbols->values.lookup(symbol);
      } else if (options.symbols && options.symbols->probe) {
        shape[d] = *options.symbols->probe;
        options.symbols->probed.push_back({name.str(), (unsigned)d, symbol});
      } else {
        open = true;
      }
    }
  }
  if (open) {
    std::string example;
    for (size_t d = 0; d < shape.size(); ++d)
      example +=
          (d ? "x" : "") +
          std::to_string(shape[d] == ShapedType::kDynamic ? 1 : shape[d]);
    return emitError(loc)
           << "the input '" << name
           << "' has open dims (None: the batch, and maybe a length); Kiln "
              "compiles fixed shapes, so pin the shape with --shape, e.g. "
              "--shape="
           << name << "=" << example;
  }
  std::string dtype = dtypeName(config.get("dtype"));
  auto element = inputElementType(&context, dtype, loc);
  if (failed(element))
    return failure();
  if (config.getBoolean("sparse").value_or(false) ||
      config.getBoolean("ragged").value_or(false))
    return emitError(loc) << "unsupported: sparse or ragged input '" << name
                          << "'";
  for (const std::string &existing : argNames)
    if (existing == name)
      return emitError(loc) << "two inputs are named '" << name << "'";
  auto type = RankedTensorType::get(shape, *element);
  unsigned index = func.getNumArguments();
  if (failed(func.insertArgument(index, type, {}, fileLoc)))
    return emitError(loc) << "cannot add the input";
  func.setArgAttr(index, "kiln.name", builder.getStringAttr(name));
  argTypes.push_back(type);
  argNames.push_back(name.str());
  KTensor tensor;
  tensor.value = func.getArgument(index);
  return tensor;
}

//===----------------------------------------------------------------------===//
// Models
//===----------------------------------------------------------------------===//

SmallVector<WeightScope>
ModelImporter::childScopes(const json::Array &layerList,
                           const WeightScope &scope, bool topLevel) {
  SmallVector<WeightScope> scopes;
  llvm::StringMap<int> used;
  for (const json::Value &value : layerList) {
    WeightScope child;
    const json::Object *layer = value.getAsObject();
    StringRef cls = layer ? layer->getString("class_name").value_or("") : "";
    StringRef name = layer ? layerName(*layer) : "";
    std::string base = snakeCase(cls);
    int &count = used[base];
    std::string k3 = count == 0 ? base : base + "_" + std::to_string(count);
    ++count;
    child.path = scope.path + (scope.path.empty() ? "" : "/") + "layers/" + k3;
    if (topLevel) {
      child.h5Group = "model_weights/" + name.str();
    } else {
      child.h5Group = scope.h5Group;
      child.h5Layer = name.str();
    }
    scopes.push_back(std::move(child));
  }
  return scopes;
}

FailureOr<SmallVector<KTensor>>
ModelImporter::evalModel(const json::Object &model, ArrayRef<KTensor> inputs,
                         const WeightScope &scope, int depth) {
  StringRef cls = model.getString("class_name").value_or("");
  const json::Object *config = model.getObject("config");
  StringRef name = layerName(model);
  Location loc = NameLoc::get(
      builder.getStringAttr((name.empty() ? "model" : name) + " (" + cls + ")"),
      fileLoc);
  if (depth > kMaxModelDepth)
    return emitError(loc) << "models are nested more than " << kMaxModelDepth
                          << " deep";
  if (!config)
    return emitError(loc) << "the model has no config";
  if (cls == "Sequential")
    return evalSequential(*config, name, inputs, scope, depth);
  if (cls == "Functional" || cls == "Model")
    return evalFunctional(*config, name, inputs, scope, depth);
  return emitError(loc) << "unsupported: model class '" << cls
                        << "' (Kiln reads Sequential and functional models; "
                           "subclassed models hold Python code)";
}

FailureOr<SmallVector<KTensor>>
ModelImporter::evalSequential(const json::Object &config, StringRef modelName,
                              ArrayRef<KTensor> inputs,
                              const WeightScope &scope, int depth) {
  Location loc =
      NameLoc::get(builder.getStringAttr(modelName + " (Sequential)"), fileLoc);
  const json::Array *list = config.getArray("layers");
  if (!list)
    return emitError(loc) << "the Sequential model has no 'layers' list";
  bool topLevel = depth == 0;
  SmallVector<WeightScope> scopes = childScopes(*list, scope, topLevel);
  // Keras 3 does not count a Sequential model's InputLayer in `.keras`
  // weight paths; it has no weights, so numbering is unaffected.
  SmallVector<KTensor> current(inputs.begin(), inputs.end());
  size_t first = 0;
  if (current.empty()) {
    const json::Object *layer =
        list->empty() ? nullptr : (*list)[0].getAsObject();
    if (!layer)
      return emitError(loc) << "the Sequential model has no layers";
    StringRef cls = layer->getString("class_name").value_or("");
    const json::Object *layerConfig = layer->getObject("config");
    if (!layerConfig)
      return emitError(loc) << "the first layer has no config";
    StringRef name = layerName(*layer);
    Location inputLoc =
        NameLoc::get(builder.getStringAttr(name + " (" + cls + ")"), fileLoc);
    if (cls == "InputLayer") {
      auto input = makeInput(name, *layerConfig, inputLoc);
      if (failed(input))
        return failure();
      current.push_back(*input);
      first = 1;
    } else {
      // tf.keras: the first layer carries `batch_input_shape`; Keras 3
      // without an InputLayer: the model's `build_input_shape`.
      json::Object shapeConfig;
      if (const json::Value *v = layerConfig->get("batch_input_shape"))
        shapeConfig["batch_input_shape"] = *v;
      else if (const json::Value *v = layerConfig->get("batch_shape"))
        shapeConfig["batch_shape"] = *v;
      else if (const json::Value *v = config.get("build_input_shape"))
        shapeConfig["batch_shape"] = *v;
      else
        return emitError(inputLoc)
               << "the Sequential model declares no input shape (no "
                  "InputLayer, batch_input_shape or build_input_shape)";
      if (const json::Value *v = layerConfig->get("dtype"))
        if (v->getAsString())
          shapeConfig["dtype"] = *v;
      auto input = makeInput((name + "_input").str(), shapeConfig, inputLoc);
      if (failed(input))
        return failure();
      current.push_back(*input);
    }
  } else if (!list->empty()) {
    if (const json::Object *layer = (*list)[0].getAsObject())
      if (layer->getString("class_name").value_or("") == "InputLayer")
        first = 1;
  }
  if (current.size() != 1)
    return emitError(loc) << "a Sequential model takes one input, not "
                          << current.size();
  for (size_t i = first; i < list->size(); ++i) {
    const json::Object *layer = (*list)[i].getAsObject();
    if (!layer)
      return emitError(loc) << "layer " << i << " is not an object";
    if (layer->getString("class_name").value_or("") == "InputLayer")
      return emitError(loc) << "an InputLayer inside a Sequential model";
    SmallVector<KTensor> outputs;
    json::Array args;
    args.push_back(json::Object{{"__tensor__", 0}});
    if (failed(callLayer(*layer, scopes[i], current, std::move(args), {},
                         outputs, depth)))
      return failure();
    if (outputs.size() != 1)
      return emitError(loc) << "layer '" << layerName(*layer)
                            << "' of a Sequential model gives "
                            << outputs.size() << " tensors, not one";
    current = std::move(outputs);
  }
  return current;
}

namespace {
/// A tensor of the functional graph: (layer, call, output).
struct History {
  std::string layer;
  int64_t node = 0, index = 0;
  std::string key() const {
    return layer + '\x1f' + std::to_string(node) + '\x1f' +
           std::to_string(index);
  }
};
} // namespace

/// Reads a [name, node, index] triple.
static std::optional<History> parseHistory(const json::Value &value) {
  const json::Array *array = value.getAsArray();
  if (!array || array->size() < 3)
    return std::nullopt;
  auto name = (*array)[0].getAsString();
  auto node = (*array)[1].getAsInteger();
  auto index = (*array)[2].getAsInteger();
  if (!name || !node || !index || *node < 0 || *index < 0)
    return std::nullopt;
  return History{name->str(), *node, *index};
}

/// The Keras 3 tensor reference in `value`, if it is one.
static std::optional<History> kerasTensorRef(const json::Value &value) {
  const json::Object *object = value.getAsObject();
  if (!object || object->getString("class_name") != "__keras_tensor__")
    return std::nullopt;
  const json::Object *config = object->getObject("config");
  if (!config || !config->get("keras_history"))
    return std::nullopt;
  return parseHistory(*config->get("keras_history"));
}

namespace {
/// One call of a layer in a functional model, in Keras 3 form.
struct CallSpec {
  json::Array args;
  json::Object kwargs;
};
} // namespace

/// Converts tf.keras 2 tensor triples inside kwargs to Keras 3 references.
static json::Value liftLegacyTensors(const json::Value &value) {
  if (const json::Array *array = value.getAsArray()) {
    if (array->size() >= 3 && (*array)[0].getAsString() &&
        (*array)[1].getAsInteger() && (*array)[2].getAsInteger()) {
      json::Array history{(*array)[0], (*array)[1], (*array)[2]};
      return json::Object{
          {"class_name", "__keras_tensor__"},
          {"config", json::Object{{"keras_history", std::move(history)}}}};
    }
    json::Array lifted;
    for (const json::Value &v : *array)
      lifted.push_back(liftLegacyTensors(v));
    return lifted;
  }
  if (const json::Object *object = value.getAsObject()) {
    json::Object lifted;
    for (const auto &[k, v] : *object)
      lifted[k] = liftLegacyTensors(v);
    return lifted;
  }
  return value;
}

/// The calls of a layer, in Keras 3 form whatever the dialect.
static FailureOr<SmallVector<CallSpec>> parseCalls(const json::Object &layer,
                                                   Location loc, bool &legacy) {
  SmallVector<CallSpec> calls;
  const json::Array *nodes = layer.getArray("inbound_nodes");
  if (!nodes)
    return calls;
  for (const json::Value &node : *nodes) {
    CallSpec call;
    if (const json::Object *object = node.getAsObject()) {
      if (const json::Array *args = object->getArray("args"))
        call.args = *args;
      if (const json::Object *kwargs = object->getObject("kwargs"))
        call.kwargs = *kwargs;
    } else if (const json::Array *entries = node.getAsArray()) {
      // tf.keras 2: [[layer, node, index, kwargs], ...], one per input.
      legacy = true;
      json::Array tensors;
      for (const json::Value &entry : *entries) {
        std::optional<History> h = parseHistory(entry);
        if (!h)
          return emitError(loc) << "malformed inbound node";
        tensors.push_back(
            liftLegacyTensors(json::Array{h->layer, h->node, h->index}));
        const json::Array *array = entry.getAsArray();
        if (array->size() > 3)
          if (const json::Object *kwargs = (*array)[3].getAsObject())
            for (const auto &[k, v] : *kwargs)
              call.kwargs[k] = liftLegacyTensors(v);
      }
      if (tensors.size() == 1)
        call.args.push_back(std::move(tensors[0]));
      else
        call.args.push_back(std::move(tensors));
    } else {
      return emitError(loc) << "malformed inbound node";
    }
    calls.push_back(std::move(call));
  }
  return calls;
}

/// Replaces the tensor references in `value` by {"__tensor__": i}, looking
/// them up in `tensors` and appending them to `inputs`. Returns false when
/// a referenced tensor is not computed yet; sets `missing` to its name.
static bool resolveTensors(json::Value &value,
                           const std::map<std::string, KTensor> &tensors,
                           SmallVectorImpl<KTensor> &inputs,
                           std::string &missing) {
  if (std::optional<History> h = kerasTensorRef(value)) {
    auto it = tensors.find(h->key());
    if (it == tensors.end()) {
      missing = h->layer;
      return false;
    }
    value = json::Object{{"__tensor__", (int64_t)inputs.size()}};
    inputs.push_back(it->second);
    return true;
  }
  if (json::Array *array = value.getAsArray()) {
    for (json::Value &v : *array)
      if (!resolveTensors(v, tensors, inputs, missing))
        return false;
    return true;
  }
  if (json::Object *object = value.getAsObject()) {
    for (auto &[k, v] : *object)
      if (!resolveTensors(v, tensors, inputs, missing))
        return false;
  }
  return true;
}

/// Reads input_layers / output_layers: a list of triples or one triple.
static std::optional<SmallVector<History>>
parseEndpoints(const json::Value *value) {
  SmallVector<History> result;
  const json::Array *array = value ? value->getAsArray() : nullptr;
  if (!array)
    return std::nullopt;
  if (std::optional<History> one = parseHistory(*value)) {
    if (!(*array)[0].getAsArray()) {
      result.push_back(*one);
      return result;
    }
  }
  for (const json::Value &v : *array) {
    std::optional<History> h = parseHistory(v);
    if (!h)
      return std::nullopt;
    result.push_back(*h);
  }
  return result;
}

FailureOr<SmallVector<KTensor>>
ModelImporter::evalFunctional(const json::Object &config, StringRef modelName,
                              ArrayRef<KTensor> inputs,
                              const WeightScope &scope, int depth) {
  Location loc =
      NameLoc::get(builder.getStringAttr(modelName + " (Functional)"), fileLoc);
  const json::Array *list = config.getArray("layers");
  if (!list)
    return emitError(loc) << "the model has no 'layers' list";
  auto inputRefs = parseEndpoints(config.get("input_layers"));
  auto outputRefs = parseEndpoints(config.get("output_layers"));
  if (!inputRefs || !outputRefs)
    return emitError(loc) << "malformed input_layers or output_layers";
  if (!inputs.empty() && inputs.size() != inputRefs->size())
    return emitError(loc) << "the model takes " << inputRefs->size()
                          << " inputs but is called with " << inputs.size();
  SmallVector<WeightScope> scopes = childScopes(*list, scope, depth == 0);

  std::map<std::string, KTensor> tensors;
  llvm::StringMap<size_t> byName;
  for (size_t i = 0; i < list->size(); ++i) {
    const json::Object *layer = (*list)[i].getAsObject();
    if (!layer)
      return emitError(loc) << "layer " << i << " is not an object";
    StringRef name = layerName(*layer);
    if (!byName.try_emplace(name, i).second)
      return emitError(loc) << "two layers are named '" << name << "'";
  }
  for (auto [k, ref] : llvm::enumerate(*inputRefs)) {
    auto it = byName.find(ref.layer);
    if (it == byName.end())
      return emitError(loc)
             << "input layer '" << ref.layer << "' is not in the model";
    const json::Object &layer = *(*list)[it->second].getAsObject();
    if (!inputs.empty()) {
      tensors[ref.key()] = inputs[k];
      continue;
    }
    const json::Object *layerConfig = layer.getObject("config");
    if (layer.getString("class_name") != "InputLayer" || !layerConfig)
      return emitError(loc)
             << "input '" << ref.layer << "' is not an InputLayer";
    Location inputLoc = NameLoc::get(
        builder.getStringAttr(ref.layer + " (InputLayer)"), fileLoc);
    auto input = makeInput(ref.layer, *layerConfig, inputLoc);
    if (failed(input))
      return failure();
    tensors[ref.key()] = *input;
  }

  // Every call of every layer, run once its inputs are known (a layer may
  // be called on the output of a layer listed after it).
  struct Pending {
    size_t layer;
    int64_t node;
    CallSpec call;
  };
  // A nested model that was built on its own inputs has a call of its own
  // before those of this model, which the config counts but does not list
  // (tf.keras: functional models and Sequential ones that start with an
  // InputLayer; Keras 3: functional models).
  auto nodeOffset = [&](const json::Object &layer) -> int64_t {
    StringRef cls = layer.getString("class_name").value_or("");
    if (cls == "Functional" || cls == "Model")
      return 1;
    if (cls != "Sequential" || !legacyDialect)
      return 0;
    const json::Object *config = layer.getObject("config");
    const json::Array *list = config ? config->getArray("layers") : nullptr;
    const json::Object *first =
        list && !list->empty() ? (*list)[0].getAsObject() : nullptr;
    return first && first->getString("class_name") == "InputLayer" ? 1 : 0;
  };
  std::vector<Pending> pending;
  for (size_t i = 0; i < list->size(); ++i) {
    const json::Object &layer = *(*list)[i].getAsObject();
    if (layer.getString("class_name") == "InputLayer")
      continue;
    Location layerLoc = NameLoc::get(
        builder.getStringAttr(layerName(layer) + " (" +
                              layer.getString("class_name").value_or("") + ")"),
        fileLoc);
    bool legacy = false;
    auto calls = parseCalls(layer, layerLoc, legacy);
    if (failed(calls))
      return failure();
    legacyDialect |= legacy;
    int64_t offset = nodeOffset(layer);
    for (auto [n, call] : llvm::enumerate(*calls))
      pending.push_back({i, (int64_t)n + offset, std::move(call)});
  }
  while (!pending.empty()) {
    std::vector<Pending> blocked;
    std::string missing;
    for (Pending &p : pending) {
      SmallVector<KTensor> callInputs;
      json::Value args(std::move(p.call.args));
      json::Value kwargs(std::move(p.call.kwargs));
      json::Value argsCopy = args, kwargsCopy = kwargs;
      if (!resolveTensors(argsCopy, tensors, callInputs, missing) ||
          !resolveTensors(kwargsCopy, tensors, callInputs, missing)) {
        p.call.args = std::move(*args.getAsArray());
        p.call.kwargs = std::move(*kwargs.getAsObject());
        blocked.push_back(std::move(p));
        continue;
      }
      const json::Object &layer = *(*list)[p.layer].getAsObject();
      SmallVector<KTensor> outputs;
      if (failed(callLayer(layer, scopes[p.layer], callInputs,
                           std::move(*argsCopy.getAsArray()),
                           std::move(*kwargsCopy.getAsObject()), outputs,
                           depth)))
        return failure();
      for (auto [i, out] : llvm::enumerate(outputs))
        tensors[History{layerName(layer).str(), p.node, (int64_t)i}.key()] =
            out;
    }
    if (blocked.size() == pending.size())
      return emitError(loc)
             << "layer '" << layerName(*(*list)[blocked[0].layer].getAsObject())
             << "' waits for a tensor of '" << missing
             << "' that is never computed (a cycle or a "
                "missing layer)";
    pending = std::move(blocked);
  }

  SmallVector<KTensor> results;
  for (const History &ref : *outputRefs) {
    auto it = tensors.find(ref.key());
    if (it == tensors.end())
      return emitError(loc)
             << "output '" << ref.layer << "' (call " << ref.node << ", tensor "
             << ref.index << ") is never computed";
    results.push_back(it->second);
  }
  return results;
}

LogicalResult ModelImporter::callLayer(const json::Object &layer,
                                       const WeightScope &scope,
                                       SmallVectorImpl<KTensor> &inputs,
                                       json::Array args, json::Object kwargs,
                                       SmallVectorImpl<KTensor> &outputs,
                                       int depth) {
  StringRef cls = layer.getString("class_name").value_or("");
  StringRef name = layerName(layer);
  Location loc =
      NameLoc::get(builder.getStringAttr(name + " (" + cls + ")"), fileLoc);
  if (isModelClass(cls)) {
    WeightScope nested = scope;
    auto results = evalModel(layer, inputs, nested, depth + 1);
    if (failed(results))
      return failure();
    outputs.assign(results->begin(), results->end());
    return success();
  }
  StringRef module = layer.getString("module").value_or("");
  std::optional<StringRef> registered = layer.getString("registered_name");
  if (cls == "Lambda" || cls == "TFOpLambda" || cls == "SlicingOpLambda")
    return emitError(loc)
           << "unsupported: a " << cls
           << " layer holds Python code (a function), which Kiln cannot read; "
              "rewrite it with built-in layers";
  bool custom = (!module.empty() && !module.starts_with("keras")) ||
                (registered && !registered->empty() && *registered != cls &&
                 !registered->starts_with("keras"));
  if (custom)
    return emitError(loc)
           << "unsupported: custom layer '" << (registered ? *registered : cls)
           << "' (registered outside Keras): its code is Python, which Kiln "
              "cannot read";
  bool isOp = module.contains(".ops.") || module.ends_with(".ops");
  // Keras 3's legacy .h5 writes its ops without a module: a class that is
  // an op and no layer.
  if (module.empty() && !layers.count(cls) &&
      layers.count(("ops." + cls).str()))
    isOp = true;
  std::string key = isOp ? ("ops." + cls).str() : cls.str();
  auto entry = layers.find(key);
  if (entry == layers.end()) {
    if (isOp)
      return emitError(loc) << "unsupported: the Keras op '" << cls << "' ("
                            << module << ") in the functional graph";
    return emitError(loc) << "unsupported: layer class '" << cls << "'";
  }
  const json::Object *config = layer.getObject("config");
  static const json::Object empty;
  if (!config)
    config = &empty;
  // Only float32 computation is implemented.
  if (!isOp) {
    std::string dtype = dtypeName(config->get("dtype"));
    if (!dtype.empty() && dtype != "float32")
      return emitError(loc) << "unsupported: dtype policy '" << dtype
                            << "' (Kiln computes Keras layers in float32)";
  }
  LayerContext ctx(*this, layer, *config, cls, name, loc, scope);
  ctx.inputs.assign(inputs.begin(), inputs.end());
  ctx.args = std::move(args);
  ctx.kwargs = std::move(kwargs);
  // Keras 3 records a mask passed explicitly as the `mask` keyword.
  if (std::optional<KTensor> mask = ctx.kwargTensor("mask")) {
    if (!ctx.inputs.empty()) {
      auto keras = ctx.keras(*mask);
      if (failed(keras))
        return failure();
      Value m = *keras;
      Type element = LayerContext::typeOf(m).getElementType();
      if (!element.isInteger(1)) {
        Value zero = ctx.scalar(0, element);
        auto ne = ctx.create<CompareOp>(
            ValueRange{m, zero},
            {ctx.named("predicate", ComparePredicateAttr::get(
                                        &context, ComparePredicate::ne))});
        if (failed(ne))
          return failure();
        m = *ne;
      }
      ctx.inputs[0].mask = m;
    }
  }
  if (failed(entry->second.handler(ctx)))
    return failure();
  if (ctx.outputs.empty())
    return emitError(loc) << "the layer gives no output";
  if (!entry->second.passesMask)
    for (KTensor &out : ctx.outputs)
      if (!ctx.inputs.empty() && out.mask == ctx.inputs[0].mask)
        out.mask = {};
  outputs.assign(ctx.outputs.begin(), ctx.outputs.end());
  return success();
}

LogicalResult ModelImporter::importModel(const json::Object &model) {
  module = ModuleOp::create(fileLoc);
  builder.setInsertionPointToEnd(module->getBody());
  func = func::FuncOp::create(builder, fileLoc, "main",
                              builder.getFunctionType({}, {}));
  Block *body = func.addEntryBlock();
  builder.setInsertionPointToStart(body);
  WeightScope root;
  auto results = evalModel(model, {}, root, 0);
  if (failed(results))
    return failure();
  SmallVector<Value> values;
  SmallVector<std::string> names;
  const json::Object *config = model.getObject("config");
  std::optional<SmallVector<History>> outputRefs =
      config ? parseEndpoints(config->get("output_layers")) : std::nullopt;
  for (auto [i, tensor] : llvm::enumerate(*results)) {
    LayerContext ctx(*this, model, config ? *config : model, "Model", "output",
                     fileLoc, root);
    auto value = ctx.keras(tensor);
    if (failed(value))
      return failure();
    values.push_back(*value);
    std::string name = outputRefs && i < outputRefs->size()
                           ? (*outputRefs)[i].layer
                           : "output_" + std::to_string(i);
    if (llvm::is_contained(names, name))
      name += "_" + std::to_string(i);
    names.push_back(name);
  }
  if (outputRefs == std::nullopt && results->size() == 1) {
    // A Sequential model's output is its last layer's.
    const json::Array *list = config ? config->getArray("layers") : nullptr;
    if (list && !list->empty())
      if (const json::Object *last = list->back().getAsObject())
        names[0] = layerName(*last).str();
  }
  func::ReturnOp::create(builder, fileLoc, values);
  func.setFunctionType(builder.getFunctionType(func.getArgumentTypes(),
                                               ValueRange(values).getTypes()));
  for (auto [i, name] : llvm::enumerate(names))
    func.setResultAttr(i, "kiln.name", builder.getStringAttr(name));
  return success();
}

//===----------------------------------------------------------------------===//
// Entry points
//===----------------------------------------------------------------------===//

bool kiln::keras_frontend::isKerasModel(StringRef bytes) {
  return detectKerasFormat(bytes) != KerasFormat::None;
}

/// Whether JSON text nests arrays and objects deeper than `limit`.
static bool nestsDeeperThan(StringRef text, int limit) {
  int depth = 0;
  bool inString = false, escaped = false;
  for (char c : text) {
    if (inString) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        inString = false;
      continue;
    }
    if (c == '"')
      inString = true;
    else if (c == '[' || c == '{') {
      if (++depth > limit)
        return true;
    } else if (c == ']' || c == '}')
      --depth;
  }
  return false;
}

/// Imports the model of a read archive.
static OwningOpRef<ModuleOp> importArchive(KerasArchive archive, StringRef path,
                                           MLIRContext &context,
                                           const ImportOptions &options) {
  context.loadDialect<KilnDialect, func::FuncDialect>();
  Location fileLoc = FileLineColLoc::get(&context, path, 0, 0);
  if (nestsDeeperThan(archive.config, kMaxJsonDepth)) {
    emitError(fileLoc) << "the model config nests deeper than " << kMaxJsonDepth
                       << " levels";
    return {};
  }
  auto parsed = json::parse(archive.config);
  if (!parsed) {
    emitError(fileLoc) << "the model config is not valid JSON: "
                       << llvm::toString(parsed.takeError());
    return {};
  }
  const json::Object *model = parsed->getAsObject();
  if (!model || !model->getString("class_name")) {
    emitError(fileLoc) << "the model config is not a Keras model";
    return {};
  }
  // The Keras version that wrote the file decides the dialect where the
  // two differ (e.g. hard_sigmoid).
  std::string version = archive.kerasVersion;
  if (!archive.legacyHDF5 && !version.empty()) {
    auto metadata = json::parse(version);
    version.clear();
    if (metadata)
      if (const json::Object *object = metadata->getAsObject())
        version = object->getString("keras_version").value_or("").str();
  }
  ModelImporter importer(context, path, std::move(archive), options);
  importer.legacyDialect = !version.empty() && version[0] >= '0' &&
                           version[0] <= '2' && version.size() > 1 &&
                           version[1] == '.';
  if (failed(importer.importModel(*model)))
    return {};
  return std::move(importer.module);
}

OwningOpRef<ModuleOp>
kiln::keras_frontend::importKerasBuffer(StringRef bytes, StringRef path,
                                        MLIRContext &context,
                                        const ImportOptions &options) {
  auto archive = readKerasArchive(bytes);
  if (!archive) {
    emitError(FileLineColLoc::get(&context, path, 0, 0))
        << llvm::toString(archive.takeError());
    return {};
  }
  return importArchive(std::move(*archive), path, context, options);
}

OwningOpRef<ModuleOp> kiln::keras_frontend::importKerasParts(
    StringRef config, StringRef metadata, StringRef weights, StringRef path,
    MLIRContext &context, const ImportOptions &options) {
  KerasArchive archive;
  archive.config = config.str();
  archive.kerasVersion = metadata.str();
  auto file = HDF5File::open(weights, "model.weights.h5");
  if (!file) {
    emitError(FileLineColLoc::get(&context, path, 0, 0))
        << llvm::toString(file.takeError());
    return {};
  }
  archive.weights = std::move(*file);
  return importArchive(std::move(archive), path, context, options);
}

llvm::SmallVector<LayerSupport> kiln::keras_frontend::getSupportedLayers() {
  static const LayerTable table = [] {
    LayerTable t;
    registerCoreLayers(t);
    registerConvolutionLayers(t);
    registerNormalizationLayers(t);
    registerRecurrentLayers(t);
    registerAttentionLayers(t);
    return t;
  }();
  SmallVector<LayerSupport> result;
  for (const auto &entry : table)
    result.push_back({entry.getKey(), entry.getValue().notes});
  llvm::sort(result, [](const LayerSupport &a, const LayerSupport &b) {
    return a.className < b.className;
  });
  return result;
}

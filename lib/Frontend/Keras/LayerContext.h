//===- LayerContext.h - Importing one Keras layer call ----------*- C++ -*-===//
//
// Layer importers see one call of a layer through LayerContext: its config
// (read with type checks), its input tensors, its weights (looked up in the
// `.keras` or `.h5` layout and checked for shape) and helpers that create
// kiln ops with verification, so that a malformed model is an error at the
// layer, never a crash.
//
// Tensors carry a layout. Keras models are channels-last; convolutions run
// channels-first inside Kiln, so a value may be held transposed (the
// channel dim moved to dim 1) or flattened from that order. Layers that do
// not care (activations, dropout, batch norm, merges of like layouts) keep
// the layout; the others ask for the tensor in Keras' order, which
// transposes it back once.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_LIB_FRONTEND_KERAS_LAYERCONTEXT_H
#define KILN_LIB_FRONTEND_KERAS_LAYERCONTEXT_H

#include "Container.h"

#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/JSON.h"

#include <optional>
#include <string>

namespace kiln::keras_frontend {

enum class Layout {
  /// Keras' own order.
  Keras,
  /// A channels-last tensor of rank >= 3 held with its channel dim at 1.
  ChannelsFirst,
  /// The flattening of a ChannelsFirst tensor: `flatDims` holds its dims
  /// after the batch, channels first.
  FlatChannelsFirst,
};

struct KTensor {
  mlir::Value value;
  Layout layout = Layout::Keras;
  /// The Keras mask (i1, batch x time) travelling with the tensor.
  mlir::Value mask;
  llvm::SmallVector<int64_t> flatDims;
};

class ModelImporter;

/// Where a layer's weights are stored.
struct WeightScope {
  /// `.keras`: the layer's group, e.g. "layers/sequential/layers/dense_1".
  std::string path;
  /// `.h5`: the group of the top-level layer ("model_weights/enc") and,
  /// for a layer inside a nested model, its name among the weight names.
  std::string h5Group, h5Layer;
};

class LayerContext {
public:
  LayerContext(ModelImporter &importer, const llvm::json::Object &layer,
               const llvm::json::Object &config, llvm::StringRef className,
               llvm::StringRef name, mlir::Location loc, WeightScope scope);

  ModelImporter &importer;
  const llvm::json::Object &layer;
  const llvm::json::Object &config;
  std::string className, name;
  mlir::Location loc;
  WeightScope scope;

  /// The call: its tensors in order (nested lists flattened), the raw
  /// arguments (tensors replaced by their index in `inputs`, as
  /// {"__tensor__": i}) and the keyword arguments likewise.
  llvm::SmallVector<KTensor> inputs;
  llvm::json::Array args;
  llvm::json::Object kwargs;
  /// What the handler binds.
  llvm::SmallVector<KTensor> outputs;

  mlir::OpBuilder &builder();
  mlir::MLIRContext *context();

  //===--------------------------------------------------------------------===//
  // Diagnostics
  //===--------------------------------------------------------------------===//

  mlir::InFlightDiagnostic emitError();
  /// "unsupported: WHAT".
  mlir::LogicalResult unsupported(const llvm::Twine &what);
  /// Fails unless the call has between `low` and `high` input tensors.
  mlir::LogicalResult expectInputs(unsigned low, unsigned high);

  //===--------------------------------------------------------------------===//
  // Config (errors name the key and the type it should have)
  //===--------------------------------------------------------------------===//

  bool has(llvm::StringRef key) const;
  mlir::FailureOr<int64_t> getInt(llvm::StringRef key,
                                  std::optional<int64_t> fallback = {});
  mlir::FailureOr<double> getFloat(llvm::StringRef key,
                                   std::optional<double> fallback = {});
  mlir::FailureOr<bool> getBool(llvm::StringRef key,
                                std::optional<bool> fallback = {});
  mlir::FailureOr<std::string>
  getString(llvm::StringRef key, std::optional<std::string> fallback = {});
  /// An int or a list of `count` ints (a list of any length when count is
  /// 0); `fallback` repeated when absent or null.
  mlir::FailureOr<llvm::SmallVector<int64_t>>
  getInts(llvm::StringRef key, size_t count,
          std::optional<int64_t> fallback = {});
  /// Fails when `key` holds anything but null / absent (a regularizer or
  /// constraint does not change inference, but e.g. a quantization config
  /// does).
  mlir::LogicalResult refuseSet(llvm::StringRef key, llvm::StringRef why);
  /// The keyword argument `key` of the call as a tensor, if it is one.
  std::optional<KTensor> kwargTensor(llvm::StringRef key) const;
  /// A keyword argument that is a plain bool (e.g. `training`).
  std::optional<bool> kwargBool(llvm::StringRef key) const;

  //===--------------------------------------------------------------------===//
  // Weights
  //===--------------------------------------------------------------------===//

  /// The weight stored at `kerasPath` below the layer's group in a
  /// `.keras` file ("vars/0", "cell/vars/1") and named like `h5Pattern` in
  /// an `.h5` file ("kernel", "forward/kernel": the last part is the
  /// variable name, the others prefixes of the sublayer names). `shape` is
  /// the shape it must have.
  mlir::FailureOr<WeightArray> weight(llvm::StringRef kerasPath,
                                      llvm::StringRef h5Pattern,
                                      llvm::ArrayRef<int64_t> shape);
  /// Whether the layer stores a weight there.
  bool hasWeight(llvm::StringRef kerasPath, llvm::StringRef h5Pattern);

  //===--------------------------------------------------------------------===//
  // Building kiln ops
  //===--------------------------------------------------------------------===//

  template <typename OpTy>
  mlir::FailureOr<mlir::Value>
  create(mlir::ValueRange operands,
         llvm::ArrayRef<mlir::NamedAttribute> attributes = {}) {
    auto op = createChecked<OpTy>(builder(), loc, operands, attributes);
    if (mlir::failed(op))
      return mlir::failure();
    if (mlir::failed(mlir::verify(*op))) {
      (*op)->erase();
      return mlir::failure();
    }
    return (*op)->getResult(0);
  }
  /// Creates an op whose result type is given, after verifying it.
  template <typename OpTy>
  mlir::FailureOr<mlir::Value>
  createTyped(mlir::Type resultType, mlir::ValueRange operands,
              llvm::ArrayRef<mlir::NamedAttribute> attributes = {}) {
    mlir::OperationState state(loc, OpTy::getOperationName());
    state.addOperands(operands);
    state.addAttributes(attributes);
    state.addTypes(resultType);
    mlir::Operation *op = builder().create(state);
    if (mlir::failed(mlir::verify(op))) {
      op->erase();
      return mlir::failure();
    }
    return op->getResult(0);
  }
  /// Creates an op with several results.
  template <typename OpTy>
  mlir::FailureOr<mlir::Operation *>
  createOp(mlir::ValueRange operands,
           llvm::ArrayRef<mlir::NamedAttribute> attributes = {}) {
    auto op = createChecked<OpTy>(builder(), loc, operands, attributes);
    if (mlir::failed(op))
      return mlir::failure();
    if (mlir::failed(mlir::verify(*op))) {
      (*op)->erase();
      return mlir::failure();
    }
    return op->getOperation();
  }

  mlir::Value constant(const WeightArray &array);
  mlir::Value constant(llvm::ArrayRef<float> values,
                       llvm::ArrayRef<int64_t> shape);
  mlir::Value constantI64(llvm::ArrayRef<int64_t> values,
                          llvm::ArrayRef<int64_t> shape);
  /// A 0-d constant of `element` type.
  mlir::Value scalar(double value, mlir::Type element);
  mlir::FailureOr<mlir::Value> reshape(mlir::Value value,
                                       llvm::ArrayRef<int64_t> shape);
  mlir::FailureOr<mlir::Value> transpose(mlir::Value value,
                                         llvm::ArrayRef<int64_t> perm);
  mlir::FailureOr<mlir::Value> unary(UnaryKind kind, mlir::Value value,
                                     std::optional<float> alpha = {},
                                     std::optional<float> beta = {});
  mlir::FailureOr<mlir::Value> binary(BinaryKind kind, mlir::Value lhs,
                                      mlir::Value rhs);
  mlir::FailureOr<mlir::Value> cast(mlir::Value value, mlir::Type element);
  mlir::FailureOr<mlir::Value> reduce(ReduceKind kind, mlir::Value value,
                                      llvm::ArrayRef<int64_t> axes,
                                      bool keepdims);
  mlir::FailureOr<mlir::Value> concat(mlir::ValueRange values, int64_t axis);
  mlir::FailureOr<mlir::Value> slice(mlir::Value value, int64_t axis,
                                     int64_t begin, int64_t end);
  /// Applies the Keras activation named `name` ("relu", "gelu", ...) along
  /// `axis` for the softmaxes.
  mlir::FailureOr<mlir::Value>
  activation(mlir::Value value, llvm::StringRef name, int64_t axis = -1);
  /// Reads the `activation` key and applies it.
  mlir::FailureOr<mlir::Value>
  configActivation(mlir::Value value, llvm::StringRef key = "activation");

  mlir::NamedAttribute named(llvm::StringRef name, mlir::Attribute value);
  mlir::DenseI64ArrayAttr i64s(llvm::ArrayRef<int64_t> values);
  mlir::IntegerAttr i64(int64_t value);
  mlir::FloatAttr f32(float value);

  //===--------------------------------------------------------------------===//
  // Layouts
  //===--------------------------------------------------------------------===//

  static mlir::RankedTensorType typeOf(mlir::Value value) {
    return llvm::cast<mlir::RankedTensorType>(value.getType());
  }
  /// The tensor in Keras' order (transposing or reshaping it if needed).
  mlir::FailureOr<mlir::Value> keras(const KTensor &tensor);
  /// A channels-last tensor with its channel dim at 1.
  mlir::FailureOr<mlir::Value> channelsFirst(const KTensor &tensor);
  /// The Keras shape of a tensor, whatever its layout.
  llvm::SmallVector<int64_t> kerasShape(const KTensor &tensor);
  /// Binds output `value` with `layout`, carrying the first input's mask
  /// when the layer passes masks on.
  void setOutput(mlir::Value value, Layout layout = Layout::Keras);
  /// Binds `result` (a failure passes on) as an output held like `like`:
  /// its layout, flattening and mask (elementwise results).
  mlir::LogicalResult bindLike(const KTensor &like,
                               mlir::FailureOr<mlir::Value> result);
  /// Binds `result` as an output in Keras' order, without a mask.
  mlir::LogicalResult bindPlain(mlir::FailureOr<mlir::Value> result);
  /// x / sqrt(max(sum(x^2 over `axes`), 1e-12)), as Keras' UnitNormalization
  /// and Dot(normalize=True) compute it.
  mlir::FailureOr<mlir::Value> l2Normalize(mlir::Value value,
                                           llvm::ArrayRef<int64_t> axes);
  /// Normalizes a Keras axis of a rank-`rank` tensor.
  mlir::FailureOr<int64_t> normalizeAxis(int64_t axis, int64_t rank);

  /// Whether the model is in the tf.keras 2 dialect.
  bool legacyDialect() const;
};

/// Imports one call of a layer; reads ctx.inputs and fills ctx.outputs.
using LayerHandler = mlir::LogicalResult (*)(LayerContext &);
struct LayerEntry {
  LayerHandler handler;
  /// Whether the layer passes the mask of its first input on.
  bool passesMask;
  const char *notes;
};
using LayerTable = llvm::StringMap<LayerEntry>;

void registerCoreLayers(LayerTable &table);
void registerConvolutionLayers(LayerTable &table);
void registerNormalizationLayers(LayerTable &table);
void registerRecurrentLayers(LayerTable &table);
void registerAttentionLayers(LayerTable &table);

/// Permutes the dims of a row-major array: result dim i is input dim
/// perm[i].
WeightArray permute(const WeightArray &array, llvm::ArrayRef<int64_t> perm);

/// Keras' `padding="same"` (TensorFlow's SAME): the pads before and after
/// a dim of `size` for a window `kernel` (dilated) and `stride`.
std::pair<int64_t, int64_t> samePads(int64_t size, int64_t kernel,
                                     int64_t stride);

} // namespace kiln::keras_frontend

#endif // KILN_LIB_FRONTEND_KERAS_LAYERCONTEXT_H

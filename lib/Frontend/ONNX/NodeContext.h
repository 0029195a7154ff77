//===- NodeContext.h - Importing one ONNX node ------------------*- C++ -*-===//
//
// Op importers see one node through NodeContext: its inputs as kiln values,
// its attributes checked for type, constants for shape computations, and
// helpers that create kiln ops with verification (so a malformed node is an
// error at the node, never a crash).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_LIB_FRONTEND_ONNX_NODECONTEXT_H
#define KILN_LIB_FRONTEND_ONNX_NODECONTEXT_H

#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringMap.h"

#include <onnx/onnx_pb.h>

#include <optional>
#include <string>

namespace kiln::onnx_frontend {
/// Tensors with more elements, or a larger dim, are refused (about 4 TiB
/// of f32): it keeps every size and offset computed from a shape far from
/// int64 overflow.
inline constexpr int64_t kMaxElements = int64_t(1) << 40;

/// Window attributes (strides, dilations, pads, output padding) larger than
/// this are refused: no real model comes near, and it keeps window
/// arithmetic over dims up to kMaxElements inside int64.
inline constexpr int64_t kMaxWindow = int64_t(1) << 20;

/// Whether `shape` has a dim or an element count above kMaxElements.
inline bool exceedsMaxElements(llvm::ArrayRef<int64_t> shape) {
  int64_t count = 1;
  for (int64_t dim : shape) {
    if (dim > kMaxElements || __builtin_mul_overflow(count, dim, &count) ||
        count > kMaxElements)
      return true;
  }
  return false;
}
} // namespace kiln::onnx_frontend

namespace kiln::onnx_frontend {

class GraphImporter;

class NodeContext {
public:
  NodeContext(GraphImporter &graph, const onnx::NodeProto &node,
              mlir::Location loc, int64_t opset);

  const onnx::NodeProto &node;
  mlir::Location loc;
  /// The model's version of the default ONNX domain.
  int64_t opset;

  mlir::OpBuilder &builder();
  mlir::MLIRContext *context();

  //===--------------------------------------------------------------------===//
  // Diagnostics
  //===--------------------------------------------------------------------===//

  mlir::InFlightDiagnostic emitError();
  /// Fails, with an error naming `what` ("attribute 'pads'"), unless every
  /// value lies in [low, high].
  mlir::LogicalResult checkRange(llvm::StringRef what,
                                 llvm::ArrayRef<int64_t> values, int64_t low,
                                 int64_t high);
  /// Reports a feature Kiln does not support ("unsupported: WHAT").
  mlir::LogicalResult unsupported(const llvm::Twine &what);

  //===--------------------------------------------------------------------===//
  // Inputs and outputs
  //===--------------------------------------------------------------------===//

  unsigned numInputs() const { return node.input_size(); }
  /// Input `i`, or null when it is absent or given as "".
  mlir::Value input(unsigned i) const;
  bool hasInput(unsigned i) const { return (bool)input(i); }
  /// Input `i`, with an error naming it when it is absent.
  mlir::FailureOr<mlir::Value> required(unsigned i, llvm::StringRef name);
  static mlir::RankedTensorType typeOf(mlir::Value value) {
    return llvm::cast<mlir::RankedTensorType>(value.getType());
  }

  unsigned numOutputs() const { return node.output_size(); }
  /// Whether output `i` exists and is consumed by the graph.
  bool outputUsed(unsigned i) const;
  /// Binds output `i` (if the node has it) to `value`.
  void setOutput(unsigned i, mlir::Value value);
  /// Binds output 0 to `result`, passing a failure on.
  mlir::LogicalResult setResult(mlir::FailureOr<mlir::Value> result) {
    if (mlir::failed(result))
      return mlir::failure();
    setOutput(0, *result);
    return mlir::success();
  }

  //===--------------------------------------------------------------------===//
  // Attributes (errors name the attribute and the type it should have)
  //===--------------------------------------------------------------------===//

  const onnx::AttributeProto *attr(llvm::StringRef name) const;
  bool hasAttr(llvm::StringRef name) const { return attr(name) != nullptr; }
  mlir::FailureOr<int64_t> getInt(llvm::StringRef name, int64_t fallback);
  mlir::FailureOr<float> getFloat(llvm::StringRef name, float fallback);
  mlir::FailureOr<std::string> getString(llvm::StringRef name,
                                         llvm::StringRef fallback);
  /// An INTS attribute; empty when absent.
  mlir::FailureOr<llvm::SmallVector<int64_t>> getInts(llvm::StringRef name);
  mlir::FailureOr<llvm::SmallVector<float>> getFloats(llvm::StringRef name);
  mlir::FailureOr<llvm::SmallVector<std::string>>
  getStrings(llvm::StringRef name);
  /// A TENSOR attribute as a constant attribute; null when absent.
  mlir::FailureOr<mlir::ElementsAttr> getTensor(llvm::StringRef name);

  //===--------------------------------------------------------------------===//
  // Constants
  //===--------------------------------------------------------------------===//

  /// The elements of `value` when it is a dense constant.
  static mlir::DenseElementsAttr constantOf(mlir::Value value);
  /// The integer (or integral float) elements of a constant `value`.
  static std::optional<llvm::SmallVector<int64_t>> constInts(mlir::Value value);
  static std::optional<llvm::SmallVector<double>>
  constFloats(mlir::Value value);
  /// Input `i` as constant integers, or an error saying it must be one.
  mlir::FailureOr<llvm::SmallVector<int64_t>> requireInts(unsigned i,
                                                          llvm::StringRef name);
  mlir::FailureOr<llvm::SmallVector<double>>
  requireFloats(unsigned i, llvm::StringRef name);
  /// An input that holds one value and does not decide a shape (Clip's
  /// bounds, Trilu's k, Pad's fill value): its value when it is a
  /// constant, else the input reshaped to rank 0, computed at run time.
  struct Scalar {
    std::optional<double> constant;
    mlir::Value runtime;
  };
  /// Input `i` as a Scalar, or an error unless it holds one element.
  mlir::FailureOr<Scalar> scalarInput(unsigned i, llvm::StringRef name);
  /// Integers that moved from an INTS attribute to an optional input:
  /// attribute `name` before `inputOpset`, constant input `i` from then on
  /// (empty when absent).
  mlir::FailureOr<llvm::SmallVector<int64_t>>
  attrOrInputInts(llvm::StringRef name, unsigned i, int64_t inputOpset);

  mlir::Value constant(mlir::ElementsAttr value);
  mlir::Value constantI64(llvm::ArrayRef<int64_t> values,
                          llvm::ArrayRef<int64_t> shape);
  /// A 0-d constant of `element` type.
  mlir::Value scalar(double value, mlir::Type element);

  //===--------------------------------------------------------------------===//
  // Building kiln ops
  //===--------------------------------------------------------------------===//

  /// Creates OpTy after verifying it; folds it to a constant when its
  /// operands are constants. Errors are reported at the node.
  template <typename OpTy>
  mlir::FailureOr<mlir::Value>
  create(mlir::ValueRange operands,
         llvm::ArrayRef<mlir::NamedAttribute> attributes = {}) {
    auto op = createChecked<OpTy>(builder(), loc, operands, attributes);
    if (mlir::failed(op))
      return mlir::failure();
    // Operand types (an index tensor of the wrong type, say) are checked by
    // the verifier, not by type inference.
    if (mlir::failed(mlir::verify(*op))) {
      (*op)->erase();
      return mlir::failure();
    }
    return foldResult(*op);
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
    return createVerified(state);
  }

  mlir::FailureOr<mlir::Value> reshape(mlir::Value value,
                                       llvm::ArrayRef<int64_t> shape);
  mlir::FailureOr<mlir::Value> cast(mlir::Value value, mlir::Type element);
  mlir::FailureOr<mlir::Value> unary(UnaryKind kind, mlir::Value value);
  mlir::FailureOr<mlir::Value> binary(BinaryKind kind, mlir::Value lhs,
                                      mlir::Value rhs);
  mlir::FailureOr<mlir::Value> transpose(mlir::Value value,
                                         llvm::ArrayRef<int64_t> perm);
  mlir::FailureOr<mlir::Value> reduce(ReduceKind kind, mlir::Value value,
                                      llvm::ArrayRef<int64_t> axes,
                                      bool keepdims);

  /// Normalizes an ONNX axis in [-rank, rank) to [0, rank).
  mlir::FailureOr<int64_t> normalizeAxis(int64_t axis, int64_t rank,
                                         llvm::StringRef name = "axis");

  mlir::NamedAttribute named(llvm::StringRef name, mlir::Attribute value);
  mlir::DenseI64ArrayAttr i64s(llvm::ArrayRef<int64_t> values);
  mlir::IntegerAttr i64(int64_t value);
  mlir::FloatAttr f32(float value);

private:
  mlir::LogicalResult notConstant(unsigned i, llvm::StringRef name);
  mlir::FailureOr<mlir::Value> foldResult(mlir::Operation *op);
  mlir::FailureOr<mlir::Value> createVerified(mlir::OperationState &state);

  GraphImporter &graph;
};

/// Imports one node; the handler reads its inputs and binds its outputs.
using NodeHandler = mlir::LogicalResult (*)(NodeContext &);
using HandlerTable = llvm::StringMap<NodeHandler>;

/// The handlers of each op family.
void registerElementwiseOps(HandlerTable &table);
void registerReductionOps(HandlerTable &table);
void registerConvolutionOps(HandlerTable &table);
void registerMatmulOps(HandlerTable &table);
void registerNormalizationOps(HandlerTable &table);
void registerRecurrentOps(HandlerTable &table);
void registerDataMovementOps(HandlerTable &table);
void registerResizeOps(HandlerTable &table);

/// Convolutions, pooling and normalizations compute in floating point: an
/// unsupported-op error for another element type.
mlir::LogicalResult checkFloat(NodeContext &ctx, mlir::RankedTensorType type);

/// The kiln element type of an ONNX TensorProto data type, or null.
mlir::Type convertDataType(mlir::MLIRContext *context, int dataType);
/// The ONNX name of a data type ("FLOAT", "STRING", ...).
llvm::StringRef dataTypeName(int dataType);

} // namespace kiln::onnx_frontend

#endif // KILN_LIB_FRONTEND_ONNX_NODECONTEXT_H

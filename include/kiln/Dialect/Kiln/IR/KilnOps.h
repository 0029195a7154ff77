//===- KilnOps.h - Operations of the kiln dialect ---------------*- C++ -*-===//

#ifndef KILN_DIALECT_KILN_IR_KILNOPS_H
#define KILN_DIALECT_KILN_IR_KILNOPS_H

#include "kiln/Dialect/Kiln/IR/KilnDialect.h"
#include "kiln/Runtime/ABI.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "kiln/Dialect/Kiln/IR/KilnEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "kiln/Dialect/Kiln/IR/KilnAttrs.h.inc"

#define GET_OP_CLASSES
#include "kiln/Dialect/Kiln/IR/KilnOps.h.inc"

namespace kiln {

/// The kiln.pool of fused convolution `op` (which has one) applied to
/// `input`, built before `op`.
mlir::FailureOr<mlir::Value> poolOfFusedConv(mlir::OpBuilder &builder,
                                             FusedConvOp op, mlir::Value input);

/// Builds the unfused form of `op` before it: kiln.conv, then the residual
/// kiln.binary add, the activation kiln.unary and the kiln.pool it has.
/// With `withPool` false, stops before the pooling. Returns the last value.
mlir::FailureOr<mlir::Value> unfuseConv(mlir::OpBuilder &builder,
                                        FusedConvOp op, bool withPool = true);

/// Builds the unfused form of `op` before it: kiln.conv_transpose, then the
/// activation kiln.unary. Returns the activation's value.
mlir::FailureOr<mlir::Value> unfuseConvTranspose(mlir::OpBuilder &builder,
                                                 FusedConvTransposeOp op);

/// Builds the unfused form of `op` before it: kiln.matmul, then the bias
/// kiln.binary add and the activation kiln.unary it has. Returns the last
/// value.
mlir::FailureOr<mlir::Value> unfuseMatMul(mlir::OpBuilder &builder,
                                          FusedMatMulOp op);

/// Builds `op` (without causal masking, soft-capping or grouped heads) from
/// kiln ops before it: transpose(k), matmul, scale, mask, softmax, matmul,
/// which the backends run on their fast matrix kernels. Fails, building
/// nothing, for the forms it does not cover.
mlir::FailureOr<mlir::Value> decomposeAttention(mlir::OpBuilder &builder,
                                                AttentionOp op);

/// The number of parameters (alpha, beta) a unary kind reads, with their
/// ONNX defaults.
struct UnaryParams {
  bool hasAlpha = false, hasBeta = false;
  float alpha = 0.0f, beta = 0.0f;
};
UnaryParams getUnaryParams(UnaryKind kind);

/// Creates an OpTy whose result types it infers, after checking operands and
/// attributes: malformed input yields a diagnostic at `loc` and a failure,
/// never a crash. This is how code that builds ops from untrusted input (the
/// ONNX importer) creates them.
template <typename OpTy>
mlir::FailureOr<OpTy>
createChecked(mlir::OpBuilder &builder, mlir::Location loc,
              mlir::ValueRange operands,
              llvm::ArrayRef<mlir::NamedAttribute> attributes = {}) {
  mlir::MLIRContext *context = builder.getContext();
  mlir::OperationState state(loc, OpTy::getOperationName());
  state.addOperands(operands);
  state.addAttributes(attributes);
  if constexpr (!std::is_same_v<typename OpTy::Properties,
                                mlir::EmptyProperties>) {
    state.template getOrAddProperties<typename OpTy::Properties>();
    if (mlir::failed(
            state.name.getRegisteredInfo()->setOpPropertiesFromAttribute(
                state.name, state.getRawProperties(),
                state.attributes.getDictionary(context),
                [&] { return mlir::emitError(loc); })))
      return mlir::failure();
    state.name.populateDefaultProperties(state.getRawProperties());
  }
  llvm::SmallVector<mlir::Type> types;
  if (mlir::failed(OpTy::inferReturnTypes(
          context, loc, state.operands, state.attributes.getDictionary(context),
          state.getRawProperties(), state.regions, types)))
    return mlir::failure();
  state.addTypes(types);
  return llvm::cast<OpTy>(builder.create(state));
}

/// The runtime's code for an element type (ONNX's TensorProto code), or
/// Undefined for types the runtime does not pass.
abi::DType abiDType(mlir::Type type);

/// The name a user knows an op by, for messages: its ONNX node name, else
/// where it is in the source, else "#ID" with the given id.
std::string nodeLabel(mlir::Operation *op, int64_t id = -1);

/// The positions 0 to extent - 1 of a padded sequence, i64 [extent], as
/// kiln ops over two small constants (64 * row + column), so that no
/// constant grows with the extent and models padded to other extents keep
/// their weights byte for byte.
mlir::Value buildPositions(mlir::OpBuilder &b, mlir::Location loc,
                           int64_t extent);

/// The row-major bytes of a constant that is not a splat (a dense
/// attribute or a resource blob), or nullopt.
std::optional<llvm::ArrayRef<char>> constantBytes(mlir::Attribute value);

/// A constant of `type` holding the row-major `bytes`, of the kind of
/// `like`: a resource blob under its key when `like` is one (lowerings
/// that lay weights out anew keep them blobs), else a dense attribute.
mlir::ElementsAttr constantFromBytes(mlir::RankedTensorType type,
                                     llvm::ArrayRef<char> bytes,
                                     mlir::Attribute like);

/// `value` (a constant of `type`, dense or a resource blob) with its dims
/// permuted by `perm`, as a constant of the same kind (a blob keeps its
/// key), or null when it is not one. Lowerings use it to lay weights out
/// for their kernels at compile time.
mlir::Attribute transposeConstant(mlir::Attribute value,
                                  mlir::RankedTensorType type,
                                  llvm::ArrayRef<int64_t> perm);

/// `value` (a constant, dense or a resource blob) as a constant of `type`,
/// which has as many elements in the same order (a blob keeps its key), or
/// null when it is not one.
mlir::Attribute reshapeConstant(mlir::Attribute value,
                                mlir::RankedTensorType type);

/// The graph input that holds a padded sequence's length (an i64 scalar
/// marked `kiln.sequence_length`, see kiln-bound-sequence), or null.
mlir::Value sequenceLengthOf(mlir::Operation *op);
} // namespace kiln

#endif // KILN_DIALECT_KILN_IR_KILNOPS_H

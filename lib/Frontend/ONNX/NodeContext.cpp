//===- NodeContext.cpp - Importing one ONNX node --------------------------===//

#include "NodeContext.h"
#include "GraphImporter.h"

#include "mlir/IR/Verifier.h"

#include <algorithm>
#include <cmath>

using namespace mlir;
using namespace kiln;
using namespace kiln::onnx_frontend;

NodeContext::NodeContext(GraphImporter &graph, const onnx::NodeProto &node,
                         Location loc, int64_t opset)
    : node(node), loc(loc), opset(opset), graph(graph) {}

OpBuilder &NodeContext::builder() { return graph.builder; }
MLIRContext *NodeContext::context() { return &graph.context; }

InFlightDiagnostic NodeContext::emitError() { return mlir::emitError(loc); }

LogicalResult NodeContext::unsupported(const Twine &what) {
  return emitError() << "unsupported: " << what;
}

//===----------------------------------------------------------------------===//
// Inputs and outputs
//===----------------------------------------------------------------------===//

Value NodeContext::input(unsigned i) const {
  if ((int)i >= node.input_size() || node.input(i).empty())
    return {};
  return graph.values.lookup(node.input(i));
}

FailureOr<Value> NodeContext::required(unsigned i, StringRef name) {
  if (Value value = input(i))
    return value;
  return emitError() << "expected input " << i << " ('" << name << "')";
}

bool NodeContext::outputUsed(unsigned i) const {
  return (int)i < node.output_size() && !node.output(i).empty() &&
         graph.uses.lookup(node.output(i)) > 0;
}

void NodeContext::setOutput(unsigned i, Value value) {
  if ((int)i < node.output_size() && !node.output(i).empty())
    graph.values[node.output(i)] = value;
}

//===----------------------------------------------------------------------===//
// Attributes
//===----------------------------------------------------------------------===//

const onnx::AttributeProto *NodeContext::attr(StringRef name) const {
  for (const auto &a : node.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

/// Whether `a` holds the given kind, reading an unset `type` (older models)
/// from the field that is filled in.
static bool holds(const onnx::AttributeProto &a,
                  onnx::AttributeProto::AttributeType kind) {
  if (a.type() != onnx::AttributeProto::UNDEFINED)
    return a.type() == kind;
  switch (kind) {
  case onnx::AttributeProto::INT:
    return a.has_i();
  case onnx::AttributeProto::FLOAT:
    return a.has_f();
  case onnx::AttributeProto::STRING:
    return a.has_s();
  case onnx::AttributeProto::TENSOR:
    return a.has_t();
  case onnx::AttributeProto::INTS:
    return a.ints_size() > 0;
  case onnx::AttributeProto::FLOATS:
    return a.floats_size() > 0;
  case onnx::AttributeProto::STRINGS:
    return a.strings_size() > 0;
  default:
    return false;
  }
}

template <typename T>
static FailureOr<T> typeError(NodeContext &ctx, StringRef name,
                              StringRef expected) {
  return ctx.emitError() << "attribute '" << name << "' must be " << expected;
}

FailureOr<int64_t> NodeContext::getInt(StringRef name, int64_t fallback) {
  const auto *a = attr(name);
  if (!a)
    return fallback;
  if (!holds(*a, onnx::AttributeProto::INT))
    return typeError<int64_t>(*this, name, "an int");
  return a->i();
}

FailureOr<float> NodeContext::getFloat(StringRef name, float fallback) {
  const auto *a = attr(name);
  if (!a)
    return fallback;
  if (!holds(*a, onnx::AttributeProto::FLOAT))
    return typeError<float>(*this, name, "a float");
  return a->f();
}

FailureOr<std::string> NodeContext::getString(StringRef name,
                                              StringRef fallback) {
  const auto *a = attr(name);
  if (!a)
    return fallback.str();
  if (!holds(*a, onnx::AttributeProto::STRING))
    return typeError<std::string>(*this, name, "a string");
  return a->s();
}

FailureOr<SmallVector<int64_t>> NodeContext::getInts(StringRef name) {
  const auto *a = attr(name);
  if (!a)
    return SmallVector<int64_t>();
  if (!holds(*a, onnx::AttributeProto::INTS) &&
      !(a->type() == onnx::AttributeProto::UNDEFINED && a->ints_size() == 0))
    return typeError<SmallVector<int64_t>>(*this, name, "a list of ints");
  return SmallVector<int64_t>(a->ints().begin(), a->ints().end());
}

FailureOr<SmallVector<float>> NodeContext::getFloats(StringRef name) {
  const auto *a = attr(name);
  if (!a)
    return SmallVector<float>();
  if (!holds(*a, onnx::AttributeProto::FLOATS) &&
      !(a->type() == onnx::AttributeProto::UNDEFINED && a->floats_size() == 0))
    return typeError<SmallVector<float>>(*this, name, "a list of floats");
  return SmallVector<float>(a->floats().begin(), a->floats().end());
}

FailureOr<SmallVector<std::string>> NodeContext::getStrings(StringRef name) {
  const auto *a = attr(name);
  if (!a)
    return SmallVector<std::string>();
  if (!holds(*a, onnx::AttributeProto::STRINGS))
    return typeError<SmallVector<std::string>>(*this, name,
                                               "a list of strings");
  return SmallVector<std::string>(a->strings().begin(), a->strings().end());
}

FailureOr<ElementsAttr> NodeContext::getTensor(StringRef name) {
  const auto *a = attr(name);
  if (!a)
    return ElementsAttr();
  if (!holds(*a, onnx::AttributeProto::TENSOR))
    return typeError<ElementsAttr>(*this, name, "a tensor");
  return graph.convertTensor(a->t(), loc, ("attribute '" + name + "'").str());
}

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

DenseElementsAttr NodeContext::constantOf(Value value) {
  if (!value)
    return {};
  auto op = value.getDefiningOp<ConstantOp>();
  if (!op)
    return {};
  return llvm::dyn_cast<DenseElementsAttr>(op.getValue());
}

std::optional<SmallVector<int64_t>> NodeContext::constInts(Value value) {
  DenseElementsAttr attr = constantOf(value);
  if (!attr)
    return std::nullopt;
  SmallVector<int64_t> result;
  Type element = attr.getElementType();
  if (auto floatType = llvm::dyn_cast<FloatType>(element)) {
    for (const APFloat &v : attr.getValues<APFloat>()) {
      double d = v.convertToDouble();
      if (d != std::floor(d) || std::fabs(d) > 9e18)
        return std::nullopt;
      result.push_back((int64_t)d);
    }
    return result;
  }
  bool isUnsigned = element.isUnsignedInteger() || element.isInteger(1);
  for (const APInt &v : attr.getValues<APInt>())
    result.push_back(isUnsigned ? (int64_t)v.getZExtValue() : v.getSExtValue());
  return result;
}

std::optional<SmallVector<double>> NodeContext::constFloats(Value value) {
  DenseElementsAttr attr = constantOf(value);
  if (!attr)
    return std::nullopt;
  SmallVector<double> result;
  if (llvm::isa<FloatType>(attr.getElementType())) {
    for (const APFloat &v : attr.getValues<APFloat>())
      result.push_back(v.convertToDouble());
    return result;
  }
  auto ints = constInts(value);
  if (!ints)
    return std::nullopt;
  for (int64_t v : *ints)
    result.push_back((double)v);
  return result;
}

LogicalResult NodeContext::notConstant(unsigned i, StringRef name) {
  const std::string &value = node.input(i);
  std::string hint =
      llvm::isa<BlockArgument>(input(i))
          ? "; bind the graph input with --bind " + value + "=FILE.pb"
          : "";
  return unsupported("input '" + name + "' (value '" + value +
                     "') is computed at run time; Kiln needs it to be a "
                     "constant" +
                     hint);
}

FailureOr<SmallVector<int64_t>> NodeContext::requireInts(unsigned i,
                                                         StringRef name) {
  auto value = required(i, name);
  if (failed(value))
    return failure();
  if (auto ints = constInts(*value))
    return *ints;
  return notConstant(i, name);
}

FailureOr<SmallVector<double>> NodeContext::requireFloats(unsigned i,
                                                          StringRef name) {
  auto value = required(i, name);
  if (failed(value))
    return failure();
  if (auto floats = constFloats(*value))
    return *floats;
  return notConstant(i, name);
}

FailureOr<NodeContext::Scalar> NodeContext::scalarInput(unsigned i,
                                                        StringRef name) {
  auto value = required(i, name);
  if (failed(value))
    return failure();
  if (typeOf(*value).getNumElements() != 1)
    return emitError() << "input '" << name << "' must be a scalar";
  if (auto floats = constFloats(*value))
    return Scalar{(*floats)[0], Value()};
  auto scalar = reshape(*value, {});
  if (failed(scalar))
    return failure();
  return Scalar{std::nullopt, *scalar};
}

FailureOr<SmallVector<int64_t>>
NodeContext::attrOrInputInts(StringRef name, unsigned i, int64_t inputOpset) {
  if (opset < inputOpset)
    return getInts(name);
  if (!hasInput(i))
    return SmallVector<int64_t>();
  return requireInts(i, name);
}

Value NodeContext::constant(ElementsAttr value) {
  return ConstantOp::create(builder(), loc, value);
}

Value NodeContext::constantI64(ArrayRef<int64_t> values,
                               ArrayRef<int64_t> shape) {
  auto type = RankedTensorType::get(shape, builder().getI64Type());
  return constant(DenseElementsAttr::get(type, values));
}

Value NodeContext::scalar(double value, Type element) {
  auto type = RankedTensorType::get({}, element);
  if (auto floatType = llvm::dyn_cast<FloatType>(element)) {
    APFloat v(value);
    bool lost;
    v.convert(floatType.getFloatSemantics(), APFloat::rmNearestTiesToEven,
              &lost);
    return constant(DenseElementsAttr::get(type, v));
  }
  unsigned width = element.getIntOrFloatBitWidth();
  return constant(DenseElementsAttr::get(
      type, APInt(width, (uint64_t)(int64_t)value, /*isSigned=*/true,
                  /*implicitTrunc=*/true)));
}

//===----------------------------------------------------------------------===//
// Building kiln ops
//===----------------------------------------------------------------------===//

LogicalResult NodeContext::checkRange(StringRef what, ArrayRef<int64_t> values,
                                      int64_t low, int64_t high) {
  for (int64_t v : values)
    if (v < low || v > high)
      return emitError() << what << " holds " << v << ", outside [" << low
                         << ", " << high << "]";
  return success();
}

FailureOr<Value> NodeContext::foldResult(Operation *op) {
  for (Type type : op->getResultTypes()) {
    auto shaped = llvm::dyn_cast<RankedTensorType>(type);
    if (shaped && exceedsMaxElements(shaped.getShape())) {
      op->erase();
      return emitError() << "the result would have too many elements (" << type
                         << ")";
    }
  }
  SmallVector<OpFoldResult> folded;
  if (succeeded(op->fold(folded)) && folded.size() == 1) {
    if (auto value = llvm::dyn_cast<Value>(folded[0])) {
      op->erase();
      return value;
    }
    if (auto attr = llvm::dyn_cast_if_present<ElementsAttr>(
            llvm::dyn_cast<Attribute>(folded[0]))) {
      op->erase();
      return constant(attr);
    }
  }
  return op->getResult(0);
}

FailureOr<Value> NodeContext::createVerified(OperationState &state) {
  Operation *op = builder().create(state);
  if (failed(verify(op))) {
    op->erase();
    return failure();
  }
  return foldResult(op);
}

FailureOr<Value> NodeContext::reshape(Value value, ArrayRef<int64_t> shape) {
  auto type = typeOf(value);
  if (type.getShape() == shape)
    return value;
  return createTyped<ReshapeOp>(type.clone(shape), value);
}

FailureOr<Value> NodeContext::cast(Value value, Type element) {
  auto type = typeOf(value);
  if (type.getElementType() == element)
    return value;
  return createTyped<CastOp>(type.clone(element), value);
}

FailureOr<Value> NodeContext::unary(UnaryKind kind, Value value) {
  return create<UnaryOp>(value,
                         {named("kind", UnaryKindAttr::get(context(), kind))});
}

FailureOr<Value> NodeContext::binary(BinaryKind kind, Value lhs, Value rhs) {
  return create<BinaryOp>(
      {lhs, rhs}, {named("kind", BinaryKindAttr::get(context(), kind))});
}

FailureOr<Value> NodeContext::transpose(Value value, ArrayRef<int64_t> perm) {
  return create<TransposeOp>(value, {named("perm", i64s(perm))});
}

FailureOr<Value> NodeContext::reduce(ReduceKind kind, Value value,
                                     ArrayRef<int64_t> axes, bool keepdims) {
  SmallVector<NamedAttribute> attrs = {
      named("kind", ReduceKindAttr::get(context(), kind)),
      named("axes", i64s(axes))};
  if (keepdims)
    attrs.push_back(named("keepdims", builder().getUnitAttr()));
  return create<ReduceOp>(value, attrs);
}

FailureOr<int64_t> NodeContext::normalizeAxis(int64_t axis, int64_t rank,
                                              StringRef name) {
  if (axis < -rank || axis >= rank)
    return emitError() << "attribute '" << name << "' is " << axis
                       << ", outside [" << -rank << ", " << rank
                       << ") for rank " << rank;
  return axis < 0 ? axis + rank : axis;
}

NamedAttribute NodeContext::named(StringRef name, Attribute value) {
  return builder().getNamedAttr(name, value);
}

DenseI64ArrayAttr NodeContext::i64s(ArrayRef<int64_t> values) {
  return builder().getDenseI64ArrayAttr(values);
}

IntegerAttr NodeContext::i64(int64_t value) {
  return builder().getI64IntegerAttr(value);
}

FloatAttr NodeContext::f32(float value) {
  return builder().getF32FloatAttr(value);
}

LogicalResult kiln::onnx_frontend::checkFloat(NodeContext &ctx,
                                              RankedTensorType type) {
  if (llvm::isa<FloatType>(type.getElementType()))
    return success();
  std::string name;
  llvm::raw_string_ostream os(name);
  os << type.getElementType();
  return ctx.unsupported(ctx.node.op_type() + " on " + name +
                         " (Kiln computes it in floating point only)");
}

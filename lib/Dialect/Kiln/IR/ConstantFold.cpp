//===- ConstantFold.cpp - Evaluating kiln ops on constants ----------------===//

#include "ConstantFold.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/APInt.h"

#include <cmath>
#include <cstring>

using namespace mlir;
using namespace kiln::detail;

Scalar kiln::detail::readScalar(DenseElementsAttr attr, int64_t index) {
  Type element = attr.getElementType();
  if (attr.isSplat())
    index = 0;
  if (llvm::isa<FloatType>(element))
    return Scalar::ofFloat(
        (*(attr.getValues<APFloat>().begin() + index)).convertToDouble());
  APInt value = *(attr.getValues<APInt>().begin() + index);
  bool isUnsigned = element.isUnsignedInteger() || element.isInteger(1);
  return Scalar::ofInt(isUnsigned ? (int64_t)value.getZExtValue()
                                  : value.getSExtValue());
}

static APFloat toAPFloat(FloatType type, double value) {
  APFloat result(value);
  bool lostInfo;
  result.convert(type.getFloatSemantics(), APFloat::rmNearestTiesToEven,
                 &lostInfo);
  return result;
}

DenseElementsAttr kiln::detail::buildConstant(RankedTensorType type,
                                              ArrayRef<Scalar> values) {
  Type element = type.getElementType();
  if (auto floatType = llvm::dyn_cast<FloatType>(element)) {
    SmallVector<APFloat> floats;
    floats.reserve(values.size());
    for (const Scalar &s : values)
      floats.push_back(toAPFloat(floatType, s.asDouble()));
    return DenseElementsAttr::get(type, floats);
  }
  unsigned width = element.getIntOrFloatBitWidth();
  SmallVector<APInt> ints;
  ints.reserve(values.size());
  for (const Scalar &s : values) {
    int64_t v = s.i;
    if (s.isFloat) {
      // Float to integer truncates toward zero; NaN and out-of-range values
      // are left to the run time, which defines them.
      if (!std::isfinite(s.f) || std::fabs(s.f) >= 9.2e18)
        return {};
      v = (int64_t)s.f;
    }
    if (width == 1)
      v = v != 0;
    ints.push_back(APInt(width, (uint64_t)v, /*isSigned=*/true,
                         /*implicitTrunc=*/true));
  }
  return DenseElementsAttr::get(type, ints);
}

SmallVector<int64_t> kiln::detail::stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t d = (int64_t)shape.size() - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  return strides;
}

DenseElementsAttr kiln::detail::foldElementwise(
    ArrayRef<Attribute> operands, RankedTensorType resultType,
    llvm::function_ref<std::optional<Scalar>(ArrayRef<Scalar>)> fn) {
  SmallVector<DenseElementsAttr> inputs;
  bool allSplat = true;
  for (Attribute operand : operands) {
    auto dense = llvm::dyn_cast_if_present<DenseElementsAttr>(operand);
    if (!dense)
      return {};
    allSplat &= dense.isSplat();
    inputs.push_back(dense);
  }
  int64_t count = resultType.getNumElements();
  if (!allSplat && count > kMaxFoldedElements)
    return {};
  ArrayRef<int64_t> shape = resultType.getShape();
  SmallVector<int64_t> resultStrides = stridesOf(shape);
  SmallVector<Scalar> args(inputs.size()), results;
  int64_t limit = allSplat ? std::min<int64_t>(count, 1) : count;
  for (int64_t linear = 0; linear < limit; ++linear) {
    for (auto [k, input] : llvm::enumerate(inputs)) {
      // Map the result index to the broadcast operand's index.
      ArrayRef<int64_t> inShape = input.getType().getShape();
      SmallVector<int64_t> inStrides = stridesOf(inShape);
      int64_t offset = shape.size() - inShape.size(), index = 0;
      for (size_t d = 0; d < inShape.size(); ++d) {
        int64_t coord =
            (linear / resultStrides[d + offset]) % shape[d + offset];
        if (inShape[d] != 1)
          index += coord * inStrides[d];
      }
      args[k] = readScalar(input, index);
    }
    std::optional<Scalar> value = fn(args);
    if (!value)
      return {};
    results.push_back(*value);
  }
  if (allSplat) {
    if (results.empty())
      return DenseElementsAttr::get(resultType, ArrayRef<Attribute>{});
    DenseElementsAttr one = buildConstant(
        RankedTensorType::get({}, resultType.getElementType()), results);
    return one ? DenseElementsAttr::get(resultType,
                                        *one.getValues<Attribute>().begin())
               : DenseElementsAttr();
  }
  return buildConstant(resultType, results);
}

/// foldByIndex on a weight blob: copies the elements' bytes into a new
/// blob. Only for results no larger than the input (transposes, slices,
/// gathers), so that folding never multiplies a weight's size.
static Attribute
foldResourceByIndex(DenseResourceElementsAttr input,
                    RankedTensorType resultType,
                    llvm::function_ref<int64_t(ArrayRef<int64_t>)> indexOf) {
  auto inType = llvm::cast<ShapedType>(input.getType());
  int64_t bits = inType.getElementTypeBitWidth();
  int64_t count = resultType.getNumElements();
  AsmResourceBlob *blob = input.getRawHandle().getBlob();
  if (bits % 8 != 0 || !blob || count > inType.getNumElements())
    return {};
  size_t width = bits / 8;
  ArrayRef<char> data = blob->getData();
  if (data.size() != (size_t)inType.getNumElements() * width)
    return {};
  ArrayRef<int64_t> shape = resultType.getShape();
  SmallVector<int64_t> strides = stridesOf(shape), coords(shape.size());
  std::vector<char> bytes(count * width);
  for (int64_t linear = 0; linear < count; ++linear) {
    for (size_t d = 0; d < shape.size(); ++d)
      coords[d] = (linear / strides[d]) % shape[d];
    int64_t index = indexOf(coords);
    if (index < 0 || index >= inType.getNumElements())
      return {};
    std::memcpy(bytes.data() + linear * width, data.data() + index * width,
                width);
  }
  return DenseResourceElementsAttr::get(
      resultType, input.getRawHandle().getKey(),
      HeapAsmResourceBlob::allocateAndCopyWithAlign(ArrayRef<char>(bytes),
                                                    alignof(double)));
}

Attribute kiln::detail::foldByIndex(
    Attribute input, RankedTensorType resultType,
    llvm::function_ref<int64_t(ArrayRef<int64_t>)> indexOf) {
  if (auto resource =
          llvm::dyn_cast_if_present<DenseResourceElementsAttr>(input))
    return foldResourceByIndex(resource, resultType, indexOf);
  auto dense = llvm::dyn_cast_if_present<DenseElementsAttr>(input);
  if (!dense)
    return {};
  if (dense.isSplat())
    return dense.resizeSplat(resultType);
  int64_t count = resultType.getNumElements();
  if (count > kMaxFoldedElements)
    return {};
  ArrayRef<int64_t> shape = resultType.getShape();
  SmallVector<int64_t> strides = stridesOf(shape), coords(shape.size());
  SmallVector<Attribute> values;
  values.reserve(count);
  auto all = dense.getValues<Attribute>();
  for (int64_t linear = 0; linear < count; ++linear) {
    for (size_t d = 0; d < shape.size(); ++d)
      coords[d] = (linear / strides[d]) % shape[d];
    int64_t index = indexOf(coords);
    if (index < 0 || index >= dense.getNumElements())
      return {};
    values.push_back(*(all.begin() + index));
  }
  return DenseElementsAttr::get(resultType, values);
}

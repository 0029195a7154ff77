//===- KilnOps.cpp - The ODS-generated op definitions and helpers ---------===//
//
// The shape rules, verifiers and folds live in a file per op family:
// Elementwise, Reduction, Convolution, Matmul, Normalization, Attention,
// Recurrent, DataMovement and Resize.
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/Kiln/IR/KilnOps.h"
#include "OpChecker.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/Support/Path.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::detail;

#define GET_OP_CLASSES
#include "kiln/Dialect/Kiln/IR/KilnOps.cpp.inc"

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

kiln::abi::DType kiln::abiDType(Type type) {
  if (auto floatType = llvm::dyn_cast<FloatType>(type))
    return abi::dtypeOf(/*isFloat=*/true, floatType.getWidth(),
                        /*isUnsigned=*/false, /*isBrain=*/type.isBF16());
  if (auto integer = llvm::dyn_cast<IntegerType>(type))
    return abi::dtypeOf(/*isFloat=*/false, integer.getWidth(),
                        integer.isUnsigned());
  return abi::DType::Undefined;
}

std::string kiln::nodeLabel(Operation *op, int64_t id) {
  Location loc = op->getLoc();
  if (auto fused = llvm::dyn_cast<FusedLoc>(loc);
      fused && !fused.getLocations().empty())
    loc = fused.getLocations().front();
  std::string label;
  if (auto name = llvm::dyn_cast<NameLoc>(loc))
    label = name.getName().str();
  else if (auto file = llvm::dyn_cast<FileLineColLoc>(loc))
    label = llvm::sys::path::filename(file.getFilename().getValue()).str() +
            ":" + std::to_string(file.getLine());
  if (label.empty())
    label = id >= 0 ? "#" + std::to_string(id) : "an unnamed node";
  for (char &c : label)
    if (c == '\t' || c == '\n')
      c = ' ';
  return label;
}

mlir::Value kiln::buildPositions(OpBuilder &b, Location loc, int64_t extent) {
  constexpr int64_t kColumns = 64;
  Type i64 = b.getI64Type();
  int64_t rows = (extent + kColumns - 1) / kColumns;
  SmallVector<int64_t> rowStarts(rows), columns(kColumns);
  for (int64_t r = 0; r < rows; ++r)
    rowStarts[r] = r * kColumns;
  for (int64_t c = 0; c < kColumns; ++c)
    columns[c] = c;
  auto rowType = RankedTensorType::get({rows, 1}, i64);
  auto columnType = RankedTensorType::get({1, kColumns}, i64);
  Value rowConst = ConstantOp::create(
      b, loc, rowType,
      DenseElementsAttr::get(rowType, ArrayRef<int64_t>(rowStarts)));
  Value columnConst = ConstantOp::create(
      b, loc, columnType,
      DenseElementsAttr::get(columnType, ArrayRef<int64_t>(columns)));
  Value grid =
      BinaryOp::create(b, loc, RankedTensorType::get({rows, kColumns}, i64),
                       BinaryKind::add, rowConst, columnConst, false);
  Value flat = ReshapeOp::create(
      b, loc, RankedTensorType::get({rows * kColumns}, i64), grid);
  if (rows * kColumns == extent)
    return flat;
  return SliceOp::create(b, loc, RankedTensorType::get({extent}, i64), flat,
                         b.getDenseI64ArrayAttr({0}),
                         b.getDenseI64ArrayAttr({1}));
}

std::optional<ArrayRef<char>> kiln::constantBytes(Attribute value) {
  if (auto dense = llvm::dyn_cast<DenseIntOrFPElementsAttr>(value)) {
    if (dense.isSplat())
      return std::nullopt;
    return dense.getRawData();
  }
  if (auto resource = llvm::dyn_cast<DenseResourceElementsAttr>(value))
    if (AsmResourceBlob *blob = resource.getRawHandle().getBlob())
      return blob->getData();
  return std::nullopt;
}

ElementsAttr kiln::constantFromBytes(RankedTensorType type,
                                     ArrayRef<char> bytes, Attribute like) {
  if (auto blob = llvm::dyn_cast_if_present<DenseResourceElementsAttr>(like))
    return llvm::cast<ElementsAttr>(DenseResourceElementsAttr::get(
        type, blob.getRawHandle().getKey(),
        HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, alignof(double))));
  return llvm::cast<ElementsAttr>(
      DenseElementsAttr::getFromRawBuffer(type, bytes));
}

mlir::Value kiln::sequenceLengthOf(Operation *op) {
  auto func = op->getParentOfType<func::FuncOp>();
  if (!func)
    return {};
  for (unsigned i = 0; i < func.getNumArguments(); ++i)
    if (func.getArgAttr(i, "kiln.sequence_length"))
      return func.getArgument(i);
  return {};
}

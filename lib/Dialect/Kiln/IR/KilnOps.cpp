//===- KilnOps.cpp - The ODS-generated op definitions and helpers ---------===//
//
// The shape rules, verifiers and folds live in a file per op family:
// Elementwise, Reduction, Convolution, Matmul, Normalization, Attention,
// Recurrent, DataMovement and Resize.
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/Kiln/IR/KilnOps.h"
#include "OpChecker.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
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

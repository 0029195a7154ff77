//===- ShapeHelpers.h - Shape arithmetic of the verifiers -------*- C++ -*-===//
//
// Shared by the verifiers of the kiln and kiln_backend dialects.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECT_KILN_IR_SHAPEHELPERS_H
#define KILN_DIALECT_KILN_IR_SHAPEHELPERS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>
#include <string>

namespace kiln::detail {

/// "[1, 3, 224, 224]"
std::string formatList(llvm::ArrayRef<int64_t> values);

/// The NumPy broadcast of two shapes, or nothing when they are incompatible.
std::optional<llvm::SmallVector<int64_t>>
broadcastShapes(llvm::ArrayRef<int64_t> a, llvm::ArrayRef<int64_t> b);

/// Whether `from` broadcasts to exactly `to` (ONNX unidirectional
/// broadcasting).
bool broadcastsTo(llvm::ArrayRef<int64_t> from, llvm::ArrayRef<int64_t> to);

/// Product of the dims.
int64_t numElements(llvm::ArrayRef<int64_t> shape);

} // namespace kiln::detail

#endif // KILN_DIALECT_KILN_IR_SHAPEHELPERS_H

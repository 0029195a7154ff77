//===- SampleAxes.h - Which axis of each tensor holds the samples -*- C++
//-*-===//
//
// A model whose batch dim is open runs at any batch size when its samples
// are independent: every output sample depends on the same input sample
// only. findSampleAxes proves it on a graph imported with the open dim at a
// probe value: it follows the dim from the inputs through every op and
// fails at the first op that mixes samples (a reduction or a softmax over
// them, a matrix product that contracts them, a reshape that splits them
// up, ...) or that it does not know.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECT_KILN_TRANSFORMS_SAMPLEAXES_H
#define KILN_DIALECT_KILN_TRANSFORMS_SAMPLEAXES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <optional>

namespace kiln {

/// The axis of each graph input and output that holds the samples (none:
/// the tensor is the same for every sample).
struct SampleAxes {
  llvm::SmallVector<std::optional<int64_t>> inputs, outputs;
  /// For each output that holds samples, how many blocks of all the
  /// samples its axis holds (1: the samples are its outermost factor; S
  /// for [S*N, D], whose entry s*N + n holds sample n).
  llvm::SmallVector<int64_t> outputBlocks;
  /// With `sequence`: the ops that run over the positions and must be told
  /// how many there are (recurrent layers over their time axis, attention
  /// over its keys); every other op treats them independently.
  llvm::SmallVector<mlir::Operation *> bounded;
  /// With `sequence`: the attention ops among `bounded` whose queries are
  /// the positions too.
  llvm::SmallVector<mlir::Operation *> positionQueries;
  /// The axis of every value of the body that holds them as its outermost
  /// factor (no interleaved blocks).
  llvm::DenseMap<mlir::Value, int64_t> valueAxes;
};

/// Follows the sample axes given for `func`'s arguments (whose extent
/// there is `probe` samples) to its results. Fails with an error at the op
/// that mixes samples. With `sequence`, the axes hold the positions of a
/// sequence padded to `probe`: recurrent layers may run over them and
/// attention may take them as keys (the `bounded` ops), the rest must
/// treat them independently.
mlir::FailureOr<SampleAxes>
findSampleAxes(mlir::func::FuncOp func,
               llvm::ArrayRef<std::optional<int64_t>> inputAxes, int64_t probe,
               bool sequence = false);

} // namespace kiln

#endif // KILN_DIALECT_KILN_TRANSFORMS_SAMPLEAXES_H

//===- GraphImporter.h - Importing an ONNX graph ----------------*- C++ -*-===//

#ifndef KILN_LIB_FRONTEND_ONNX_GRAPHIMPORTER_H
#define KILN_LIB_FRONTEND_ONNX_GRAPHIMPORTER_H

#include "NodeContext.h"
#include "kiln/Frontend/ONNX/Importer.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringMap.h"

namespace kiln::onnx_frontend {

class GraphImporter {
public:
  GraphImporter(mlir::MLIRContext &context, llvm::StringRef modelPath,
                const ImportOptions &options);

  /// Imports `model` into a new module.
  mlir::OwningOpRef<mlir::ModuleOp> importModel(const onnx::ModelProto &model);

  /// Converts a TensorProto (initializer, Constant value) to an attribute,
  /// validating its type, shape and data size. `what` names it in errors.
  mlir::FailureOr<mlir::ElementsAttr>
  convertTensor(const onnx::TensorProto &tensor, mlir::Location loc,
                llvm::StringRef what);

  mlir::MLIRContext &context;
  mlir::OpBuilder builder;
  /// Values by ONNX name.
  llvm::StringMap<mlir::Value> values;
  /// How many node inputs and graph outputs read each name.
  llvm::StringMap<unsigned> uses;

private:
  mlir::LogicalResult importGraph(const onnx::GraphProto &graph, int64_t opset);
  mlir::FailureOr<llvm::SmallVector<int64_t>>
  inputShape(const onnx::ValueInfoProto &info);
  mlir::FailureOr<std::vector<char>>
  readExternalData(const onnx::TensorProto &tensor, mlir::Location loc,
                   llvm::StringRef what, uint64_t expectedBytes);
  mlir::Location nodeLocation(const onnx::NodeProto &node, size_t index);
  /// The value `--shape` or the caller gave a symbolic dim, if any.
  std::optional<int64_t> symbolValue(llvm::StringRef symbol) const {
    auto pinned = pinnedSymbols.find(symbol);
    if (pinned != pinnedSymbols.end())
      return pinned->second;
    if (options.symbols) {
      auto given = options.symbols->values.find(symbol);
      if (given != options.symbols->values.end())
        return given->second;
    }
    return std::nullopt;
  }
  mlir::FailureOr<mlir::Value> bindInput(const onnx::ValueInfoProto &info,
                                         llvm::StringRef path);

  std::string modelPath;
  std::string modelDir;
  mlir::Location fileLoc;
  const ImportOptions &options;
  HandlerTable handlers;
  /// Symbolic dims pinned by `--shape SYMBOL=N`.
  llvm::StringMap<int64_t> pinnedSymbols;
  /// With `--open-batch`: the first input's dim 0, which other inputs' dim 0
  /// must equal to be open too.
  std::optional<int64_t> openBatchSize;
  /// Whether an input dim was open (its declared outputs' sizes are then
  /// those of the export, not checked).
  bool openDims = false;
};

} // namespace kiln::onnx_frontend

#endif // KILN_LIB_FRONTEND_ONNX_GRAPHIMPORTER_H

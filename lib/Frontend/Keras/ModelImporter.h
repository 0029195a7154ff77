//===- ModelImporter.h - Walking a Keras model's layer graph ----*- C++ -*-===//

#ifndef KILN_LIB_FRONTEND_KERAS_MODELIMPORTER_H
#define KILN_LIB_FRONTEND_KERAS_MODELIMPORTER_H

#include "LayerContext.h"

#include "kiln/Frontend/Keras/Importer.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

#include <map>

namespace kiln::keras_frontend {

class ModelImporter {
public:
  ModelImporter(mlir::MLIRContext &context, llvm::StringRef path,
                KerasArchive archive, const ImportOptions &options);

  mlir::LogicalResult importModel(const llvm::json::Object &model);

  mlir::MLIRContext &context;
  mlir::OpBuilder builder;
  mlir::Location fileLoc;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  KerasArchive archive;
  const ImportOptions &options;
  /// The config is in the tf.keras 2 dialect (Keras < 3).
  bool legacyDialect = false;
  LayerTable layers;

  /// The `weight_names` of an `.h5` group, read once.
  mlir::FailureOr<const std::vector<std::string> *>
  weightNames(llvm::StringRef group, mlir::Location loc);

private:
  /// Evaluates a Sequential or functional model on `inputs` (the function's
  /// arguments are made for the top-level model, which passes none).
  mlir::FailureOr<llvm::SmallVector<KTensor>>
  evalModel(const llvm::json::Object &model, llvm::ArrayRef<KTensor> inputs,
            const WeightScope &scope, int depth);
  mlir::FailureOr<llvm::SmallVector<KTensor>>
  evalSequential(const llvm::json::Object &model, llvm::StringRef modelName,
                 llvm::ArrayRef<KTensor> inputs, const WeightScope &scope,
                 int depth);
  mlir::FailureOr<llvm::SmallVector<KTensor>>
  evalFunctional(const llvm::json::Object &model, llvm::StringRef modelName,
                 llvm::ArrayRef<KTensor> inputs, const WeightScope &scope,
                 int depth);
  /// Calls one layer (or nested model) on its inputs.
  mlir::LogicalResult
  callLayer(const llvm::json::Object &layer, const WeightScope &scope,
            llvm::SmallVectorImpl<KTensor> &inputs, llvm::json::Array args,
            llvm::json::Object kwargs, llvm::SmallVectorImpl<KTensor> &outputs,
            int depth);
  /// A model input for an InputLayer (or the first layer of a Sequential
  /// model that declares its input shape).
  mlir::FailureOr<KTensor> makeInput(llvm::StringRef name,
                                     const llvm::json::Object &config,
                                     mlir::Location loc);
  /// The scope of the layers of a (nested) model's layer list: the
  /// `.keras` path of each (snake_case class name, numbered by class).
  llvm::SmallVector<WeightScope> childScopes(const llvm::json::Array &layerList,
                                             const WeightScope &scope,
                                             bool topLevel);

  mlir::func::FuncOp func;
  llvm::SmallVector<mlir::Type> argTypes;
  llvm::SmallVector<std::string> argNames;
  std::map<std::string, std::vector<std::string>> namesCache;
};

/// The layer's name, class and config from its JSON ("name" at the top
/// (functional) or in the config (Sequential)).
llvm::StringRef layerName(const llvm::json::Object &layer);
/// Keras' snake_case of a class name ("Conv2DTranspose" ->
/// "conv2d_transpose").
std::string snakeCase(llvm::StringRef className);

} // namespace kiln::keras_frontend

#endif // KILN_LIB_FRONTEND_KERAS_MODELIMPORTER_H

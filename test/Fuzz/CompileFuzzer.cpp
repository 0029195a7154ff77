//===- CompileFuzzer.cpp - Fuzz target: ONNX bytes down to LLVM IR --------===//
//
// A model the importer accepts runs through the graph, fusion, linalg (llvm
// backend) and LLVM pipelines and is translated to LLVM IR, as kilnc does
// for --emit=llvm-ir. Pipelines may refuse a model with an error; they may
// not crash or leave invalid IR behind.
//
//===----------------------------------------------------------------------===//

#include "FuzzModel.h"

#include "kiln/Pipeline/Pipeline.h"

#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Target/TargetMachine.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static std::unique_ptr<llvm::TargetMachine> machine = [] {
    std::string error;
    auto m = kiln::createTargetMachine("x86-64", error);
    if (!m) {
      llvm::errs() << "kiln fuzz: " << error << "\n";
      std::abort();
    }
    return m;
  }();
  kiln::fuzz::FuzzContext fuzz;
  auto module = kiln::fuzz::importFuzzedModel(data, size, fuzz.context);
  if (!module)
    return 0;
  kiln::fuzz::requireValid(*module, "the importer");
  kiln::FusionOptions fusion;
  fusion.enabled = true;
  if (mlir::failed(kiln::runGraphPipeline(*module)) ||
      mlir::failed(kiln::runFusionPipeline(*module, fusion)) ||
      mlir::failed(kiln::runLinalgPipeline(*module, kiln::Backend::LLVM,
                                           /*dnnlMinWork=*/0)) ||
      mlir::failed(kiln::runLLVMPipeline(*module)))
    return 0;
  llvm::LLVMContext llvmContext;
  auto llvmModule = kiln::translateToLLVMIR(*module, llvmContext, *machine);
  (void)llvmModule;
  return 0;
}

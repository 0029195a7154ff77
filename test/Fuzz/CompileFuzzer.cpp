//===- CompileFuzzer.cpp - Fuzz target: ONNX bytes down to LLVM IR --------===//
//
// A model the importer accepts is compiled as kilnc does for
// --emit=llvm-ir with the llvm backend, the text thrown away. Pipelines may
// refuse a model with an error; they may not crash or leave invalid IR
// behind (each pass manager verifies after every pass).
//
//===----------------------------------------------------------------------===//

#include "FuzzModel.h"

#include "kiln/Pipeline/Compile.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  kiln::fuzz::FuzzContext fuzz;
  auto module = kiln::fuzz::importFuzzedModel(data, size, fuzz.context);
  if (!module)
    return 0;
  kiln::fuzz::requireValid(*module, "the importer");
  kiln::CompileOptions options;
  options.pipeline.backend = kiln::Backend::LLVM;
  options.pipeline.dnnlMinWork = 0;
  options.targetCPU = "x86-64";
  options.textStream = &llvm::nulls();
  (void)kiln::compile(*module, options, kiln::EmitStage::LLVMIR);
  return 0;
}

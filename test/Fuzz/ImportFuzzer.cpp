//===- ImportFuzzer.cpp - Fuzz target: the ONNX importer on raw bytes -----===//
//
// Any byte string goes to the protobuf importer; a model it accepts must
// verify.
//
//===----------------------------------------------------------------------===//

#include "FuzzModel.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  kiln::fuzz::FuzzContext fuzz;
  auto module = kiln::fuzz::importFuzzedModel(data, size, fuzz.context);
  if (module)
    kiln::fuzz::requireValid(*module, "the importer");
  return 0;
}

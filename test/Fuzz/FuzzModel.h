//===- FuzzModel.h - Shared set-up of Kiln's fuzz targets -------*- C++ -*-===//
//
// Each input is a binary ONNX ModelProto, imported in a fresh single-threaded
// context whose diagnostics are dropped: the targets look for crashes, hangs,
// sanitizer reports and invalid IR, not for error messages.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TEST_FUZZ_FUZZMODEL_H
#define KILN_TEST_FUZZ_FUZZMODEL_H

#include "kiln/Frontend/ONNX/Importer.h"
#include "kiln/InitAll.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>

namespace kiln::fuzz {

/// The registry every input's context is made from.
inline const mlir::DialectRegistry &registry() {
  static mlir::DialectRegistry *registry = [] {
    auto *r = new mlir::DialectRegistry();
    kiln::registerAllDialects(*r);
    return r;
  }();
  return *registry;
}

/// A context for one input: all dialects loaded, no threads, quiet.
struct FuzzContext {
  mlir::MLIRContext context{registry(), mlir::MLIRContext::Threading::DISABLED};
  mlir::ScopedDiagnosticHandler quiet{
      &context, [](mlir::Diagnostic &) { return mlir::success(); }};
  FuzzContext() { context.loadAllAvailableDialects(); }
};

/// Imports `data`. External data is looked for in a folder that does not
/// exist, so a fuzzed model never reads the machine's files.
inline mlir::OwningOpRef<mlir::ModuleOp>
importFuzzedModel(const uint8_t *data, size_t size,
                  mlir::MLIRContext &context) {
  return kiln::onnx_frontend::importModelBuffer(
      llvm::StringRef(reinterpret_cast<const char *>(data), size),
      "/nonexistent-kiln-fuzz/model.onnx", /*textual=*/false, context, {});
}

/// A stage that produced a module the verifier rejects is a bug: abort, so
/// that the fuzzer keeps the input.
inline void requireValid(mlir::ModuleOp module, const char *stage) {
  if (mlir::succeeded(mlir::verify(module)))
    return;
  llvm::errs() << "kiln fuzz: " << stage << " produced invalid IR\n";
  std::abort();
}

} // namespace kiln::fuzz

#endif // KILN_TEST_FUZZ_FUZZMODEL_H

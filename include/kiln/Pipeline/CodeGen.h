//===- CodeGen.h - Machine code and linking ---------------------*- C++ -*-===//
//
// The stages after the LLVM dialect: LLVM IR, object code and the link
// with Kiln's runtime. Failures are emitted at `loc`.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PIPELINE_CODEGEN_H
#define KILN_PIPELINE_CODEGEN_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Location.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <memory>
#include <string>

namespace llvm {
class LLVMContext;
class Module;
class TargetMachine;
class raw_pwrite_stream;
} // namespace llvm

namespace kiln {

/// A target machine for `cpu` ("" or "native": the host) on the host's
/// triple.
std::unique_ptr<llvm::TargetMachine> createTargetMachine(llvm::StringRef cpu,
                                                         mlir::Location loc);

/// llvm-ir: translates an LLVM-dialect module and, when `optimize`,
/// optimizes it at -O3 for `machine`.
std::unique_ptr<llvm::Module> translateToLLVMIR(mlir::ModuleOp module,
                                                llvm::LLVMContext &context,
                                                llvm::TargetMachine &machine,
                                                bool optimize = true);

/// Optimizes LLVM IR at -O3 for `machine`.
void optimizeLLVMIR(llvm::Module &module, llvm::TargetMachine &machine);

/// How many parts the machine code of `module` (translated, not yet
/// optimized) is worth splitting into: one per hardware thread, at most
/// one per 20,000 instructions; 1 for a small model.
unsigned codegenParts(const llvm::Module &module);

/// exe/lib of a large model: `module`, translated but not optimized, is
/// split into `parts` modules (each keeping with it the internal functions
/// and constants it uses), which are optimized at -O3 and compiled on
/// threads of their own, each in its own LLVM context. Weights, when not
/// empty, define the declared array `weightsSymbol` in one more object.
/// Appends the object files written (temporary files) to `objects`, also
/// on failure, for the caller to remove.
mlir::LogicalResult emitObjectsInParallel(
    std::unique_ptr<llvm::Module> module, llvm::StringRef cpu, unsigned parts,
    llvm::ArrayRef<char> weights, llvm::StringRef weightsSymbol,
    llvm::SmallVectorImpl<std::string> &objects, mlir::Location loc);

/// asm/obj: code generation.
mlir::LogicalResult emitMachineCode(llvm::Module &module,
                                    llvm::TargetMachine &machine,
                                    llvm::raw_pwrite_stream &os, bool assembly,
                                    mlir::Location loc);

/// Whether a module after the LLVM pipeline calls oneDNN (and its
/// executable or library must link the runtime's oneDNN part).
bool usesDnnl(mlir::ModuleOp module);

/// What an object is linked into.
enum class LinkKind { Executable, SharedLibrary };

/// Links `objects` with Kiln's runtime (found in `runtimeDir`, or in the
/// lib/ folder beside the running executable's bin/ when empty), and its
/// oneDNN part when `dnnl`, into `outputPath`. A shared library exports
/// only the kiln_* functions of kiln/Runtime/KilnModel.h.
mlir::LogicalResult linkModel(LinkKind kind,
                              llvm::ArrayRef<std::string> objects,
                              llvm::StringRef outputPath,
                              llvm::StringRef runtimeDir, bool dnnl,
                              mlir::Location loc);

/// The text of kiln/Runtime/KilnModel.h, written beside shared libraries.
llvm::StringRef getModelHeader();

} // namespace kiln

#endif // KILN_PIPELINE_CODEGEN_H

//===- CodeGen.cpp - LLVM IR and machine code -----------------------------===//

#include "kiln/Pipeline/CodeGen.h"
#include "kiln/Runtime/ABI.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/Transforms/Utils/SplitModule.h"

#include <algorithm>
#include <mutex>
#include <thread>
#include <unistd.h>

using namespace mlir;
using namespace kiln;

/// LLVM's loop strength reduction took 40-50% of the machine-code time of
/// Kiln's kernels (1.2 s of ResNet-50's and of BERT-base's) and did not make
/// them faster on the zoo's and the bench's models, so it is off unless
/// asked for (kilnc -disable-lsr=false).
static void setCodegenDefaults() {
  static std::once_flag once;
  std::call_once(once, [] {
    auto &options = llvm::cl::getRegisteredOptions();
    auto lsr = options.find("disable-lsr");
    if (lsr != options.end() && lsr->second->getNumOccurrences() == 0)
      static_cast<llvm::cl::opt<bool> *>(lsr->second)->setValue(true);
  });
}

std::unique_ptr<llvm::TargetMachine>
kiln::createTargetMachine(llvm::StringRef cpu, Location loc) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  setCodegenDefaults();
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  std::string error;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target) {
    emitError(loc) << error;
    return nullptr;
  }
  std::string features;
  std::string cpuName = cpu.str();
  if (cpu.empty() || cpu == "native") {
    cpuName = llvm::sys::getHostCPUName().str();
    for (const auto &feature : llvm::sys::getHostCPUFeatures())
      features += (feature.second ? "+" : "-") + feature.first().str() + ",";
  }
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      triple, cpuName, features, llvm::TargetOptions(), llvm::Reloc::PIC_,
      std::nullopt, llvm::CodeGenOptLevel::Aggressive));
  if (!machine)
    emitError(loc) << "cannot create a target machine for CPU '" << cpuName
                   << "'";
  return machine;
}

std::unique_ptr<llvm::Module>
kiln::translateToLLVMIR(ModuleOp module, llvm::LLVMContext &context,
                        llvm::TargetMachine &machine, bool optimize) {
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, context, "kiln_model");
  if (!llvmModule)
    return nullptr;
  llvmModule->setDataLayout(machine.createDataLayout());
  llvmModule->setTargetTriple(machine.getTargetTriple());
  if (optimize)
    optimizeLLVMIR(*llvmModule, machine);
  return llvmModule;
}

void kiln::optimizeLLVMIR(llvm::Module &module, llvm::TargetMachine &machine) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder builder(&machine);
  builder.registerModuleAnalyses(mam);
  builder.registerCGSCCAnalyses(cgam);
  builder.registerFunctionAnalyses(fam);
  builder.registerLoopAnalyses(lam);
  builder.crossRegisterProxies(lam, fam, cgam, mam);
  builder.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3)
      .run(module, mam);
}

unsigned kiln::codegenParts(const llvm::Module &module) {
  uint64_t instructions = 0;
  for (const llvm::Function &function : module)
    instructions += function.getInstructionCount();
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  return (unsigned)std::min<uint64_t>({threads, 8, instructions / 20000 + 1});
}

namespace {
/// Runs LLVM's code generation of `module` into `os`; false when the
/// target cannot emit `type`.
bool generateCode(llvm::Module &module, llvm::TargetMachine &machine,
                  llvm::raw_pwrite_stream &os, llvm::CodeGenFileType type) {
  llvm::legacy::PassManager pm;
  if (machine.addPassesToEmitFile(pm, os, nullptr, type))
    return false;
  pm.run(module);
  return true;
}

/// Compiles a module to an object file at `path`; the problem, or "".
std::string emitObject(llvm::Module &module, llvm::TargetMachine &machine,
                       const std::string &path) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return "cannot write " + path + ": " + ec.message();
  if (!generateCode(module, machine, os, llvm::CodeGenFileType::ObjectFile))
    return "the target cannot emit object files";
  os.close();
  if (os.has_error())
    return "cannot write " + path + ": " + os.error().message();
  return "";
}
} // namespace

LogicalResult kiln::emitObjectsInParallel(
    std::unique_ptr<llvm::Module> module, llvm::StringRef cpu, unsigned parts,
    ArrayRef<char> weights, llvm::StringRef weightsSymbol,
    llvm::SmallVectorImpl<std::string> &objects, Location loc) {
  // The weights' array is declared in the module; one more object defines
  // it, hidden (the model's own).
  llvm::GlobalVariable *declared = module->getGlobalVariable(weightsSymbol);
  llvm::MaybeAlign weightsAlign =
      declared ? declared->getAlign() : std::nullopt;
  bool defineWeights = !weights.empty() && declared;
  // Each part goes to its thread as bitcode: an LLVM context serves one
  // thread at a time.
  SmallVector<llvm::SmallString<0>> bitcode;
  llvm::SplitModule(
      *module, parts,
      [&](std::unique_ptr<llvm::Module> part) {
        llvm::SmallString<0> buffer;
        llvm::raw_svector_ostream os(buffer);
        llvm::WriteBitcodeToFile(*part, os);
        bitcode.push_back(std::move(buffer));
      },
      /*PreserveLocals=*/true, /*RoundRobin=*/true);
  module.reset();
  size_t jobs = bitcode.size() + (defineWeights ? 1 : 0);
  SmallVector<std::unique_ptr<llvm::TargetMachine>> machines;
  for (size_t i = 0; i < jobs; ++i) {
    machines.push_back(createTargetMachine(cpu, loc));
    if (!machines.back())
      return failure();
    llvm::SmallString<128> path;
    int fd;
    if (std::error_code ec =
            llvm::sys::fs::createTemporaryFile("kiln-model", "o", fd, path))
      return emitError(loc)
             << "cannot create a temporary file: " << ec.message();
    ::close(fd);
    objects.push_back(std::string(path));
  }
  size_t first = objects.size() - jobs;
  SmallVector<std::string> errors(jobs);
  auto compilePart = [&](size_t i) {
    llvm::LLVMContext context;
    llvm::Expected<std::unique_ptr<llvm::Module>> part = llvm::parseBitcodeFile(
        llvm::MemoryBufferRef(
            llvm::StringRef(bitcode[i].data(), bitcode[i].size()), "part"),
        context);
    if (!part) {
      errors[i] = llvm::toString(part.takeError());
      return;
    }
    optimizeLLVMIR(**part, *machines[i]);
    errors[i] = emitObject(**part, *machines[i], objects[first + i]);
  };
  auto compileWeights = [&](size_t i) {
    llvm::LLVMContext context;
    llvm::Module holder("kiln_model_weights", context);
    holder.setDataLayout(machines[i]->createDataLayout());
    holder.setTargetTriple(machines[i]->getTargetTriple());
    llvm::Constant *bytes = llvm::ConstantDataArray::getRaw(
        llvm::StringRef(weights.data(), weights.size()), weights.size(),
        llvm::Type::getInt8Ty(context));
    auto *global = new llvm::GlobalVariable(
        holder, bytes->getType(), /*isConstant=*/true,
        llvm::GlobalValue::ExternalLinkage, bytes, weightsSymbol);
    global->setVisibility(llvm::GlobalValue::HiddenVisibility);
    global->setAlignment(weightsAlign);
    errors[i] = emitObject(holder, *machines[i], objects[first + i]);
  };
  auto compile = [&](size_t i) {
    if (i < bitcode.size())
      compilePart(i);
    else
      compileWeights(i);
  };
  // Job 0 on this thread, the others on threads of their own.
  std::vector<std::thread> threads;
  for (size_t i = 1; i < jobs; ++i)
    threads.emplace_back(compile, i);
  if (jobs > 0)
    compile(0);
  for (std::thread &thread : threads)
    thread.join();
  for (const std::string &error : errors)
    if (!error.empty())
      return emitError(loc) << "machine code: " << error;
  return success();
}

LogicalResult kiln::emitMachineCode(llvm::Module &module,
                                    llvm::TargetMachine &machine,
                                    llvm::raw_pwrite_stream &os, bool assembly,
                                    Location loc) {
  if (!generateCode(module, machine, os,
                    assembly ? llvm::CodeGenFileType::AssemblyFile
                             : llvm::CodeGenFileType::ObjectFile))
    return emitError(loc) << "the target cannot emit this file type";
  return success();
}

bool kiln::usesDnnl(ModuleOp module) {
  return module.lookupSymbol(abi::kModelDnnlProgram) != nullptr;
}

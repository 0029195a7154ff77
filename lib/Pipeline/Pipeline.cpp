//===- Pipeline.cpp - Kiln's compilation stages ---------------------------===//

#include "kiln/Pipeline/Pipeline.h"

#include "kiln/Conversion/Passes.h"
#include "kiln/Dialect/Kiln/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"

using namespace mlir;

static const std::pair<kiln::EmitStage, llvm::StringLiteral> stageNames[] = {
    {kiln::EmitStage::Graph, "graph"},
    {kiln::EmitStage::Fused, "fused"},
    {kiln::EmitStage::Dot, "dot"},
    {kiln::EmitStage::Linalg, "linalg"},
    {kiln::EmitStage::LLVMMLIR, "llvm-mlir"},
    {kiln::EmitStage::LLVMIR, "llvm-ir"},
    {kiln::EmitStage::Asm, "asm"},
    {kiln::EmitStage::Obj, "obj"},
    {kiln::EmitStage::Lib, "lib"},
    {kiln::EmitStage::Exe, "exe"}};

std::optional<kiln::EmitStage> kiln::parseEmitStage(llvm::StringRef name) {
  for (auto [stage, stageName] : stageNames)
    if (stageName == name)
      return stage;
  return std::nullopt;
}

llvm::StringRef kiln::getStageName(EmitStage stage) {
  for (auto [s, stageName] : stageNames)
    if (s == stage)
      return stageName;
  return "";
}

OwningOpRef<ModuleOp>
kiln::loadModel(llvm::StringRef path, llvm::SourceMgr &sourceMgr,
                MLIRContext &context,
                const onnx_frontend::ImportOptions &options) {
  Location fileLoc = FileLineColLoc::get(&context, path, 0, 0);
  llvm::StringRef ext = llvm::sys::path::extension(path);
  if (ext != ".mlir" && ext != ".onnx" && ext != ".onnxtxt") {
    emitError(fileLoc) << "unknown model format '" << ext
                       << "': expected .onnx, .onnxtxt or .mlir";
    return {};
  }
  if (llvm::sys::fs::is_directory(path)) {
    emitError(fileLoc) << "is a directory, not a model file";
    return {};
  }
  if (ext != ".mlir")
    return onnx_frontend::importModelFile(path, context, options);
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (std::error_code error = buffer.getError()) {
    emitError(fileLoc) << "cannot read: " << error.message();
    return {};
  }
  sourceMgr.AddNewSourceBuffer(std::move(*buffer), llvm::SMLoc());
  return parseSourceFile<ModuleOp>(sourceMgr, &context);
}

LogicalResult kiln::runGraphPipeline(ModuleOp module) {
  PassManager pm(module->getName());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  return pm.run(module);
}

LogicalResult kiln::runFusionPipeline(ModuleOp module,
                                      const FusionOptions &options) {
  if (!options.enabled)
    return success();
  PassManager pm(module->getName());
  KilnMatchActivationsOptions activations;
  activations.report = options.report;
  pm.addPass(createKilnMatchActivations(activations));
  KilnFoldBatchNormOptions fold;
  fold.report = options.report;
  pm.addPass(createKilnFoldBatchNorm(fold));
  KilnFuseConvOptions conv;
  conv.report = options.report;
  pm.addPass(createKilnFuseConv(conv));
  KilnFuseAttentionOptions attention;
  attention.report = options.report;
  pm.addPass(createKilnFuseAttention(attention));
  KilnFuseMatMulOptions matmul;
  matmul.report = options.report;
  pm.addPass(createKilnFuseMatMul(matmul));
  pm.addPass(createCanonicalizerPass());
  return pm.run(module);
}

LogicalResult kiln::runLinalgPipeline(ModuleOp module, Backend backend,
                                      int64_t dnnlMinWork) {
  PassManager pm(module->getName());
  pm.addPass(createKilnCheckIndices());
  pm.addPass(createKilnRecordSignature());
  pm.addPass(createKilnInstrumentProfile());
  if (backend == Backend::Dnnl) {
    ConvertKilnToDnnlOptions dnnl;
    dnnl.minWork = dnnlMinWork;
    pm.addPass(createConvertKilnToDnnl(dnnl));
    // oneDNN's AVX-512 kernels work on blocks of 16 channels, AVX2's on 8.
    KilnDnnlLayoutsOptions layouts;
    layouts.block = llvm::sys::getHostCPUFeatures().lookup("avx512f") ? 16 : 8;
    pm.addPass(createKilnDnnlLayouts(layouts));
  }
  pm.addPass(createKilnSignlessIntegers());
  pm.addPass(createConvertKilnToLinalg());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createKilnFuseElementwise());
  pm.addPass(createKilnCollapseDims());
  pm.addPass(createKilnEmptyBoundaryTensors());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  return pm.run(module);
}

LogicalResult kiln::runLLVMPipeline(ModuleOp module) {
  PassManager pm(module->getName());
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  bufferization::BufferResultsToOutParamsPassOptions outParams;
  outParams.hoistStaticAllocs = true;
  outParams.modifyPublicFunctions = true;
  pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));
  pm.addNestedPass<func::FuncOp>(bufferization::createBufferLoopHoistingPass());
  pm.addNestedPass<func::FuncOp>(createKilnLowerAttention());
  pm.addNestedPass<func::FuncOp>(createKilnLowerConvPool());
  pm.addPass(createKilnPlanBuffers());
  bufferization::BufferDeallocationPipelineOptions deallocation;
  bufferization::buildBufferDeallocationPipeline(pm, deallocation);
  pm.addPass(createKilnLowerDnnlCalls());
  pm.addPass(createKilnVectorizeContractions());
  pm.addPass(createKilnVectorizeGenerics());
  pm.addPass(createConvertLinalgToParallelLoopsPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createKilnParallelize());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createKilnApproximateMath());
  pm.addPass(createConvertMathToFuncs());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  ConvertFuncToLLVMPassOptions funcOptions;
  funcOptions.useBarePtrCallConv = true;
  pm.addPass(createConvertFuncToLLVMPass(funcOptions));
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createUBToLLVMConversionPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createKilnEmitEntryPoint());
  pm.addPass(createCanonicalizerPass());
  return pm.run(module);
}

bool kiln::usesDnnl(ModuleOp module) {
  return module.lookupSymbol("kiln_model_dnnl_program") != nullptr;
}

std::unique_ptr<llvm::TargetMachine>
kiln::createTargetMachine(llvm::StringRef cpu, std::string &error) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return nullptr;
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
    error = "cannot create a target machine for CPU '" + cpuName + "'";
  return machine;
}

std::unique_ptr<llvm::Module>
kiln::translateToLLVMIR(ModuleOp module, llvm::LLVMContext &context,
                        llvm::TargetMachine &machine) {
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, context, "kiln_model");
  if (!llvmModule)
    return nullptr;
  llvmModule->setDataLayout(machine.createDataLayout());
  llvmModule->setTargetTriple(machine.getTargetTriple());
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
      .run(*llvmModule, mam);
  return llvmModule;
}

bool kiln::emitMachineCode(llvm::Module &module, llvm::TargetMachine &machine,
                           llvm::raw_pwrite_stream &os, bool assembly,
                           std::string &error) {
  llvm::legacy::PassManager pm;
  if (machine.addPassesToEmitFile(pm, os, nullptr,
                                  assembly
                                      ? llvm::CodeGenFileType::AssemblyFile
                                      : llvm::CodeGenFileType::ObjectFile)) {
    error = "the target cannot emit this file type";
    return false;
  }
  pm.run(module);
  return true;
}

/// Links `objectPath` with the runtime libraries `libraries` (found in the
/// lib/ folder beside kilnc's bin/; the first `wholeArchives` of them linked
/// whole, for the functions nothing in the object calls) and `extraArgs`
/// into `outputPath`.
static bool linkWithRuntime(llvm::StringRef objectPath,
                            llvm::StringRef outputPath, llvm::StringRef argv0,
                            llvm::ArrayRef<llvm::StringRef> libraries,
                            size_t wholeArchives,
                            llvm::ArrayRef<std::string> extraArgs,
                            std::string &error) {
  // The runtime sits in ../lib beside kilnc's bin/ (build tree and install).
  std::string self = llvm::sys::fs::getMainExecutable(
      argv0.str().c_str(), (void *)&kiln::linkExecutable);
  llvm::SmallString<256> libDir(
      llvm::sys::path::parent_path(llvm::sys::path::parent_path(self)));
  llvm::sys::path::append(libDir, "lib");
  std::vector<std::string> paths;
  for (llvm::StringRef library : libraries) {
    llvm::SmallString<256> path(libDir);
    llvm::sys::path::append(path, library);
    if (!llvm::sys::fs::exists(path)) {
      error = "cannot find Kiln's runtime (" + path.str().str() + ")";
      return false;
    }
    paths.push_back(std::string(path));
  }
  const char *fromEnv = std::getenv("KILN_CXX");
  std::string linker = fromEnv && *fromEnv ? fromEnv : KILN_DEFAULT_CXX;
  auto program = llvm::sys::findProgramByName(linker);
  if (!program) {
    error = "cannot find the linker driver '" + linker +
            "' (set KILN_CXX to a C++ compiler driver)";
    return false;
  }
  std::string output = outputPath.str();
  llvm::SmallVector<llvm::StringRef> args = {*program, objectPath};
  for (auto [i, path] : llvm::enumerate(paths)) {
    if (i == 0 && wholeArchives > 0)
      args.push_back("-Wl,--whole-archive");
    args.push_back(path);
    if (i + 1 == wholeArchives)
      args.push_back("-Wl,--no-whole-archive");
  }
  for (const std::string &arg : extraArgs)
    args.push_back(arg);
  llvm::SmallVector<llvm::StringRef> buildFlags;
  llvm::StringRef(KILN_MODEL_LINK_FLAGS)
      .split(buildFlags, ' ', -1, /*KeepEmpty=*/false);
  args.append(buildFlags.begin(), buildFlags.end());
  args.append({"-fopenmp", "-lm", "-o", output});
  std::string message;
  int status = llvm::sys::ExecuteAndWait(*program, args, std::nullopt, {}, 0, 0,
                                         &message);
  if (status != 0) {
    error = "linking failed" + (message.empty() ? "" : ": " + message);
    return false;
  }
  return true;
}

bool kiln::linkExecutable(llvm::StringRef objectPath,
                          llvm::StringRef outputPath, llvm::StringRef argv0,
                          bool dnnl, std::string &error) {
  if (dnnl)
    return linkWithRuntime(
        objectPath, outputPath, argv0,
        {"libkiln_main.a", "libkiln_dnnl.a", "libkiln_runtime.a"}, 0,
        {"-ldnnl"}, error);
  return linkWithRuntime(objectPath, outputPath, argv0,
                         {"libkiln_main.a", "libkiln_runtime.a"}, 0, {}, error);
}

bool kiln::linkSharedLibrary(llvm::StringRef objectPath,
                             llvm::StringRef outputPath, llvm::StringRef argv0,
                             bool dnnl, std::string &error) {
  // Export the C API only, so that several models can share a process.
  llvm::SmallString<128> script;
  int fd;
  if (std::error_code ec = llvm::sys::fs::createTemporaryFile(
          "kiln-exports", "map", fd, script)) {
    error = "cannot create a temporary file: " + ec.message();
    return false;
  }
  llvm::FileRemover removeScript(script);
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os << "{ global: kiln_create; kiln_destroy; kiln_num_inputs; "
          "kiln_num_outputs; kiln_input_info; kiln_output_info; kiln_run;\n"
          "  local: *; };\n";
  }
  std::vector<std::string> extra = {"-shared", "-Wl,--version-script=" +
                                                   script.str().str()};
  if (dnnl) {
    extra.push_back("-ldnnl");
    return linkWithRuntime(
        objectPath, outputPath, argv0,
        {"libkiln_library.a", "libkiln_dnnl.a", "libkiln_runtime.a"}, 1, extra,
        error);
  }
  return linkWithRuntime(objectPath, outputPath, argv0,
                         {"libkiln_library.a", "libkiln_runtime.a"}, 1, extra,
                         error);
}

llvm::StringRef kiln::getModelHeader() {
  static const char header[] =
#include "KilnModelHeader.inc"
      ;
  return header;
}
/// Writes where a diagnostic points: the file, then a line and column or
/// the ONNX node.
static void printLocation(Location loc, llvm::raw_ostream &os) {
  if (auto name = llvm::dyn_cast<NameLoc>(loc)) {
    if (auto file = llvm::dyn_cast<FileLineColLoc>(name.getChildLoc()))
      os << file.getFilename().getValue() << ":";
    os << name.getName().getValue();
    return;
  }
  if (auto file = llvm::dyn_cast<FileLineColLoc>(loc)) {
    os << file.getFilename().getValue();
    if (file.getLine() != 0)
      os << ":" << file.getLine() << ":" << file.getColumn();
    return;
  }
  if (auto fused = llvm::dyn_cast<FusedLoc>(loc)) {
    if (!fused.getLocations().empty())
      return printLocation(fused.getLocations().front(), os);
  }
  if (auto callSite = llvm::dyn_cast<CallSiteLoc>(loc))
    return printLocation(callSite.getCallee(), os);
  os << "<unknown>";
}

void kiln::printDiagnostic(Diagnostic &diagnostic, llvm::raw_ostream &os) {
  auto print = [&](Diagnostic &d) {
    printLocation(d.getLocation(), os);
    switch (d.getSeverity()) {
    case DiagnosticSeverity::Error:
      os << ": error: ";
      break;
    case DiagnosticSeverity::Warning:
      os << ": warning: ";
      break;
    case DiagnosticSeverity::Note:
      os << ": note: ";
      break;
    case DiagnosticSeverity::Remark:
      os << ": remark: ";
      break;
    }
    os << d.str() << "\n";
  };
  print(diagnostic);
  for (Diagnostic &note : diagnostic.getNotes())
    print(note);
}

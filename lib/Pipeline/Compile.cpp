//===- Compile.cpp - From kiln IR to the stage asked for ------------------===//

#include "kiln/Pipeline/Compile.h"

#include "kiln/Conversion/ToLLVM/Passes.h"
#include "kiln/Pipeline/CodeGen.h"
#include "kiln/Pipeline/Pipelines.h"
#include "kiln/Runtime/ABI.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Linker/Linker.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"

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

bool kiln::isTextStage(EmitStage stage) {
  return stage != EmitStage::Obj && stage != EmitStage::Lib &&
         stage != EmitStage::Exe;
}

namespace {

/// A file written under a unique temporary name beside its final path and
/// renamed into place by keep(); removed if never kept (also when the
/// process is killed by a signal), so a failure never leaves a partial file.
class OutputFile {
public:
  /// Refuses a path that is a folder, a symbolic link to nothing or in a
  /// folder that does not exist, then creates the temporary file.
  static std::optional<OutputFile> create(llvm::StringRef path, Location loc) {
    auto refuse = [&](const llvm::Twine &why) {
      emitError(loc) << "cannot write " << path << ": " << why.str();
      return std::nullopt;
    };
    llvm::sys::fs::file_status status;
    if (!llvm::sys::fs::status(path, status)) {
      if (llvm::sys::fs::is_directory(status))
        return refuse("it is a folder");
      // Renaming a file over a device or a pipe would replace it.
      if (!llvm::sys::fs::is_regular_file(status))
        return refuse("it is not a regular file");
    }
    llvm::sys::fs::file_status link;
    if (!llvm::sys::fs::status(path, link, /*Follow=*/false) &&
        llvm::sys::fs::is_symlink_file(link) && !llvm::sys::fs::exists(path))
      return refuse("it is a symbolic link to a file that does not exist");
    llvm::StringRef folder = llvm::sys::path::parent_path(path);
    if (!folder.empty() && !llvm::sys::fs::is_directory(folder))
      return refuse("the folder " + folder + " does not exist");
    llvm::Expected<llvm::sys::fs::TempFile> temp =
        llvm::sys::fs::TempFile::create(path + ".kilnc-%%%%%%");
    if (!temp)
      return refuse(llvm::toString(temp.takeError()));
    return OutputFile(path, std::move(*temp), loc);
  }
  OutputFile(OutputFile &&other) = default;
  ~OutputFile() {
    if (temp)
      llvm::consumeError(temp->discard());
  }
  llvm::StringRef tempPath() const { return temp->TmpName; }
  int fd() const { return temp->FD; }
  LogicalResult keep() {
    llvm::Error error = temp->keep(path);
    temp.reset();
    if (error)
      return emitError(loc) << "cannot write " << path << ": "
                            << llvm::toString(std::move(error));
    return success();
  }

private:
  OutputFile(llvm::StringRef path, llvm::sys::fs::TempFile temp, Location loc)
      : path(path.str()), temp(std::move(temp)), loc(loc) {}
  std::string path;
  std::optional<llvm::sys::fs::TempFile> temp;
  Location loc;
};

/// Writes the stages of one compilation.
class Writer {
public:
  Writer(const kiln::CompileOptions &options, Location loc)
      : options(options), loc(loc) {
    if (!options.printWeights)
      flags.elideLargeResourceString(64);
  }

  /// Writes text produced by `print` to `path` ("" or "-": the text
  /// stream).
  LogicalResult
  text(llvm::StringRef path,
       llvm::function_ref<void(llvm::raw_pwrite_stream &)> print) {
    if (path.empty() || path == "-") {
      llvm::raw_ostream &os =
          options.textStream ? *options.textStream : llvm::outs();
      {
        llvm::buffer_ostream buffered(os);
        print(buffered);
      }
      os.flush();
      return success();
    }
    // A device or a pipe (-o /dev/null) is written in place.
    llvm::sys::fs::file_status status;
    if (!llvm::sys::fs::status(path, status) &&
        status.type() != llvm::sys::fs::file_type::regular_file &&
        status.type() != llvm::sys::fs::file_type::directory_file) {
      std::error_code ec;
      llvm::raw_fd_ostream os(path, ec);
      if (ec)
        return emitError(loc)
               << "cannot write " << path << ": " << ec.message();
      return printTo(os, path, print);
    }
    std::optional<OutputFile> file = OutputFile::create(path, loc);
    if (!file)
      return failure();
    {
      llvm::raw_fd_ostream os(file->fd(), /*shouldClose=*/false);
      if (failed(printTo(os, path, print)))
        return failure();
    }
    return file->keep();
  }

  /// Prints into `os` (the file at `path`) and flushes it; a write error
  /// becomes a diagnostic.
  LogicalResult
  printTo(llvm::raw_fd_ostream &os, llvm::StringRef path,
          llvm::function_ref<void(llvm::raw_pwrite_stream &)> print) {
    print(os);
    os.flush();
    if (!os.has_error())
      return success();
    std::string message = os.error().message();
    os.clear_error();
    return emitError(loc) << "cannot write " << path << ": " << message;
  }

  LogicalResult module(llvm::StringRef path, ModuleOp module) {
    return text(path, [&](llvm::raw_ostream &os) { module->print(os, flags); });
  }

  /// Writes a stage, numbered, into the dump folder (when there is one).
  LogicalResult dump(llvm::StringRef name,
                     llvm::function_ref<void(llvm::raw_ostream &)> print) {
    ++dumps;
    llvm::StringRef dir = options.dumpDir;
    if (dir.empty())
      return success();
    if (std::error_code error = llvm::sys::fs::create_directories(dir))
      return emitError(loc)
             << "cannot create " << dir << ": " << error.message();
    if (!llvm::sys::fs::is_directory(dir))
      return emitError(loc)
             << "cannot create " << dir << ": it is not a folder";
    llvm::SmallString<256> path(dir);
    llvm::sys::path::append(path, (dumps < 10 ? "0" : "") + llvm::Twine(dumps) +
                                      "-" + name);
    return text(path, [&](llvm::raw_pwrite_stream &os) { print(os); });
  }
  LogicalResult dumpModule(llvm::StringRef stage, ModuleOp module) {
    return dump((stage + ".mlir").str(),
                [&](llvm::raw_ostream &os) { module->print(os, flags); });
  }

private:
  const kiln::CompileOptions &options;
  Location loc;
  OpPrintingFlags flags;
  int dumps = 0;
};

/// The binary's path: the output given, else named after the model.
std::string binaryPath(const kiln::CompileOptions &options,
                       kiln::EmitStage stage) {
  if (!options.output.empty())
    return options.output;
  std::string stem = llvm::sys::path::stem(options.modelPath).str();
  return stage == kiln::EmitStage::Obj   ? stem + ".o"
         : stage == kiln::EmitStage::Lib ? "lib" + stem + ".so"
                                         : stem;
}

/// The name of the binary at `path` without "lib", ".so" or ".o": the
/// stem of its weights file and C header.
llvm::StringRef binaryName(llvm::StringRef path, kiln::EmitStage stage) {
  llvm::StringRef name = llvm::sys::path::filename(path);
  if (stage == kiln::EmitStage::Lib) {
    name.consume_front("lib");
    name.consume_back(".so");
  } else if (stage == kiln::EmitStage::Obj) {
    name.consume_back(".o");
  }
  return name;
}

/// `name` in the folder of `path`.
std::string besides(llvm::StringRef path, const llvm::Twine &name) {
  llvm::SmallString<256> result(llvm::sys::path::parent_path(path));
  llvm::sys::path::append(result, name);
  return std::string(result);
}

/// Takes the weights file's contents that kiln-externalize-weights left in
/// the module. The blob stays in the context's resources, not copied.
ArrayRef<char> takeWeights(ModuleOp module) {
  auto attr =
      module->getAttrOfType<DenseResourceElementsAttr>(kiln::kWeightsAttrName);
  ArrayRef<char> contents;
  if (attr)
    if (AsmResourceBlob *blob = attr.getRawHandle().getBlob())
      contents = blob->getData();
  module->removeAttr(kiln::kWeightsAttrName);
  return contents;
}

/// Gives the declared array of weights kept in the binary
/// (kiln-externalize-weights' `embed`) its contents, once the LLVM IR is
/// optimized: one array of bytes, which LLVM copies and writes as it is.
void defineWeights(llvm::Module &module, llvm::StringRef name,
                   ArrayRef<char> weights) {
  llvm::GlobalVariable *global = module.getGlobalVariable(name);
  if (!global || !global->isDeclaration())
    return;
  global->setInitializer(llvm::ConstantDataArray::getRaw(
      llvm::StringRef(weights.data(), weights.size()), weights.size(),
      llvm::Type::getInt8Ty(module.getContext())));
  global->setLinkage(llvm::GlobalValue::PrivateLinkage);
}

/// Lowers the model for blocks of samples as the main one and links it into
/// `main` with its ABI symbols renamed kiln_block_*; the constants both
/// hold (the weights) are kept once: its array of weights is the main
/// model's when their bytes are equal, else its own.
LogicalResult linkBlockModel(ModuleOp block,
                             const kiln::PipelineOptions &pipeline,
                             llvm::Module &main, llvm::TargetMachine &machine,
                             Location loc, bool &dnnl,
                             ArrayRef<char> mainWeights,
                             llvm::StringRef prefix = "kiln_block_") {
  MLIRContext *ctx = block.getContext();
  for (auto build : {kiln::buildGraphPipeline, kiln::buildFusionPipeline,
                     kiln::buildLinalgPipeline, kiln::buildLLVMPipeline}) {
    PassManager pm(ctx, ModuleOp::getOperationName());
    build(pm, pipeline);
    if (failed(pm.run(block)))
      return failure();
  }
  ArrayRef<char> blockWeights = takeWeights(block);
  dnnl = dnnl || kiln::usesDnnl(block);
  std::unique_ptr<llvm::Module> blockIR =
      kiln::translateToLLVMIR(block, main.getContext(), machine);
  if (!blockIR)
    return emitError(loc) << "translation to LLVM IR failed";
  if (llvm::GlobalVariable *data =
          blockIR->getGlobalVariable(kiln::abi::kModelWeightsData);
      data && blockWeights != mainWeights) {
    data->setName(prefix.str() + "weights_data");
    defineWeights(*blockIR, data->getName(), blockWeights);
  }
  for (llvm::GlobalValue &value : blockIR->global_values()) {
    if (value.hasLocalLinkage() || value.isDeclaration())
      continue;
    llvm::StringRef name = value.getName();
    // The ABI's symbols get the block's names; the others (its parallel
    // loops' bodies) stay inside.
    if (name.consume_front("kiln_model_"))
      value.setName(prefix.str() + name.str());
    else
      value.setLinkage(llvm::GlobalValue::InternalLinkage);
  }
  if (llvm::Linker::linkModules(main, std::move(blockIR)))
    return emitError(loc) << "cannot link the model's " << prefix << " variant";
  // Constants are uniqued in an LLVM context: equal weights share their
  // initializer.
  llvm::DenseMap<std::pair<llvm::Constant *, llvm::Type *>,
                 llvm::GlobalVariable *>
      seen;
  SmallVector<llvm::GlobalVariable *> duplicates;
  for (llvm::GlobalVariable &global : main.globals()) {
    if (!global.isConstant() || !global.hasLocalLinkage() ||
        !global.hasInitializer() || global.hasSection())
      continue;
    auto key = std::make_pair(global.getInitializer(), global.getValueType());
    auto [it, inserted] = seen.try_emplace(key, &global);
    if (inserted)
      continue;
    llvm::GlobalVariable *kept = it->second;
    if (global.getAlign().valueOrOne() > kept->getAlign().valueOrOne())
      kept->setAlignment(global.getAlign());
    duplicates.push_back(&global);
    global.replaceAllUsesWith(kept);
  }
  for (llvm::GlobalVariable *global : duplicates)
    global->eraseFromParent();
  return success();
}

/// Lists the buckets of a padded sequence linked into `main`
/// (kiln_bucketI_*) in `kiln_sequence_buckets`, one record per bucket
/// (see kiln/Runtime/Runtime.h), and their number in
/// `kiln_sequence_bucket_count`.
void defineBucketTable(llvm::Module &main, ArrayRef<int64_t> extents) {
  llvm::LLVMContext &ctx = main.getContext();
  auto *i64 = llvm::Type::getInt64Ty(ctx);
  auto *ptr = llvm::PointerType::get(ctx, 0);
  auto *record = llvm::StructType::get(
      ctx, {i64, ptr, ptr, ptr, ptr, ptr, ptr, ptr, ptr, ptr, ptr, ptr, ptr});
  SmallVector<llvm::Constant *> records;
  for (auto [i, extent] : llvm::enumerate(extents)) {
    std::string prefix = "kiln_bucket" + std::to_string(i) + "_";
    auto symbol = [&](llvm::StringRef name) -> llvm::Constant * {
      if (llvm::GlobalValue *value = main.getNamedValue(prefix + name.str()))
        return value;
      return llvm::ConstantPointerNull::get(ptr);
    };
    records.push_back(llvm::ConstantStruct::get(
        record,
        {llvm::ConstantInt::get(i64, extent), symbol("run"), symbol("task"),
         symbol("signature"), symbol("workspace_bytes"), symbol("dnnl_program"),
         symbol("dnnl_constants"), symbol("block_run"), symbol("block_task"),
         symbol("block_signature"), symbol("block_workspace_bytes"),
         symbol("block_dnnl_program"), symbol("block_dnnl_constants")}));
  }
  auto *arrayType = llvm::ArrayType::get(record, records.size());
  new llvm::GlobalVariable(
      main, arrayType, /*isConstant=*/true, llvm::GlobalValue::ExternalLinkage,
      llvm::ConstantArray::get(arrayType, records), "kiln_sequence_buckets");
  new llvm::GlobalVariable(main, i64, /*isConstant=*/true,
                           llvm::GlobalValue::ExternalLinkage,
                           llvm::ConstantInt::get(i64, records.size()),
                           "kiln_sequence_bucket_count");
}

} // namespace

LogicalResult kiln::compile(ModuleOp module, const CompileOptions &options,
                            EmitStage stopAt) {
  MLIRContext *ctx = module.getContext();
  Location loc = UnknownLoc::get(ctx);
  bool binary = !isTextStage(stopAt);
  if (options.externalWeights && !binary)
    return emitError(loc) << "--weights=external writes a weights file beside "
                             "a binary; use it with --emit=exe, lib or obj";
  if (binary && options.output == "-")
    return emitError(loc) << "--emit=" << getStageName(stopAt)
                          << " writes a binary file; give -o";

  Writer writer(options, loc);
  std::string output = binary ? binaryPath(options, stopAt) : options.output;
  PipelineOptions pipeline;
  pipeline.copyOptionValuesFrom(options.pipeline);
  if (options.externalWeights)
    pipeline.weightsFile = (binaryName(output, stopAt) + ".weights").str();
  // Past the LLVM dialect, the weights kept in the binary join its LLVM IR
  // after optimization.
  pipeline.embedWeights =
      stopAt == EmitStage::LLVMIR || stopAt == EmitStage::Asm || binary;

  // With --time-report, each stage is timed, its passes within it.
  TimingScope untimed;
  TimingScope &timing = options.timing ? *options.timing : untimed;
  // Each stage runs as its own pass manager so that it can be dumped.
  auto runPasses = [&](PassManager &pm, llvm::StringRef name) {
    TimingScope stage = timing.nest(name);
    if (options.timing)
      pm.enableTiming(stage);
    return pm.run(module);
  };
  auto runStage = [&](void (*build)(OpPassManager &, const PipelineOptions &),
                      llvm::StringRef dumpName) {
    PassManager pm(ctx, ModuleOp::getOperationName());
    build(pm, pipeline);
    if (failed(runPasses(pm, ("stage " + dumpName).str())))
      return failure();
    return writer.dumpModule(dumpName, module);
  };

  if (failed(runStage(buildGraphPipeline, "graph")))
    return failure();
  if (stopAt == EmitStage::Graph)
    return writer.module(output, module);
  if (failed(runStage(buildFusionPipeline, "fused")))
    return failure();
  if (stopAt == EmitStage::Fused)
    return writer.module(output, module);
  if (stopAt == EmitStage::Dot) {
    LogicalResult printed = success();
    if (failed(writer.text(output, [&](llvm::raw_ostream &os) {
          printed = printDot(module, os);
        })))
      return failure();
    return printed;
  }
  if (failed(runStage(buildLinalgPipeline, "linalg")))
    return failure();
  if (stopAt == EmitStage::Linalg)
    return writer.module(output, module);

  PassManager pm(ctx, ModuleOp::getOperationName());
  buildLLVMPipeline(pm, pipeline);
  if (failed(runPasses(pm, "stage llvm")))
    return failure();
  ArrayRef<char> weights = takeWeights(module);
  if (failed(writer.dumpModule("llvm", module)))
    return failure();
  if (stopAt == EmitStage::LLVMMLIR)
    return writer.module(output, module);

  bool dnnl = usesDnnl(module);
  std::unique_ptr<llvm::TargetMachine> machine =
      createTargetMachine(options.targetCPU, loc);
  if (!machine)
    return failure();
  llvm::LLVMContext llvmContext;
  TimingScope translating = timing.nest("LLVM IR");
  std::unique_ptr<llvm::Module> llvmModule =
      translateToLLVMIR(module, llvmContext, *machine, /*optimize=*/false);
  if (!llvmModule)
    return emitError(loc) << "translation to LLVM IR failed";
  // Once the binary is written: NAME.h beside libNAME.so, the weights
  // file, then the binary in place.
  auto finishBinary = [&](OutputFile &file) -> LogicalResult {
    llvm::StringRef headerName = llvm::sys::path::stem(output);
    headerName.consume_front("lib");
    if (stopAt == EmitStage::Lib &&
        failed(
            writer.text(besides(output, headerName + ".h"),
                        [](llvm::raw_ostream &os) { os << getModelHeader(); })))
      return failure();
    if (options.externalWeights &&
        failed(writer.text(besides(output, pipeline.weightsFile.getValue()),
                           [&](llvm::raw_ostream &os) {
                             os.write(weights.data(), weights.size());
                           })))
      return failure();
    return file.keep();
  };
  // An executable or library: `objects` linked with the runtime into the
  // binary, then the files beside it.
  auto linkBinary = [&](ArrayRef<std::string> objects,
                        OutputFile &file) -> LogicalResult {
    TimingScope linking = timing.nest("link");
    LinkKind kind = stopAt == EmitStage::Lib ? LinkKind::SharedLibrary
                                             : LinkKind::Executable;
    if (failed(linkModel(kind, objects, file.tempPath(), options.runtimeDir,
                         dnnl, loc)))
      return failure();
    linking.stop();
    return finishBinary(file);
  };
  // A large model's executable or library: its optimization and machine
  // code split over the hardware threads.
  unsigned parts = options.codegenThreads
                       ? std::min(options.codegenThreads, 64u)
                       : codegenParts(*llvmModule);
  if (parts > 1 && !options.blockModule && options.bucketModules.empty() &&
      options.dumpDir.empty() &&
      (stopAt == EmitStage::Exe || stopAt == EmitStage::Lib)) {
    translating.stop();
    std::optional<OutputFile> file = OutputFile::create(output, loc);
    if (!file)
      return failure();
    TimingScope machineCode =
        timing.nest("optimization and machine code in parallel");
    SmallVector<std::string> objects;
    auto removeObjects = llvm::make_scope_exit([&] {
      for (const std::string &path : objects)
        llvm::sys::fs::remove(path);
    });
    if (failed(emitObjectsInParallel(
            std::move(llvmModule), options.targetCPU, parts,
            options.externalWeights ? ArrayRef<char>() : weights,
            kiln::abi::kModelWeightsData, objects, loc)))
      return failure();
    machineCode.stop();
    return linkBinary(objects, *file);
  }
  translating.stop();
  TimingScope optimizing = timing.nest("LLVM optimization");
  optimizeLLVMIR(*llvmModule, *machine);
  optimizing.stop();
  if (options.blockModule && !isTextStage(stopAt)) {
    TimingScope blocks = timing.nest("model for blocks of samples");
    if (failed(linkBlockModel(options.blockModule, pipeline, *llvmModule,
                              *machine, loc, dnnl, weights)))
      return failure();
  }
  if (!options.bucketModules.empty() && !isTextStage(stopAt)) {
    TimingScope buckets = timing.nest("models for shorter sequences");
    SmallVector<int64_t> extents;
    for (auto [i, bucket] : llvm::enumerate(options.bucketModules)) {
      auto extent = bucket->getAttrOfType<IntegerAttr>("kiln.sequence_extent");
      extents.push_back(extent ? extent.getInt() : 0);
      std::string prefix = "kiln_bucket" + std::to_string(i) + "_";
      if (failed(linkBlockModel(bucket, pipeline, *llvmModule, *machine, loc,
                                dnnl, weights, prefix)))
        return failure();
      if (i < options.bucketBlockModules.size() &&
          options.bucketBlockModules[i] &&
          failed(linkBlockModel(options.bucketBlockModules[i], pipeline,
                                *llvmModule, *machine, loc, dnnl, weights,
                                prefix + "block_")))
        return failure();
    }
    defineBucketTable(*llvmModule, extents);
  }
  if (!options.externalWeights)
    defineWeights(*llvmModule, kiln::abi::kModelWeightsData, weights);
  auto printIR = [&](llvm::raw_ostream &os) { llvmModule->print(os, nullptr); };
  if (failed(writer.dump("ll", printIR)))
    return failure();
  if (stopAt == EmitStage::LLVMIR)
    return writer.text(output, printIR);
  if (stopAt == EmitStage::Asm) {
    LogicalResult emitted = success();
    if (failed(writer.text(output, [&](llvm::raw_pwrite_stream &os) {
          emitted = emitMachineCode(*llvmModule, *machine, os,
                                    /*assembly=*/true, loc);
        })))
      return failure();
    return emitted;
  }

  // The binary, written to a temporary file and renamed into place once
  // complete (after the weights file, which it names).
  std::optional<OutputFile> file = OutputFile::create(output, loc);
  if (!file)
    return failure();
  TimingScope machineCode = timing.nest("machine code");
  if (stopAt == EmitStage::Obj) {
    llvm::raw_fd_ostream os(file->fd(), /*shouldClose=*/false);
    if (failed(emitMachineCode(*llvmModule, *machine, os, false, loc)))
      return failure();
  } else {
    llvm::SmallString<128> objectPath;
    int fd;
    if (std::error_code ec = llvm::sys::fs::createTemporaryFile(
            "kiln-model", "o", fd, objectPath))
      return emitError(loc)
             << "cannot create a temporary file: " << ec.message();
    llvm::FileRemover removeObject(objectPath);
    {
      llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
      if (failed(emitMachineCode(*llvmModule, *machine, os, false, loc)))
        return failure();
    }
    machineCode.stop();
    return linkBinary({std::string(objectPath)}, *file);
  }
  return finishBinary(*file);
}

/// Fills `importOptions` and `range` from the shapes and binds of
/// `options`; returns the problem, or "" when they are well formed.
static std::string
parseModelOptions(llvm::StringRef modelPath, const kiln::ModelOptions &options,
                  kiln::onnx_frontend::ImportOptions &importOptions,
                  std::vector<kiln::OpenDimRange> &ranges) {
  if ((!options.shapes.empty() || !options.binds.empty()) &&
      modelPath.ends_with(".mlir"))
    return "--shape and --bind apply to ONNX and Keras inputs; kiln IR "
           "(.mlir) is statically shaped";
  for (llvm::StringRef spec : options.shapes) {
    auto [name, dims] = spec.rsplit('=');
    // SYMBOL=LO..HI: the open dim varies at run time within [LO, HI].
    if (dims.contains("..")) {
      auto [low, high] = dims.split("..");
      int64_t lo, hi;
      if (name.empty() || low.getAsInteger(10, lo) ||
          high.getAsInteger(10, hi) || lo < 0 || lo > hi ||
          hi > (int64_t(1) << 40))
        return "malformed --shape " + spec.str() +
               " (expected SYMBOL=LO..HI with 0 <= LO <= HI)";
      for (const kiln::OpenDimRange &range : ranges)
        if (range.symbol == name)
          return "--shape gives a range of '" + name.str() + "' twice";
      ranges.push_back(kiln::OpenDimRange{name.str(), lo, hi});
      continue;
    }
    llvm::SmallVector<int64_t> shape;
    if (name.empty() || !kiln::onnx_frontend::parseShape(dims, shape))
      return "malformed --shape " + spec.str() +
             " (expected NAME=D0xD1x..., e.g. input=1x3x224x224)";
    if (!importOptions.inputShapes.try_emplace(name, shape).second)
      return "--shape gives '" + name.str() + "' twice";
  }
  for (llvm::StringRef spec : options.binds) {
    auto [name, file] = spec.split('=');
    if (name.empty() || file.empty())
      return "malformed --bind " + spec.str() + " (expected NAME=FILE.pb)";
    if (!importOptions.boundInputs.try_emplace(name, file.str()).second)
      return "--bind gives '" + name.str() + "' twice";
  }
  if (options.openBatch)
    importOptions.openBatch = "batch";
  if (options.blockSamples < -1 || options.blockSamples > 4096)
    return "--block-samples must be in 0 to 4096";
  return "";
}

LogicalResult kiln::compileModelFile(llvm::StringRef modelPath,
                                     const ModelOptions &options,
                                     CompileOptions &compileOptions,
                                     EmitStage stopAt, MLIRContext &context) {
  onnx_frontend::ImportOptions importOptions;
  std::vector<kiln::OpenDimRange> ranges;
  std::string problem =
      parseModelOptions(modelPath, options, importOptions, ranges);
  if (!problem.empty())
    return emitError(UnknownLoc::get(&context)) << problem;
  DefaultTimingManager timingManager;
  timingManager.setEnabled(compileOptions.timeReport);
  timingManager.setDisplayMode(DefaultTimingManager::DisplayMode::Tree);
  TimingScope timing = timingManager.getRootScope();
  if (compileOptions.timeReport)
    compileOptions.timing = &timing;
  llvm::SourceMgr sourceMgr;
  TimingScope loading = timing.nest("load model");
  OwningOpRef<ModuleOp> module =
      loadModel(modelPath, sourceMgr, context, importOptions, ranges);
  if (!module)
    return failure();
  loading.stop();
  // A model whose open dim varies at run time is also compiled for blocks
  // of samples, into the same binary (not beside external weights: the
  // block's would be a second file).
  auto symbol = (*module)->getAttrOfType<StringAttr>("kiln.sample_symbol");
  int64_t blockSamples = options.blockSamples;
  if (blockSamples < 0)
    blockSamples =
        (*module)->hasAttr("kiln.sequence_symbol") ? 0 : kDefaultBlockSamples;
  auto sequence = (*module)->getAttrOfType<StringAttr>("kiln.sequence_symbol");
  for (const kiln::OpenDimRange &range : ranges) {
    if (sequence && sequence.getValue() == range.symbol)
      continue;
    if (!symbol || symbol.getValue() != range.symbol)
      return emitError(UnknownLoc::get(&context))
             << "--shape " << range.symbol
             << "=LO..HI: the model's dims that vary at run time are "
             << (symbol ? "'" + symbol.getValue().str() + "'"
                        : std::string("none"))
             << (sequence ? " and '" + sequence.getValue().str() + "'"
                          : std::string());
    Builder b(&context);
    (*module)->setAttr("kiln.sample_range",
                       b.getDenseI64ArrayAttr({range.low, range.high}));
    // No block larger than the largest batch.
    blockSamples = std::min(blockSamples, range.high);
  }
  // A padded sequence is padded to the smallest of its extents that holds
  // its length: the model's, and the buckets', each also for blocks.
  std::vector<OwningOpRef<ModuleOp>> buckets, bucketBlocks;
  if (sequence && !isTextStage(stopAt) && !compileOptions.externalWeights) {
    auto extent = (*module)->getAttrOfType<IntegerAttr>("kiln.sequence_extent");
    auto lengths =
        (*module)->getAttrOfType<DenseI64ArrayAttr>("kiln.sequence_range");
    TimingScope loadingBuckets =
        timing.nest("load model for shorter sequences");
    for (int64_t bucket :
         kiln::sequenceBuckets(lengths[0], lengths[1], extent.getInt())) {
      buckets.push_back(loadSequenceBucket(modelPath, sourceMgr, context,
                                           importOptions, *module, bucket));
      if (!buckets.back())
        return failure();
      compileOptions.bucketModules.push_back(*buckets.back());
      if (blockSamples > 1) {
        bucketBlocks.push_back(loadBlockModel(modelPath, sourceMgr, context,
                                              importOptions, *buckets.back(),
                                              blockSamples));
        if (!bucketBlocks.back())
          return failure();
      } else {
        bucketBlocks.emplace_back();
      }
      compileOptions.bucketBlockModules.push_back(
          bucketBlocks.back() ? *bucketBlocks.back() : ModuleOp());
    }
  }
  OwningOpRef<ModuleOp> block;
  if (symbol && blockSamples > 1 && !isTextStage(stopAt) &&
      !compileOptions.externalWeights) {
    TimingScope loadingBlock = timing.nest("load model for blocks of samples");
    block = loadBlockModel(modelPath, sourceMgr, context, importOptions,
                           *module, blockSamples);
    if (!block)
      return failure();
    compileOptions.blockModule = *block;
  }
  compileOptions.modelPath = modelPath.str();
  LogicalResult compiled = compile(*module, compileOptions, stopAt);
  compileOptions.timing = nullptr;
  compileOptions.bucketModules.clear();
  compileOptions.bucketBlockModules.clear();
  return compiled;
}

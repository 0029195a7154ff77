//===- Link.cpp - Linking a model with Kiln's runtime ---------------------===//

#include "kiln/Pipeline/CodeGen.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

/// The lib/ folder beside the bin/ folder of the running executable (the
/// build tree's and an installation's layout).
static std::string defaultRuntimeDir() {
  std::string self =
      llvm::sys::fs::getMainExecutable(nullptr, (void *)&defaultRuntimeDir);
  llvm::SmallString<256> dir(
      llvm::sys::path::parent_path(llvm::sys::path::parent_path(self)));
  llvm::sys::path::append(dir, "lib");
  return std::string(dir);
}

LogicalResult kiln::linkModel(LinkKind kind,
                              llvm::ArrayRef<std::string> objects,
                              llvm::StringRef outputPath,
                              llvm::StringRef runtimeDir, bool dnnl,
                              Location loc) {
  bool shared = kind == LinkKind::SharedLibrary;
  // The entry library first: the executable's main, or the C API, linked
  // whole for the functions nothing in the object calls.
  llvm::SmallVector<llvm::StringRef> libraries = {shared ? "libkiln_library.a"
                                                         : "libkiln_main.a"};
  if (dnnl)
    libraries.push_back("libkiln_dnnl.a");
  libraries.push_back("libkiln_runtime.a");

  std::string libDir =
      runtimeDir.empty() ? defaultRuntimeDir() : runtimeDir.str();
  std::vector<std::string> paths;
  for (llvm::StringRef library : libraries) {
    llvm::SmallString<256> path(libDir);
    llvm::sys::path::append(path, library);
    if (!llvm::sys::fs::exists(path))
      return emitError(loc) << "cannot find Kiln's runtime (" << path << ")";
    paths.push_back(std::string(path));
  }
  const char *fromEnv = std::getenv("KILN_CXX");
  std::string linker = fromEnv && *fromEnv ? fromEnv : KILN_DEFAULT_CXX;
  auto program = llvm::sys::findProgramByName(linker);
  if (!program)
    return emitError(loc) << "cannot find the linker driver '" << linker
                          << "' (set KILN_CXX to a C++ compiler driver)";

  llvm::SmallVector<std::string> args = {*program};
  args.append(objects.begin(), objects.end());
  // Export the C API only, so that several models can share a process.
  llvm::SmallString<128> script;
  std::optional<llvm::FileRemover> removeScript;
  if (shared) {
    int fd;
    if (std::error_code ec = llvm::sys::fs::createTemporaryFile(
            "kiln-exports", "map", fd, script))
      return emitError(loc)
             << "cannot create a temporary file: " << ec.message();
    removeScript.emplace(script);
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os << "{ global: kiln_create; kiln_create_threads; kiln_destroy; "
          "kiln_num_inputs; "
          "kiln_num_outputs; kiln_input_info; kiln_output_info; kiln_run;\n"
          "kiln_dim_symbol; kiln_output_shapes; kiln_run_shaped; "
          "kiln_set_threads; "
          "kiln_profile; kiln_sequence_symbol; kiln_sequence_axis;\n"
          "kiln_sequence_range;\n"
          "  local: *; };\n";
    args.push_back("-shared");
    args.push_back("-Wl,--version-script=" + script.str().str());
    args.push_back("-Wl,--whole-archive");
  }
  for (auto [i, path] : llvm::enumerate(paths)) {
    args.push_back(path);
    if (shared && i == 0)
      args.push_back("-Wl,--no-whole-archive");
  }
  if (dnnl)
    args.push_back("-ldnnl");
  llvm::SmallVector<llvm::StringRef> buildFlags;
  llvm::StringRef(KILN_MODEL_LINK_FLAGS)
      .split(buildFlags, ' ', -1, /*KeepEmpty=*/false);
  for (llvm::StringRef flag : buildFlags)
    args.push_back(flag.str());
  for (const char *arg : {"-fopenmp", "-lm", "-o"})
    args.push_back(arg);
  args.push_back(outputPath.str());

  llvm::SmallVector<llvm::StringRef> argRefs(args.begin(), args.end());
  std::string message;
  int status = llvm::sys::ExecuteAndWait(*program, argRefs, std::nullopt, {}, 0,
                                         0, &message);
  if (status != 0) {
    InFlightDiagnostic diag = emitError(loc) << "linking failed";
    if (!message.empty())
      diag << ": " << message;
    return diag;
  }
  return success();
}

llvm::StringRef kiln::getModelHeader() {
  static const char header[] =
#include "KilnModelHeader.inc"
      ;
  return header;
}

//===- Compiler.h - The compile library, as kiln._core calls it -*- C++ -*-===//
//
// The extension module is built with RTTI (nanobind needs it) and LLVM and
// MLIR without; this header keeps their types out of the module's
// translation unit, which sees only standard C++.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PYTHON_COMPILER_H
#define KILN_PYTHON_COMPILER_H

#include <cstdint>
#include <string>
#include <vector>

namespace kiln::python {

/// kiln.compile's options, as kilnc's command line spells them.
struct CompileRequest {
  std::string model;
  /// The shared library to write.
  std::string output;
  std::string backend = "dnnl";
  std::string weights = "embedded";
  std::string targetCPU = "native";
  /// Where libkiln_runtime.a and its siblings are.
  std::string runtimeDir;
  bool fuse = true;
  bool openBatch = false;
  int64_t blockSamples = 16;
  /// -1: the default.
  int64_t dnnlMinWork = -1;
  std::vector<std::string> shapes, binds;
};

/// One diagnostic: its severity ("error", "warning", "note", "remark"),
/// where it points ("" for the compiler's own errors) and what it says.
struct Message {
  std::string severity, location, text;
};

/// Compiles `request.model` into the shared library `request.output`;
/// false when it failed, with the reasons in `messages`.
bool compileLibrary(const CompileRequest &request,
                    std::vector<Message> &messages);

} // namespace kiln::python

#endif // KILN_PYTHON_COMPILER_H

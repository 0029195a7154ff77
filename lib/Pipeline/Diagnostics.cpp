//===- Diagnostics.cpp - Diagnostics as Kiln's users read them ------------===//

#include "kiln/Pipeline/Compile.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

void kiln::printLocation(Location loc, llvm::raw_ostream &os) {
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

void kiln::printDiagnostic(Diagnostic &diagnostic, llvm::raw_ostream &os,
                           llvm::StringRef tool) {
  auto print = [&](Diagnostic &d) {
    // Errors of the compiler's own (files it cannot write, a linker it
    // cannot find) point nowhere in the model.
    if (llvm::isa<UnknownLoc>(d.getLocation()) &&
        d.getSeverity() == DiagnosticSeverity::Error) {
      os << tool << ": " << d.str() << "\n";
      return;
    }
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

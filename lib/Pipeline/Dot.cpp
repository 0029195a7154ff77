//===- Dot.cpp - The model graph for Graphviz -----------------------------===//
//
// kilnc --emit=dot draws `main` as a Graphviz digraph: graph inputs and
// outputs as ellipses, each op as a box labelled with its kind and the
// ONNX node it came from, an edge per tensor passed, labelled with its
// shape. An op made by fusion (kiln.fused_conv, kiln.attention built from
// several nodes) sits in a cluster labelled with the nodes it replaced.
// Constants (weights) are left out.
//
//===----------------------------------------------------------------------===//

#include "kiln/Pipeline/Compile.h"

#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;

namespace {

/// `text` quoted for Graphviz.
std::string quote(StringRef text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  return out + "\"";
}

/// The ONNX node names in `loc`, outermost first.
void nodeNames(Location loc, SmallVectorImpl<std::string> &names) {
  if (auto fused = llvm::dyn_cast<FusedLoc>(loc)) {
    for (Location inner : fused.getLocations())
      nodeNames(inner, names);
    return;
  }
  if (auto name = llvm::dyn_cast<NameLoc>(loc)) {
    std::string text = name.getName().str();
    if (!llvm::is_contained(names, text))
      names.push_back(text);
  }
}

std::string shapeOf(Type type) {
  auto tensor = llvm::dyn_cast<RankedTensorType>(type);
  if (!tensor)
    return "";
  std::string text;
  llvm::raw_string_ostream os(text);
  os << tensor.getElementType() << " [";
  llvm::interleave(tensor.getShape(), os, "x");
  os << "]";
  return text;
}

} // namespace

LogicalResult kiln::printDot(ModuleOp module, llvm::raw_ostream &os) {
  auto func = module.lookupSymbol<func::FuncOp>("main");
  if (!func || func.isExternal()) {
    module.emitError() << "expected a function 'main' to draw";
    return failure();
  }
  os << "digraph model {\n"
     << "  rankdir=TB;\n"
     << "  graph [fontname=\"Helvetica\"];\n"
     << "  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n"
     << "  edge [fontname=\"Helvetica\", fontsize=9];\n";
  llvm::DenseMap<Value, std::string> source;
  for (auto [i, arg] : llvm::enumerate(func.getArguments())) {
    std::string id = "in" + std::to_string(i);
    auto name = func.getArgAttrOfType<StringAttr>(i, "kiln.name");
    os << "  " << id << " [shape=ellipse, label="
       << quote((name ? name.getValue().str() : id) + "\n" +
                shapeOf(arg.getType()))
       << "];\n";
    source[arg] = id;
  }
  int64_t count = 0, clusters = 0;
  for (Operation &op : func.getBody().front()) {
    if (llvm::isa<ConstantOp>(op))
      continue;
    if (op.hasTrait<OpTrait::IsTerminator>()) {
      for (auto [i, value] : llvm::enumerate(op.getOperands())) {
        std::string id = "out" + std::to_string(i);
        auto name = func.getResultAttrOfType<StringAttr>(i, "kiln.name");
        os << "  " << id << " [shape=ellipse, label="
           << quote(name ? name.getValue().str() : id) << "];\n";
        if (source.count(value))
          os << "  " << source[value] << " -> " << id
             << " [label=" << quote(shapeOf(value.getType())) << "];\n";
      }
      continue;
    }
    std::string id = "op" + std::to_string(count++);
    SmallVector<std::string> names;
    nodeNames(op.getLoc(), names);
    std::string label = op.getName().getStringRef().str();
    bool fused = llvm::isa<FusedConvOp, FusedConvTransposeOp, FusedMatMulOp,
                           AttentionOp>(op) &&
                 names.size() > 1;
    if (!fused && !names.empty())
      label += "\n" + names.front();
    if (fused) {
      os << "  subgraph cluster_" << clusters++ << " {\n"
         << "    style=\"rounded,filled\"; fillcolor=\"#e8f0fe\"; "
            "color=\"#4a7bd0\";\n"
         << "    label=" << quote("fused: " + llvm::join(names, ", "))
         << ";\n    ";
    } else {
      os << "  ";
    }
    os << id << " [label=" << quote(label) << "];\n";
    if (fused)
      os << "  }\n";
    for (Value operand : op.getOperands())
      if (source.count(operand))
        os << "  " << source[operand] << " -> " << id
           << " [label=" << quote(shapeOf(operand.getType())) << "];\n";
    for (Value result : op.getResults())
      source[result] = id;
  }
  os << "}\n";
  return success();
}

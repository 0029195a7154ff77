//===- RecordSignature.cpp - The model's signature for the runtime
//---------===//
//
// kiln-record-signature writes the model's inputs and outputs as text on
// the module while it still has named tensors; kiln-emit-entry-point later
// turns that text into the `kiln_model_signature` global the runtime reads
// (see kiln/Runtime/Runtime.h).
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/Kiln/IR/KilnOps.h"
#include "kiln/Dialect/Kiln/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/SymbolTable.h"

namespace kiln {
#define GEN_PASS_DEF_KILNRECORDSIGNATURE
#include "kiln/Dialect/Kiln/Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

/// `text` as one field of a signature line: blanks become '_'.
std::string fieldOf(StringRef text) {
  std::string field = text.str();
  for (char &c : field)
    if (c == ' ' || c == '\n' || c == '\t')
      c = '_';
  return field;
}

struct RecordSignaturePass
    : kiln::impl::KilnRecordSignatureBase<RecordSignaturePass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    // The model is `main`, or the module's only function (kiln IR files).
    auto func = module.lookupSymbol<func::FuncOp>("main");
    auto funcs = module.getOps<func::FuncOp>();
    if (!func && std::distance(funcs.begin(), funcs.end()) == 1) {
      func = *funcs.begin();
      SymbolTable::setSymbolName(func, "main");
    }
    if (!func) {
      module.emitError() << "the model needs a function named 'main' (or a "
                            "single function)";
      return signalPassFailure();
    }
    std::string text;
    // A model whose open dim varies at run time names it, and each tensor
    // that holds the samples gives their axis after its dims.
    if (auto symbol = module->getAttrOfType<StringAttr>("kiln.sample_symbol")) {
      std::string label = fieldOf(symbol.getValue());
      text += "symbol " + label;
      if (auto range =
              module->getAttrOfType<DenseI64ArrayAttr>("kiln.sample_range");
          range && range.size() == 2)
        text += " " + std::to_string(range[0]) + " " + std::to_string(range[1]);
      text += "\n";
    }
    // A padded sequence: its name, the extent its positions are padded to
    // and the lengths it takes; each tensor that holds the positions gives
    // their axis as `seq=AXIS`, and the input of the actual length says
    // `length`.
    if (auto symbol =
            module->getAttrOfType<StringAttr>("kiln.sequence_symbol")) {
      std::string label = fieldOf(symbol.getValue());
      auto extent = module->getAttrOfType<IntegerAttr>("kiln.sequence_extent");
      auto range =
          module->getAttrOfType<DenseI64ArrayAttr>("kiln.sequence_range");
      if (!extent || !range || range.size() != 2) {
        module.emitError() << "a padded sequence needs its extent and range";
        return signalPassFailure();
      }
      text += "sequence " + label + " " + std::to_string(extent.getInt()) +
              " " + std::to_string(range[0]) + " " + std::to_string(range[1]) +
              "\n";
    }
    auto describe = [&](StringRef direction, Type type, StringAttr name,
                        StringRef fallback, IntegerAttr sampleAxis,
                        IntegerAttr sampleBlocks, IntegerAttr sequenceAxis,
                        bool length) -> LogicalResult {
      auto tensor = llvm::dyn_cast<RankedTensorType>(type);
      int code = tensor ? (int)kiln::abiDType(tensor.getElementType()) : 0;
      if (!code || !tensor.hasStaticShape())
        return func.emitError() << "unsupported: a model " << direction
                                << "put of type " << type;
      std::string label = fieldOf(name ? name.getValue() : fallback);
      text += direction.str() + " " + label + " " + std::to_string(code) + " ";
      if (tensor.getRank() == 0)
        text += "-";
      for (auto [i, dim] : llvm::enumerate(tensor.getShape()))
        text += (i ? "x" : "") + std::to_string(dim);
      if (sampleAxis)
        text += " " + std::to_string(sampleAxis.getInt());
      if (sampleAxis && sampleBlocks)
        text += ":" + std::to_string(sampleBlocks.getInt());
      if (sequenceAxis)
        text += " seq=" + std::to_string(sequenceAxis.getInt());
      if (length)
        text += " length";
      text += "\n";
      return success();
    };
    for (unsigned i = 0; i < func.getNumArguments(); ++i)
      if (failed(describe(
              "in", func.getArgument(i).getType(),
              func.getArgAttrOfType<StringAttr>(i, "kiln.name"),
              "input_" + std::to_string(i),
              func.getArgAttrOfType<IntegerAttr>(i, "kiln.sample_axis"), {},
              func.getArgAttrOfType<IntegerAttr>(i, "kiln.sequence_axis"),
              func.getArgAttr(i, "kiln.sequence_length") != nullptr)))
        return signalPassFailure();
    for (unsigned i = 0; i < func.getNumResults(); ++i) {
      if (auto check = func.getResultAttrOfType<StringAttr>(i, "kiln.check")) {
        text += "check " + check.getValue().str() + "\n";
        continue;
      }
      if (failed(describe(
              "out", func.getResultTypes()[i],
              func.getResultAttrOfType<StringAttr>(i, "kiln.name"),
              "output_" + std::to_string(i),
              func.getResultAttrOfType<IntegerAttr>(i, "kiln.sample_axis"),
              func.getResultAttrOfType<IntegerAttr>(i, "kiln.sample_blocks"),
              func.getResultAttrOfType<IntegerAttr>(i, "kiln.sequence_axis"),
              false)))
        return signalPassFailure();
    }
    module->setAttr("kiln.signature", StringAttr::get(&getContext(), text));
  }
};

} // namespace

//===- LoadModel.cpp - Reading a model file into kiln IR ------------------===//

#include "kiln/Pipeline/Compile.h"

#include "kiln/Dialect/Kiln/IR/KilnOps.h"
#include "kiln/Dialect/Kiln/Transforms/SampleAxes.h"
#include "kiln/Frontend/Keras/Importer.h"
#include "kiln/Frontend/ONNX/Importer.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"

#include <cstring>

using namespace mlir;
using namespace kiln;

/// Imports an ONNX or Keras model with the open dims as `symbols` says.
static OwningOpRef<ModuleOp>
importModel(llvm::StringRef path, llvm::SourceMgr &sourceMgr,
            MLIRContext &context, const onnx_frontend::ImportOptions &given,
            SymbolicDims *symbols) {
  onnx_frontend::ImportOptions options = given;
  options.symbols = symbols;
  Location fileLoc = FileLineColLoc::get(&context, path, 0, 0);
  llvm::StringRef ext = llvm::sys::path::extension(path);
  if (llvm::sys::fs::is_directory(path)) {
    emitError(fileLoc) << "is a directory, not a model file";
    return {};
  }
  bool kerasExt = ext == ".keras" || ext == ".h5" || ext == ".hdf5";
  if (ext != ".mlir" && ext != ".onnxtxt") {
    // Keras files are recognised by their content (a zip or an HDF5 file),
    // whatever their name.
    auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                              /*RequiresNullTerminator=*/false);
    if (std::error_code error = buffer.getError()) {
      emitError(fileLoc) << "cannot read: " << error.message();
      return {};
    }
    llvm::StringRef bytes = (*buffer)->getBuffer();
    if (kerasExt || keras_frontend::isKerasModel(bytes)) {
      if (!options.boundInputs.empty()) {
        emitError(fileLoc) << "--bind applies to ONNX models, not Keras ones";
        return {};
      }
      keras_frontend::ImportOptions kerasOptions;
      kerasOptions.symbols = symbols;
      for (const auto &entry : options.inputShapes)
        kerasOptions.inputShapes[entry.getKey()] = entry.getValue();
      return keras_frontend::importKerasBuffer(bytes, path, context,
                                               kerasOptions);
    }
    if (ext != ".onnx") {
      emitError(fileLoc) << "unknown model format '" << ext
                         << "': expected .onnx, .onnxtxt, .keras, .h5 or "
                            ".mlir";
      return {};
    }
    return onnx_frontend::importModelBuffer(bytes, path, /*textual=*/false,
                                            context, options);
  }
  if (ext == ".onnxtxt")
    return onnx_frontend::importModelFile(path, context, options);
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (std::error_code error = buffer.getError()) {
    emitError(fileLoc) << "cannot read: " << error.message();
    return {};
  }
  sourceMgr.AddNewSourceBuffer(std::move(*buffer), llvm::SMLoc());
  return parseSourceFile<ModuleOp>(sourceMgr, &context);
}

/// Probe value of the open dim: a prime no real model has as a dim, so that
/// the samples cannot be mistaken for another axis.
static constexpr int64_t kProbe = 257, kSecondProbe = 263;

/// Whether constants `a` and `b`, of a model imported with its sequence
/// padded to `extentA` and `extentB` positions, hold the same values for the
/// positions both have, along the one axis whose extent is a multiple of
/// theirs (positions computed by Range over the length, a table sliced to
/// it): the padded model then computes the real positions right.
static bool samePositions(kiln::ConstantOp a, kiln::ConstantOp b,
                          int64_t extentA, int64_t extentB) {
  auto typeA = llvm::cast<RankedTensorType>(a.getType());
  auto typeB = llvm::cast<RankedTensorType>(b.getType());
  if (typeA.getRank() != typeB.getRank() ||
      typeA.getElementType() != typeB.getElementType() ||
      !typeA.getElementType().isIntOrFloat() ||
      typeA.getElementTypeBitWidth() % 8 != 0)
    return false;
  std::optional<int64_t> axis;
  for (int64_t d = 0; d < typeA.getRank(); ++d) {
    int64_t dimA = typeA.getDimSize(d), dimB = typeB.getDimSize(d);
    if (dimA == dimB)
      continue;
    if (axis || dimA % extentA != 0 || dimB % extentB != 0 ||
        dimA / extentA != dimB / extentB)
      return false;
    axis = d;
  }
  std::optional<ArrayRef<char>> bytesA = constantBytes(a.getValue());
  std::optional<ArrayRef<char>> bytesB = constantBytes(b.getValue());
  if (!axis || !bytesA || !bytesB)
    return false;
  int64_t outer = 1, inner = typeA.getElementTypeBitWidth() / 8;
  for (int64_t d = 0; d < *axis; ++d)
    outer *= typeA.getDimSize(d);
  for (int64_t d = *axis + 1; d < typeA.getRank(); ++d)
    inner *= typeA.getDimSize(d);
  int64_t rowA = typeA.getDimSize(*axis) * inner;
  int64_t rowB = typeB.getDimSize(*axis) * inner;
  if ((int64_t)bytesA->size() != outer * rowA ||
      (int64_t)bytesB->size() != outer * rowB)
    return false;
  // The shorter one's rows are the first of the longer one's.
  int64_t common = std::min(rowA, rowB);
  for (int64_t o = 0; o < outer; ++o)
    if (std::memcmp(bytesA->data() + o * rowA, bytesB->data() + o * rowB,
                    common) != 0)
      return false;
  return true;
}

/// Fails, at the first op that differs, unless `a` and `b` (a model
/// imported with its open dim at two probe values) are the same graph with
/// the same constants but for splats, which fit any size (and, with
/// `extentA`, positions computed the same at both extents: samePositions).
static LogicalResult checkSizeIndependent(func::FuncOp a, func::FuncOp b,
                                          llvm::StringRef symbol,
                                          int64_t extentA = 0,
                                          int64_t extentB = 0) {
  auto refuse = [&](Operation *op, const Twine &what) {
    InFlightDiagnostic diag = op->emitError();
    diag << what << "; Kiln cannot let '" << symbol
         << "' vary at run time: pin it with --shape " << symbol << "=SIZE";
    if (extentA)
      diag << ", or, if the model takes fewer positions than Kiln padded it "
              "to ("
           << std::max(extentA, extentB) << "; a table of positions shorter, "
           << "say), give the longest length it takes with --shape " << symbol
           << "=1..N";
    return failure();
  };
  if (!b)
    return a.emitError() << "the second import has no 'main'";
  Block &blockA = a.getBody().front(), &blockB = b.getBody().front();
  auto itB = blockB.begin();
  for (Operation &opA : blockA) {
    if (itB == blockB.end() || opA.getName() != itB->getName())
      return refuse(&opA, "the graph changes with the size of the open dim");
    Operation &opB = *itB++;
    // Constants that only decided shapes are folded away and left unused.
    auto constA = llvm::dyn_cast<kiln::ConstantOp>(opA);
    if (!constA || constA->use_empty())
      continue;
    auto valueA = llvm::dyn_cast<DenseElementsAttr>(constA.getValue());
    auto valueB = llvm::dyn_cast<DenseElementsAttr>(
        llvm::cast<kiln::ConstantOp>(opB).getValue());
    Attribute attrB = llvm::cast<kiln::ConstantOp>(opB).getValue();
    if (constA.getValue() == attrB)
      continue;
    // Weights: blobs of the same bytes (each import has its own).
    auto blobA = llvm::dyn_cast<DenseResourceElementsAttr>(constA.getValue());
    auto blobB = llvm::dyn_cast<DenseResourceElementsAttr>(attrB);
    if (blobA && blobB && blobA.getType() == blobB.getType()) {
      AsmResourceBlob *dataA = blobA.getRawHandle().getBlob();
      AsmResourceBlob *dataB = blobB.getRawHandle().getBlob();
      if (dataA && dataB &&
          dataA->getData().size() == dataB->getData().size() &&
          std::memcmp(dataA->getData().data(), dataB->getData().data(),
                      dataA->getData().size()) == 0)
        continue;
    }
    bool sameSplat =
        valueA && valueB && valueA.isSplat() && valueB.isSplat() &&
        valueA.getSplatValue<Attribute>() == valueB.getSplatValue<Attribute>();
    // A sequence's positions may be computed from its length, when the
    // padded model computes the real ones the same at every extent.
    if (!sameSplat && extentA &&
        samePositions(constA, llvm::cast<kiln::ConstantOp>(opB), extentA,
                      extentB))
      continue;
    if (!sameSplat)
      return refuse(&opA, "this value is computed from the size of the open "
                          "dim (by Shape, Size or Range over it)");
  }
  return success();
}

namespace {
/// The sample axes of `func`'s arguments for the open dims `probed`.
FailureOr<SmallVector<std::optional<int64_t>>>
argumentAxes(func::FuncOp func, llvm::ArrayRef<SymbolicDim> probed) {
  SmallVector<std::optional<int64_t>> axes(func.getNumArguments());
  // An input the graph does not take (never read) has no axis to follow.
  for (const SymbolicDim &dim : probed) {
    for (unsigned i = 0; i < func.getNumArguments(); ++i) {
      auto name = func.getArgAttrOfType<StringAttr>(i, "kiln.name");
      if (!name || name.getValue() != dim.input)
        continue;
      if (axes[i])
        return func.emitError()
               << "unsupported: input '" << dim.input << "' has the open dim '"
               << dim.symbol << "' on two axes; pin it with --shape "
               << dim.symbol << "=SIZE";
      axes[i] = dim.axis;
    }
  }
  return axes;
}
} // namespace

namespace {
bool isPrime(int64_t n) {
  if (n < 2)
    return false;
  for (int64_t d = 2; d * d <= n; ++d)
    if (n % d == 0)
      return false;
  return true;
}

/// The extent a sequence of at most `bound` positions is padded to: a
/// prime, so that the analysis cannot mistake another dim for the
/// positions, distinct from the batch's probes.
int64_t sequenceExtent(int64_t bound) {
  int64_t n = std::max<int64_t>(bound, 17);
  while (!isPrime(n) || n == kProbe || n == kSecondProbe)
    ++n;
  return n;
}

/// The extent of the second import, which must give the same graph: the
/// prime below `extent`, so that a model that takes at most `extent`
/// positions (a table of them) imports at both.
int64_t checkExtent(int64_t extent) {
  int64_t n = extent - 1;
  while (n > 2 && (!isPrime(n) || n == kProbe || n == kSecondProbe))
    --n;
  return n;
}

/// For the second open dim of `graph` (imported with one sample and the
/// positions of `symbol` at `extent`): checks that no value is computed
/// from the length and records the axes of the inputs that hold the
/// positions; kiln-bound-sequence follows them once the graph is fused.
LogicalResult openSequence(func::FuncOp graph, func::FuncOp other,
                           const std::string &symbol, int64_t extent,
                           const OpenDimRange &range,
                           ArrayRef<SymbolicDim> probed) {
  if (failed(checkSizeIndependent(graph, other, symbol, extent,
                                  checkExtent(extent))))
    return failure();
  Builder b(graph.getContext());
  for (const SymbolicDim &dim : probed) {
    if (dim.symbol != symbol)
      continue;
    for (unsigned i = 0; i < graph.getNumArguments(); ++i) {
      auto name = graph.getArgAttrOfType<StringAttr>(i, "kiln.name");
      if (!name || name.getValue() != dim.input)
        continue;
      auto sample = graph.getArgAttrOfType<IntegerAttr>(i, "kiln.sample_axis");
      if (graph.getArgAttr(i, "kiln.sequence_axis") ||
          (sample && sample.getInt() == (int64_t)dim.axis))
        return graph.emitError()
               << "unsupported: input '" << dim.input << "' has the open dim '"
               << symbol << "' on two axes; pin it with --shape " << symbol
               << "=SIZE";
      graph.setArgAttr(i, "kiln.sequence_axis", b.getI64IntegerAttr(dim.axis));
    }
  }
  ModuleOp module = graph->getParentOfType<ModuleOp>();
  module->setAttr("kiln.sequence_symbol", b.getStringAttr(symbol));
  module->setAttr("kiln.sequence_extent", b.getI64IntegerAttr(extent));
  module->setAttr("kiln.sequence_range",
                  b.getDenseI64ArrayAttr({std::max<int64_t>(range.low, 1),
                                          std::min(range.high, extent)}));
  return success();
}
} // namespace

OwningOpRef<ModuleOp>
kiln::loadModel(llvm::StringRef path, llvm::SourceMgr &sourceMgr,
                MLIRContext &context,
                const onnx_frontend::ImportOptions &options,
                llvm::ArrayRef<OpenDimRange> ranges) {
  llvm::StringRef ext = llvm::sys::path::extension(path);
  if (ext == ".mlir")
    return importModel(path, sourceMgr, context, options, nullptr);
  // First with every open dim at the probe value, to find them.
  SymbolicDims probing;
  probing.probe = kProbe;
  OwningOpRef<ModuleOp> probed =
      importModel(path, sourceMgr, context, options, &probing);
  Location fileLoc = FileLineColLoc::get(&context, path, 0, 0);
  if (!probed && !probing.probed.empty()) {
    const SymbolicDim &dim = probing.probed.front();
    emitError(fileLoc) << "the model was imported with its open dim '"
                       << dim.symbol << "' at " << kProbe
                       << " to find out whether it can vary at run time; "
                          "pin it with --shape "
                       << dim.symbol << "=SIZE";
  }
  if (!probed || probing.probed.empty())
    return probed;
  std::string symbol = probing.probed.front().symbol;
  llvm::SmallVector<std::string> others;
  for (const SymbolicDim &dim : probing.probed)
    if (dim.symbol != symbol && !llvm::is_contained(others, dim.symbol))
      others.push_back(dim.symbol);
  if (others.size() > 1) {
    InFlightDiagnostic diag = emitError(fileLoc);
    diag << "unsupported: the model leaves more than two dims open (";
    for (const SymbolicDim &dim : probing.probed)
      diag << (&dim == &probing.probed.front() ? "" : ", ") << "'" << dim.symbol
           << "': input '" << dim.input << "' dim " << dim.axis;
    diag << "); Kiln lets two of them, '" << symbol << "' (the batch) and '"
         << others.front()
         << "' (a sequence length), vary at run time: pin the others with";
    for (const std::string &other : llvm::drop_begin(others))
      diag << " --shape " << other << "=SIZE";
    return {};
  }
  // A second open dim is a sequence length: its positions are padded to an
  // extent of at least the largest length asked for.
  std::optional<std::string> sequence;
  OpenDimRange sequenceRange;
  int64_t extent = 0, secondExtent = 0;
  std::vector<SymbolicDim> allProbed = probing.probed;
  if (!others.empty()) {
    sequence = others.front();
    sequenceRange = {*sequence, 1, kDefaultSequenceBound};
    for (const OpenDimRange &range : ranges)
      if (range.symbol == *sequence)
        sequenceRange = range;
    if (sequenceRange.high < 1) {
      emitError(fileLoc) << "--shape " << *sequence
                         << "=LO..HI: a sequence needs at least one position";
      return {};
    }
    extent = sequenceExtent(sequenceRange.high);
    secondExtent = checkExtent(extent);
    SymbolicDims again;
    again.probe = kProbe;
    again.values[*sequence] = extent;
    probed = importModel(path, sourceMgr, context, options, &again);
    if (!probed) {
      emitError(fileLoc) << "the model was imported with its open dims '"
                         << symbol << "' at " << kProbe << " and '" << *sequence
                         << "' at " << extent
                         << " to find out whether they can vary at run time "
                            "(the second as a sequence length); pin them with "
                            "--shape "
                         << symbol << "=SIZE --shape " << *sequence << "=SIZE";
      return {};
    }
    probing = std::move(again);
  }
  auto main = probed->lookupSymbol<func::FuncOp>("main");
  if (!main) {
    emitError(fileLoc) << "the imported model has no 'main'";
    return {};
  }
  auto inputAxes = argumentAxes(main, probing.probed);
  if (failed(inputAxes))
    return {};
  // A second probe: a value that differs between the two imports is
  // computed from the open dim's size (Shape, Size, Range over it) and
  // would be wrong at any other size.
  SymbolicDims second;
  second.probe = kSecondProbe;
  if (sequence)
    second.values[*sequence] = extent;
  OwningOpRef<ModuleOp> secondModule =
      importModel(path, sourceMgr, context, options, &second);
  if (!secondModule)
    return {};
  if (failed(checkSizeIndependent(
          main, secondModule->lookupSymbol<func::FuncOp>("main"), symbol)))
    return {};
  FailureOr<SampleAxes> axes = findSampleAxes(main, *inputAxes, kProbe);
  if (failed(axes)) {
    emitError(fileLoc) << "the open dim '" << symbol
                       << "' cannot vary at run time; pin it with --shape "
                       << symbol << "=SIZE";
    return {};
  }
  // Then with one sample: the graph the runtime runs once per sample.
  SymbolicDims single;
  single.values[symbol] = 1;
  if (sequence)
    single.values[*sequence] = extent;
  OwningOpRef<ModuleOp> module =
      importModel(path, sourceMgr, context, options, &single);
  if (!module)
    return {};
  auto graph = module->lookupSymbol<func::FuncOp>("main");
  auto sameBoundary = [&](TypeRange probeTypes, TypeRange types,
                          ArrayRef<std::optional<int64_t>> sampleAxes) {
    if (probeTypes.size() != types.size())
      return false;
    for (auto [probeType, type, axis] :
         llvm::zip(probeTypes, types, sampleAxes)) {
      auto a = llvm::cast<RankedTensorType>(probeType);
      auto b = llvm::cast<RankedTensorType>(type);
      if (a.getRank() != b.getRank())
        return false;
      for (int64_t d = 0; d < a.getRank(); ++d)
        if (axis && d == *axis ? a.getDimSize(d) != kProbe * b.getDimSize(d)
                               : a.getDimSize(d) != b.getDimSize(d))
          return false;
    }
    return true;
  };
  if (!graph ||
      !sameBoundary(main.getArgumentTypes(), graph.getArgumentTypes(),
                    axes->inputs) ||
      !sameBoundary(main.getResultTypes(), graph.getResultTypes(),
                    axes->outputs)) {
    emitError(fileLoc) << "unsupported: the model's inputs or outputs change "
                          "rank or shape with '"
                       << symbol << "' (a Squeeze of all unit dims, say); pin "
                       << "it with --shape " << symbol << "=SIZE";
    return {};
  }
  Builder b(&context);
  for (auto [i, axis] : llvm::enumerate(axes->inputs))
    if (axis)
      graph.setArgAttr(i, "kiln.sample_axis", b.getI64IntegerAttr(*axis));
  for (auto [i, axis] : llvm::enumerate(axes->outputs)) {
    if (!axis)
      continue;
    graph.setResultAttr(i, "kiln.sample_axis", b.getI64IntegerAttr(*axis));
    if (axes->outputBlocks[i] != 1)
      graph.setResultAttr(i, "kiln.sample_blocks",
                          b.getI64IntegerAttr(axes->outputBlocks[i]));
  }
  (*module)->setAttr("kiln.sample_symbol", b.getStringAttr(symbol));
  if (sequence) {
    SymbolicDims other;
    other.values[symbol] = 1;
    other.values[*sequence] = secondExtent;
    OwningOpRef<ModuleOp> otherModule =
        importModel(path, sourceMgr, context, options, &other);
    if (!otherModule)
      return {};
    if (failed(openSequence(graph,
                            otherModule->lookupSymbol<func::FuncOp>("main"),
                            *sequence, extent, sequenceRange, allProbed))) {
      emitError(fileLoc) << "the open dim '" << *sequence
                         << "' cannot vary at run time; pin it with --shape "
                         << *sequence << "=SIZE";
      return {};
    }
  }
  return module;
}

/// Whether `variant` (the model imported again at other sizes) takes and
/// gives the tensors of `model`, but along the axis its attribute `axisName`
/// gives (`kiln.sample_axis`, `kiln.sequence_axis`), where its extent is
/// the model's times `num` / `den`; with `ranksOnly`, the results are only
/// compared by rank (their axes unknown yet).
static bool sameScaled(func::FuncOp model, func::FuncOp variant,
                       StringRef axisName, int64_t num, int64_t den,
                       bool ranksOnly = false) {
  if (!variant || variant.getNumArguments() != model.getNumArguments() ||
      variant.getNumResults() != model.getNumResults())
    return false;
  auto scaled = [&](Type modelType, Type variantType, Attribute axisAttr) {
    auto a = llvm::cast<RankedTensorType>(modelType);
    auto b = llvm::cast<RankedTensorType>(variantType);
    auto axis = llvm::dyn_cast_or_null<IntegerAttr>(axisAttr);
    if (a.getRank() != b.getRank())
      return false;
    for (int64_t d = 0; d < a.getRank(); ++d)
      if (axis && axis.getInt() == d
              ? b.getDimSize(d) * den != a.getDimSize(d) * num
              : b.getDimSize(d) != a.getDimSize(d))
        return false;
    return true;
  };
  for (unsigned i = 0; i < model.getNumArguments(); ++i)
    if (!scaled(model.getArgumentTypes()[i], variant.getArgumentTypes()[i],
                model.getArgAttr(i, axisName)))
      return false;
  for (unsigned i = 0; i < model.getNumResults(); ++i)
    if (ranksOnly
            ? llvm::cast<RankedTensorType>(model.getResultTypes()[i])
                      .getRank() !=
                  llvm::cast<RankedTensorType>(variant.getResultTypes()[i])
                      .getRank()
            : !scaled(model.getResultTypes()[i], variant.getResultTypes()[i],
                      model.getResultAttr(i, axisName)))
      return false;
  return true;
}

OwningOpRef<ModuleOp>
kiln::loadBlockModel(llvm::StringRef path, llvm::SourceMgr &sourceMgr,
                     MLIRContext &context,
                     const onnx_frontend::ImportOptions &options,
                     ModuleOp single, int64_t samples) {
  Location fileLoc = FileLineColLoc::get(&context, path, 0, 0);
  auto symbol = single->getAttrOfType<StringAttr>("kiln.sample_symbol");
  auto main = single.lookupSymbol<func::FuncOp>("main");
  if (!symbol || !main) {
    emitError(fileLoc) << "the model has no open dim to run in blocks";
    return {};
  }
  SymbolicDims pinned;
  pinned.values[symbol.getValue()] = samples;
  // A padded sequence keeps its extent.
  auto sequence = single->getAttrOfType<StringAttr>("kiln.sequence_symbol");
  auto extent = single->getAttrOfType<IntegerAttr>("kiln.sequence_extent");
  if (sequence && extent)
    pinned.values[sequence.getValue()] = extent.getInt();
  OwningOpRef<ModuleOp> module =
      importModel(path, sourceMgr, context, options, &pinned);
  if (!module)
    return {};
  auto graph = module->lookupSymbol<func::FuncOp>("main");
  if (!sameScaled(main, graph, "kiln.sample_axis", samples, 1)) {
    emitError(fileLoc) << "the model for blocks of " << samples << " '"
                       << symbol.getValue()
                       << "' does not take and give as many times the "
                          "tensors of the model for one";
    return {};
  }
  graph.setAllArgAttrs(main.getAllArgAttrs());
  graph.setAllResultAttrs(main.getAllResultAttrs());
  (*module)->setAttr("kiln.sample_symbol", symbol);
  for (StringRef name :
       {"kiln.sequence_symbol", "kiln.sequence_extent", "kiln.sequence_range"})
    if (Attribute value = single->getAttr(name))
      (*module)->setAttr(name, value);
  return module;
}

std::vector<int64_t> kiln::sequenceBuckets(int64_t low, int64_t high,
                                           int64_t extent) {
  // 16, 32, 64, ... below the bound, each padded to its prime; a bucket
  // below the shortest length is never used.
  std::vector<int64_t> candidates;
  for (int64_t bound = 16; bound < high; bound *= 2) {
    int64_t padded = sequenceExtent(bound);
    if (padded < extent && padded >= low &&
        (candidates.empty() || padded > candidates.back()))
      candidates.push_back(padded);
  }
  if (candidates.size() <= 4)
    return candidates;
  // At most four, spread from the largest down.
  std::vector<int64_t> kept;
  size_t stride = (candidates.size() + 3) / 4;
  for (size_t i = candidates.size(); i > 0 && kept.size() < 4;
       i -= std::min(stride, i))
    kept.insert(kept.begin(), candidates[i - 1]);
  return kept;
}

OwningOpRef<ModuleOp>
kiln::loadSequenceBucket(llvm::StringRef path, llvm::SourceMgr &sourceMgr,
                         MLIRContext &context,
                         const onnx_frontend::ImportOptions &options,
                         ModuleOp model, int64_t extent) {
  Location fileLoc = FileLineColLoc::get(&context, path, 0, 0);
  auto sample = model->getAttrOfType<StringAttr>("kiln.sample_symbol");
  auto sequence = model->getAttrOfType<StringAttr>("kiln.sequence_symbol");
  auto modelExtent = model->getAttrOfType<IntegerAttr>("kiln.sequence_extent");
  auto range = model->getAttrOfType<DenseI64ArrayAttr>("kiln.sequence_range");
  auto main = model.lookupSymbol<func::FuncOp>("main");
  if (!sample || !sequence || !modelExtent || !range || range.size() != 2 ||
      !main) {
    emitError(fileLoc) << "the model has no padded sequence";
    return {};
  }
  SymbolicDims pinned;
  pinned.values[sample.getValue()] = 1;
  pinned.values[sequence.getValue()] = extent;
  OwningOpRef<ModuleOp> module =
      importModel(path, sourceMgr, context, options, &pinned);
  if (!module)
    return {};
  auto graph = module->lookupSymbol<func::FuncOp>("main");
  if (graph && failed(checkSizeIndependent(graph, main, sequence.getValue(),
                                           extent, modelExtent.getInt())))
    return {};
  // Its tensors are the model's, with `extent` positions for its extent.
  // The outputs' axes are known once kiln-bound-sequence has run: their
  // ranks are compared here, their extents at run time (the bucket's
  // signature).
  if (!sameScaled(main, graph, "kiln.sequence_axis", extent,
                  modelExtent.getInt(), /*ranksOnly=*/true)) {
    emitError(fileLoc) << "the model padded to " << extent << " '"
                       << sequence.getValue()
                       << "' does not take and give the tensors of the model "
                          "padded to "
                       << modelExtent.getInt();
    return {};
  }
  graph.setAllArgAttrs(main.getAllArgAttrs());
  graph.setAllResultAttrs(main.getAllResultAttrs());
  Builder b(&context);
  (*module)->setAttr("kiln.sample_symbol", sample);
  if (auto sampleRange = model->getAttr("kiln.sample_range"))
    (*module)->setAttr("kiln.sample_range", sampleRange);
  (*module)->setAttr("kiln.sequence_symbol", sequence);
  (*module)->setAttr("kiln.sequence_extent", b.getI64IntegerAttr(extent));
  (*module)->setAttr(
      "kiln.sequence_range",
      b.getDenseI64ArrayAttr({range[0], std::min<int64_t>(range[1], extent)}));
  return module;
}

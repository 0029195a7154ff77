//===- ExternalizeWeights.cpp - Weights in a file beside the model --------===//
//
// kiln-externalize-weights (`--weights=external`): the model's constant
// tensors of 64 bytes or more leave the object file for a weights file (its
// format: kiln/Runtime/ABI.h). In the model, each address of a moved constant
// becomes `kiln_model_weights_base + offset`, and
// kiln_model_weights_{bytes,id,file} say what the runtime must map (see
// lib/Runtime/Weights.cpp). The file's contents are left in the module
// attribute `kiln.weights` for the compiler to write.
//
//===----------------------------------------------------------------------===//

#include "kiln/Conversion/ToLLVM/Passes.h"
#include "kiln/Runtime/ABI.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

namespace kiln {
#define GEN_PASS_DEF_KILNEXTERNALIZEWEIGHTS
#include "kiln/Conversion/ToLLVM/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

using kiln::abi::kWeightsAlignment;
using kiln::abi::kWeightsHeaderBytes;

/// The row-major bytes of a constant's initializer, or nullopt for values
/// that stay in the object file (small, bits, not a dense tensor, or a
/// splat when `embed`).
std::optional<ArrayRef<char>> rawBytes(Attribute value, std::string &splat,
                                       bool embed) {
  auto elements = llvm::dyn_cast_if_present<ElementsAttr>(value);
  if (!elements)
    return std::nullopt;
  Type element = elements.getElementType();
  if (!element.isIntOrFloat() || element.getIntOrFloatBitWidth() % 8 != 0)
    return std::nullopt;
  size_t width = element.getIntOrFloatBitWidth() / 8;
  size_t bytes = (size_t)elements.getNumElements() * width;
  if (bytes < (embed ? kiln::abi::kEmbeddedWeightsMinBytes
                     : kiln::abi::kWeightsMinBytes))
    return std::nullopt;
  ArrayRef<char> data;
  if (auto dense = llvm::dyn_cast<DenseElementsAttr>(elements)) {
    data = dense.getRawData();
    if (dense.isSplat()) {
      if (embed)
        return std::nullopt;
      splat.clear();
      splat.reserve(bytes);
      for (int64_t i = 0; i < elements.getNumElements(); ++i)
        splat.append(data.data(), width);
      data = ArrayRef<char>(splat.data(), splat.size());
    }
  } else if (auto resource =
                 llvm::dyn_cast<DenseResourceElementsAttr>(elements)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return std::nullopt;
    data = blob->getData();
  } else {
    return std::nullopt;
  }
  if (data.size() != bytes)
    return std::nullopt;
  return data;
}

/// Moves the weights out of `module` for a file named `fileName`, or into
/// the array `kiln_model_weights_data` when `embed`; returns the file's
/// contents (with `embed`, its payload alone).
FailureOr<std::string> externalizeWeights(ModuleOp module, StringRef fileName,
                                          bool embed) {
  // The embedded array is the payload alone: no header to leave room for.
  size_t headerBytes = embed ? 0 : kWeightsHeaderBytes;
  std::string file(headerBytes, '\0');
  llvm::StringMap<uint64_t> offsets;
  SmallVector<LLVM::GlobalOp> moved;
  std::string splat;
  for (auto global : module.getOps<LLVM::GlobalOp>()) {
    if (!global.getConstant() ||
        (global.getLinkage() != LLVM::Linkage::Internal &&
         global.getLinkage() != LLVM::Linkage::Private))
      continue;
    std::optional<ArrayRef<char>> data =
        rawBytes(global.getValueOrNull(), splat, embed);
    if (!data)
      continue;
    file.resize((file.size() + kWeightsAlignment - 1) / kWeightsAlignment *
                    kWeightsAlignment,
                '\0');
    offsets[global.getSymName()] = file.size() - headerBytes;
    file.append(data->data(), data->size());
    moved.push_back(global);
  }
  uint64_t payload = file.size() - headerBytes;

  // Each use of a moved constant's address: the mapped base plus its offset.
  MLIRContext *ctx = module.getContext();
  auto ptr = LLVM::LLVMPointerType::get(ctx);
  SmallVector<LLVM::AddressOfOp> uses;
  module.walk([&](LLVM::AddressOfOp op) {
    if (offsets.count(op.getGlobalName()))
      uses.push_back(op);
  });
  for (LLVM::AddressOfOp op : uses) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    Value slot =
        LLVM::AddressOfOp::create(b, loc, ptr, kiln::abi::kModelWeightsBase);
    auto base = LLVM::LoadOp::create(b, loc, ptr, slot, /*alignment=*/8,
                                     /*isVolatile=*/false,
                                     /*isNonTemporal=*/false,
                                     /*isInvariant=*/true);
    // An i64 offset: a constant GEP index is only 32 bits wide, and the
    // weights may pass 2 GiB.
    Value offset = LLVM::ConstantOp::create(
        b, loc, b.getI64Type(),
        b.getI64IntegerAttr((int64_t)offsets[op.getGlobalName()]));
    Value address = LLVM::GEPOp::create(b, loc, ptr, b.getI8Type(), base,
                                        ArrayRef<LLVM::GEPArg>{offset},
                                        LLVM::GEPNoWrapFlags::inbounds);
    op.replaceAllUsesWith(address);
    op.erase();
  }
  for (LLVM::GlobalOp global : moved)
    global.erase();

  if (embed) {
    if (moved.empty())
      return std::string();
    // kiln_model_weights_base starts at the array, which the compiler
    // defines once the LLVM IR is optimized.
    auto base =
        module.lookupSymbol<LLVM::GlobalOp>(kiln::abi::kModelWeightsBase);
    if (!base || base.getInitializerRegion().empty())
      return module.emitError()
             << "expected the global '" << kiln::abi::kModelWeightsBase
             << "' of kiln-emit-entry-point";
    OpBuilder b(ctx);
    b.setInsertionPoint(base);
    auto arrayType =
        LLVM::LLVMArrayType::get(IntegerType::get(ctx, 8), payload);
    LLVM::GlobalOp::create(b, base.getLoc(), arrayType, /*isConstant=*/true,
                           LLVM::Linkage::External,
                           kiln::abi::kModelWeightsData, Attribute(),
                           kWeightsAlignment);
    Operation *returned = base.getInitializerRegion().front().getTerminator();
    Operation *null = returned->getOperand(0).getDefiningOp();
    b.setInsertionPoint(returned);
    Value address = LLVM::AddressOfOp::create(b, base.getLoc(), ptr,
                                              kiln::abi::kModelWeightsData);
    returned->setOperands(address);
    if (null && null->use_empty())
      null->erase();
    return file;
  }

  kiln::abi::WeightsHeader header;
  header.payloadBytes = payload;
  header.hash = kiln::abi::fnv1a(file.data() + headerBytes, payload);
  kiln::abi::encodeWeightsHeader(header, file.data());
  uint64_t hash = header.hash;

  // What the runtime maps: set the values kiln-emit-entry-point defined.
  auto setValue = [&](StringRef name, Attribute value) -> LogicalResult {
    auto global = module.lookupSymbol<LLVM::GlobalOp>(name);
    if (!global)
      return module.emitError()
             << "expected the global '" << name << "' of kiln-emit-entry-point";
    if (auto text = llvm::dyn_cast<StringAttr>(value))
      global.setGlobalTypeAttr(TypeAttr::get(LLVM::LLVMArrayType::get(
          IntegerType::get(ctx, 8), text.getValue().size())));
    global.setValueAttr(value);
    return success();
  };
  std::string name = fileName.str();
  name.push_back('\0');
  OpBuilder b(ctx);
  if (failed(setValue(kiln::abi::kModelWeightsBytes,
                      b.getI64IntegerAttr((int64_t)payload))) ||
      failed(setValue(kiln::abi::kModelWeightsId,
                      b.getI64IntegerAttr((int64_t)hash))) ||
      failed(setValue(kiln::abi::kModelWeightsFile, b.getStringAttr(name))))
    return failure();
  return file;
}

struct KilnExternalizeWeightsPass
    : kiln::impl::KilnExternalizeWeightsBase<KilnExternalizeWeightsPass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<std::string> contents = externalizeWeights(module, file, embed);
    if (failed(contents))
      return signalPassFailure();
    if (contents->empty())
      return;
    auto type = RankedTensorType::get({(int64_t)contents->size()},
                                      IntegerType::get(&getContext(), 8));
    AsmResourceBlob blob = HeapAsmResourceBlob::allocateAndCopyInferAlign(
        ArrayRef<char>(contents->data(), contents->size()));
    module->setAttr(
        kiln::kWeightsAttrName,
        DenseResourceElementsAttr::get(type, "kiln_weights", std::move(blob)));
  }
};

} // namespace

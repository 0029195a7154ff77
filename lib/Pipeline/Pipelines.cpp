//===- Pipelines.cpp - Kiln's named pass pipelines ------------------------===//

#include "kiln/Pipeline/Pipelines.h"

#include "kiln/Codegen/Passes.h"
#include "kiln/Conversion/KilnToDnnl/Passes.h"
#include "kiln/Conversion/KilnToLinalg/Passes.h"
#include "kiln/Conversion/ToLLVM/Passes.h"
#include "kiln/Dialect/Kiln/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/TargetParser/Host.h"

using namespace mlir;

/// Whether the host has AVX-512: the blocks of oneDNN's layouts and the
/// generated kernels' register blocks follow its vector registers.
static bool hostHasAvx512() {
  return llvm::sys::getHostCPUFeatures().lookup("avx512f");
}

void kiln::buildGraphPipeline(OpPassManager &pm,
                              const PipelineOptions &options) {
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void kiln::buildFusionPipeline(OpPassManager &pm,
                               const PipelineOptions &options) {
  if (!options.fuse)
    return;
  bool report = options.fusionReport;
  // Activations written as chains of ops become kiln.unary first, so that
  // every fusion below sees them.
  pm.addPass(createKilnMatchActivations({report}));
  // Batch norms fold into the convolution or gemm before them while those
  // are still plain ops with constant weights.
  pm.addPass(createKilnFoldBatchNorm({report}));
  pm.addPass(createKilnFuseConv({report}));
  // Attention before matrix products: its Q.K^T and P.V products must still
  // be kiln.matmul for the pattern to match.
  pm.addPass(createKilnFuseAttention({report}));
  pm.addPass(createKilnFuseMatMul({report}));
  pm.addPass(createCanonicalizerPass());
}

void kiln::buildLinalgPipeline(OpPassManager &pm,
                               const PipelineOptions &options) {
  // kiln-check-indices adds its range results to main before the signature
  // is recorded, so that the signature lists them as checks.
  pm.addPass(createKilnBoundSequence());
  pm.addPass(createKilnCheckIndices());
  // The signature keeps the model's own element types (unsigned ones too),
  // so it is recorded before kiln-signless-integers.
  pm.addPass(createKilnRecordSignature());
  // Profiling brackets kiln ops, so it runs before any of them lowers.
  pm.addPass(createKilnInstrumentProfile());
  if (options.backend == Backend::Dnnl) {
    ConvertKilnToDnnlOptions dnnl;
    dnnl.minWork = options.dnnlMinWork;
    dnnl.recurrenceBatch = options.dnnlRecurrenceBatch;
    dnnl.deconvMinChannels = options.dnnlDeconvMinChannels;
    dnnl.winograd = options.dnnlWinograd;
    pm.addPass(createConvertKilnToDnnl(dnnl));
    // oneDNN's AVX-512 kernels work on blocks of 16 channels, AVX2's on 8.
    KilnDnnlLayoutsOptions layouts;
    layouts.block = options.dnnlBlock;
    if (layouts.block == 0)
      layouts.block = hostHasAvx512() ? 16 : 8;
    pm.addPass(createKilnDnnlLayouts(layouts));
  }
  pm.addPass(createKilnSignlessIntegers());
  pm.addPass(createConvertKilnToLinalg());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createKilnFuseElementwise());
  // Collapsing runs after fusion so that it sees each loop nest whole.
  pm.addPass(createKilnCollapseDims());
  pm.addPass(createKilnEmptyBoundaryTensors());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void kiln::buildLLVMPipeline(OpPassManager &pm,
                             const PipelineOptions &options) {
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  // A tensor.empty that an op fills and then inserts into a larger tensor
  // becomes a slice of that tensor, so the op writes in place.
  pm.addPass(bufferization::createEmptyTensorEliminationPass());
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  bufferization::BufferResultsToOutParamsPassOptions outParams;
  outParams.hoistStaticAllocs = true;
  outParams.modifyPublicFunctions = true;
  pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));
  pm.addNestedPass<func::FuncOp>(bufferization::createBufferLoopHoistingPass());
  // The kernels allocate their scratch beside the op; kiln-plan-buffers
  // then packs it with the other intermediates.
  pm.addNestedPass<func::FuncOp>(createKilnLowerAttention());
  pm.addNestedPass<func::FuncOp>(createKilnLowerConvPool());
  pm.addPass(createKilnPlanBuffers());
  bufferization::BufferDeallocationPipelineOptions deallocation;
  bufferization::buildBufferDeallocationPipeline(pm, deallocation);
  pm.addPass(createKilnLowerDnnlCalls());
  // The vectorizers rewrite linalg on buffers; what they leave becomes
  // parallel loops, of which kiln-parallelize outlines the large ones.
  // With AVX-512, blocks of 6 rows x 4 vectors of 16 floats: 24 of its 32
  // registers. Without it, where LLVM splits each vector in two, 6 x 2.
  KilnVectorizeContractionsOptions contractions;
  contractions.vectors = hostHasAvx512() ? 4 : 2;
  pm.addPass(createKilnVectorizeContractions(contractions));
  pm.addPass(createKilnVectorizeGenerics());
  // A forall's iterations (a recurrent layer's two directions) become a
  // parallel loop's, for kiln-parallelize too.
  pm.addPass(createForallToParallelLoopPass());
  pm.addPass(createConvertLinalgToParallelLoopsPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createKilnParallelize());
  pm.addPass(createSCFToControlFlowPass());
  // expand-strided-metadata introduces affine.apply: lower-affine after it.
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  // Polynomials for the math ops that have them; the rest become libm
  // calls.
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
  // Fills in the weights globals kiln-emit-entry-point defines.
  if (!options.weightsFile.empty())
    pm.addPass(createKilnExternalizeWeights({options.weightsFile}));
  else if (options.embedWeights)
    pm.addPass(createKilnExternalizeWeights({"", /*embed=*/true}));
}

void kiln::registerPipelines() {
  PassPipelineRegistration<PipelineOptions>(
      "kiln-graph-pipeline", "kilnc's graph stage (--emit=graph)",
      buildGraphPipeline);
  PassPipelineRegistration<PipelineOptions>(
      "kiln-fusion-pipeline", "kilnc's fusion stage (--emit=fused)",
      buildFusionPipeline);
  PassPipelineRegistration<PipelineOptions>(
      "kiln-linalg-pipeline", "kilnc's linalg stage (--emit=linalg)",
      buildLinalgPipeline);
  PassPipelineRegistration<PipelineOptions>(
      "kiln-llvm-pipeline", "kilnc's LLVM-dialect stage (--emit=llvm-mlir)",
      buildLLVMPipeline);
}

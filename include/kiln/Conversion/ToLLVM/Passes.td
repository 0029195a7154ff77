//===- Passes.td - Passes on the LLVM dialect --------------*- tablegen -*-===//

#ifndef KILN_CONVERSION_TOLLVM_PASSES_TD
#define KILN_CONVERSION_TOLLVM_PASSES_TD

include "mlir/Pass/PassBase.td"

def KilnApproximateMath : Pass<"kiln-approximate-math"> {
  let summary = "Replace f32 math library calls with polynomial approximations";
  let description = [{
    Rewrites f32 `math` ops that upstream MLIR approximates (exp, expm1,
    log, log1p, log2, tanh, erf, sin, cos, atan, atan2, ...) into
    polynomial arithmetic accurate to a few ULP, so that loops calling them
    vectorize instead of calling libm once per element.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::vector::VectorDialect"];
}

def KilnEmitEntryPoint : Pass<"kiln-emit-entry-point", "mlir::ModuleOp"> {
  let summary = "Define the runtime's entry point and signature globals";
  let description = [{
    On the LLVM dialect: defines `kiln_model_run(ptr)`, which loads one
    buffer pointer per input and output and calls `@main` (lowered with the
    bare-pointer calling convention), the global string
    `kiln_model_signature` from the module's `kiln.signature` attribute and
    `kiln_model_profile_ops` from `kiln.profile_ops` (empty without it) and
    the 64-bit `kiln_model_workspace_bytes` from `kiln.workspace_bytes` (0
    without it; otherwise the graph's last argument is the workspace).
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def KilnExternalizeWeights
    : Pass<"kiln-externalize-weights", "mlir::ModuleOp"> {
  let summary = "Move the large constants of an LLVM-dialect model to a weights file";
  let description = [{
    `--weights=external`. Runs after kiln-emit-entry-point, on the LLVM
    dialect. Every internal constant global of 64 bytes or more holding a
    dense tensor leaves the module for the contents of a weights file: a
    64-byte header (`KILNWTS1`, the payload size, the payload's 64-bit FNV-1a
    hash) and the payload, each tensor at a 64-byte aligned offset. Each
    `llvm.mlir.addressof` of a moved global becomes a load of
    `kiln_model_weights_base` plus the global's offset, and
    `kiln_model_weights_{bytes,id,file}` say what the runtime maps (the
    file named `file`, beside the binary). The file's contents become the
    module attribute `kiln.weights` (a `tensor<Nxi8>` resource), which the
    compiler writes out and removes.

    With `embed`, the weights stay in the binary, as one byte array that the
    compiler adds after optimizing the LLVM IR (translating and optimizing
    millions of elements one by one took a minute for ResNet-50): only the
    non-splat constants of 4 KiB or more move, into the declared global
    `kiln_model_weights_data`, which `kiln_model_weights_base` points to;
    `kiln.weights` holds the payload alone and no file is mapped.
  }];
  let options = [
    Option<"file", "file", "std::string", "\"model.weights\"",
           "The weights file's name, as the runtime opens it beside the binary">,
    Option<"embed", "embed", "bool", "false",
           "Keep the weights in the binary, as one array the compiler fills in">,
  ];
}

#endif // KILN_CONVERSION_TOLLVM_PASSES_TD

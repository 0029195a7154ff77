//===- Passes.td - Mapping kiln ops to oneDNN primitives ---*- tablegen -*-===//

#ifndef KILN_CONVERSION_KILNTODNNL_PASSES_TD
#define KILN_CONVERSION_KILNTODNNL_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertKilnToDnnl : Pass<"kiln-to-dnnl", "mlir::ModuleOp"> {
  let summary = "Map the ops oneDNN implements to kiln_backend.dnnl_call";
  let description = [{
    The dnnl backend's step before kiln-to-linalg: rewrites convolution,
    transposed convolution, pooling, global pooling, gemm and matmul, batch
    and layer normalization, softmax, log-softmax and LRN on f32 tensors
    into `kiln_backend.dnnl_call` ops, each with the dims oneDNN sees for its
    operands and the primitive's parameters. Forms oneDNN does not share
    (other element types, ranks it lacks, gemm with alpha or beta other
    than 1, average pooling in ceil mode that counts padding, a matmul that
    broadcasts the batch dims of its first operand) stay for kiln-to-linalg,
    and so do matrix products, softmaxes, layer norms and recurrent layers
    (one time step) of fewer than `min-work` multiply-adds, which generated
    code runs faster than a primitive call, and recurrent layers over at
    most `recurrence-batch` sequences, or over at most 8 with a constant
    recurrent matrix of 2 Mi elements or more (which kiln-to-linalg packs
    in column panels), and transposed convolutions of fewer than
    `deconv-min-channels` output channels per group, which oneDNN computes
    with its sgemm and a col2im. Convolutions whose weights are
    not compile-time constants stay too (oneDNN 2.6 runs those on a very
    slow path), unless `runtime-weights` is set. With `winograd`, a
    convolution of 3x3 windows at unit stride, neither dilated nor grouped,
    with constant weights and 16 or more input and output channels is
    marked for Winograd's minimal filtering: oneDNN then computes it from
    weights transformed once at load (F(2x2, 3x3) or F(4x4, 3x3): 16/9 or
    4 times their size) with fewer multiplications, and directly where it
    has no such kernel.
  }];
  let options = [
    Option<"minWork", "min-work", "int64_t", "::kiln::kDefaultDnnlMinWork",
           "Fewest multiply-adds for which a matrix product, softmax, layer "
           "norm or recurrent time step runs on oneDNN">,
    Option<"recurrenceBatch", "recurrence-batch", "int64_t",
           "::kiln::kDefaultDnnlRecurrenceBatch",
           "Recurrent layers over at most this many sequences run as "
           "generated code whatever their size">,
    Option<"deconvMinChannels", "deconv-min-channels", "int64_t",
           "::kiln::kDefaultDnnlDeconvMinChannels",
           "Transposed convolutions of fewer output channels per group run "
           "as generated code">,
    Option<"runtimeWeights", "runtime-weights", "bool", "false",
           "Also map convolutions whose weights are given at run time">,
    Option<"winograd", "winograd", "bool", "true",
           "Let oneDNN compute 3x3 convolutions at unit stride by Winograd's "
           "minimal filtering">,
  ];
  let dependentDialects = ["::kiln::backend::KilnBackendDialect",
                           "::mlir::tensor::TensorDialect"];
}

def KilnDnnlLayouts : Pass<"kiln-dnnl-layouts", "mlir::ModuleOp"> {
  let summary = "Keep activations in oneDNN's blocked layouts between primitives";
  let description = [{
    Runs after kiln-to-dnnl. In program order, a `conv`, `deconv`, `pool`
    (global pooling) or `batch_norm` call whose output channels are a
    multiple of `block` writes its output in the blocked layout (`nChw16c`
    for 4-d tensors, with `block` = 16), reading its input blocked too (a
    convolution whose input has fewer channels than a block reads it
    dense). Convolutions also read and write more than a block of channels
    that do not fill blocks (24) blocked, the last block padded with zeros,
    unless they are grouped with more than one channel per group. Unary and
    same-shape binary elementwise ops and channel concatenations whose
    operands all exist blocked without padding run on the blocked
    tensors, and a `kiln.pool` of a blocked tensor becomes a linalg.generic
    over the blocked windows. `reorder` calls
    convert a tensor to the blocked layout where a blocked op first reads
    it, and back where a dense consumer needs it; unused ones are removed.
  }];
  let options = [
    Option<"block", "block", "int64_t", "16",
           "Channels per block (16 for AVX-512, 8 for AVX2)">,
  ];
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
}

#endif // KILN_CONVERSION_KILNTODNNL_PASSES_TD

//===- Passes.td - Passes on linalg, tensors and buffers ---*- tablegen -*-===//

#ifndef KILN_CODEGEN_PASSES_TD
#define KILN_CODEGEN_PASSES_TD

include "mlir/Pass/PassBase.td"

def KilnFuseElementwise : Pass<"kiln-fuse-elementwise"> {
  let summary = "Fuse chains of elementwise linalg ops into one loop nest";
  let description = [{
    Fuses an elementwise `linalg.generic` into the elementwise generic that
    consumes it, when it is the producer's only use, so that chains such as
    bias add, batch norm and ReLU become one loop nest. Producers are never
    fused into reductions or convolutions, whose windows would recompute
    them for every read.

    A `tensor.pad` of such a producer's only result (or of a
    `tensor.expand_shape` of it that the padded dims pass through
    unchanged) becomes the producer writing into the padded tensor, so the
    padding costs a fill of the border instead of a copy (attention's
    operands padded to its blocks).
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::bufferization::BufferizationDialect"];
}

def KilnCollapseDims : Pass<"kiln-collapse-dims"> {
  let summary = "Merge the loops of a linalg.generic that read memory in one run";
  let description = [{
    Collapses every maximal run of consecutive loop dims of a
    `linalg.generic` on tensors that share an iterator type and that every
    operand reads as one contiguous sequence, reshaping the operands to
    match. An elementwise op on a [2, 32, 26, 26] tensor becomes one loop of
    43264 iterations, which LLVM vectorizes along memory, instead of four
    nested loops whose innermost, 26 long, it would rather unroll.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::bufferization::BufferizationDialect"];
}

def KilnEmptyBoundaryTensors
    : Pass<"kiln-empty-boundary-tensors", "mlir::ModuleOp"> {
  let summary = "Pass zero-size inputs and outputs of main as 1-d tensors";
  let description = [{
    LLVM's bare-pointer calling convention, which the entry point uses,
    cannot describe a buffer with no elements whose zero size is not its
    first dim (`memref<2x0x4xf32>`). Every zero-size argument and result of
    `func.func @main` becomes `tensor<0xT>`: the function's body uses an
    empty tensor of the original shape instead of the argument, and returns
    an empty 1-d tensor instead of the result. No element is read or
    written, and the runtime still passes one pointer per tensor.
  }];
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
}

def KilnLowerAttention : Pass<"kiln-lower-attention"> {
  let summary = "Tiled online-softmax kernels for bufferized kiln_backend.flash_attention";
  let description = [{
    Runs on buffers, before `kiln-plan-buffers`. Each `kiln_backend.flash_attention`
    becomes one `scf.parallel` over (batch, head, block of `block_q`
    queries). An iteration sets its output rows to zero, its running
    maxima to -inf and its running sums to zero, then for each block of
    `block_k` keys: the scores of the block (a contraction that
    `kiln-vectorize-contractions` turns into a register-blocked kernel),
    then per query row, in vectors, scale, soft-cap, mask and causal mask,
    the new maximum m', the factor a = exp(m - m') applied to the running
    sum and the output row, the probabilities exp(s - m') in place of the
    scores and their sum; then the output rows accumulate probabilities
    times values (a second contraction). At the end each output row is
    divided by its sum (rows whose every key was masked out stay zero).
    Causal attention stops at the last block a query can see. The scratch,
    scores plus two numbers per row, is `block_q x block_k` per iteration,
    allocated once for all of them beside the op.
  }];
  let options = [
    Option<"vectorBits", "vector-bits", "int64_t", "512",
           "Width of the vectors in bits">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect"
  ];
}

def KilnLowerConvPool : Pass<"kiln-lower-conv-pool"> {
  let summary = "Banded convolution-pooling loops for bufferized kiln_backend.conv_pool";
  let description = [{
    Runs on buffers, before `kiln-plan-buffers`. Each `kiln_backend.conv_pool`
    becomes one `scf.parallel` over chunks of (image, band of `band` output
    rows) steps. A step copies the windows of the convolution rows of its
    band into a scratch im2col matrix, sets a tile to the bias (plus the
    residual), adds the product of the weights with the matrix (a
    contraction that `kiln-vectorize-contractions` turns into a
    register-blocked kernel) and applies the activation. Without pooling
    the tile is the band's output rows. With pooling it is scratch: its
    positions in the pooling's padding get the pooling's neutral value (-inf
    for max, 0 for average), then the tile is pooled into the band's output
    rows (average pooling then multiplies by `counts`). The scratch, one
    matrix (and tile) per chunk, is allocated once beside the op; there are
    as many chunks (at most 32, at least 4, at most one per step) as keep it
    within 4 MiB.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect"
  ];
}

def KilnPlanBuffers : Pass<"kiln-plan-buffers", "mlir::ModuleOp"> {
  let summary = "Pack the intermediate buffers of main into one workspace";
  let description = [{
    Runs after bufferization, before buffer deallocation. Each statically
    shaped `memref.alloc` in the body of `main` whose uses, through views,
    stay in that body is live from the alloc to its last top-level use;
    the live ranges are packed first fit, largest first, 64-byte aligned,
    into one workspace that becomes `main`'s last argument, and the allocs
    become `memref.view`s of it. The workspace size is recorded as the
    module attribute `kiln.workspace_bytes`. Allocs in loops and buffers
    that escape keep their own allocation.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect"];
}

def KilnLowerDnnlCalls : Pass<"kiln-lower-dnnl-calls", "mlir::ModuleOp"> {
  let summary = "Turn bufferized kiln_backend.dnnl_call ops into the runtime's program";
  let description = [{
    Runs on buffers. Numbers the `kiln_backend.dnnl_call` ops in order and writes
    the public constant global `kiln_model_dnnl_program` (i64: "KILN",
    version 1, its length, the count, then per call its kind, input and output counts,
    per operand its constant index or -1, ONNX dtype, layout, rank and dims, then
    its params and fparams), the function
    `kiln_model_dnnl_constants(memref<Kxindex>)` storing the address of
    each constant operand (a constant `memref.global`), and replaces each
    call with `kiln_dnnl_execute(id, memref<16xindex>)` holding the
    addresses of its other operands, inputs first. Strided views are
    copied to dense buffers around the call.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::memref::MemRefDialect"];
}

def KilnVectorizeContractions : Pass<"kiln-vectorize-contractions"> {
  let summary = "Register-blocked vector kernels for bufferized contractions";
  let description = [{
    Rewrites a multiply-accumulate `linalg.generic` on buffers,
    `out[..., i, j] += a * b`, whose innermost output dim `j` is also the
    innermost dim of every operand that reads it, into loops around a
    kernel that keeps a block of `rows` x `vectors` vectors of `out` in
    registers across the reduction loops: operands that do not vary along
    `j` are broadcast, the others loaded as vectors, and each block vector
    takes one FMA per step. Edges use single rows and masked vectors.
    Matmul, gemm and im2col convolutions take this shape; other generics
    are left to the loop lowering.
  }];
  let options = [
    Option<"vectorBits", "vector-bits", "int64_t", "512",
           "Width of the vectors in bits">,
    Option<"rows", "rows", "int64_t", "6",
           "Rows of the output block kept in registers">,
    Option<"vectors", "vectors", "int64_t", "2",
           "Vectors per row of the output block">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect"
  ];
}

def KilnVectorizeGenerics : Pass<"kiln-vectorize-generics"> {
  let summary = "Vector loops for bufferized elementwise and row-reduction generics";
  let description = [{
    Rewrites a `linalg.generic` on buffers whose innermost loop runs along
    the contiguous innermost dim of its operands: elementwise generics
    (every loop parallel) load the operands that read that dim as vectors
    and broadcast the others, compute the body on vectors and store
    vectors; row reductions (only the innermost loop reduces, with a float
    add, max or min of the accumulator and a value computed from the
    inputs) keep a vector accumulator across the row, then reduce its
    lanes. The last partial vector of a row is masked; the outer loops are
    nested `scf.parallel` loops. i1 buffers (a byte per element) are read
    and written an element at a time. An elementwise body may also read
    tables (`linalg.index`, `memref.load`: a gather fused into elementwise
    ops): values that do not vary along the innermost loop are computed
    once per vector as scalars, and a load whose last index is the
    innermost loop's (its other indices not varying) reads a vector of the
    table's row. Bodies with other ops or other reads, and dynamic shapes,
    are left alone. A `memref.copy` of static shapes between buffers that
    are not both dense (into the inside of a padded buffer) becomes the
    elementwise generic that yields its input, and so vector loops rather
    than a call to the runtime's element-by-element copy.
  }];
  let options = [
    Option<"vectorBits", "vector-bits", "int64_t", "512",
           "Width of the vectors in bits (lanes of 32-bit elements)">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect"
  ];
}

def KilnParallelize : Pass<"kiln-parallelize", "mlir::ModuleOp"> {
  let summary = "Run large top-level parallel loops of main on OpenMP threads";
  let description = [{
    Outlines each top-level `scf.parallel` of `main` (or the first one
    inside enclosing parallel loops that run once) with at least
    `min-work` operations executed in innermost loop bodies into a task
    function
    `kiln_task_K(lo, hi, <main's arguments>)` running iterations [lo, hi)
    of its first dim, and replaces it with a call to the runtime's
    `kiln_parallel_for(K, iterations)`. The task recomputes what the body
    reads from outside: main's arguments, constants, globals and views of
    them; a loop that reads anything else, or allocates, stays. Also
    defines `kiln_task_dispatch(id, lo, hi, <main's arguments>)`.
  }];
  let options = [
    Option<"minWork", "min-work", "int64_t", "100000",
           "Fewest innermost-body operations worth splitting over threads">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::scf::SCFDialect"];
}

#endif // KILN_CODEGEN_PASSES_TD

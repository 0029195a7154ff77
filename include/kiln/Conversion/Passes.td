//===- Passes.td - Kiln conversion passes ------------------*- tablegen -*-===//

#ifndef KILN_CONVERSION_PASSES_TD
#define KILN_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertKilnToLinalg : Pass<"kiln-to-linalg", "mlir::ModuleOp"> {
  let summary = "Lower kiln ops to linalg, tensor, arith and math";
  let description = [{
    Rewrites every kiln op into upstream ops on tensors: named linalg ops
    and `linalg.generic` for computation, `tensor` ops for data movement.
    An op the backend cannot lower yet is reported with its location.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def KilnSignlessIntegers : Pass<"kiln-signless-integers", "mlir::ModuleOp"> {
  let summary = "Make unsigned integer tensors signless before lowering";
  let description = [{
    Upstream arithmetic works on signless integers and carries signedness in
    the op (`arith.divui`, `arith.cmpi ult`). This pass retypes every
    `uiN` tensor of the module to `iN` (constants keep their bits) and marks
    the ops whose result depends on signedness: `is_unsigned` on
    `kiln.unary`, `kiln.binary`, `kiln.compare`, `kiln.reduce` and
    `kiln.arg_reduce` with unsigned operands, `from_unsigned` and
    `to_unsigned` on `kiln.cast`. Ops that only move or wrap bits (reshape,
    transpose, concat, split, slice, gather, expand, pad, where, matmul,
    constants) are only retyped; `kiln.binary pow` is marked for an
    unsigned exponent only. Any other op on unsigned integers is reported
    as unsupported. Runs after kiln-record-signature, which keeps the
    model's own types for the runtime.
  }];
}

def KilnFuseElementwise : Pass<"kiln-fuse-elementwise"> {
  let summary = "Fuse chains of elementwise linalg ops into one loop nest";
  let description = [{
    Fuses an elementwise `linalg.generic` into the elementwise generic that
    consumes it, when it is the producer's only use, so that chains such as
    bias add, batch norm and ReLU become one loop nest. Producers are never
    fused into reductions or convolutions, whose windows would recompute
    them for every read.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
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
                           "::mlir::tensor::TensorDialect"];
}

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

def KilnLowerConvPool : Pass<"kiln-lower-conv-pool"> {
  let summary = "Banded convolution-pooling loops for bufferized kiln.conv_pool";
  let description = [{
    Runs on buffers, before `kiln-plan-buffers`. Each `kiln.conv_pool`
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

def KilnLowerAttention : Pass<"kiln-lower-attention"> {
  let summary = "Tiled online-softmax kernels for bufferized kiln.flash_attention";
  let description = [{
    Runs on buffers, before `kiln-plan-buffers`. Each `kiln.flash_attention`
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
    and written an element at a time. Bodies with ops other than arith and
    math and dynamic shapes are left alone.
  }];
  let options = [
    Option<"vectorBits", "vector-bits", "int64_t", "512",
           "Width of the vectors in bits (lanes of 32-bit elements)">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect"
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

def KilnCheckIndices : Pass<"kiln-check-indices", "mlir::ModuleOp"> {
  let summary = "Check gather indices: constant ones now, the others at run time";
  let description = [{
    Constant indices of `kiln.gather` and `kiln.gather_elements` outside
    [-size, size) are a compile-time error. For indices computed at run
    time, one reduction computes their smallest and largest value as a
    `tensor<2xi64>` that becomes an extra result of `main`, with the result
    attribute `kiln.check = "LOW HIGH LABEL"` (the valid range, and the op's
    ONNX node as messages name it). The signature lists it as a check; the runtime
    fails a run whose indices left the range, with a message naming the op.
    (The lowering clamps every read, so even then no read leaves the
    tensor.)
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

def KilnRecordSignature : Pass<"kiln-record-signature", "mlir::ModuleOp"> {
  let summary = "Record the model's signature as a module attribute";
  let description = [{
    Writes `kiln.signature` on the module: one line per tensor of
    `func.func @main` ("in|out NAME DTYPE D0xD1x..."), which the runtime
    reads to validate inputs, and one line per result marked `kiln.check`
    ("check LOW HIGH LABEL", see kiln-check-indices). Runs while the
    function still has tensor types and names.
  }];
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

def KilnInstrumentProfile : Pass<"kiln-instrument-profile", "mlir::ModuleOp"> {
  let summary = "Bracket every kiln op with the runtime's profiling hooks";
  let description = [{
    Inserts `func.call @kiln_profile_enter(id)` before and
    `func.call @kiln_profile_exit(id)` after every kiln op of `main` that
    computes (not constants or reshapes), and records one line per id,
    "NAME<TAB>OP" with the op's ONNX node name, in the module attribute
    `kiln.profile_ops`. The runtime's hooks do nothing unless the
    executable runs with `--profile`. An elementwise op fused into its
    consumer later on reports no time of its own: the consumer's includes
    it.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect"];
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

def ConvertKilnToDnnl : Pass<"kiln-to-dnnl", "mlir::ModuleOp"> {
  let summary = "Map the ops oneDNN implements to kiln.dnnl_call";
  let description = [{
    The dnnl backend's step before kiln-to-linalg: rewrites convolution,
    transposed convolution, pooling, global pooling, gemm and matmul, batch
    and layer normalization, softmax, log-softmax and LRN on f32 tensors
    into `kiln.dnnl_call` ops, each with the dims oneDNN sees for its
    operands and the primitive's parameters. Forms oneDNN does not share
    (other element types, ranks it lacks, gemm with alpha or beta other
    than 1, average pooling in ceil mode that counts padding, a matmul that
    broadcasts the batch dims of its first operand) stay for kiln-to-linalg,
    and so do matrix products, softmaxes, layer norms and recurrent layers
    (one time step) of fewer than `min-work` multiply-adds, which generated
    code runs faster than a primitive call. Convolutions whose weights are
    not compile-time constants stay too (oneDNN 2.6 runs those on a very
    slow path), unless `runtime-weights` is set.
  }];
  let options = [
    Option<"minWork", "min-work", "int64_t", "262144",
           "Fewest multiply-adds for which a matrix product, softmax, layer "
           "norm or recurrent time step runs on oneDNN">,
    Option<"runtimeWeights", "runtime-weights", "bool", "false",
           "Also map convolutions whose weights are given at run time">,
  ];
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
}

def KilnDnnlLayouts : Pass<"kiln-dnnl-layouts", "mlir::ModuleOp"> {
  let summary = "Keep activations in oneDNN's blocked layouts between primitives";
  let description = [{
    Runs after kiln-to-dnnl. In program order, a `conv`, `deconv`, `pool`
    or `batch_norm` call whose output channels are a multiple of `block`
    writes its output in the blocked layout (`nChw16c` for 4-d tensors,
    with `block` = 16), reading its input blocked too (a convolution whose
    input channels are not a multiple of `block` reads it dense). Unary and
    same-shape binary elementwise ops and channel concatenations whose
    operands all exist blocked run on the blocked tensors. `reorder` calls
    convert a tensor to the blocked layout where a blocked op first reads
    it, and back where a dense consumer needs it; unused ones are removed.
  }];
  let options = [
    Option<"block", "block", "int64_t", "16",
           "Channels per block (16 for AVX-512, 8 for AVX2)">,
  ];
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
}

def KilnLowerDnnlCalls : Pass<"kiln-lower-dnnl-calls", "mlir::ModuleOp"> {
  let summary = "Turn bufferized kiln.dnnl_call ops into the runtime's program";
  let description = [{
    Runs on buffers. Numbers the `kiln.dnnl_call` ops in order and writes
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

#endif // KILN_CONVERSION_PASSES_TD

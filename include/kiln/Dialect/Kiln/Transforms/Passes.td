//===- Passes.td - Graph-level passes on kiln IR -----------*- tablegen -*-===//

#ifndef KILN_DIALECT_KILN_TRANSFORMS_PASSES_TD
#define KILN_DIALECT_KILN_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def KilnFoldBatchNorm : Pass<"kiln-fold-batchnorm"> {
  let summary = "Fold batch norms and constant scales and shifts into weights";
  let description = [{
    Rewrites an inference `kiln.batch_norm`, a `kiln.binary mul` by a
    constant and a `kiln.binary add` of a constant, applied per output
    channel (or to every element) to the result of a convolution,
    transposed convolution or gemm whose weights and bias are constants and
    whose result has no other user, into that op with new weights and bias:
    `w' = w * s`, `b' = (b - mean) * s + shift` for a batch norm with
    `s = scale / sqrt(var + epsilon)`. With `report`, each fold and each
    near miss is reported as a remark at the op.
  }];
  let options = [
    Option<"report", "report", "bool", "false",
           "Emit a remark for each fold and near miss">,
  ];
}

def KilnMatchActivations : Pass<"kiln-match-activations"> {
  let summary = "Turn activations written as chains of ops into kiln.unary";
  let description = [{
    Exporters write the activations ONNX lacks as chains of elementwise
    ops. This pass rewrites each such chain into one `kiln.unary`, so that
    the fusion passes can fold it into what it follows:
    `x * 0.5 * (1 + erf(x / sqrt(2)))` (the division may be a
    multiplication by `1 / sqrt(2)`, and the product with `x` and 0.5 may
    be grouped any way) becomes `gelu`;
    `0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3)))` (the cube a
    `pow` or two products) becomes `gelu_tanh`; `x * sigmoid(x)` becomes
    `silu`;
    `x * hard_sigmoid(x)` with alpha 1/6 and beta 0.5 becomes
    `hard_swish`. Constants must be f32 scalars within a relative 1e-5 of
    those values; every intermediate must have no user outside the chain.
    With `report`, each match is a remark at the new op.
  }];
  let options = [
    Option<"report", "report", "bool", "false",
           "Emit a remark for each match">,
  ];
}

def KilnFuseConv : Pass<"kiln-fuse-conv"> {
  let summary = "Fuse convolution, residual add, activation and pooling";
  let description = [{
    Rewrites `kiln.conv`, followed by a same-shape `kiln.binary add` (the
    residual), an activation (`relu`, `leaky_relu`, `clip`, `sigmoid`,
    `tanh`, `gelu`, `gelu_tanh`, `silu`, `hard_swish`, `elu`) and a
    `kiln.pool` without dilations, each optional and each the only user of
    the result before it, into one `kiln.fused_conv` at the position of the
    last op fused. A convolution with nothing to fuse stays. A step that
    cannot be fused (the result has another user, the activation comes
    before the residual add, the pooling dilates) ends the chain; with
    `report`, each fusion and each such near miss is a remark at the
    convolution. A `kiln.conv_transpose` whose result's only user is an
    activation becomes one `kiln.fused_conv_transpose`.
  }];
  let options = [
    Option<"report", "report", "bool", "false",
           "Emit a remark for each fusion and near miss">,
  ];
}

def KilnFuseMatMul : Pass<"kiln-fuse-matmul"> {
  let summary = "Fuse matrix product, bias and activation";
  let description = [{
    Rewrites a float `kiln.matmul` of `[..., K] x [K, N]`, or a `kiln.gemm`
    that neither transposes nor scales (its C, if any, a `[N]` bias with
    beta 1), followed by a `kiln.binary add` of a `[N]` bias (not after a
    gemm's own C) and an activation (`relu`, `leaky_relu`, `clip`,
    `sigmoid`, `tanh`, `gelu`, `gelu_tanh`, `silu`, `hard_swish`, `elu`),
    each optional and each the only user of the result before it, into one
    `kiln.fused_matmul` at the position of the last op fused. A product
    with nothing to fuse stays; with `report`, each fusion and each near
    miss (another user, an add that is no bias, a unary that is no
    activation, a transposing or scaling gemm) is a remark at the product.
    Then fused products of one input by constant f32 weights of static
    shapes, with the same activation and a constant bias for all or none
    (an attention layer's queries, keys and values), become one
    `kiln.fused_matmul` of the weights (and biases) side by side, at the
    first of them, each result a `kiln.slice` of its columns (a remark
    each with `report`).
  }];
  let options = [
    Option<"report", "report", "bool", "false",
           "Emit a remark for each fusion and near miss">,
  ];
}

def KilnFuseAttention : Pass<"kiln-fuse-attention"> {
  let summary = "Fuse scaled dot-product attention into kiln.attention";
  let description = [{
    Matches attention as exporters write it, anchored at a softmax over the
    last axis whose only user is a product with V: `MatMul(Q, K^T)`, an
    optional division or multiplication by a constant scalar (or one
    applied to Q first, as PyTorch's `MultiheadAttention` does), an
    optional additive float mask or `Where(mask, -inf, scores)`, the
    softmax, then the product with V, on rank-4 `[B, H, L, D]` or rank-3
    `[B*H, L, D]` tensors (the head reshapes and transposes around stay).
    The chain becomes one `kiln.attention` with the scale (1 without one)
    and the mask (a boolean one inverted to keep the positions it does not
    mask). One difference is by design: a row whose every key is masked
    with -inf gives zeros, as `kiln.attention` (and ONNX's Attention)
    define it, where the unfused graph gives NaN. Softmax on another axis,
    a scale that is not a constant, a `Where` fill other than -inf (a
    finite fill gives a fully masked row uniform weights instead), a mask
    that does not broadcast to the scores and intermediates with other
    users are near misses, reported with `report`.
  }];
  let options = [
    Option<"report", "report", "bool", "false",
           "Emit a remark for each fusion and near miss">,
  ];
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

def KilnBoundSequence : Pass<"kiln-bound-sequence", "mlir::ModuleOp"> {
  let summary = "Give the ops over a padded sequence its actual length";
  let description = [{
    For a module with `kiln.sequence_symbol` (a model whose sequence length
    varies at run time, its positions padded to `kiln.sequence_extent`;
    the inputs that hold them carry `kiln.sequence_axis`): checks that
    every op treats the positions independently, but recurrent layers over
    their time axis and attention over its keys, which get the length, a
    new last input `sequence_length` (i64 scalar), as their sequence_lens
    and as a key mask. Marks the outputs that hold the positions with
    `kiln.sequence_axis`, and the ops whose work kiln-to-linalg bounds by
    the length: attention over the positions (`kiln.bounded_keys`, and
    `kiln.bounded_queries` when its queries are the positions too),
    recurrent layers (`kiln.padded_lengths`: every entry has the length),
    and matrix products (fused or Gemm) whose rows are the positions,
    gathers whose indices are, layer norms, elementwise ops and transposes
    over them (`kiln.bounded_rows`: each operand's axis that holds them, -1
    for none, then the result's). Attention's keys and values get zeros at
    the padded positions unless a bounded transpose produced them; a mask
    of the length alone is marked `kiln.length_mask`. Without the
    attribute, does nothing.
  }];
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

#endif // KILN_DIALECT_KILN_TRANSFORMS_PASSES_TD

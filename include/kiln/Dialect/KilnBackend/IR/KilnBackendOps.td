//===- KilnBackendOps.td - Ops of the backends -------------*- tablegen -*-===//

#ifndef KILN_DIALECT_KILNBACKEND_IR_KILNBACKENDOPS_TD
#define KILN_DIALECT_KILNBACKEND_IR_KILNBACKENDOPS_TD

include "kiln/Dialect/KilnBackend/IR/KilnBackendDialect.td"
include "kiln/Dialect/Kiln/IR/KilnEnums.td"
include "mlir/IR/OpBase.td"
include "mlir/IR/CommonAttrConstraints.td"
include "mlir/Interfaces/DestinationStyleOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

/// The primitive of a dnnl_call: a kiln::abi::DnnlPrimitive, stored as its
/// code in the runtime's program and written by its name.
def KilnBackend_DnnlPrimitiveAttr : Attr<
    And<[CPred<"::llvm::isa<::mlir::IntegerAttr>($_self)">,
         CPred<"::kiln::abi::isDnnlPrimitive("
               "::llvm::cast<::mlir::IntegerAttr>($_self).getInt())">]>,
    "oneDNN primitive kind"> {
  let storageType = "::mlir::IntegerAttr";
  let returnType = "::kiln::abi::DnnlPrimitive";
  let convertFromStorage =
      "static_cast<::kiln::abi::DnnlPrimitive>($_self.getInt())";
  let constBuilderCall =
      "$_builder.getI64IntegerAttr(static_cast<int64_t>($0))";
}

def KilnBackend_DnnlCallOp : Op<KilnBackend_Dialect, "dnnl_call", [
    AttrSizedOperandSegments, DestinationStyleOpInterface,
    DeclareOpInterfaceMethods<MemoryEffectsOpInterface>]> {
  let summary = "A oneDNN primitive run by the runtime (dnnl backend)";
  let description = [{
    Stands for one oneDNN primitive of the `dnnl` backend. `primitive` names
    its kind (`conv`, `deconv`, `matmul`, `pool`, `batch_norm`,
    `layer_norm`, `softmax`, `log_softmax`, `lrn`), `params` and `fparams`
    hold its integer and float parameters in the order the runtime reads
    them, and `dims` gives, for each operand in turn, its rank followed by
    the dims oneDNN sees (a reshape of the operand's own shape). Inputs are
    read; outputs are destinations, written in full.

    With `accumulate`, the primitive adds its result to what its output
    holds (oneDNN's sum post-op), so the output is read as well.

    `layouts`, when given, has one entry per operand: 0 for a dense
    row-major operand, or a channel block `b` (8 or 16) for an operand in
    oneDNN's blocked layout `nC[D][H]Wbc`, whose own type is then
    `[N, ceil(C / b), spatial..., b]` for the dims `[N, C, spatial...]`.
    The `reorder` primitive converts between the two.

    On tensors the op has a result per output. After bufferization it works
    on memrefs and has none; the primitive is then created once per model
    instance, with constant weights reordered to its preferred layout, and
    every run only executes it.

    ```mlir
    %y = kiln_backend.dnnl_call "softmax" ins(%x : tensor<2x10xf32>)
           outs(%init : tensor<2x10xf32>)
           {dims = array<i64: 2, 2, 10, 2, 2, 10>, params = array<i64: 1>}
           -> tensor<2x10xf32>
    ```
  }];
  let arguments = (ins KilnBackend_DnnlPrimitiveAttr:$primitive, DenseI64ArrayAttr:$dims,
                       Kiln_I64Array:$layouts, Kiln_I64Array:$params,
                       DefaultValuedAttr<DenseF32ArrayAttr, "{}">:$fparams,
                       UnitAttr:$accumulate,
                       Variadic<AnyShaped>:$inputs,
                       Variadic<AnyShaped>:$outputs);
  let results = (outs Variadic<AnyRankedTensor>:$results);
  let assemblyFormat = [{
    custom<DnnlPrimitive>($primitive)
    (`ins` `(` $inputs^ `:` type($inputs) `)`)?
    `outs` `(` $outputs `:` type($outputs) `)` attr-dict
    (`->` type($results)^)?
  }];
  let extraClassDeclaration = [{
    mlir::MutableOperandRange getDpsInitsMutable() {
      return getOutputsMutable();
    }
  }];
  let hasVerifier = 1;
}

def KilnBackend_ConvPoolOp : Op<KilnBackend_Dialect, "conv_pool", [
    DestinationStyleOpInterface, AttrSizedOperandSegments,
    DeclareOpInterfaceMethods<MemoryEffectsOpInterface>]> {
  let summary = "2-d convolution, activation and pooling in bands (llvm backend)";
  let description = [{
    The llvm backend's form of a 2-d `kiln.conv` or `kiln.fused_conv` with
    one group, on f32: `input: N x C x H x W` is the input padded for the
    convolution and, in front, by `pool_pads` times the convolution strides
    (so that the pooling's padding is convolution output too, overwritten
    by the pooling's neutral value); `weight: M x (C * KH * KW)`; optional
    `bias: M`; optional `residual: N x M x OH x OW`, added before the
    activation (only without pooling); optional `counts: PH x PW`, the
    reciprocal element count of each average-pooling window; `init: N x M
    x PH x PW`, the destination, written in full. `conv_shape` is the
    convolution's output size `[OH, OW]`, `band` the output rows computed
    per step, dividing `PH`. Without `pool`, the pooling attributes are the
    identity (kernel and strides 1, pads 0) and `PH x PW` is `OH x OW`.

    `kiln-lower-conv-pool` turns the bufferized op into one parallel loop
    over (image, band); each step copies the windows of the band's
    convolution rows into a scratch im2col matrix and multiplies it with
    the weights into a tile (scratch with pooling, else the band's output
    rows), applies bias, residual and activation there and pools the tile
    into the output, so neither the full im2col matrix nor the pre-pool
    tensor is ever stored.
  }];
  let arguments = (ins AnyShaped:$input, AnyShaped:$weight,
                       Optional<AnyShaped>:$bias, Optional<AnyShaped>:$residual,
                       Optional<AnyShaped>:$counts, AnyShaped:$init,
                       DenseI64ArrayAttr:$kernel_shape,
                       DenseI64ArrayAttr:$strides,
                       DenseI64ArrayAttr:$dilations,
                       DenseI64ArrayAttr:$conv_shape,
                       OptionalAttr<Kiln_UnaryKindAttr>:$activation,
                       OptionalAttr<F32Attr>:$activation_alpha,
                       OptionalAttr<F32Attr>:$activation_beta,
                       OptionalAttr<Kiln_PoolKindAttr>:$pool,
                       DenseI64ArrayAttr:$pool_kernel_shape,
                       DenseI64ArrayAttr:$pool_strides,
                       DenseI64ArrayAttr:$pool_pads,
                       I64Attr:$band);
  let results = (outs Variadic<AnyRankedTensor>:$results);
  let assemblyFormat = [{
    $input `,` $weight (`bias` $bias^)? (`residual` $residual^)?
    (`counts` $counts^)? `into` $init attr-dict `:` type($input) `,`
    type($weight) (`bias` type($bias)^)? (`residual` type($residual)^)?
    (`counts` type($counts)^)? `into` type($init) (`->` type($results)^)?
  }];
  let extraClassDeclaration = [{
    mlir::MutableOperandRange getDpsInitsMutable() { return getInitMutable(); }
  }];
  let hasVerifier = 1;
}

def KilnBackend_FlashAttentionOp : Op<KilnBackend_Dialect, "flash_attention", [
    DestinationStyleOpInterface, AttrSizedOperandSegments,
    DeclareOpInterfaceMethods<MemoryEffectsOpInterface>]> {
  let summary = "Tiled attention with an online softmax (llvm backend)";
  let description = [{
    The llvm backend's form of `kiln.attention` on f32: `q: B x H x Lq x D`,
    `k_t: B x Hkv x D x Lk` (the keys transposed), `v: B x Hkv x Lk x Dv`,
    and an optional rank-4 `mask` broadcasting to `B x H x Lq x Lk`, of
    `i8` (non-zero keeps a key) or `f32` (added to the scores). The
    attributes are those of `kiln.attention`; `block_q` and `block_k` are
    the tile sizes, dividing `Lq` and `Lk`. `init` is the destination,
    written in full.

    `key_limit` and `query_limit`, optional `i64` scalars, bound the work at
    run time: the keys from position `key_limit` on are left out (as no
    key at all, whatever `mask_fill` says), and the output rows of the
    queries from `query_limit` on are zeros. The kernel skips the blocks
    of keys and queries past them: a padded sequence (kiln-bound-sequence)
    costs its length, not its extent, and so does a length padded to a
    multiple of the blocks.

    With `bshd`, `q`, `v` and `init` hold the heads inside each position:
    `q: B x Lq x H x D`, `v: B x Lk x Hkv x Dv` and `init: B x Lq x H x
    Dv`, as the projections that compute them and the product that reads
    the output lay them out; the kernel reads and writes them in place of
    the head transposes around the op (the mask keeps its order).

    `kiln-lower-attention` turns the bufferized op into one parallel loop
    over (batch, head, block of `block_q` queries); each iteration walks the
    keys `block_k` at a time, keeping the running maximum, the running sum
    and the output rows, so the scores are never stored whole: the scratch
    is `block_q x block_k` per iteration.
  }];
  let arguments = (ins AnyShaped:$q, AnyShaped:$k_t, AnyShaped:$v,
                       Optional<AnyShaped>:$mask,
                       Optional<AnyShaped>:$key_limit,
                       Optional<AnyShaped>:$query_limit, AnyShaped:$init,
                       F32Attr:$scale, UnitAttr:$is_causal,
                       DefaultValuedAttr<I64Attr, "0">:$causal_offset,
                       OptionalAttr<F32Attr>:$softcap,
                       OptionalAttr<F32Attr>:$mask_fill,
                       I64Attr:$block_q, I64Attr:$block_k, UnitAttr:$bshd);
  let results = (outs Variadic<AnyRankedTensor>:$results);
  let assemblyFormat = [{
    $q `,` $k_t `,` $v (`mask` $mask^)?
    (`key_limit` `(` $key_limit^ `:` type($key_limit) `)`)?
    (`query_limit` `(` $query_limit^ `:` type($query_limit) `)`)?
    `into` $init attr-dict `:` type($q) `,` type($k_t) `,` type($v)
    (`,` type($mask)^)? `into` type($init) (`->` type($results)^)?
  }];
  let extraClassDeclaration = [{
    mlir::MutableOperandRange getDpsInitsMutable() { return getInitMutable(); }
  }];
  let hasVerifier = 1;
}

#endif // KILN_DIALECT_KILNBACKEND_IR_KILNBACKENDOPS_TD

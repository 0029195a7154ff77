//===- KilnOps.td - Operations of the kiln dialect ---------*- tablegen -*-===//
//
// Conventions shared by every op:
//  - tensors are ranked with static shapes;
//  - axes are normalized (0 <= axis < rank); the frontend resolves negative
//    ONNX axes;
//  - convolution and pooling use NC[D]HW activations and OIHW-style weights;
//  - spatial attributes (`strides`, `dilations`) hold one value per spatial
//    dimension and `pads` holds the begin values then the end values; an
//    empty array means the ONNX default (ones, zeros);
//  - ops whose result shape is a free parameter (reshape, expand, split,
//    slice, resize, cast) take it from the result type; all other ops infer
//    their result types.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECT_KILN_IR_KILNOPS_TD
#define KILN_DIALECT_KILN_IR_KILNOPS_TD

include "kiln/Dialect/Kiln/IR/KilnDialect.td"
include "kiln/Dialect/Kiln/IR/KilnEnums.td"
include "mlir/IR/OpBase.td"
include "mlir/IR/CommonAttrConstraints.td"
include "mlir/Interfaces/DestinationStyleOpInterface.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Types and attributes
//===----------------------------------------------------------------------===//

defvar Kiln_FloatTypes = [F16, BF16, F32, F64];
def Kiln_FloatTensor : StaticShapeTensorOf<Kiln_FloatTypes>;
def Kiln_Tensor : StaticShapeTensorOf<!listconcat(Kiln_FloatTypes, [AnyInteger])>;
def Kiln_IndexTensor : StaticShapeTensorOf<[I32, I64]>;
def Kiln_BoolTensor : StaticShapeTensorOf<[I1]>;


class Kiln_Op<string mnemonic, list<Trait> traits = []>
    : Op<Kiln_Dialect, mnemonic, !listconcat([Pure], traits)>;

/// An op whose result types follow from its operands and attributes. The
/// inference also validates the op, so its messages are the verifier's.
class Kiln_InferredOp<string mnemonic, list<Trait> traits = []>
    : Kiln_Op<mnemonic, !listconcat([InferTypeOpAdaptor], traits)> {
  let assemblyFormat = [{
    operands attr-dict `:` functional-type(operands, results)
  }];
}

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

def Kiln_ConstantOp : Kiln_InferredOp<"constant", [ConstantLike]> {
  let summary = "A tensor constant (weights, folded shapes)";
  let description = [{
    Holds a tensor literal. Weights are `dense_resource` blobs so that large
    models print quickly; small values are `dense` literals.

    ```mlir
    %0 = kiln.constant dense<[1.0, 2.0]> : tensor<2xf32>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs Kiln_Tensor:$output);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Convolution and pooling
//===----------------------------------------------------------------------===//

def Kiln_ConvOp : Kiln_InferredOp<"conv"> {
  let summary = "N-d convolution (ONNX Conv)";
  let description = [{
    Convolution of an `N x C x D1 x ... x Dk` input (k = 1, 2 or 3) with an
    `M x C/group x K1 x ... x Kk` weight and an optional `M` bias.
  }];
  let arguments = (ins Kiln_FloatTensor:$input, Kiln_FloatTensor:$weight,
                       Optional<Kiln_FloatTensor>:$bias,
                       Kiln_I64Array:$strides, Kiln_I64Array:$dilations,
                       Kiln_I64Array:$pads,
                       DefaultValuedAttr<I64Attr, "1">:$group);
  let results = (outs Kiln_FloatTensor:$output);
}

def Kiln_ConvTransposeOp : Kiln_InferredOp<"conv_transpose"> {
  let summary = "N-d transposed convolution (ONNX ConvTranspose)";
  let description = [{
    Transposed convolution of an `N x C x D1 x ... x Dk` input with a
    `C x M/group x K1 x ... x Kk` weight. Output size per spatial dim:
    `stride * (in - 1) + output_padding + (K - 1) * dilation + 1 - pad_begin
    - pad_end`. ONNX's `output_shape` and `auto_pad` are resolved into `pads`
    by the frontend.
  }];
  let arguments = (ins Kiln_FloatTensor:$input, Kiln_FloatTensor:$weight,
                       Optional<Kiln_FloatTensor>:$bias,
                       Kiln_I64Array:$strides, Kiln_I64Array:$dilations,
                       Kiln_I64Array:$pads, Kiln_I64Array:$output_padding,
                       DefaultValuedAttr<I64Attr, "1">:$group);
  let results = (outs Kiln_FloatTensor:$output);
}

def Kiln_PoolOp : Kiln_InferredOp<"pool"> {
  let summary = "Max or average pooling (ONNX MaxPool, AveragePool)";
  let description = [{
    Pooling over the spatial dims of an `N x C x D1 x ... x Dk` input.
    `ceil_mode` rounds the output size up, dropping a last window that would
    start in the end padding. `count_include_pad` (average only) divides by
    the full window size instead of the number of input elements it covers.
  }];
  let arguments = (ins Kiln_PoolKindAttr:$kind, Kiln_FloatTensor:$input,
                       DenseI64ArrayAttr:$kernel_shape,
                       Kiln_I64Array:$strides, Kiln_I64Array:$dilations,
                       Kiln_I64Array:$pads, UnitAttr:$ceil_mode,
                       UnitAttr:$count_include_pad);
  let results = (outs Kiln_FloatTensor:$output);
  let assemblyFormat = [{
    `` $kind $input attr-dict `:` functional-type(operands, results)
  }];
}

def Kiln_GlobalPoolOp : Kiln_InferredOp<"global_pool"> {
  let summary = "Global max or average pooling";
  let description = [{
    Reduces every spatial dim of an `N x C x D1 x ... x Dk` input to 1.
  }];
  let arguments = (ins Kiln_PoolKindAttr:$kind, Kiln_FloatTensor:$input);
  let results = (outs Kiln_FloatTensor:$output);
  let assemblyFormat = [{
    `` $kind $input attr-dict `:` functional-type(operands, results)
  }];
}

//===----------------------------------------------------------------------===//
// Normalization
//===----------------------------------------------------------------------===//

def Kiln_BatchNormOp : Kiln_InferredOp<"batch_norm"> {
  let summary = "Inference batch normalization over dim 1";
  let description = [{
    `(x - mean) / sqrt(var + epsilon) * scale + bias`, where `scale`, `bias`,
    `mean` and `var` are 1-d tensors of the channel count.
  }];
  let arguments = (ins Kiln_FloatTensor:$input, Kiln_FloatTensor:$scale,
                       Kiln_FloatTensor:$bias, Kiln_FloatTensor:$mean,
                       Kiln_FloatTensor:$var,
                       DefaultValuedAttr<F32Attr, "1e-5">:$epsilon);
  let results = (outs Kiln_FloatTensor:$output);
}

def Kiln_LayerNormOp : Kiln_InferredOp<"layer_norm"> {
  let summary = "Layer normalization over the dims from `axis` on";
  let description = [{
    Normalizes over dims `axis..rank-1`, then multiplies by `scale` and adds
    the optional `bias`, both broadcastable to those dims.
  }];
  let arguments = (ins Kiln_FloatTensor:$input, Kiln_FloatTensor:$scale,
                       Optional<Kiln_FloatTensor>:$bias,
                       I64Attr:$axis,
                       DefaultValuedAttr<F32Attr, "1e-5">:$epsilon);
  let results = (outs Kiln_FloatTensor:$output);
}

def Kiln_LRNOp : Kiln_InferredOp<"lrn"> {
  let summary = "Local response normalization across channels";
  let description = [{
    `x / (bias + alpha / size * sum(x^2 over size channels))^beta`.
  }];
  let arguments = (ins Kiln_FloatTensor:$input, I64Attr:$size,
                       DefaultValuedAttr<F32Attr, "1e-4">:$alpha,
                       DefaultValuedAttr<F32Attr, "0.75">:$beta,
                       DefaultValuedAttr<F32Attr, "1.0">:$bias);
  let results = (outs Kiln_FloatTensor:$output);
}

//===----------------------------------------------------------------------===//
// Matrix products
//===----------------------------------------------------------------------===//

def Kiln_MatMulOp : Kiln_InferredOp<"matmul"> {
  let summary = "Matrix product with NumPy batch broadcasting";
  let description = [{
    `numpy.matmul` semantics: 1-d operands are promoted to matrices and the
    promoted dim is dropped from the result; batch dims broadcast.
  }];
  let arguments = (ins Kiln_Tensor:$lhs, Kiln_Tensor:$rhs);
  let results = (outs Kiln_Tensor:$output);
}

def Kiln_GemmOp : Kiln_InferredOp<"gemm"> {
  let summary = "alpha * op(A) * op(B) + beta * C (ONNX Gemm)";
  let arguments = (ins Kiln_FloatTensor:$a, Kiln_FloatTensor:$b,
                       Optional<Kiln_FloatTensor>:$c,
                       UnitAttr:$trans_a, UnitAttr:$trans_b,
                       DefaultValuedAttr<F32Attr, "1.0">:$alpha,
                       DefaultValuedAttr<F32Attr, "1.0">:$beta);
  let results = (outs Kiln_FloatTensor:$output);
  let hasCanonicalizer = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

def Kiln_UnaryOp : Kiln_InferredOp<"unary"> {
  let summary = "Elementwise unary function or activation";
  let description = [{
    Applies `kind` to every element. Parametrized kinds read `alpha` and
    `beta` (see the UnaryKind enum for their meaning and ONNX defaults);
    other kinds reject them. `isnan` and `isinf` produce `i1`; integer
    inputs are accepted by `relu`, `abs`, `neg`, `sign`, `clip` and
    `identity`, `not` takes `i1`. `is_unsigned` (see kiln-signless-integers)
    reads signless integers as unsigned.

    ```mlir
    %1 = kiln.unary leaky_relu %0 {alpha = 0.1 : f32} : tensor<1x8xf32>
    ```
  }];
  let arguments = (ins Kiln_UnaryKindAttr:$kind, Kiln_Tensor:$input,
                       OptionalAttr<F32Attr>:$alpha,
                       OptionalAttr<F32Attr>:$beta, UnitAttr:$is_unsigned);
  let results = (outs Kiln_Tensor:$output);
  let assemblyFormat = "`` $kind $input attr-dict `:` type($input)";
  let hasFolder = 1;
  let extraClassDeclaration = [{
    /// The value of alpha, or the kind's ONNX default when absent.
    float getAlphaOrDefault();
    /// The value of beta, or the kind's ONNX default when absent.
    float getBetaOrDefault();
  }];
}

def Kiln_BinaryOp : Kiln_InferredOp<"binary"> {
  let summary = "Elementwise binary function with NumPy broadcasting";
  let description = [{
    Operands have the same element type, except for `pow`, whose exponent
    may have another numeric type. `and`, `or` and `xor` take `i1`.
    `is_unsigned` (see kiln-signless-integers) reads signless integer
    operands as unsigned; for `pow`, only the exponent is read, since
    integer products wrap alike either way.
  }];
  let arguments = (ins Kiln_BinaryKindAttr:$kind, Kiln_Tensor:$lhs,
                       Kiln_Tensor:$rhs, UnitAttr:$is_unsigned);
  let results = (outs Kiln_Tensor:$output);
  let assemblyFormat = [{
    `` $kind $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
  let hasFolder = 1;
}

def Kiln_CompareOp : Kiln_InferredOp<"compare"> {
  let summary = "Elementwise comparison with NumPy broadcasting";
  let description = [{
    `is_unsigned` (see kiln-signless-integers) compares signless integer
    operands as unsigned.
  }];
  let arguments = (ins Kiln_ComparePredicateAttr:$predicate, Kiln_Tensor:$lhs,
                       Kiln_Tensor:$rhs, UnitAttr:$is_unsigned);
  let results = (outs Kiln_BoolTensor:$output);
  let assemblyFormat = [{
    `` $predicate $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
  let hasFolder = 1;
}

def Kiln_WhereOp : Kiln_InferredOp<"where"> {
  let summary = "Elementwise select with NumPy broadcasting";
  let arguments = (ins Kiln_BoolTensor:$condition, Kiln_Tensor:$lhs,
                       Kiln_Tensor:$rhs);
  let results = (outs Kiln_Tensor:$output);
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Softmax and reductions
//===----------------------------------------------------------------------===//

class Kiln_SoftmaxBase<string mnemonic, string formula>
    : Kiln_InferredOp<mnemonic> {
  let summary = formula # " along one axis";
  let arguments = (ins Kiln_FloatTensor:$input, I64Attr:$axis);
  let results = (outs Kiln_FloatTensor:$output);
}
def Kiln_SoftmaxOp : Kiln_SoftmaxBase<"softmax", "exp(x) / sum(exp(x))">;
def Kiln_LogSoftmaxOp : Kiln_SoftmaxBase<"log_softmax",
                                         "x - log(sum(exp(x)))">;

def Kiln_ReduceOp : Kiln_InferredOp<"reduce"> {
  let summary = "Reduction over a set of axes";
  let description = [{
    Reduces over `axes` (sorted, unique, in range); `i1` inputs take `max`
    (any) and `min` (all) only. `keepdims` keeps the
    reduced dims with size 1. An empty `axes` reduces nothing: the result is
    the kind's elementwise function of the input (`l1` is `abs`, for
    example), and the identity for sum, mean, max, min and prod. The mean of
    integers rounds toward zero. `is_unsigned` (see kiln-signless-integers)
    reads signless integers as unsigned.
  }];
  let arguments = (ins Kiln_ReduceKindAttr:$kind, Kiln_Tensor:$input,
                       DenseI64ArrayAttr:$axes, UnitAttr:$keepdims,
                       UnitAttr:$is_unsigned);
  let results = (outs Kiln_Tensor:$output);
  let assemblyFormat = [{
    `` $kind $input attr-dict `:` functional-type(operands, results)
  }];
  let hasFolder = 1;
}

def Kiln_ArgReduceOp : Kiln_InferredOp<"arg_reduce"> {
  let summary = "Index of the maximum or minimum along an axis";
  let description = [{
    `kind` is `max` or `min`; the result holds i64 indices. Ties resolve to
    the first index, or the last with `select_last_index`. `is_unsigned`
    (see kiln-signless-integers) compares signless integers as unsigned.
  }];
  let arguments = (ins Kiln_ReduceKindAttr:$kind, Kiln_Tensor:$input,
                       I64Attr:$axis, UnitAttr:$keepdims,
                       UnitAttr:$select_last_index, UnitAttr:$is_unsigned);
  let results = (outs StaticShapeTensorOf<[I64]>:$output);
  let assemblyFormat = [{
    `` $kind $input attr-dict `:` functional-type(operands, results)
  }];
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

def Kiln_ReshapeOp : Kiln_Op<"reshape"> {
  let summary = "Reinterpret a tensor's shape (row-major order)";
  let description = [{
    The result type gives the new shape; element counts match. Flatten,
    Squeeze and Unsqueeze import as reshapes.
  }];
  let arguments = (ins Kiln_Tensor:$input);
  let results = (outs Kiln_Tensor:$output);
  let assemblyFormat = [{
    $input attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Kiln_TransposeOp : Kiln_InferredOp<"transpose"> {
  let summary = "Permute the dims: result dim i is input dim perm[i]";
  let arguments = (ins Kiln_Tensor:$input, DenseI64ArrayAttr:$perm);
  let results = (outs Kiln_Tensor:$output);
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}

def Kiln_ConcatOp : Kiln_InferredOp<"concat"> {
  let summary = "Concatenate tensors along an axis";
  let arguments = (ins Variadic<Kiln_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs Kiln_Tensor:$output);
  let hasFolder = 1;
}

def Kiln_SplitOp : Kiln_Op<"split"> {
  let summary = "Split a tensor along an axis into consecutive pieces";
  let description = [{
    The result types give the piece sizes, which add up to the input's size
    along `axis`.
  }];
  let arguments = (ins Kiln_Tensor:$input, I64Attr:$axis);
  let results = (outs Variadic<Kiln_Tensor>:$outputs);
  let assemblyFormat = [{
    $input attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Kiln_SliceOp : Kiln_Op<"slice"> {
  let summary = "Strided slice with static offsets";
  let description = [{
    Result element `i` along dim `d` is input element `offsets[d] + i *
    strides[d]`. Strides are non-zero and may be negative; the result type
    gives the count along each dim, and every element read lies inside the
    input. ONNX Slice's clamped starts/ends/axes/steps import into this form.
  }];
  let arguments = (ins Kiln_Tensor:$input, DenseI64ArrayAttr:$offsets,
                       DenseI64ArrayAttr:$strides);
  let results = (outs Kiln_Tensor:$output);
  let assemblyFormat = [{
    $input attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Kiln_GatherOp : Kiln_InferredOp<"gather"> {
  let summary = "Gather slices along an axis (ONNX Gather, embeddings)";
  let description = [{
    Result shape: `data.shape[:axis] + indices.shape + data.shape[axis+1:]`.
    Negative indices count from the end; an index out of range is a run-time
    error.
  }];
  let arguments = (ins Kiln_Tensor:$data, Kiln_IndexTensor:$indices,
                       I64Attr:$axis);
  let results = (outs Kiln_Tensor:$output);
  let hasFolder = 1;
}

def Kiln_GatherElementsOp : Kiln_InferredOp<"gather_elements"> {
  let summary = "Gather elements along an axis (ONNX GatherElements)";
  let description = [{
    `output[i...] = data[i...]` with the index along `axis` replaced by
    `indices[i...]`; the result has the shape of `indices`, which has the
    data's rank and fits inside it along the other dims. Negative indices
    count from the end; an index out of range is a run-time error.
  }];
  let arguments = (ins Kiln_Tensor:$data, Kiln_IndexTensor:$indices,
                       I64Attr:$axis);
  let results = (outs Kiln_Tensor:$output);
}

def Kiln_ExpandOp : Kiln_Op<"expand"> {
  let summary = "Broadcast a tensor to a larger shape";
  let description = [{
    The result type gives the shape; the input broadcasts to it under NumPy
    rules.
  }];
  let arguments = (ins Kiln_Tensor:$input);
  let results = (outs Kiln_Tensor:$output);
  let assemblyFormat = [{
    $input attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Kiln_PadOp : Kiln_InferredOp<"pad"> {
  let summary = "Pad (or crop, with negative pads) every dim";
  let description = [{
    `pads` holds the begin values of every dim, then the end values.
    `constant` fills with `value`; `reflect` mirrors without repeating the
    edge, `edge` repeats it, `wrap` wraps around.
  }];
  let arguments = (ins Kiln_PadModeAttr:$mode, Kiln_Tensor:$input,
                       DenseI64ArrayAttr:$pads,
                       DefaultValuedAttr<F64Attr, "0.0">:$value);
  let results = (outs Kiln_Tensor:$output);
  let assemblyFormat = [{
    `` $mode $input attr-dict `:` functional-type(operands, results)
  }];
  let hasFolder = 1;
}

def Kiln_CastOp : Kiln_Op<"cast"> {
  let summary = "Convert the element type (ONNX Cast)";
  let description = [{
    Float to integer truncates toward zero; to `i1`, non-zero is true.
    `from_unsigned` and `to_unsigned` (see kiln-signless-integers) read the
    signless integer input, or write the integer result, as unsigned.
  }];
  let arguments = (ins Kiln_Tensor:$input, UnitAttr:$from_unsigned,
                       UnitAttr:$to_unsigned);
  let results = (outs Kiln_Tensor:$output);
  let assemblyFormat = [{
    $input attr-dict `:` type($input) `to` type($output)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Kiln_ResizeOp : Kiln_Op<"resize"> {
  let summary = "Resize by interpolation (ONNX Resize, Upsample)";
  let description = [{
    The result type gives the output size; `scales` (one per dim, positive)
    is the factor the coordinate transformation divides by, as ONNX defines
    it when scales are given, or `out / in` when sizes are.
  }];
  let arguments = (ins Kiln_ResizeModeAttr:$mode, Kiln_FloatTensor:$input,
                       DenseF32ArrayAttr:$scales,
                       DefaultValuedAttr<Kiln_CoordinateTransformAttr,
                         "CoordinateTransform::half_pixel">:$coordinate_transform,
                       DefaultValuedAttr<Kiln_NearestModeAttr,
                         "NearestMode::round_prefer_floor">:$nearest_mode,
                       DefaultValuedAttr<F32Attr, "-0.75">:$cubic_coeff_a,
                       UnitAttr:$exclude_outside);
  let results = (outs Kiln_FloatTensor:$output);
  let assemblyFormat = [{
    `` $mode $input attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Recurrent networks
//===----------------------------------------------------------------------===//

defvar Kiln_RecurrentOperands = (ins
    Kiln_FloatTensor:$x, Kiln_FloatTensor:$w, Kiln_FloatTensor:$r,
    Optional<Kiln_FloatTensor>:$b,
    Optional<StaticShapeTensorOf<[I32]>>:$sequence_lens,
    Optional<Kiln_FloatTensor>:$initial_h);
defvar Kiln_RecurrentAttrs = (ins
    DefaultValuedAttr<Kiln_RNNDirectionAttr,
      "RNNDirection::forward">:$direction,
    I64Attr:$hidden_size,
    DefaultValuedAttr<Kiln_ActivationArrayAttr, "{}">:$activations,
    DefaultValuedAttr<DenseF32ArrayAttr, "{}">:$activation_alpha,
    DefaultValuedAttr<DenseF32ArrayAttr, "{}">:$activation_beta,
    OptionalAttr<F32Attr>:$clip,
    UnitAttr:$projected);

class Kiln_RecurrentOp<string mnemonic, string gates>
    : Kiln_InferredOp<mnemonic, [AttrSizedOperandSegments]> {
  let description = [{
    ONNX semantics with `layout = 0`: `x` is `seq x batch x input`, `w` is
    `dirs x gates*hidden x input`, `r` is `dirs x gates*hidden x hidden`,
    `b` is `dirs x 2*gates*hidden`, `sequence_lens` is `batch`, initial
    states are `dirs x batch x hidden`. Results: `y` is
    `seq x dirs x batch x hidden`, then the last hidden (and cell) states.
    Gates are in ONNX order (}] # gates # [{). `activations` lists the
    functions of one direction, then of the other; empty means ONNX's
    defaults. `activation_alpha`/`activation_beta`, when given, hold one value
    per activation. With `projected` (set by kiln-to-dnnl, which computes
    the projections as one matrix product), `x` already holds `x * w^T +
    wb` of every direction, `seq x batch x dirs*gates*hidden`; `w` and the
    first half of `b` are then not read.
  }];
  let assemblyFormat = [{
    $x `,` $w `,` $r (`bias` $b^)? (`sequence_lens` $sequence_lens^)?
    (`initial_h` $initial_h^)? attr-dict `:` functional-type(operands, results)
  }];
}

def Kiln_RNNOp : Kiln_RecurrentOp<"rnn", "one gate"> {
  let summary = "Vanilla recurrent layer (ONNX RNN)";
  let arguments = !con(Kiln_RecurrentOperands, Kiln_RecurrentAttrs);
  let results = (outs Kiln_FloatTensor:$y, Kiln_FloatTensor:$y_h);
}

def Kiln_GRUOp : Kiln_RecurrentOp<"gru", "update, reset, hidden"> {
  let summary = "Gated recurrent unit layer (ONNX GRU)";
  let arguments = !con(Kiln_RecurrentOperands, Kiln_RecurrentAttrs,
                       (ins UnitAttr:$linear_before_reset));
  let results = (outs Kiln_FloatTensor:$y, Kiln_FloatTensor:$y_h);
}

def Kiln_LSTMOp : Kiln_RecurrentOp<"lstm", "input, output, forget, cell"> {
  let summary = "Long short-term memory layer (ONNX LSTM)";
  let arguments = !con(Kiln_RecurrentOperands,
                       (ins Optional<Kiln_FloatTensor>:$initial_c,
                            Optional<Kiln_FloatTensor>:$p),
                       Kiln_RecurrentAttrs, (ins UnitAttr:$input_forget));
  let results = (outs Kiln_FloatTensor:$y, Kiln_FloatTensor:$y_h,
                      Kiln_FloatTensor:$y_c);
  let assemblyFormat = [{
    $x `,` $w `,` $r (`bias` $b^)? (`sequence_lens` $sequence_lens^)?
    (`initial_h` $initial_h^)? (`initial_c` $initial_c^)? (`peepholes` $p^)?
    attr-dict `:` functional-type(operands, results)
  }];
}

//===----------------------------------------------------------------------===//
// Fused ops
//===----------------------------------------------------------------------===//

def Kiln_FusedConvOp : Kiln_InferredOp<"fused_conv",
                                       [AttrSizedOperandSegments]> {
  let summary = "Convolution with bias, residual add, activation and pooling";
  let description = [{
    Computes, in this order: `y = conv(input, weight) + bias`, `y = y +
    residual` when a residual is given (it has the convolution's output
    shape), `y = activation(y)` when an activation is given (with its
    `activation_alpha`/`activation_beta`, as for `kiln.unary`), and
    finally pooling of `y` when `pool` is given, with the `pool_*`
    attributes read as `kiln.pool` reads its own. Batch normalization is
    folded into `weight` and `bias` before fusion.

    ```mlir
    %y = kiln.fused_conv %x, %w bias %b activation relu pool max
           {pads = array<i64: 1, 1, 1, 1>, pool_kernel_shape = array<i64: 2, 2>,
            pool_strides = array<i64: 2, 2>}
         : (tensor<1x3x32x32xf32>, tensor<16x3x3x3xf32>, tensor<16xf32>)
         -> tensor<1x16x16x16xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$input, Kiln_FloatTensor:$weight,
                       Optional<Kiln_FloatTensor>:$bias,
                       Optional<Kiln_FloatTensor>:$residual,
                       Kiln_I64Array:$strides, Kiln_I64Array:$dilations,
                       Kiln_I64Array:$pads,
                       DefaultValuedAttr<I64Attr, "1">:$group,
                       OptionalAttr<Kiln_UnaryKindAttr>:$activation,
                       OptionalAttr<F32Attr>:$activation_alpha,
                       OptionalAttr<F32Attr>:$activation_beta,
                       OptionalAttr<Kiln_PoolKindAttr>:$pool,
                       Kiln_I64Array:$pool_kernel_shape,
                       Kiln_I64Array:$pool_strides, Kiln_I64Array:$pool_pads,
                       UnitAttr:$pool_ceil_mode,
                       UnitAttr:$pool_count_include_pad);
  let results = (outs Kiln_FloatTensor:$output);
  let assemblyFormat = [{
    $input `,` $weight (`bias` $bias^)? (`residual` $residual^)?
    (`activation` `` $activation^)? (`pool` `` $pool^)?
    attr-dict `:` functional-type(operands, results)
  }];
}

def Kiln_FusedConvTransposeOp : Kiln_InferredOp<"fused_conv_transpose"> {
  let summary = "Transposed convolution with bias and activation";
  let description = [{
    Computes `y = conv_transpose(input, weight) + bias`, then
    `y = activation(y)` with its `activation_alpha`/`activation_beta` (as
    for `kiln.unary`). The convolution attributes read as
    `kiln.conv_transpose` reads its own; batch normalization is folded into
    `weight` and `bias` before fusion.

    ```mlir
    %y = kiln.fused_conv_transpose %x, %w bias %b activation relu
           {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>}
         : (tensor<1x64x4x4xf32>, tensor<64x32x4x4xf32>, tensor<32xf32>)
         -> tensor<1x32x8x8xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$input, Kiln_FloatTensor:$weight,
                       Optional<Kiln_FloatTensor>:$bias,
                       Kiln_I64Array:$strides, Kiln_I64Array:$dilations,
                       Kiln_I64Array:$pads, Kiln_I64Array:$output_padding,
                       DefaultValuedAttr<I64Attr, "1">:$group,
                       Kiln_UnaryKindAttr:$activation,
                       OptionalAttr<F32Attr>:$activation_alpha,
                       OptionalAttr<F32Attr>:$activation_beta);
  let results = (outs Kiln_FloatTensor:$output);
  let assemblyFormat = [{
    $input `,` $weight (`bias` $bias^)? `activation` `` $activation
    attr-dict `:` functional-type(operands, results)
  }];
}

def Kiln_FusedMatMulOp : Kiln_InferredOp<"fused_matmul",
                                         [AttrSizedOperandSegments]> {
  let summary = "Matrix product with bias, residual add and activation";
  let description = [{
    Computes `y = input @ weight + bias` over the last dim of `input`
    (`[..., K] x [K, N] -> [..., N]`, every leading dim of `input` kept),
    `y = y + residual` when a residual is given (it has the output's
    shape), then `y = activation(y)` with its
    `activation_alpha`/`activation_beta` (as for `kiln.unary`). `bias` has
    shape `[N]`; bias, residual and activation are each optional.

    ```mlir
    %y = kiln.fused_matmul %x, %w bias %b activation gelu
         : (tensor<16x16x64xf32>, tensor<64x128xf32>, tensor<128xf32>)
         -> tensor<16x16x128xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$input, Kiln_FloatTensor:$weight,
                       Optional<Kiln_FloatTensor>:$bias,
                       Optional<Kiln_FloatTensor>:$residual,
                       OptionalAttr<Kiln_UnaryKindAttr>:$activation,
                       OptionalAttr<F32Attr>:$activation_alpha,
                       OptionalAttr<F32Attr>:$activation_beta);
  let results = (outs Kiln_FloatTensor:$output);
  let assemblyFormat = [{
    $input `,` $weight (`bias` $bias^)? (`residual` $residual^)?
    (`activation` `` $activation^)?
    attr-dict `:` functional-type(operands, results)
  }];
}

def Kiln_AttentionOp : Kiln_InferredOp<"attention"> {
  let summary = "Scaled dot-product attention";
  let description = [{
    `softmax(q @ k^T * scale + mask) @ v` per batch and head, with
    `q: B x Hq x Lq x D`, `k: B x Hkv x Lk x D`, `v: B x Hkv x Lk x Dv`,
    where `Hq` is a multiple of `Hkv` (grouped-query attention). `scale`
    defaults to `1/sqrt(D)`. The optional `mask` broadcasts to
    `B x Hq x Lq x Lk`: an `i1` mask keeps the positions that are true, a
    float mask is added to the scores. `is_causal` masks the keys after
    each query's own position, query `i` sitting at key position `i +
    causal_offset` (the length of a cached past). `softcap`, when given, maps scores through
    `softcap * tanh(score / softcap)` before masking.

    A query that may see no key (its whole row masked) gives an output row
    of zeros. With an `i1` mask and `mask_fill`, masked positions instead
    score `mask_fill` (a finite value such as the exporters' `-1e9`), so a
    fully masked row averages all the values with equal weights, as
    `softmax(where(mask, s, mask_fill))` does.
  }];
  let arguments = (ins Kiln_FloatTensor:$q, Kiln_FloatTensor:$k,
                       Kiln_FloatTensor:$v, Optional<Kiln_Tensor>:$mask,
                       OptionalAttr<F32Attr>:$scale, UnitAttr:$is_causal,
                       DefaultValuedAttr<I64Attr, "0">:$causal_offset,
                       OptionalAttr<F32Attr>:$softcap,
                       OptionalAttr<F32Attr>:$mask_fill);
  let results = (outs Kiln_FloatTensor:$output);
  let assemblyFormat = [{
    $q `,` $k `,` $v (`mask` $mask^)?
    attr-dict `:` functional-type(operands, results)
  }];
}

#endif // KILN_DIALECT_KILN_IR_KILNOPS_TD

// RUN: kiln-opt %s -kiln-to-linalg -canonicalize -split-input-file | FileCheck %s

// A grouped, strided, padded convolution: the input is padded, the bias
// broadcast into the [N, G, M/G, O...] output, the windows copied into the
// im2col matrix [N, G, C/G*KH*KW, OH*OW], and one generic multiplies the
// [G, M/G, C/G*KH*KW] weights with it, output positions innermost.
// CHECK-DAG: #[[WIN:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d2, d5 * 2 + d3, d6 * 2 + d4)>
// CHECK-DAG: #[[W:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d1, d2, d4)>
// CHECK-DAG: #[[COL:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d4, d3)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func @conv
// CHECK: %[[PADDED:.*]] = tensor.pad %arg0 low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK: %[[INIT:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<2x3xf32>) outs(%{{.*}} : tensor<1x2x3x3x3xf32>)
// CHECK: %[[IN5:.*]] = tensor.expand_shape %[[PADDED]] {{.*}} : tensor<1x4x7x7xf32> into tensor<1x2x2x7x7xf32>
// CHECK: %[[WINDOWS:.*]] = linalg.generic {indexing_maps = [#[[WIN]], {{.*}}]{{.*}} ins(%[[IN5]] : tensor<1x2x2x7x7xf32>) outs(%{{.*}} : tensor<1x2x2x3x3x3x3xf32>)
// CHECK: %[[COLS:.*]] = tensor.collapse_shape %[[WINDOWS]] {{\[\[}}0], [1], [2, 3, 4], [5, 6]] : tensor<1x2x2x3x3x3x3xf32> into tensor<1x2x18x9xf32>
// CHECK: %[[W3:.*]] = tensor.expand_shape %{{.*}} : tensor<6x18xf32> into tensor<2x3x18xf32>
// CHECK: %[[OUT4:.*]] = tensor.collapse_shape %[[INIT]] {{.*}} into tensor<1x2x3x9xf32>
// CHECK: %[[CONV:.*]] = linalg.generic {indexing_maps = [#[[W]], #[[COL]], #[[OUT]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%[[W3]], %[[COLS]] : {{.*}}) outs(%[[OUT4]] : tensor<1x2x3x9xf32>)
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: tensor.expand_shape %[[CONV]] {{.*}} : tensor<1x2x3x9xf32> into tensor<1x2x3x3x3xf32>
func.func @conv(%x: tensor<1x4x5x5xf32>, %w: tensor<6x2x3x3xf32>, %b: tensor<6xf32>) -> tensor<1x6x3x3xf32> {
  %0 = kiln.conv %x, %w, %b {group = 2 : i64, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x4x5x5xf32>, tensor<6x2x3x3xf32>, tensor<6xf32>) -> tensor<1x6x3x3xf32>
  return %0 : tensor<1x6x3x3xf32>
}

// -----

// A 1x1 convolution with unit strides reads the input as the im2col matrix
// directly: no window copy.
// CHECK-LABEL: func @pointwise
// CHECK: %[[COLS:.*]] = tensor.expand_shape %{{.*}} output_shape [1, 1, 4, 25] : tensor<1x4x25xf32> into tensor<1x1x4x25xf32>
// CHECK-NOT: linalg.generic {{.*}}ins(%{{.*}} : tensor<1x1x4x5x5xf32>)
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%{{.*}}, %[[COLS]] : tensor<1x6x4xf32>, tensor<1x1x4x25xf32>)
func.func @pointwise(%x: tensor<1x4x5x5xf32>, %w: tensor<6x4x1x1xf32>) -> tensor<1x6x5x5xf32> {
  %0 = kiln.conv %x, %w : (tensor<1x4x5x5xf32>, tensor<6x4x1x1xf32>) -> tensor<1x6x5x5xf32>
  return %0 : tensor<1x6x5x5xf32>
}

// -----

// Average pooling sums its windows by regions, with no padded copy of the
// input: per spatial dim, the first and last outputs' windows reach into
// the padding and keep their taps inside the input (2 of 3), the interior
// ones keep all 3; each of the 3 x 3 regions is one window generic over a
// slice of the input, written into its slice of the output. The sums are
// then multiplied by the inverse of each window's count of input elements
// (4 at the corners, 6 on the edges, 9 in the middle here). The window
// loops run outside the output loops, so that the innermost loop walks an
// output row.
// CHECK-DAG: #[[PIN:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d4 * 2 + d2, d5 * 2 + d3)>
// CHECK-DAG: #[[PWIN:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d2, d3)>
// CHECK-DAG: #[[POUT:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d4, d5)>
// CHECK-LABEL: func @avgpool
// CHECK-NOT: tensor.pad
// CHECK: %[[INV:.*]] = arith.constant dense<{{\[\[}}2.500000e-01, 0.166666672, 2.500000e-01], [0.166666672, 0.111111112, 0.166666672], [2.500000e-01, 0.166666672, 2.500000e-01]]> : tensor<3x3xf32>
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[OUT:.*]] = tensor.empty() : tensor<1x1x3x3xf32>
// The top left corner: rows and cols 0-1 of the input (the input from its
// start), a 2 x 2 window.
// CHECK: %[[CORNER:.*]] = tensor.extract_slice %[[OUT]][0, 0, 0, 0] [1, 1, 1, 1] [1, 1, 1, 1]
// CHECK: %[[CINIT:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[CORNER]] :
// CHECK: %[[CWIN:.*]] = tensor.empty() : tensor<2x2xf32>
// CHECK: %[[CSUM:.*]] = linalg.generic {indexing_maps = [#[[PIN]], #[[PWIN]], #[[POUT]]], iterator_types = ["parallel", "parallel", "reduction", "reduction", "parallel", "parallel"]} ins(%arg0, %[[CWIN]] : tensor<1x1x5x5xf32>, tensor<2x2xf32>) outs(%[[CINIT]] : tensor<1x1x1x1xf32>)
// CHECK: arith.addf
// CHECK: tensor.insert_slice %[[CSUM]] into %[[OUT]][0, 0, 0, 0] [1, 1, 1, 1] [1, 1, 1, 1]
// The top edge: rows 0-1, cols 1-3, a 2 x 3 window.
// CHECK: tensor.extract_slice %arg0[0, 0, 0, 1] [1, 1, 2, 3] [1, 1, 1, 1]
// CHECK: tensor.empty() : tensor<2x3xf32>
// The middle: rows and cols 1-3, the whole window.
// CHECK: tensor.extract_slice %arg0[0, 0, 1, 1] [1, 1, 3, 3] [1, 1, 1, 1]
// CHECK: tensor.empty() : tensor<3x3xf32>
// The bottom right corner: rows and cols 3-4.
// CHECK: tensor.extract_slice %arg0[0, 0, 3, 3] [1, 1, 2, 2] [1, 1, 1, 1]
// CHECK: %[[LAST:.*]] = linalg.generic
// CHECK: %[[SUM:.*]] = tensor.insert_slice %[[LAST]] into %{{.*}}[0, 0, 2, 2] [1, 1, 1, 1] [1, 1, 1, 1]
// CHECK: linalg.generic {{.*}} ins(%[[SUM]], %[[INV]] : tensor<1x1x3x3xf32>, tensor<3x3xf32>)
// CHECK: arith.mulf
func.func @avgpool(%x: tensor<1x1x5x5xf32>) -> tensor<1x1x3x3xf32> {
  %0 = kiln.pool avg %x {kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x1x5x5xf32>) -> tensor<1x1x3x3xf32>
  return %0 : tensor<1x1x3x3xf32>
}

// -----

// Ceil mode: the last window (cols 4-6) reaches beyond the input and
// keeps cols 4-5; the others (cols 0-2, 2-4) lie inside. Each region's
// output starts at -inf.
// CHECK-LABEL: func @maxpool_ceil
// CHECK-NOT: tensor.pad
// CHECK: %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: %[[OUT:.*]] = tensor.empty() : tensor<1x1x3xf32>
// CHECK: %[[FIRST:.*]] = tensor.extract_slice %[[OUT]][0, 0, 0] [1, 1, 2] [1, 1, 1]
// CHECK: linalg.fill ins(%[[NEGINF]] : f32) outs(%[[FIRST]] :
// CHECK: %[[WIN:.*]] = tensor.empty() : tensor<3xf32>
// CHECK: linalg.generic {{.*}} ins(%arg0, %[[WIN]] : tensor<1x1x6xf32>, tensor<3xf32>)
// CHECK: arith.maximumf
// CHECK: %[[HEAD:.*]] = tensor.insert_slice %{{.*}} into %[[OUT]][0, 0, 0] [1, 1, 2] [1, 1, 1]
// CHECK: %[[LAST:.*]] = tensor.extract_slice %[[HEAD]][0, 0, 2] [1, 1, 1] [1, 1, 1]
// CHECK: linalg.fill ins(%[[NEGINF]] : f32) outs(%[[LAST]] :
// CHECK: tensor.extract_slice %arg0[0, 0, 4] [1, 1, 2] [1, 1, 1]
// CHECK: tensor.empty() : tensor<2xf32>
// CHECK: arith.maximumf
// CHECK: tensor.insert_slice %{{.*}} into %[[HEAD]][0, 0, 2] [1, 1, 1] [1, 1, 1]
func.func @maxpool_ceil(%x: tensor<1x1x6xf32>) -> tensor<1x1x3xf32> {
  %0 = kiln.pool max %x {kernel_shape = array<i64: 3>, strides = array<i64: 2>, ceil_mode} : (tensor<1x1x6xf32>) -> tensor<1x1x3xf32>
  return %0 : tensor<1x1x3xf32>
}

// -----

// CHECK-LABEL: func @global_avg
// CHECK: %[[INV:.*]] = arith.constant 2.500000e-01 : f32
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction", "reduction"]
// CHECK: arith.mulf %{{.*}}, %[[INV]]
func.func @global_avg(%x: tensor<1x3x2x2xf32>) -> tensor<1x3x1x1xf32> {
  %0 = kiln.global_pool avg %x : (tensor<1x3x2x2xf32>) -> tensor<1x3x1x1xf32>
  return %0 : tensor<1x3x1x1xf32>
}

// -----

// A transposed convolution that the sub-pixel forms do not take (dilated
// here) multiplies the [C, M*K] weights with the input, giving each input
// position's contribution to its window, cols[n, g, (m, k), p], then
// scatter-adds each kernel position's part into the output positions
// k * dilation + p * stride (a strided slice, updated in place), and crops
// the pads. Here the uncropped output is 2 * 2 + 2 * 2 + 1 + 1 (output
// padding) = 10 long, cropped to [1, 9).
// CHECK-LABEL: func @conv_transpose
// CHECK: %[[COLS:.*]] = linalg.generic {{.*}}ins(%{{.*}}, %{{.*}} : tensor<1x2x12xf32>, tensor<1x1x2x3xf32>) outs(%{{.*}} : tensor<1x1x12x3xf32>)
// CHECK: arith.mulf
// CHECK: %[[PARTS:.*]] = tensor.expand_shape %[[COLS]] {{.*}} output_shape [1, 1, 4, 3, 3]
// CHECK: %[[FULL:.*]] = linalg.fill {{.*}} -> tensor<1x1x4x10xf32>
// CHECK: %[[P0:.*]] = tensor.extract_slice %[[PARTS]][0, 0, 0, 0, 0] [1, 1, 4, 1, 3] [1, 1, 1, 1, 1]
// CHECK: %[[T0:.*]] = tensor.extract_slice %[[FULL]][0, 0, 0, 0] [1, 1, 4, 3] [1, 1, 1, 2]
// CHECK: %[[S0:.*]] = linalg.generic {{.*}} ins(%[[P0]] : tensor<1x1x4x3xf32>) outs(%[[T0]] : tensor<1x1x4x3xf32>)
// CHECK: %[[F1:.*]] = tensor.insert_slice %[[S0]] into %[[FULL]][0, 0, 0, 0] [1, 1, 4, 3] [1, 1, 1, 2]
// CHECK: tensor.extract_slice %[[F1]][0, 0, 0, 2] [1, 1, 4, 3] [1, 1, 1, 2]
// CHECK: tensor.insert_slice {{.*}}[0, 0, 0, 4] [1, 1, 4, 3] [1, 1, 1, 2]
// CHECK: tensor.extract_slice %{{.*}}[0, 0, 1] [1, 4, 8] [1, 1, 1] : tensor<1x4x10xf32> to tensor<1x4x8xf32>
func.func @conv_transpose(%x: tensor<1x2x3xf32>, %w: tensor<2x4x3xf32>) -> tensor<1x4x8xf32> {
  %0 = kiln.conv_transpose %x, %w {strides = array<i64: 2>, dilations = array<i64: 2>, pads = array<i64: 1, 1>, output_padding = array<i64: 1>} : (tensor<1x2x3xf32>, tensor<2x4x3xf32>) -> tensor<1x4x8xf32>
  return %0 : tensor<1x4x8xf32>
}

// -----

// Its sub-pixel form, for few output channels per group: output position
// 2j + r (class r) takes the kernel taps r + 2u from input position j - u,
// so a convolution of unit stride over the input padded by 1 on each side,
// with a 2-wide window and (class, m) as its 8 output channels, computes
// every class; the kernel (3 taps, padded with a zero tap to 4) is
// rearranged into its weights: [G, s, M/G, C/G, T] with the taps of each
// class reversed (here a copy, as the weights are an argument). The classes
// are then interleaved into the 8 uncropped positions (a transpose) and
// cropped to [1, 7).
// CHECK-DAG: #[[CLASS:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d3, d2, d1 - d4 * 2 + 2)>
// CHECK-LABEL: func @sub_pixel
// CHECK: %[[WPAD:.*]] = tensor.pad %{{.*}} low[0, 0, 0] high[0, 0, 1]
// CHECK: tensor<2x4x3xf32> to tensor<2x4x4xf32>
// CHECK: %[[WE:.*]] = tensor.expand_shape %[[WPAD]] {{.*}} output_shape [1, 2, 4, 4]
// CHECK: %[[W:.*]] = linalg.generic {indexing_maps = [#[[CLASS]], {{.*}}]{{.*}} ins(%[[WE]] : tensor<1x2x4x4xf32>) outs(%{{.*}} : tensor<1x2x4x2x2xf32>)
// CHECK: tensor.pad %{{.*}} low[0, 0, 1] high[0, 0, 1]
// CHECK: %[[CONV:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x8x4xf32>, tensor<1x1x4x4xf32>) outs(%{{.*}} : tensor<1x1x8x4xf32>)
// CHECK: arith.mulf
// CHECK: %[[CLASSES:.*]] = tensor.expand_shape %[[CONV]] {{.*}} output_shape [1, 1, 2, 4, 4]
// CHECK: %[[T:.*]] = linalg.transpose ins(%[[CLASSES]] : tensor<1x1x2x4x4xf32>) outs(%{{.*}} : tensor<1x1x4x4x2xf32>) permutation = [0, 1, 3, 4, 2]
// CHECK: %[[FULL:.*]] = tensor.collapse_shape %[[T]] {{.*}} into tensor<1x4x8xf32>
// CHECK: tensor.extract_slice %[[FULL]][0, 0, 1] [1, 4, 6] [1, 1, 1] : tensor<1x4x8xf32> to tensor<1x4x6xf32>
func.func @sub_pixel(%x: tensor<1x2x3xf32>, %w: tensor<2x4x3xf32>) -> tensor<1x4x6xf32> {
  %0 = kiln.conv_transpose %x, %w {strides = array<i64: 2>, pads = array<i64: 1, 1>, output_padding = array<i64: 1>} : (tensor<1x2x3xf32>, tensor<2x4x3xf32>) -> tensor<1x4x6xf32>
  return %0 : tensor<1x4x6xf32>
}

// -----

// Constant weights are rearranged when the model compiles: w[c, 0, q] for
// class r, reversed tap u' at [0, (r, m), (c, u')] = w[c, 0, r + 2 (1 - u')].
// CHECK-LABEL: func @sub_pixel_constant
// CHECK: %[[W:.*]] = arith.constant dense<{{\[\[\[}}3.000000e+00, 1.000000e+00, 7.000000e+00, 5.000000e+00], [4.000000e+00, 2.000000e+00, 8.000000e+00, 6.000000e+00]]]> : tensor<1x2x4xf32>
// CHECK: linalg.generic {{.*}} ins(%[[W]], %{{.*}} : tensor<1x2x4xf32>, tensor<1x1x4x4xf32>)
func.func @sub_pixel_constant(%x: tensor<1x2x3xf32>) -> tensor<1x1x6xf32> {
  %w = kiln.constant dense<[[[1.0, 2.0, 3.0, 4.0]], [[5.0, 6.0, 7.0, 8.0]]]> : tensor<2x1x4xf32>
  %0 = kiln.conv_transpose %x, %w {strides = array<i64: 2>, pads = array<i64: 1, 1>} : (tensor<1x2x3xf32>, tensor<2x1x4xf32>) -> tensor<1x1x6xf32>
  return %0 : tensor<1x1x6xf32>
}

// -----

// With many input channels and few output ones, the products of every
// kernel tap with every input position, p[n, g, (m, q), i] (as col2im
// makes them), are fewer than the convolution's im2col matrix: each class
// position gathers its taps from them, classes[n, g, r, m, j] = bias +
// sum_u p[.., r + 2u, j - u], in window reductions over u, one per run of
// positions whose taps all lie in the input (j = 0 takes u = 0 alone,
// j = 1..2 both taps, j = 3 u = 1 alone), each into its slice of the
// classes; then the same interleaving.
// CHECK-DAG: #[[FIRST:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d3, d2 + d4 * 2, d5 - d4)>
// CHECK-DAG: #[[MIDDLE:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d3, d2 + d4 * 2, d5 - d4 + 1)>
// CHECK-DAG: #[[LAST:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d3, d2 + d4 * 2 + 2, d5 - d4 + 2)>
// CHECK-DAG: #[[WINDOW:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d4)>
// CHECK-LABEL: func @gathered
// CHECK-NOT: tensor.pad
// CHECK: %[[P:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x32x4xf32>, tensor<1x1x32x3xf32>) outs(%{{.*}} : tensor<1x1x4x3xf32>)
// CHECK: arith.mulf
// CHECK: %[[PE:.*]] = tensor.expand_shape %[[P]] {{.*}} output_shape [1, 1, 1, 4, 3]
// CHECK: %[[BIAS:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<1x1x2x1x4xf32>)
// CHECK: %[[S0:.*]] = tensor.extract_slice %[[BIAS]][0, 0, 0, 0, 0] [1, 1, 2, 1, 1]
// CHECK: %[[G0:.*]] = linalg.generic {indexing_maps = [#[[FIRST]], #[[WINDOW]], {{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "parallel"]} ins(%[[PE]], %{{.*}} : tensor<1x1x1x4x3xf32>, tensor<1xf32>) outs(%[[S0]] : tensor<1x1x2x1x1xf32>)
// CHECK: arith.addf
// CHECK: %[[A0:.*]] = tensor.insert_slice %[[G0]] into %[[BIAS]][0, 0, 0, 0, 0] [1, 1, 2, 1, 1]
// CHECK: %[[S1:.*]] = tensor.extract_slice %[[A0]][0, 0, 0, 0, 1] [1, 1, 2, 1, 2]
// CHECK: linalg.generic {indexing_maps = [#[[MIDDLE]], #[[WINDOW]], {{.*}}]{{.*}} ins(%[[PE]], %{{.*}} : tensor<1x1x1x4x3xf32>, tensor<2xf32>) outs(%[[S1]] : tensor<1x1x2x1x2xf32>)
// CHECK: tensor.insert_slice {{.*}}[0, 0, 0, 0, 1] [1, 1, 2, 1, 2]
// CHECK: linalg.generic {indexing_maps = [#[[LAST]], #[[WINDOW]], {{.*}}]{{.*}} outs(%{{.*}} : tensor<1x1x2x1x1xf32>)
// CHECK: %[[CLASSES:.*]] = tensor.insert_slice {{.*}}[0, 0, 0, 0, 3] [1, 1, 2, 1, 1]
// CHECK: linalg.transpose ins(%[[CLASSES]] : tensor<1x1x2x1x4xf32>) outs(%{{.*}} : tensor<1x1x1x4x2xf32>) permutation = [0, 1, 3, 4, 2]
// CHECK: tensor.extract_slice %{{.*}}[0, 0, 1] [1, 1, 6] [1, 1, 1] : tensor<1x1x8xf32> to tensor<1x1x6xf32>
func.func @gathered(%x: tensor<1x32x3xf32>, %w: tensor<32x1x4xf32>, %b: tensor<1xf32>) -> tensor<1x1x6xf32> {
  %0 = kiln.conv_transpose %x, %w, %b {strides = array<i64: 2>, pads = array<i64: 1, 1>} : (tensor<1x32x3xf32>, tensor<32x1x4xf32>, tensor<1xf32>) -> tensor<1x1x6xf32>
  return %0 : tensor<1x1x6xf32>
}

// -----

// A fused transposed convolution lowers as the transposed convolution, then
// the activation reading its crop.
// CHECK-LABEL: func @fused_conv_transpose
// CHECK: linalg.transpose
// CHECK: %[[CROP:.*]] = tensor.extract_slice %{{.*}}[0, 0, 1] [1, 4, 6] [1, 1, 1] : tensor<1x4x8xf32> to tensor<1x4x6xf32>
// CHECK: %[[A:.*]] = linalg.generic {{.*}} ins(%[[CROP]] : tensor<1x4x6xf32>)
// CHECK: math.tanh
// CHECK: return %[[A]]
func.func @fused_conv_transpose(%x: tensor<1x2x3xf32>, %w: tensor<2x4x3xf32>) -> tensor<1x4x6xf32> {
  %0 = kiln.fused_conv_transpose %x, %w activation tanh {strides = array<i64: 2>, pads = array<i64: 1, 1>, output_padding = array<i64: 1>} : (tensor<1x2x3xf32>, tensor<2x4x3xf32>) -> tensor<1x4x6xf32>
  return %0 : tensor<1x4x6xf32>
}

// -----

// A fused convolution with pooling (f32, 2-d, one group, no residual)
// becomes kiln_backend.conv_pool. The input is padded for the convolution (1) and
// in front by the pooling's padding times the stride (1): 2 rows and
// columns in front; behind, 1 for the convolution, as the last pooling
// window ((4 - 1) * 2 + 3 = 9 positions, 11 input positions) needs no more.
// The weights are the [M, C * KH * KW] matrix.
// CHECK-LABEL: func @fused_conv_pool
// CHECK: %[[IN:.*]] = tensor.pad %arg0 low[0, 0, 2, 2] high[0, 0, 1, 1]
// CHECK: tensor<1x2x8x8xf32> to tensor<1x2x11x11xf32>
// CHECK: %[[W:.*]] = tensor.collapse_shape %arg1 {{\[\[}}0], [1, 2, 3]] : tensor<4x2x3x3xf32> into tensor<4x18xf32>
// CHECK: %[[R:.*]] = kiln_backend.conv_pool %[[IN]], %[[W]] bias %arg2 into %{{.*}} {activation = #kiln<unary relu>, band = 1 : i64, conv_shape = array<i64: 8, 8>, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 3, 3>, pool = #kiln<pool max>, pool_kernel_shape = array<i64: 3, 3>, pool_pads = array<i64: 1, 1>, pool_strides = array<i64: 2, 2>, strides = array<i64: 1, 1>}
// CHECK: return %[[R]]
func.func @fused_conv_pool(%x: tensor<1x2x8x8xf32>, %w: tensor<4x2x3x3xf32>, %b: tensor<4xf32>) -> tensor<1x4x4x4xf32> {
  %0 = kiln.fused_conv %x, %w bias %b activation relu pool max {pads = array<i64: 1, 1, 1, 1>, pool_kernel_shape = array<i64: 3, 3>, pool_strides = array<i64: 2, 2>, pool_pads = array<i64: 1, 1, 1, 1>} : (tensor<1x2x8x8xf32>, tensor<4x2x3x3xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
  return %0 : tensor<1x4x4x4xf32>
}

// -----

// Average pooling brings the reciprocal window sizes (here without the
// padding: 1/4 inside, 1/2 on the edges, 1 in the corner of the ceil-mode
// overhang). The im2col matrix is small next to the weights (25 positions,
// 4 output channels), so a step is a whole image: a band of 3 rows.
// CHECK-LABEL: func @fused_conv_avg_pool
// CHECK: %[[COUNTS:.*]] = arith.constant dense<{{\[\[}}2.500000e-01, 2.500000e-01, 5.000000e-01], [2.500000e-01, 2.500000e-01, 5.000000e-01], [5.000000e-01, 5.000000e-01, 1.000000e+00]]> : tensor<3x3xf32>
// CHECK: kiln_backend.conv_pool %{{.*}}, %{{.*}} counts %[[COUNTS]] into
// CHECK-SAME: band = 3 : i64
// CHECK-SAME: pool = #kiln<pool avg>
func.func @fused_conv_avg_pool(%x: tensor<2x2x5x5xf32>, %w: tensor<4x2x1x1xf32>) -> tensor<2x4x3x3xf32> {
  %0 = kiln.fused_conv %x, %w pool avg {pool_kernel_shape = array<i64: 2, 2>, pool_strides = array<i64: 2, 2>, pool_ceil_mode} : (tensor<2x2x5x5xf32>, tensor<4x2x1x1xf32>) -> tensor<2x4x3x3xf32>
  return %0 : tensor<2x4x3x3xf32>
}

// -----

// A residual, groups or a third spatial dim keep the unfused lowering.
// CHECK-LABEL: func @fused_conv_pool_grouped
// CHECK-NOT: kiln_backend.conv_pool
// CHECK: linalg.generic
func.func @fused_conv_pool_grouped(%x: tensor<1x4x8x8xf32>, %w: tensor<4x2x3x3xf32>) -> tensor<1x4x3x3xf32> {
  %0 = kiln.fused_conv %x, %w pool max {group = 2 : i64, pool_kernel_shape = array<i64: 2, 2>, pool_strides = array<i64: 2, 2>} : (tensor<1x4x8x8xf32>, tensor<4x2x3x3xf32>) -> tensor<1x4x3x3xf32>
  return %0 : tensor<1x4x3x3xf32>
}

// -----

// Without pooling, a convolution whose im2col matrix is large (2.6 MiB)
// next to its weights (4096 positions, 16 output channels) runs in bands
// too: 8 rows per step keep a step's im2col matrix and output rows within
// 512 KiB. A fused residual comes along; small convolutions keep the plain
// lowering.
// CHECK-LABEL: func @banded_conv
// CHECK: kiln_backend.conv_pool %{{.*}}, %{{.*}} bias %arg2 into {{.*}}band = 8 : i64, conv_shape = array<i64: 64, 64>
// CHECK-SAME: pool_kernel_shape = array<i64: 1, 1>, pool_pads = array<i64: 0, 0>, pool_strides = array<i64: 1, 1>
// CHECK: kiln_backend.conv_pool %{{.*}}, %{{.*}} bias %arg2 residual %arg3 into {{.*}}activation = #kiln<unary relu>, band = 8 : i64
// CHECK-NOT: kiln_backend.conv_pool
func.func @banded_conv(%x: tensor<1x16x64x64xf32>, %w: tensor<16x16x3x3xf32>, %b: tensor<16xf32>, %r: tensor<1x16x64x64xf32>, %small: tensor<1x16x8x8xf32>) -> (tensor<1x16x64x64xf32>, tensor<1x16x64x64xf32>, tensor<1x16x8x8xf32>) {
  %0 = kiln.conv %x, %w, %b {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x16x64x64xf32>, tensor<16x16x3x3xf32>, tensor<16xf32>) -> tensor<1x16x64x64xf32>
  %1 = kiln.fused_conv %x, %w bias %b residual %r activation relu {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x16x64x64xf32>, tensor<16x16x3x3xf32>, tensor<16xf32>, tensor<1x16x64x64xf32>) -> tensor<1x16x64x64xf32>
  %2 = kiln.conv %small, %w {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x16x8x8xf32>, tensor<16x16x3x3xf32>) -> tensor<1x16x8x8xf32>
  return %0, %1, %2 : tensor<1x16x64x64xf32>, tensor<1x16x64x64xf32>, tensor<1x16x8x8xf32>
}

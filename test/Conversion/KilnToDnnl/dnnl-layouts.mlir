// RUN: kiln-opt %s -kiln-to-dnnl="min-work=0 runtime-weights=true" -kiln-dnnl-layouts -split-input-file | FileCheck %s

// conv (3 input channels, read dense) -> relu -> conv -> + residual ->
// max pool: everything from the first convolution on stays blocked
// (nChw16c, [N, C/16, H, W, 16]), the pooling too, which is generated code
// over the blocked tensor's windows; one reorder brings the result back.
// CHECK-LABEL: func @chain
// CHECK: %[[C1:.*]] = kiln_backend.dnnl_call "conv" ins(%arg0, %arg1 : tensor<1x3x8x8xf32>, tensor<32x3x3x3xf32>) outs(%{{.*}} : tensor<1x2x8x8x16xf32>)
// CHECK-SAME: layouts = array<i64: 0, 0, 16>
// CHECK: %[[R:.*]] = kiln.unary relu %[[C1]] : tensor<1x2x8x8x16xf32>
// CHECK: %[[C2:.*]] = kiln_backend.dnnl_call "conv" ins(%[[R]], %arg2 : tensor<1x2x8x8x16xf32>, tensor<32x32x3x3xf32>)
// CHECK-SAME: layouts = array<i64: 16, 0, 16>
// CHECK: %[[S:.*]] = kiln.binary add %[[C2]], %[[R]] : (tensor<1x2x8x8x16xf32>, tensor<1x2x8x8x16xf32>) -> tensor<1x2x8x8x16xf32>
// CHECK: %[[P:.*]] = linalg.generic
// CHECK-SAME: ins(%[[S]], %{{.*}} : tensor<1x2x8x8x16xf32>, tensor<2x2xf32>) outs(%{{.*}} : tensor<1x2x4x4x16xf32>)
// CHECK: arith.maximumf
// CHECK: %[[D:.*]] = kiln_backend.dnnl_call "reorder" ins(%[[P]] : tensor<1x2x4x4x16xf32>) outs(%{{.*}} : tensor<1x32x4x4xf32>)
// CHECK-SAME: layouts = array<i64: 16, 0>
// CHECK-NOT: "reorder"
// CHECK: return %[[D]]
func.func @chain(%x: tensor<1x3x8x8xf32>, %w1: tensor<32x3x3x3xf32>, %w2: tensor<32x32x3x3xf32>) -> tensor<1x32x4x4xf32> {
  %0 = kiln.conv %x, %w1 {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x3x8x8xf32>, tensor<32x3x3x3xf32>) -> tensor<1x32x8x8xf32>
  %1 = kiln.unary relu %0 : tensor<1x32x8x8xf32>
  %2 = kiln.conv %1, %w2 {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x32x8x8xf32>, tensor<32x32x3x3xf32>) -> tensor<1x32x8x8xf32>
  %3 = kiln.binary add %2, %1 : (tensor<1x32x8x8xf32>, tensor<1x32x8x8xf32>) -> tensor<1x32x8x8xf32>
  %4 = kiln.pool max %3 {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x32x8x8xf32>) -> tensor<1x32x4x4xf32>
  return %4 : tensor<1x32x4x4xf32>
}

// -----

// A dense consumer (an add broadcasting along the channels) gets the dense
// tensor back right after its producer; a blocked op that reads a dense
// tensor whose channels fill blocks gets one reorder forward, shared by its
// readers.
// CHECK-LABEL: func @boundaries
// CHECK: %[[B:.*]] = kiln_backend.dnnl_call "reorder" ins(%arg0 : tensor<1x16x4x4xf32>) outs(%{{.*}} : tensor<1x1x4x4x16xf32>)
// CHECK-SAME: layouts = array<i64: 0, 16>
// CHECK: %[[N1:.*]] = kiln_backend.dnnl_call "batch_norm" ins(%[[B]]
// CHECK: %[[D1:.*]] = kiln_backend.dnnl_call "reorder" ins(%[[N1]]
// CHECK: kiln.binary add %[[D1]], %arg1 : (tensor<1x16x4x4xf32>, tensor<1x1x4x4xf32>)
// CHECK: kiln_backend.dnnl_call "batch_norm" ins(%[[B]]
// CHECK-NOT: kiln_backend.dnnl_call "reorder" ins(%arg0
func.func @boundaries(%x: tensor<1x16x4x4xf32>, %plane: tensor<1x1x4x4xf32>, %c: tensor<16xf32>) -> (tensor<1x16x4x4xf32>, tensor<1x16x4x4xf32>) {
  %0 = kiln.batch_norm %x, %c, %c, %c, %c : (tensor<1x16x4x4xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<1x16x4x4xf32>
  %1 = kiln.binary add %0, %plane : (tensor<1x16x4x4xf32>, tensor<1x1x4x4xf32>) -> tensor<1x16x4x4xf32>
  %2 = kiln.batch_norm %x, %c, %c, %c, %c {epsilon = 1.0e-3 : f32} : (tensor<1x16x4x4xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<1x16x4x4xf32>
  return %1, %2 : tensor<1x16x4x4xf32>, tensor<1x16x4x4xf32>
}

// -----

// A per-channel operand ([1, C, 1, 1]) of a binary op joins the blocked
// layout by a reshape to [1, C/16, 1, 1, 16].
// CHECK-LABEL: func @per_channel
// CHECK: %[[N:.*]] = kiln_backend.dnnl_call "batch_norm"
// CHECK: %[[B:.*]] = kiln.reshape %arg1 : (tensor<1x32x1x1xf32>) -> tensor<1x2x1x1x16xf32>
// CHECK: %[[S:.*]] = kiln.binary add %[[N]], %[[B]] : (tensor<1x2x4x4x16xf32>, tensor<1x2x1x1x16xf32>) -> tensor<1x2x4x4x16xf32>
// CHECK: kiln_backend.dnnl_call "reorder" ins(%[[S]]
func.func @per_channel(%x: tensor<1x32x4x4xf32>, %bias: tensor<1x32x1x1xf32>, %c: tensor<32xf32>) -> tensor<1x32x4x4xf32> {
  %0 = kiln.batch_norm %x, %c, %c, %c, %c : (tensor<1x32x4x4xf32>, tensor<32xf32>, tensor<32xf32>, tensor<32xf32>, tensor<32xf32>) -> tensor<1x32x4x4xf32>
  %1 = kiln.binary add %0, %bias : (tensor<1x32x4x4xf32>, tensor<1x32x1x1xf32>) -> tensor<1x32x4x4xf32>
  return %1 : tensor<1x32x4x4xf32>
}

// -----

// Pooling of a blocked tensor with padding, ceil mode and averaging:
// windows summed by regions of the blocked input (no padded copy), then
// multiplied by the reciprocal counts ([1, 1, OH, OW, 1], padding not
// counted). Per spatial dim the first window keeps 2 taps (rows 0-1), the
// middle two all 3 (rows 1-5), and ceil mode's last one 1 (row 5).
// CHECK-LABEL: func @avg_pool_blocked
// CHECK: %[[C:.*]] = kiln_backend.dnnl_call "conv"
// CHECK-NOT: tensor.pad
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[C]], %{{.*}} : tensor<1x1x6x6x16xf32>, tensor<2x2xf32>) outs(%{{.*}} : tensor<1x1x1x1x16xf32>)
// CHECK: arith.addf
// CHECK: tensor.extract_slice %[[C]][0, 0, 1, 1, 0] [1, 1, 5, 5, 16] [1, 1, 1, 1, 1]
// CHECK: tensor.empty() : tensor<3x3xf32>
// CHECK: linalg.generic
// CHECK-SAME: outs(%{{.*}} : tensor<1x1x2x2x16xf32>)
// CHECK: tensor.extract_slice %[[C]][0, 0, 5, 5, 0] [1, 1, 1, 1, 16] [1, 1, 1, 1, 1]
// CHECK: tensor.empty() : tensor<1x1xf32>
// CHECK: linalg.generic
// CHECK: %[[SUM:.*]] = tensor.insert_slice %{{.*}} into %{{.*}}[0, 0, 3, 3, 0] [1, 1, 1, 1, 16] [1, 1, 1, 1, 1]
// CHECK: %[[INV:.*]] = arith.constant dense<{{.*}}> : tensor<1x1x4x4x1xf32>
// CHECK: %[[AVG:.*]] = linalg.generic
// CHECK-SAME: ins(%[[SUM]], %[[INV]] : tensor<1x1x4x4x16xf32>, tensor<1x1x4x4x1xf32>)
// CHECK: kiln_backend.dnnl_call "reorder" ins(%[[AVG]]
func.func @avg_pool_blocked(%x: tensor<1x16x6x6xf32>, %w: tensor<16x16x1x1xf32>) -> tensor<1x16x4x4xf32> {
  %0 = kiln.conv %x, %w : (tensor<1x16x6x6xf32>, tensor<16x16x1x1xf32>) -> tensor<1x16x6x6xf32>
  %1 = kiln.pool avg %0 {kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, ceil_mode} : (tensor<1x16x6x6xf32>) -> tensor<1x16x4x4xf32>
  return %1 : tensor<1x16x4x4xf32>
}

// -----

// Channels that do not fill blocks but are more than one block (24 with
// blocks of 16, as in MobileNet-v2) are blocked for convolutions, the last
// block padded: two blocks for 24 channels.
// CHECK-LABEL: func @partial_blocks
// CHECK: %[[IN:.*]] = kiln_backend.dnnl_call "reorder" ins(%arg0 : tensor<1x24x4x4xf32>) outs(%{{.*}} : tensor<1x2x4x4x16xf32>)
// CHECK: %[[MID:.*]] = kiln_backend.dnnl_call "conv" ins(%[[IN]], %arg1 : tensor<1x2x4x4x16xf32>, tensor<144x24x1x1xf32>) outs(%{{.*}} : tensor<1x9x4x4x16xf32>)
// CHECK-SAME: layouts = array<i64: 16, 0, 16>
// CHECK: %[[OUT:.*]] = kiln_backend.dnnl_call "conv" ins(%[[MID]], %arg2 : tensor<1x9x4x4x16xf32>, tensor<24x144x1x1xf32>) outs(%{{.*}} : tensor<1x2x4x4x16xf32>)
// CHECK-SAME: layouts = array<i64: 16, 0, 16>
// CHECK: kiln_backend.dnnl_call "reorder" ins(%[[OUT]] : tensor<1x2x4x4x16xf32>) outs(%{{.*}} : tensor<1x24x4x4xf32>)
// CHECK-NOT: dnnl_call
func.func @partial_blocks(%x: tensor<1x24x4x4xf32>, %w1: tensor<144x24x1x1xf32>, %w2: tensor<24x144x1x1xf32>) -> tensor<1x24x4x4xf32> {
  %0 = kiln.conv %x, %w1 : (tensor<1x24x4x4xf32>, tensor<144x24x1x1xf32>) -> tensor<1x144x4x4xf32>
  %1 = kiln.conv %0, %w2 : (tensor<1x144x4x4xf32>, tensor<24x144x1x1xf32>) -> tensor<1x24x4x4xf32>
  return %1 : tensor<1x24x4x4xf32>
}

// -----

// Code generated on blocked tensors never reads a padded one: the padding
// would not stay zero under an elementwise op, and a concatenation would
// place it between channels. Both read the convolutions' dense results.
// CHECK-LABEL: func @padded_consumers
// CHECK: %[[A:.*]] = kiln_backend.dnnl_call "conv" {{.*}} outs(%{{.*}} : tensor<1x2x4x4x16xf32>)
// CHECK: %[[DA:.*]] = kiln_backend.dnnl_call "reorder" ins(%[[A]] : tensor<1x2x4x4x16xf32>) outs(%{{.*}} : tensor<1x24x4x4xf32>)
// CHECK: %[[B:.*]] = kiln_backend.dnnl_call "conv" {{.*}} outs(%{{.*}} : tensor<1x2x4x4x16xf32>)
// CHECK: %[[DB:.*]] = kiln_backend.dnnl_call "reorder" ins(%[[B]] : tensor<1x2x4x4x16xf32>) outs(%{{.*}} : tensor<1x24x4x4xf32>)
// CHECK: kiln.unary exp %[[DA]] : tensor<1x24x4x4xf32>
// CHECK: kiln.concat %[[DA]], %[[DB]] {{.*}} -> tensor<1x48x4x4xf32>
func.func @padded_consumers(%x: tensor<1x32x4x4xf32>, %w: tensor<24x32x1x1xf32>) -> (tensor<1x24x4x4xf32>, tensor<1x48x4x4xf32>) {
  %a = kiln.conv %x, %w : (tensor<1x32x4x4xf32>, tensor<24x32x1x1xf32>) -> tensor<1x24x4x4xf32>
  %b = kiln.conv %x, %w : (tensor<1x32x4x4xf32>, tensor<24x32x1x1xf32>) -> tensor<1x24x4x4xf32>
  %e = kiln.unary exp %a : tensor<1x24x4x4xf32>
  %c = kiln.concat %a, %b {axis = 1 : i64} : (tensor<1x24x4x4xf32>, tensor<1x24x4x4xf32>) -> tensor<1x48x4x4xf32>
  return %e, %c : tensor<1x24x4x4xf32>, tensor<1x48x4x4xf32>
}

// -----

// A grouped convolution whose groups are not single channels keeps its
// channels dense when they do not fill blocks (the padding would fall
// inside the last group).
// CHECK-LABEL: func @padded_groups
// CHECK-NOT: "reorder"
// CHECK: kiln_backend.dnnl_call "conv" ins(%arg0, %arg1 : tensor<1x24x4x4xf32>, tensor<24x12x3x3xf32>) outs(%{{.*}} : tensor<1x24x2x2xf32>)
// CHECK-NOT: "reorder"
// CHECK: return
func.func @padded_groups(%x: tensor<1x24x4x4xf32>, %w: tensor<24x12x3x3xf32>) -> tensor<1x24x2x2xf32> {
  %0 = kiln.conv %x, %w {group = 2 : i64} : (tensor<1x24x4x4xf32>, tensor<24x12x3x3xf32>) -> tensor<1x24x2x2xf32>
  return %0 : tensor<1x24x2x2xf32>
}

// -----

// A blocked tensor flattened for products with constant weights only is
// flattened blocked: no reorder, and the weights' rows (columns when
// transposed) follow the blocked order of the features, (c / 16, w, c % 16)
// for channel c at column w: row 2c + w of the original for c < 16.
// CHECK-LABEL: func @flatten_products
// CHECK-DAG: %[[W:.*]] = kiln.constant dense<{{\[\[}}0.000000e+00], [2.000000e+00], [4.000000e+00], {{.*}}, [3.000000e+01], [1.000000e+00], [3.000000e+00], {{.*}}, [3.100000e+01]]> : tensor<32x1xf32>
// CHECK-DAG: %[[T:.*]] = kiln.constant dense<{{\[\[}}0.000000e+00, 2.000000e+00, 4.000000e+00, {{.*}}, 3.000000e+01, 1.000000e+00, 3.000000e+00, {{.*}}, 3.100000e+01]]> : tensor<1x32xf32>
// CHECK-NOT: "reorder"
// CHECK: %[[C:.*]] = kiln_backend.dnnl_call "conv" {{.*}} outs(%{{.*}} : tensor<1x1x1x2x16xf32>)
// CHECK: %[[F:.*]] = kiln.reshape %[[C]] : (tensor<1x1x1x2x16xf32>) -> tensor<1x32xf32>
// CHECK: kiln_backend.dnnl_call "matmul" ins(%[[F]], %[[W]] : tensor<1x32xf32>, tensor<32x1xf32>)
// CHECK: kiln_backend.dnnl_call "matmul" ins(%[[F]], %[[T]] : tensor<1x32xf32>, tensor<1x32xf32>)
// CHECK-NOT: "reorder"
// CHECK: return
func.func @flatten_products(%x: tensor<1x3x1x2xf32>, %w: tensor<16x3x1x1xf32>) -> (tensor<1x1xf32>, tensor<1x1xf32>) {
  %k = kiln.constant dense<[[0.0], [1.0], [2.0], [3.0], [4.0], [5.0], [6.0], [7.0], [8.0], [9.0], [10.0], [11.0], [12.0], [13.0], [14.0], [15.0], [16.0], [17.0], [18.0], [19.0], [20.0], [21.0], [22.0], [23.0], [24.0], [25.0], [26.0], [27.0], [28.0], [29.0], [30.0], [31.0]]> : tensor<32x1xf32>
  %kt = kiln.constant dense<[[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0, 18.0, 19.0, 20.0, 21.0, 22.0, 23.0, 24.0, 25.0, 26.0, 27.0, 28.0, 29.0, 30.0, 31.0]]> : tensor<1x32xf32>
  %0 = kiln.conv %x, %w : (tensor<1x3x1x2xf32>, tensor<16x3x1x1xf32>) -> tensor<1x16x1x2xf32>
  %1 = kiln.reshape %0 : (tensor<1x16x1x2xf32>) -> tensor<1x32xf32>
  %2 = kiln.fused_matmul %1, %k : (tensor<1x32xf32>, tensor<32x1xf32>) -> tensor<1x1xf32>
  %3 = kiln.gemm %1, %kt {trans_b} : (tensor<1x32xf32>, tensor<1x32xf32>) -> tensor<1x1xf32>
  return %2, %3 : tensor<1x1xf32>, tensor<1x1xf32>
}

// -----

// A flattened tensor that anything but a product reads stays dense.
// CHECK-LABEL: func @flatten_kept
// CHECK: %[[C:.*]] = kiln_backend.dnnl_call "conv"
// CHECK: %[[D:.*]] = kiln_backend.dnnl_call "reorder" ins(%[[C]]
// CHECK: %[[F:.*]] = kiln.reshape %[[D]] : (tensor<1x16x1x2xf32>) -> tensor<1x32xf32>
// CHECK: kiln_backend.dnnl_call "matmul" ins(%[[F]], %{{.*}} : tensor<1x32xf32>, tensor<32x1xf32>)
// CHECK: kiln.unary relu %[[F]]
func.func @flatten_kept(%x: tensor<1x3x1x2xf32>, %w: tensor<16x3x1x1xf32>) -> (tensor<1x1xf32>, tensor<1x32xf32>) {
  %k = kiln.constant dense<[[0.0], [1.0], [2.0], [3.0], [4.0], [5.0], [6.0], [7.0], [8.0], [9.0], [10.0], [11.0], [12.0], [13.0], [14.0], [15.0], [16.0], [17.0], [18.0], [19.0], [20.0], [21.0], [22.0], [23.0], [24.0], [25.0], [26.0], [27.0], [28.0], [29.0], [30.0], [31.0]]> : tensor<32x1xf32>
  %0 = kiln.conv %x, %w : (tensor<1x3x1x2xf32>, tensor<16x3x1x1xf32>) -> tensor<1x16x1x2xf32>
  %1 = kiln.reshape %0 : (tensor<1x16x1x2xf32>) -> tensor<1x32xf32>
  %2 = kiln.fused_matmul %1, %k : (tensor<1x32xf32>, tensor<32x1xf32>) -> tensor<1x1xf32>
  %3 = kiln.unary relu %1 : tensor<1x32xf32>
  return %2, %3 : tensor<1x1xf32>, tensor<1x32xf32>
}

// -----

// Weights with a batch of their own are not permuted: the reorder stays.
// CHECK-LABEL: func @flatten_batched_weights
// CHECK: %[[C:.*]] = kiln_backend.dnnl_call "conv"
// CHECK: %[[D:.*]] = kiln_backend.dnnl_call "reorder" ins(%[[C]]
// CHECK: kiln.reshape %[[D]] : (tensor<1x16x1x2xf32>) -> tensor<1x32xf32>
func.func @flatten_batched_weights(%x: tensor<1x3x1x2xf32>, %w: tensor<16x3x1x1xf32>) -> tensor<2x1x1xf32> {
  %k = kiln.constant dense<[[[0.0], [1.0], [2.0], [3.0], [4.0], [5.0], [6.0], [7.0], [8.0], [9.0], [10.0], [11.0], [12.0], [13.0], [14.0], [15.0], [16.0], [17.0], [18.0], [19.0], [20.0], [21.0], [22.0], [23.0], [24.0], [25.0], [26.0], [27.0], [28.0], [29.0], [30.0], [31.0]], [[32.0], [33.0], [34.0], [35.0], [36.0], [37.0], [38.0], [39.0], [40.0], [41.0], [42.0], [43.0], [44.0], [45.0], [46.0], [47.0], [48.0], [49.0], [50.0], [51.0], [52.0], [53.0], [54.0], [55.0], [56.0], [57.0], [58.0], [59.0], [60.0], [61.0], [62.0], [63.0]]]> : tensor<2x32x1xf32>
  %0 = kiln.conv %x, %w : (tensor<1x3x1x2xf32>, tensor<16x3x1x1xf32>) -> tensor<1x16x1x2xf32>
  %1 = kiln.reshape %0 : (tensor<1x16x1x2xf32>) -> tensor<1x32xf32>
  %2 = kiln.matmul %1, %k : (tensor<1x32xf32>, tensor<2x32x1xf32>) -> tensor<2x1x1xf32>
  return %2 : tensor<2x1x1xf32>
}

// -----

// The other way: a product reshaped to [N, C, H, W] for a blocked op
// computes its columns (weights and bias) in the blocked order and is
// reshaped blocked.
// CHECK-LABEL: func @unflatten_product
// CHECK-DAG: %[[W:.*]] = kiln.constant dense<{{\[\[}}0.000000e+00, 2.000000e+00, {{.*}}, 3.000000e+01, 1.000000e+00, {{.*}}, 3.100000e+01], [3.200000e+01, 3.400000e+01, {{.*}}, 6.300000e+01]]> : tensor<2x32xf32>
// CHECK-DAG: %[[B:.*]] = kiln.constant dense<[0.000000e+00, 2.000000e+00, {{.*}}, 3.000000e+01, 1.000000e+00, {{.*}}, 3.100000e+01]> : tensor<32xf32>
// CHECK-NOT: "reorder"
// CHECK: %[[P:.*]] = kiln_backend.dnnl_call "matmul" ins(%arg0, %[[W]], %[[B]] :
// CHECK: %[[U:.*]] = kiln.reshape %[[P]] : (tensor<1x32xf32>) -> tensor<1x1x1x2x16xf32>
// CHECK-NOT: "reorder"
// CHECK: %[[C:.*]] = kiln_backend.dnnl_call "conv" ins(%[[U]], %arg1 :
// CHECK: "reorder" ins(%[[C]] :
func.func @unflatten_product(%z: tensor<1x2xf32>, %w: tensor<16x16x1x1xf32>) -> tensor<1x16x1x2xf32> {
  %k = kiln.constant dense<[[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0, 18.0, 19.0, 20.0, 21.0, 22.0, 23.0, 24.0, 25.0, 26.0, 27.0, 28.0, 29.0, 30.0, 31.0], [32.0, 33.0, 34.0, 35.0, 36.0, 37.0, 38.0, 39.0, 40.0, 41.0, 42.0, 43.0, 44.0, 45.0, 46.0, 47.0, 48.0, 49.0, 50.0, 51.0, 52.0, 53.0, 54.0, 55.0, 56.0, 57.0, 58.0, 59.0, 60.0, 61.0, 62.0, 63.0]]> : tensor<2x32xf32>
  %b = kiln.constant dense<[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0, 18.0, 19.0, 20.0, 21.0, 22.0, 23.0, 24.0, 25.0, 26.0, 27.0, 28.0, 29.0, 30.0, 31.0]> : tensor<32xf32>
  %0 = kiln.fused_matmul %z, %k bias %b activation relu : (tensor<1x2xf32>, tensor<2x32xf32>, tensor<32xf32>) -> tensor<1x32xf32>
  %1 = kiln.reshape %0 : (tensor<1x32xf32>) -> tensor<1x16x1x2xf32>
  %2 = kiln.conv %1, %w : (tensor<1x16x1x2xf32>, tensor<16x16x1x1xf32>) -> tensor<1x16x1x2xf32>
  return %2 : tensor<1x16x1x2xf32>
}

// -----

// AVX2 blocks of 8.
// RUN: kiln-opt %s -kiln-to-dnnl="min-work=0 runtime-weights=true" -kiln-dnnl-layouts=block=8 -split-input-file | FileCheck %s --check-prefix=AVX2
// AVX2-LABEL: func @avx2
// AVX2: kiln_backend.dnnl_call "conv" {{.*}} outs(%{{.*}} : tensor<1x3x4x4x8xf32>)
// AVX2-SAME: layouts = array<i64: 8, 0, 8>
func.func @avx2(%x: tensor<1x16x4x4xf32>, %w: tensor<24x16x1x1xf32>) -> tensor<1x24x4x4xf32> {
  %0 = kiln.conv %x, %w : (tensor<1x16x4x4xf32>, tensor<24x16x1x1xf32>) -> tensor<1x24x4x4xf32>
  return %0 : tensor<1x24x4x4xf32>
}

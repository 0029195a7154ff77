//===- PackedMatMul.h - Matrix products on weights packed at load --------===//
//
// The oneDNN backend's kernel for wide products with constant weights on
// AVX-512 machines (and convolutions of large weights over few pixels, as
// products of their pixels by the weights): C[M, N] = A[M, K] x B[K, N] (+
// bias, activation), B packed once at load into panels of 64 columns (each
// panel K rows of 64 contiguous floats, the last padded with zeros). The kernel
// keeps a block of 6 rows by 64 columns of C in 24 registers, reads a row of
// the panel per step of K and, while it computes one panel, prefetches the next
// into the L2 cache: a model's weights are read once per run, from memory.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_PACKEDMATMUL_H
#define KILN_RUNTIME_PACKEDMATMUL_H

#include <cstdint>
#include <memory>
#include <vector>

namespace kiln::runtime {

/// The activation applied as C is stored.
enum class PackedActivation { None, Relu, GeluErf, Clip };

/// Weights [K, N] packed for packedMatMul, with the bias (zeros without
/// one) padded to whole panels.
struct PackedWeights {
  static constexpr int64_t kPanel = 64;
  int64_t k = 0, n = 0, panels = 0;
  /// panels * k * kPanel floats, 64-byte aligned.
  std::unique_ptr<float, void (*)(void *)> data{nullptr, nullptr};
  std::vector<float> bias;

  /// Packs b, whose element (r, c) is b[r * rowStride + c * colStride],
  /// and the bias of n floats (or none); nullptr when out of memory.
  static std::shared_ptr<PackedWeights> pack(const float *b, int64_t k,
                                             int64_t n, int64_t rowStride,
                                             int64_t colStride,
                                             const float *bias);
  /// Packs convolution weights [outChannels, channels, taps] (OIHW with
  /// the window's taps flattened) as a [taps * channels, outChannels]
  /// matrix whose rows are in the order (tap, channel).
  static std::shared_ptr<PackedWeights>
  packConvolution(const float *w, int64_t outChannels, int64_t channels,
                  int64_t taps, const float *bias);
  /// Packs transposed-convolution weights [channels, outChannels, taps]
  /// (ONNX's [C, M, K...] with the window's taps flattened) as a
  /// [channels, taps * outChannels] matrix whose columns are in the order
  /// (tap, output channel), the taps in `tapOrder` (tapOrder[slot] is the
  /// tap in columns [slot * outChannels, (slot + 1) * outChannels)): an
  /// input pixel's channels times it give the pixel's contribution to
  /// every output position its window covers.
  static std::shared_ptr<PackedWeights>
  packTransposedConvolution(const float *w, int64_t channels,
                            int64_t outChannels, int64_t taps,
                            const int32_t *tapOrder);
  /// The panel p's rows from `row` on.
  const float *panel(int64_t p, int64_t row) const {
    return data.get() + (p * k + row) * kPanel;
  }
};

/// Whether this machine runs the kernel (AVX-512 F and DQ).
bool packedMatMulAvailable();

/// data[i] = GELU(data[i]) = x Phi(x), Phi by erf, for i < count, on up to
/// `threads` threads (as packedMatMul's GeluErf); AVX-512 machines only.
void geluErfInPlace(float *data, int64_t count, int threads);

/// Where a product's operand keeps its rows: element (i, j) at
/// i * rowStride + (j / 16) * blockStride + j % 16. Dense row-major rows of
/// `cols` columns are {cols, 16}; the pixels of one image in oneDNN's
/// nChw16c layout, rows of channels, are {16, H * W * 16}.
struct PackedLayout {
  int64_t rowStride, blockStride;
};

/// c[m, n] = a[m, k] x weights (+ bias), then `activation` (Relu with
/// `alpha` the slope below zero), with a and c row-major and dense, on
/// `threads` threads (1: the calling thread; more: an OpenMP team, the
/// rows split among them when each gets 192 or more, else the panels).
/// With `accumulate`, the product and bias are added to what c holds (a
/// residual) before the activation.
void packedMatMul(const PackedWeights &weights, const float *a, int64_t m,
                  float *c, PackedActivation activation, float alpha,
                  int threads, bool accumulate = false);
/// The same with a and c in the layouts `al` and `cl`, and Clip's bounds
/// `alpha` and `beta`. With `blockPanels`, only some of C: the rows
/// [6 i, 6 i + 6) in the panels whose bits blockPanels[i] sets (bit p:
/// columns [64 p, 64 p + 64); at most 64 panels), the rest of C left as
/// it was.
void packedMatMul(const PackedWeights &weights, const float *a, PackedLayout al,
                  int64_t m, float *c, PackedLayout cl,
                  PackedActivation activation, float alpha, float beta,
                  int threads, bool accumulate,
                  const uint64_t *blockPanels = nullptr);
/// The rows of a block of packedMatMul's blockPanels.
constexpr int64_t kPackedBlockRows = 6;

/// Where packedMatMulScatter adds C: row i's vector of columns
/// [16 j, 16 j + 16) to the 16 floats at out + rowOffset[i] +
/// vectorOffset[j], if (rowY[i] + vectorY[j], rowX[i] + vectorX[j]) is in
/// [0, height) x [0, width), and nowhere otherwise: a transposed
/// convolution's contributions added to its output, row i an input pixel
/// and vector j a tap's block of 16 channels.
struct ScatterLayout {
  float *out = nullptr;
  int64_t height = 0, width = 0;
  const int64_t *rowOffset = nullptr, *vectorOffset = nullptr;
  const int32_t *rowY = nullptr, *rowX = nullptr, *vectorY = nullptr,
                *vectorX = nullptr;
};

/// out += a[m, k] x weights, with C's vectors added where `scatter` says,
/// on the calling thread; blockPanels as for packedMatMul. The vectors of
/// a row that land on the same place all count.
void packedMatMulScatter(const PackedWeights &weights, const float *a,
                         PackedLayout al, int64_t m,
                         const ScatterLayout &scatter,
                         const uint64_t *blockPanels = nullptr);

/// A 2-d transposed convolution's shapes and window, as
/// transposedConvolutionSum reads them.
struct TransposedWindow {
  int64_t height = 0, width = 0, outHeight = 0, outWidth = 0, outChannels = 0;
  int64_t kernel[2] = {1, 1}, strides[2] = {1, 1}, dilations[2] = {1, 1},
          pads[2] = {0, 0};
};

/// Output rows [firstRow, lastRow) of one image of a transposed
/// convolution, in oneDNN's nChw16c layout (outChannels a multiple of 16):
/// each output pixel the sum of the contributions of the input pixels
/// whose windows cover it, read from `cols` (the
/// product of the image's pixels by packTransposedConvolution's weights:
/// pixel iy * width + ix in row rowOf[iy * width + ix]; tap t (ky *
/// kernel width + kx) in columns from tapSlot[t] * outChannels; rows
/// `rowStride` floats apart). Only the columns of taps that
/// land in the output are read. A gather rather than a scatter-add: each output
/// value is summed in registers and stored once. AVX-512 machines only.
void transposedConvolutionSum(const float *cols, int64_t rowStride,
                              const int32_t *rowOf, const int32_t *tapSlot,
                              const TransposedWindow &window, float *out,
                              int64_t firstRow, int64_t lastRow);

} // namespace kiln::runtime

#endif // KILN_RUNTIME_PACKEDMATMUL_H

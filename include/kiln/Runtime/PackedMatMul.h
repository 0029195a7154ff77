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
/// `alpha` and `beta`.
void packedMatMul(const PackedWeights &weights, const float *a, PackedLayout al,
                  int64_t m, float *c, PackedLayout cl,
                  PackedActivation activation, float alpha, float beta,
                  int threads, bool accumulate);

} // namespace kiln::runtime

#endif // KILN_RUNTIME_PACKEDMATMUL_H

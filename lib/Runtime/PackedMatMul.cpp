//===- PackedMatMul.cpp - Matrix products on weights packed at load ------===//
//
// See PackedMatMul.h. The kernel is compiled for AVX-512 whatever the
// build's target, and runs only where packedMatMulAvailable() says so.
//
// Blocking: C is computed by blocks of kRows rows and one panel of 64
// columns, over a K range of at most kDepth rows of the panel (a 192 KiB
// slice, read from the L2 cache by the blocks under it), with A's rows of
// kBlockRows at a time (under 600 KiB of A over that depth) kept in L2
// while every panel passes. While the blocks of one slice are computed,
// the kernel prefetches the next slice it reads into L2, one cache line
// every kPrefetchEvery steps of K (more often when so few blocks of rows
// pass under a slice that they would not cover the next one), so that
// weights coming from memory are there by the time they are read; and
// each step prefetches the slice's row kL1Ahead steps on into L1, which
// the hardware's prefetchers leave in L2.
//
//===----------------------------------------------------------------------===//

#include "kiln/Runtime/PackedMatMul.h"

#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

// GCC's AVX-512 intrinsics start some vectors undefined on purpose.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace kiln::runtime {
namespace {

constexpr int64_t kPanel = PackedWeights::kPanel;
constexpr int kVectors = kPanel / 16;
constexpr int kRows = (int)kPackedBlockRows;
constexpr int64_t kDepth = 768;
constexpr int64_t kBlockRows = 192;
constexpr int64_t kPrefetchEvery = 4;
constexpr int64_t kL1Ahead = 8;

#define KILN_AVX512 __attribute__((target("avx512f,avx512dq,fma")))

/// x Phi(x) = x (1 + erf(x / sqrt 2)) / 2, with erf(z) = z P(z^2) / Q(z^2)
/// for |z| up to 3.92 (where erf rounds to 1 in float) and +-1 beyond: P
/// and Q of degree 5, a rational fit made for this kernel (relative error
/// 6e-8 in exact arithmetic), evaluated in float with the quotient from
/// the reciprocal's estimate and one Newton step. Against GELU in double:
/// within 2.1e-7 x max(|x|, 1) for |x| up to 30 (1.1e-6 at x = 5.3); in
/// the negative tail, where 1 + erf cancels, that is a few float ulps of
/// erf near -1 (GELU(-5.5) = -1.0e-7 comes out as 3.3e-7). 21
/// instructions, half the time of an erfc taken through e^x.
KILN_AVX512 inline __m512 geluErfPs(__m512 x) {
  // sign(z) min(|z|, 3.92): range's minimum of magnitudes, z's sign.
  __m512 z =
      _mm512_range_ps(_mm512_mul_ps(x, _mm512_set1_ps(0.70710678118654752f)),
                      _mm512_set1_ps(3.92f), 0x2);
  __m512 u = _mm512_mul_ps(z, z);
  static const float pc[] = {2.1109723e-06f, 0.000284827112f, 0.0036418753f,
                             0.0523755074f,  0.187159588f,    1.12837915f};
  static const float qc[] = {3.8718983e-05f, 0.00113761755f, 0.0147190217f,
                             0.112818197f,   0.49919883f,    1.0f};
  __m512 p = _mm512_set1_ps(pc[0]), q = _mm512_set1_ps(qc[0]);
  for (int i = 1; i < 6; ++i) {
    p = _mm512_fmadd_ps(p, u, _mm512_set1_ps(pc[i]));
    q = _mm512_fmadd_ps(q, u, _mm512_set1_ps(qc[i]));
  }
  __m512 r = _mm512_rcp14_ps(q);
  r = _mm512_fmadd_ps(r, _mm512_fnmadd_ps(q, r, _mm512_set1_ps(1.0f)), r);
  __m512 erf = _mm512_mul_ps(_mm512_mul_ps(z, p), r);
  __m512 half = _mm512_mul_ps(x, _mm512_set1_ps(0.5f));
  return _mm512_fmadd_ps(half, erf, half);
}

/// What the last K slice does as it stores C.
struct Epilogue {
  const float *bias; // the panel's 64 values
  PackedActivation activation;
  float alpha, beta;
};

/// acc += A[0..rows, 0..depth) x the slice `b` (A's element (i, k) at
/// a[i * lda + (k / 16) * akb + k % 16]), prefetching `lines` cache lines
/// from `prefetch`, one every `every` steps.
template <int rows>
KILN_AVX512 inline void
multiplySlice(__m512 (&acc)[rows][kVectors], const float *a, int64_t lda,
              int64_t akb, const float *b, int64_t depth, const char *prefetch,
              int64_t lines, int64_t every) {
  int64_t nextLineStep = 0;
  // K in runs of 16 columns of A, each contiguous in its rows.
  for (int64_t k0 = 0; k0 < depth; k0 += 16) {
    const float *ak = a + (k0 >> 4) * akb;
    int64_t run = std::min<int64_t>(16, depth - k0);
    for (int64_t j = 0; j < run; ++j) {
      int64_t k = k0 + j;
      __m512 w[kVectors];
      for (int v = 0; v < kVectors; ++v)
        w[v] = _mm512_load_ps(b + k * kPanel + 16 * v);
      // The slice's row kL1Ahead steps on, from L2 into L1 (past the
      // slice's end a prefetch reads nothing it needs, and does not
      // fault).
      for (int v = 0; v < kVectors; ++v)
        _mm_prefetch((const char *)(b + (k + kL1Ahead) * kPanel + 16 * v),
                     _MM_HINT_T0);
      if (k == nextLineStep && lines > 0) {
        _mm_prefetch(prefetch, _MM_HINT_T1);
        prefetch += 64;
        --lines;
        nextLineStep += every;
      }
      for (int i = 0; i < rows; ++i) {
        __m512 x = _mm512_set1_ps(ak[i * lda + j]);
        for (int v = 0; v < kVectors; ++v)
          acc[i][v] = _mm512_fmadd_ps(x, w[v], acc[i][v]);
      }
    }
  }
}

/// C[0..rows, 0..64) (columns where `masks` say) += or = (with `first`)
/// A[0..rows, 0..depth) x the slice `b`, A's element (i, k) at
/// a[i * lda + (k / 16) * akb + k % 16] and C's vector of columns
/// [16 v, 16 v + 16) of row i at c + i * ldc + v * cvs (PackedLayout);
/// prefetches `lines` cache lines
/// from `prefetch`, one every `every` steps; `epilogue` after the
/// last slice. With `first` and `addC`, what C held is added to the
/// slice's products once they are summed (a residual added to partial sums
/// from zero, rather than each product added to the residual, keeps the
/// products' low bits).
template <int rows>
KILN_AVX512 void block(const float *a, int64_t lda, int64_t akb, const float *b,
                       float *c, int64_t ldc, int64_t cvs, int64_t depth,
                       bool first, bool addC, const char *prefetch,
                       int64_t lines, int64_t every, const __mmask16 *masks,
                       const Epilogue *epilogue) {
  __m512 acc[rows][kVectors];
  for (int i = 0; i < rows; ++i)
    for (int v = 0; v < kVectors; ++v)
      acc[i][v] = first
                      ? _mm512_setzero_ps()
                      : _mm512_maskz_loadu_ps(masks[v], c + i * ldc + v * cvs);
  multiplySlice<rows>(acc, a, lda, akb, b, depth, prefetch, lines, every);
  if (first && addC)
    for (int i = 0; i < rows; ++i)
      for (int v = 0; v < kVectors; ++v)
        acc[i][v] = _mm512_add_ps(
            acc[i][v], _mm512_maskz_loadu_ps(masks[v], c + i * ldc + v * cvs));
  if (epilogue) {
    for (int v = 0; v < kVectors; ++v) {
      __m512 bias = _mm512_loadu_ps(epilogue->bias + 16 * v);
      for (int i = 0; i < rows; ++i) {
        __m512 y = _mm512_add_ps(acc[i][v], bias);
        switch (epilogue->activation) {
        case PackedActivation::None:
          break;
        case PackedActivation::Relu:
          y = _mm512_mask_mul_ps(
              y, _mm512_cmp_ps_mask(y, _mm512_setzero_ps(), _CMP_LT_OQ), y,
              _mm512_set1_ps(epilogue->alpha));
          break;
        case PackedActivation::GeluErf:
          y = geluErfPs(y);
          break;
        case PackedActivation::Clip:
          y = _mm512_min_ps(_mm512_max_ps(y, _mm512_set1_ps(epilogue->alpha)),
                            _mm512_set1_ps(epilogue->beta));
          break;
        }
        acc[i][v] = y;
      }
    }
  }
  for (int i = 0; i < rows; ++i)
    for (int v = 0; v < kVectors; ++v)
      _mm512_mask_storeu_ps(c + i * ldc + v * cvs, masks[v], acc[i][v]);
}

using BlockFn = void (*)(const float *, int64_t, int64_t, const float *,
                         float *, int64_t, int64_t, int64_t, bool, bool,
                         const char *, int64_t, int64_t, const __mmask16 *,
                         const Epilogue *);
const BlockFn blocks[kRows + 1] = {nullptr,  block<1>, block<2>, block<3>,
                                   block<4>, block<5>, block<6>};

/// Adds A[0..rows, 0..depth) x the slice `b` to C, row i's vector of
/// columns v at targets[i * kVectors + v] (columns where `masks` say):
/// each target loaded, added to and stored in turn, so that two of them
/// at the same place both count.
template <int rows>
KILN_AVX512 void
scatterBlock(const float *a, int64_t lda, int64_t akb, const float *b,
             int64_t depth, const char *prefetch, int64_t lines, int64_t every,
             const __mmask16 *masks, float *const *targets) {
  __m512 acc[rows][kVectors];
  for (int i = 0; i < rows; ++i)
    for (int v = 0; v < kVectors; ++v)
      acc[i][v] = _mm512_setzero_ps();
  multiplySlice<rows>(acc, a, lda, akb, b, depth, prefetch, lines, every);
  for (int i = 0; i < rows; ++i)
    for (int v = 0; v < kVectors; ++v) {
      float *to = targets[i * kVectors + v];
      _mm512_mask_storeu_ps(
          to, masks[v],
          _mm512_add_ps(acc[i][v], _mm512_maskz_loadu_ps(masks[v], to)));
    }
}

using ScatterBlockFn = void (*)(const float *, int64_t, int64_t, const float *,
                                int64_t, const char *, int64_t, int64_t,
                                const __mmask16 *, float *const *);
const ScatterBlockFn scatterBlocks[kRows + 1] = {
    nullptr,         scatterBlock<1>, scatterBlock<2>, scatterBlock<3>,
    scatterBlock<4>, scatterBlock<5>, scatterBlock<6>};

/// Where the rows [i0, i0 + rows) of C go in `scatter`, vector v of panel
/// p: see ScatterLayout; outside the output, to `sink`.
KILN_AVX512 void scatterTargets(const ScatterLayout &scatter, int64_t i0,
                                int rows, int64_t p, float *sink,
                                float **targets) {
  const int32_t *vy = scatter.vectorY + p * kVectors,
                *vx = scatter.vectorX + p * kVectors;
  const int64_t *vo = scatter.vectorOffset + p * kVectors;
  for (int i = 0; i < rows; ++i) {
    int64_t row = i0 + i;
    int64_t ry = scatter.rowY[row], rx = scatter.rowX[row];
    float *origin = scatter.out + scatter.rowOffset[row];
    // Without branches: whether a target lands is no pattern to predict.
    for (int v = 0; v < kVectors; ++v) {
      bool lands = (uint64_t(ry + vy[v]) < uint64_t(scatter.height)) &
                   (uint64_t(rx + vx[v]) < uint64_t(scatter.width));
      targets[i * kVectors + v] = lands ? origin + vo[v] : sink;
    }
  }
}

/// The product over panels [first, last).
/// With `scatter`, C's rows are added where it says, c and cl unused.
void computePanels(const PackedWeights &w, const float *a, PackedLayout al,
                   int64_t m, float *c, PackedLayout cl,
                   PackedActivation activation, float alpha, float beta,
                   bool accumulate, int64_t first, int64_t last,
                   const uint64_t *blockPanels,
                   const ScatterLayout *scatter = nullptr) {
  const int64_t k = w.k, n = w.n;
  alignas(64) float sink[16];
  float *targets[kRows * kVectors];
  for (int64_t m0 = 0; m0 < m; m0 += kBlockRows) {
    int64_t rowsHere = std::min(kBlockRows, m - m0);
    for (int64_t k0 = 0; k0 < k; k0 += kDepth) {
      int64_t depth = std::min(kDepth, k - k0);
      bool firstSlice = k0 == 0, lastSlice = k0 + depth == k;
      for (int64_t p = first; p < last; ++p) {
        // The slice read after this one.
        const float *next = nullptr;
        int64_t nextDepth = depth;
        if (p + 1 < last) {
          next = w.panel(p + 1, k0);
        } else if (!lastSlice) {
          next = w.panel(first, k0 + depth);
          nextDepth = std::min(kDepth, k - k0 - depth);
        } else if (m0 + rowsHere < m) {
          next = w.panel(first, 0);
          nextDepth = std::min(kDepth, k);
        }
        int64_t nextLines = next ? nextDepth * kPanel * 4 / 64 : 0;
        int64_t columns = std::min(kPanel, n - p * kPanel);
        __mmask16 masks[kVectors];
        for (int v = 0; v < kVectors; ++v) {
          int64_t here = std::clamp<int64_t>(columns - 16 * v, 0, 16);
          masks[v] = (__mmask16)((1u << here) - 1);
        }
        Epilogue epilogue{w.bias.data() + p * kPanel, activation, alpha, beta};
        const float *slice = w.panel(p, k0);
        // One line every `every` steps, at most kPrefetchEvery: often
        // enough that the blocks under this slice prefetch all of the next
        // (with few rows, few blocks).
        int64_t blocksHere = (rowsHere + kRows - 1) / kRows;
        int64_t every =
            nextLines ? std::clamp<int64_t>(depth * blocksHere / nextLines, 1,
                                            kPrefetchEvery)
                      : kPrefetchEvery;
        int64_t prefetched = 0, perBlock = (depth + every - 1) / every;
        for (int64_t i0 = m0; i0 < m0 + rowsHere; i0 += kRows) {
          if (blockPanels && !(blockPanels[i0 / kRows] >> p & 1))
            continue;
          int rows = (int)std::min<int64_t>(kRows, m0 + rowsHere - i0);
          int64_t lines = std::max<int64_t>(0, nextLines - prefetched);
          if (scatter) {
            scatterTargets(*scatter, i0, rows, p, sink, targets);
            scatterBlocks[rows](a + i0 * al.rowStride +
                                    k0 / 16 * al.blockStride,
                                al.rowStride, al.blockStride, slice, depth,
                                (const char *)next + prefetched * 64, lines,
                                every, masks, targets);
            prefetched += std::min(lines, perBlock);
            continue;
          }
          blocks[rows](a + i0 * al.rowStride + k0 / 16 * al.blockStride,
                       al.rowStride, al.blockStride, slice,
                       c + i0 * cl.rowStride + p * kVectors * cl.blockStride,
                       cl.rowStride, cl.blockStride, depth, firstSlice,
                       accumulate, (const char *)next + prefetched * 64, lines,
                       every, masks, lastSlice ? &epilogue : nullptr);
          prefetched += std::min(lines, perBlock);
        }
      }
    }
  }
}

} // namespace

namespace {

/// Packs the [k, n] matrix whose element (r, c) is `at(r, c)`.
template <typename At>
std::shared_ptr<PackedWeights> packWith(int64_t k, int64_t n, const float *bias,
                                        At at) {
  auto packed = std::make_shared<PackedWeights>();
  packed->k = k;
  packed->n = n;
  packed->panels = (n + kPanel - 1) / kPanel;
  size_t bytes = (size_t)(packed->panels * k * kPanel) * sizeof(float);
  void *data = std::aligned_alloc(64, std::max<size_t>(64, bytes));
  if (!data)
    return nullptr;
  packed->data = {(float *)data, std::free};
  float *out = (float *)data;
  for (int64_t p = 0; p < packed->panels; ++p) {
    int64_t columns = std::min(kPanel, n - p * kPanel);
    for (int64_t r = 0; r < k; ++r, out += kPanel) {
      at(r, p * kPanel, columns, out);
      std::fill(out + columns, out + kPanel, 0.0f);
    }
  }
  packed->bias.assign(packed->panels * kPanel, 0.0f);
  if (bias)
    std::copy(bias, bias + n, packed->bias.begin());
  return packed;
}

} // namespace

std::shared_ptr<PackedWeights> PackedWeights::pack(const float *b, int64_t k,
                                                   int64_t n, int64_t rowStride,
                                                   int64_t colStride,
                                                   const float *bias) {
  return packWith(k, n, bias,
                  [&](int64_t r, int64_t c0, int64_t columns, float *out) {
                    const float *row = b + r * rowStride + c0 * colStride;
                    if (colStride == 1) {
                      std::memcpy(out, row, columns * sizeof(float));
                    } else {
                      for (int64_t j = 0; j < columns; ++j)
                        out[j] = row[j * colStride];
                    }
                  });
}

std::shared_ptr<PackedWeights>
PackedWeights::packConvolution(const float *w, int64_t outChannels,
                               int64_t channels, int64_t taps,
                               const float *bias) {
  int64_t k = taps * channels;
  // Zeros, then each output channel's weights, read in order, go to its
  // column of its panel: row tap * channels + channel.
  auto packed = packWith(k, outChannels, bias,
                         [](int64_t, int64_t, int64_t columns, float *out) {
                           std::fill(out, out + columns, 0.0f);
                         });
  if (!packed)
    return nullptr;
  for (int64_t o = 0; o < outChannels; ++o) {
    float *column = packed->data.get() + (o / kPanel) * k * kPanel + o % kPanel;
    const float *from = w + o * k;
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t t = 0; t < taps; ++t)
        column[(t * channels + c) * kPanel] = from[c * taps + t];
  }
  return packed;
}

std::shared_ptr<PackedWeights>
PackedWeights::packTransposedConvolution(const float *w, int64_t channels,
                                         int64_t outChannels, int64_t taps,
                                         const int32_t *tapOrder) {
  // Column slot * outChannels + o of row c: w[c, o, tapOrder[slot]].
  return packWith(channels, taps * outChannels, nullptr,
                  [&](int64_t r, int64_t c0, int64_t columns, float *out) {
                    for (int64_t j = 0; j < columns; ++j) {
                      int64_t slot = (c0 + j) / outChannels,
                              o = (c0 + j) % outChannels;
                      int64_t tap = tapOrder[slot];
                      out[j] = w[(r * outChannels + o) * taps + tap];
                    }
                  });
}

namespace {
/// Output pixel `to`'s blocks of 16 channels [first, first + blocks): the
/// sums of the `count` contributions at `offsets` in `cols`.
template <int blocks>
KILN_AVX512 inline void sumBlocks(const float *cols, const int64_t *offsets,
                                  int count, float *to, int64_t plane,
                                  int64_t first) {
  __m512 sum[blocks];
  for (int b = 0; b < blocks; ++b)
    sum[b] = _mm512_setzero_ps();
  for (int i = 0; i < count; ++i) {
    const float *from = cols + offsets[i] + 16 * first;
    for (int b = 0; b < blocks; ++b)
      sum[b] = _mm512_add_ps(sum[b], _mm512_loadu_ps(from + 16 * b));
  }
  for (int b = 0; b < blocks; ++b)
    _mm512_storeu_ps(to + (first + b) * plane * 16, sum[b]);
}
} // namespace

KILN_AVX512 void transposedConvolutionSum(const float *cols, int64_t rowStride,
                                          const int32_t *rowOf,
                                          const int32_t *tapSlot,
                                          const TransposedWindow &w, float *out,
                                          int64_t firstRow, int64_t lastRow) {
  // Per output coordinate of an axis, the (input position, tap offset)
  // pairs that reach it: output o takes tap t of input i where
  // i * stride - pad + t * dilation = o. Found once per call, a
  // coordinate's at most kernel pairs at [o * kernel, o * kernel + count).
  struct Axis {
    std::vector<int64_t> at, tap;
    std::vector<int> counts;
  };
  auto axis = [&](int a, int64_t first, int64_t last, int64_t inExtent) {
    Axis found;
    int64_t kernel = w.kernel[a];
    found.at.resize((last - first) * kernel);
    found.tap.resize((last - first) * kernel);
    found.counts.resize(last - first);
    for (int64_t o = first; o < last; ++o) {
      int count = 0;
      for (int64_t t = 0; t < kernel; ++t) {
        int64_t shifted = o + w.pads[a] - t * w.dilations[a];
        if (shifted < 0 || shifted % w.strides[a] != 0 ||
            shifted / w.strides[a] >= inExtent)
          continue;
        found.at[(o - first) * kernel + count] = shifted / w.strides[a];
        found.tap[(o - first) * kernel + count++] = t;
      }
      found.counts[o - first] = count;
    }
    return found;
  };
  int64_t kh = w.kernel[0], kw = w.kernel[1];
  Axis rows = axis(0, firstRow, lastRow, w.height);
  Axis columns = axis(1, 0, w.outWidth, w.width);
  int64_t blocks = w.outChannels / 16, plane = w.outHeight * w.outWidth;
  std::vector<int64_t> offsets(kh * kw);
  for (int64_t y = firstRow; y < lastRow; ++y) {
    int64_t r0 = (y - firstRow) * kh;
    int rowCount = rows.counts[y - firstRow];
    for (int64_t x = 0; x < w.outWidth; ++x) {
      int count = 0;
      for (int r = 0; r < rowCount; ++r)
        for (int c = 0; c < columns.counts[x]; ++c) {
          int64_t pixel = rows.at[r0 + r] * w.width + columns.at[x * kw + c];
          int64_t tap = rows.tap[r0 + r] * kw + columns.tap[x * kw + c];
          offsets[count++] =
              rowOf[pixel] * rowStride + tapSlot[tap] * w.outChannels;
        }
      float *to = out + (y * w.outWidth + x) * 16;
      // Up to 8 blocks of channels at once, each its own chain of adds.
      for (int64_t b0 = 0; b0 < blocks; b0 += 8) {
        int here = (int)std::min<int64_t>(8, blocks - b0);
        switch (here) {
        case 1:
          sumBlocks<1>(cols, offsets.data(), count, to, plane, b0);
          break;
        case 2:
          sumBlocks<2>(cols, offsets.data(), count, to, plane, b0);
          break;
        case 4:
          sumBlocks<4>(cols, offsets.data(), count, to, plane, b0);
          break;
        case 8:
          sumBlocks<8>(cols, offsets.data(), count, to, plane, b0);
          break;
        default:
          for (int b = 0; b < here; ++b)
            sumBlocks<1>(cols, offsets.data(), count, to, plane, b0 + b);
        }
      }
    }
  }
}

KILN_AVX512 static void geluErfRange(float *data, int64_t count) {
  int64_t i = 0;
  for (; i + 16 <= count; i += 16)
    _mm512_storeu_ps(data + i, geluErfPs(_mm512_loadu_ps(data + i)));
  if (i < count) {
    auto tail = (__mmask16)((1u << (count - i)) - 1);
    _mm512_mask_storeu_ps(data + i, tail,
                          geluErfPs(_mm512_maskz_loadu_ps(tail, data + i)));
  }
}

void geluErfInPlace(float *data, int64_t count, int threads) {
  // A share of at least 16 Ki values (about 4 us) per thread.
  constexpr int64_t kShare = 16384;
  int64_t team = std::clamp<int64_t>(count / kShare, 1, std::max(threads, 1));
  if (team <= 1) {
    geluErfRange(data, count);
    return;
  }
#pragma omp parallel num_threads(team)
  {
    int64_t t = omp_get_thread_num(), size = omp_get_num_threads();
    // Whole vectors to each but the last.
    int64_t first = count * t / size / 16 * 16;
    int64_t last = t + 1 == size ? count : count * (t + 1) / size / 16 * 16;
    geluErfRange(data + first, last - first);
  }
}

void packedMatMulScatter(const PackedWeights &weights, const float *a,
                         PackedLayout al, int64_t m,
                         const ScatterLayout &scatter,
                         const uint64_t *blockPanels) {
  computePanels(weights, a, al, m, nullptr, {0, 0}, PackedActivation::None,
                0.0f, 0.0f, false, 0, weights.panels, blockPanels, &scatter);
}

bool packedMatMulAvailable() {
  static const bool available =
      __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
  return available;
}

void packedMatMul(const PackedWeights &weights, const float *a, int64_t m,
                  float *c, PackedActivation activation, float alpha,
                  int threads, bool accumulate) {
  packedMatMul(weights, a, {weights.k, 16}, m, c, {weights.n, 16}, activation,
               alpha, 0.0f, threads, accumulate);
}

void packedMatMul(const PackedWeights &weights, const float *a, PackedLayout al,
                  int64_t m, float *c, PackedLayout cl,
                  PackedActivation activation, float alpha, float beta,
                  int threads, bool accumulate, const uint64_t *blockPanels) {
  int64_t panels = weights.panels;
  threads = std::max(threads, 1);
  // With kBlockRows rows or more for each thread, the threads split the
  // rows (in whole blocks of kRows) and each reads all of the weights, as
  // many times as one thread would for its rows, and only its rows of A;
  // with fewer, they split the panels, so that weights read from memory
  // once per run are read once in all.
  if (threads > 1 && m / threads >= kBlockRows) {
#pragma omp parallel num_threads(threads)
    {
      int64_t t = omp_get_thread_num(), size = omp_get_num_threads();
      int64_t blocks = (m + kRows - 1) / kRows;
      int64_t first = std::min(m, blocks * t / size * kRows);
      int64_t last = std::min(m, blocks * (t + 1) / size * kRows);
      if (last > first)
        computePanels(weights, a + first * al.rowStride, al, last - first,
                      c + first * cl.rowStride, cl, activation, alpha, beta,
                      accumulate, 0, panels,
                      blockPanels ? blockPanels + first / kRows : nullptr);
    }
    return;
  }
  int64_t team = std::min<int64_t>(threads, panels);
  if (team <= 1 || m == 0) {
    computePanels(weights, a, al, m, c, cl, activation, alpha, beta, accumulate,
                  0, panels, blockPanels);
    return;
  }
#pragma omp parallel num_threads(team)
  {
    int64_t t = omp_get_thread_num(), size = omp_get_num_threads();
    computePanels(weights, a, al, m, c, cl, activation, alpha, beta, accumulate,
                  panels * t / size, panels * (t + 1) / size, blockPanels);
  }
}

} // namespace kiln::runtime

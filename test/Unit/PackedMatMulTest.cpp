//===- PackedMatMulTest.cpp - The packed matrix product kernel ------------===//
//
// Against products summed in double precision: shapes that leave partial
// panels, row blocks and K slices, weights stored transposed, a bias and
// each activation, a residual the product adds to, on one thread and on
// two.
//
//===----------------------------------------------------------------------===//

#include "kiln/Runtime/PackedMatMul.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

using namespace kiln::runtime;

namespace {

struct Shape {
  int64_t m, k, n;
};

double activate(double y, PackedActivation activation, double alpha) {
  switch (activation) {
  case PackedActivation::None:
    return y;
  case PackedActivation::Relu:
    return y < 0 ? alpha * y : y;
  case PackedActivation::GeluErf:
    return 0.5 * y * (1.0 + std::erf(y / std::sqrt(2.0)));
  case PackedActivation::Clip:
    break;
  }
  return y;
}

void check(Shape s, bool transposed, bool withBias, PackedActivation activation,
           float alpha, int threads, bool accumulate = false) {
  std::mt19937 random(int(s.m * 131 + s.k * 7 + s.n));
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<float> a(s.m * s.k), b(s.k * s.n), bias(s.n);
  for (float &x : a)
    x = uniform(random);
  for (float &x : b)
    x = uniform(random);
  for (float &x : bias)
    x = 4 * uniform(random);
  // Stored [N, K] when transposed: element (r, c) at c * K + r.
  std::vector<float> stored = b;
  if (transposed)
    for (int64_t r = 0; r < s.k; ++r)
      for (int64_t c = 0; c < s.n; ++c)
        stored[c * s.k + r] = b[r * s.n + c];
  auto packed = PackedWeights::pack(stored.data(), s.k, s.n,
                                    transposed ? 1 : s.n, transposed ? s.k : 1,
                                    withBias ? bias.data() : nullptr);
  ASSERT_TRUE(packed);
  // Accumulating, c holds a residual first.
  std::vector<float> residual(s.m * s.n, 0.0f);
  if (accumulate)
    for (float &x : residual)
      x = 8 * uniform(random);
  std::vector<float> c =
      accumulate ? residual : std::vector<float>(s.m * s.n, NAN);
  packedMatMul(*packed, a.data(), s.m, c.data(), activation, alpha, threads,
               accumulate);
  for (int64_t i = 0; i < s.m; ++i)
    for (int64_t j = 0; j < s.n; ++j) {
      double sum = (withBias ? bias[j] : 0.0) + residual[i * s.n + j];
      double magnitude = std::fabs(sum);
      for (int64_t r = 0; r < s.k; ++r) {
        sum += double(a[i * s.k + r]) * b[r * s.n + j];
        magnitude += std::fabs(double(a[i * s.k + r]) * b[r * s.n + j]);
      }
      double expected = activate(sum, activation, alpha);
      double tolerance = 1e-6 * magnitude + 1e-6;
      ASSERT_NEAR(c[i * s.n + j], expected, tolerance)
          << "m=" << s.m << " k=" << s.k << " n=" << s.n << " at (" << i << ", "
          << j << ")";
    }
}

const Shape shapes[] = {{1, 5, 3},       {7, 33, 70},   {13, 64, 64},
                        {200, 800, 130}, {6, 1537, 65}, {193, 40, 200}};

TEST(PackedMatMulTest, MatchesDoublePrecisionProducts) {
  if (!packedMatMulAvailable())
    GTEST_SKIP() << "no AVX-512 on this machine";
  for (const Shape &s : shapes)
    for (int threads : {1, 2})
      check(s, /*transposed=*/false, /*withBias=*/false, PackedActivation::None,
            0.0f, threads);
}

TEST(PackedMatMulTest, TransposedWeightsBiasAndActivations) {
  if (!packedMatMulAvailable())
    GTEST_SKIP() << "no AVX-512 on this machine";
  for (const Shape &s : shapes) {
    check(s, true, true, PackedActivation::None, 0.0f, 2);
    check(s, false, true, PackedActivation::Relu, 0.0f, 1);
    check(s, true, false, PackedActivation::Relu, 0.1f, 2);
    check(s, false, true, PackedActivation::GeluErf, 0.0f, 1);
  }
}

TEST(PackedMatMulTest, AddsToAResidual) {
  if (!packedMatMulAvailable())
    GTEST_SKIP() << "no AVX-512 on this machine";
  for (const Shape &s : shapes) {
    check(s, false, true, PackedActivation::None, 0.0f, 1, true);
    check(s, true, false, PackedActivation::None, 0.0f, 2, true);
    check(s, false, true, PackedActivation::Relu, 0.0f, 2, true);
  }
}

TEST(PackedMatMulTest, GeluOverItsWholeRange) {
  if (!packedMatMulAvailable())
    GTEST_SKIP() << "no AVX-512 on this machine";
  // One row of K = 1 and a zero input: the outputs are the biases, from
  // -12 to 12, through the activation alone.
  const int64_t n = 2401;
  std::vector<float> ones(n, 1.0f), bias(n), a = {0.0f}, c(n);
  for (int64_t j = 0; j < n; ++j)
    bias[j] = -12.0f + 0.01f * j;
  auto packed = PackedWeights::pack(ones.data(), 1, n, n, 1, bias.data());
  ASSERT_TRUE(packed);
  packedMatMul(*packed, a.data(), 1, c.data(), PackedActivation::GeluErf, 0.0f,
               1);
  // Within 2.5e-7 of |x| (or of 1 below it): where 1 + erf cancels, in the
  // negative tail, float's own rounding of erf near -1 is 6e-8.
  auto tolerance = [](double x) {
    return 2.5e-7 * std::max(std::fabs(x), 1.0);
  };
  for (int64_t j = 0; j < n; ++j) {
    double expected = activate(bias[j], PackedActivation::GeluErf, 0.0);
    ASSERT_NEAR(c[j], expected, tolerance(bias[j])) << "at x = " << bias[j];
  }
  // In place, as after oneDNN's products: a count that is not a whole
  // number of vectors, split over two threads, and values far out.
  for (int threads : {1, 2}) {
    std::vector<float> x(40003);
    for (size_t i = 0; i < x.size(); ++i)
      x[i] = -15.0f + 30.0f * (float)i / (float)x.size();
    x.back() = -1e6f;
    x[x.size() - 2] = 1e6f;
    std::vector<float> y = x;
    geluErfInPlace(y.data(), (int64_t)y.size(), threads);
    for (size_t i = 0; i < x.size(); ++i) {
      double expected = activate(x[i], PackedActivation::GeluErf, 0.0);
      ASSERT_NEAR(y[i], expected, tolerance(x[i]))
          << "at x = " << x[i] << " on " << threads << " threads";
    }
  }
}

TEST(PackedMatMulTest, BlockedChannelsAndConvolutionWeights) {
  if (!packedMatMulAvailable())
    GTEST_SKIP() << "no AVX-512 on this machine";
  // A 3x3 convolution's weights [O, C, 9] packed as rows (tap, channel),
  // times a source read in oneDNN's nChw16c layout (the 45 pixels of one
  // image, C = 48: 3 blocks, the pixels' rows 16 floats apart) into a
  // destination in the same layout (O = 80: a partial panel), adding the
  // residual it holds, then a relu, on one thread and two. Tap 4 stands
  // for a 1x1 window: the products of each tap are checked one at a time,
  // with the other taps' source columns zero, and those of one tap with
  // its weights packed alone also read the blocked source in place, then
  // clip to [-0.25, 0.5].
  const int64_t pixels = 45, channels = 48, out = 80, taps = 9;
  std::mt19937 random(3);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<float> w(out * channels * taps), bias(out);
  for (float &x : w)
    x = uniform(random);
  for (float &x : bias)
    x = uniform(random);
  auto packed = PackedWeights::packConvolution(w.data(), out, channels, taps,
                                               bias.data());
  ASSERT_TRUE(packed);
  ASSERT_EQ(packed->k, channels * taps);
  std::vector<float> source(pixels * channels);
  for (float &x : source)
    x = uniform(random);
  // Element (pixel, channel) of a blocked tensor.
  auto at = [&](int64_t p, int64_t c) {
    return (c / 16) * pixels * 16 + p * 16 + c % 16;
  };
  for (int threads : {1, 2})
    for (int64_t tap : {int64_t(0), int64_t(4), int64_t(8)}) {
      // Dense rows [pixels, taps * channels]: the source at `tap`.
      std::vector<float> rows(pixels * taps * channels, 0.0f);
      for (int64_t p = 0; p < pixels; ++p)
        for (int64_t c = 0; c < channels; ++c)
          rows[p * taps * channels + tap * channels + c] = source[at(p, c)];
      std::vector<float> residual(pixels * out), blocked(pixels * out);
      for (float &x : residual)
        x = uniform(random);
      for (int64_t trial = 0; trial < 2; ++trial) {
        // From the dense rows, then (trial 1) from the blocked source with
        // weights of the one tap: a [channels, out] matrix of its own.
        std::vector<float> c = residual;
        if (trial == 0) {
          packedMatMul(*packed, rows.data(), {taps * channels, 16}, pixels,
                       c.data(), {16, pixels * 16}, PackedActivation::Relu,
                       0.0f, 0.0f, threads, /*accumulate=*/true);
        } else {
          std::vector<float> one(out * channels);
          for (int64_t o = 0; o < out; ++o)
            for (int64_t ch = 0; ch < channels; ++ch)
              one[o * channels + ch] = w[(o * channels + ch) * taps + tap];
          auto single = PackedWeights::packConvolution(
              one.data(), out, channels, 1, bias.data());
          ASSERT_TRUE(single);
          packedMatMul(*single, source.data(), {16, pixels * 16}, pixels,
                       c.data(), {16, pixels * 16}, PackedActivation::Clip,
                       -0.25f, 0.5f, threads, /*accumulate=*/true);
        }
        for (int64_t p = 0; p < pixels; ++p)
          for (int64_t o = 0; o < out; ++o) {
            double sum = bias[o] + double(residual[at(p, o)]);
            double magnitude = std::fabs(sum);
            for (int64_t ch = 0; ch < channels; ++ch) {
              double term = double(source[at(p, ch)]) *
                            w[(o * channels + ch) * taps + tap];
              sum += term;
              magnitude += std::fabs(term);
            }
            double expected =
                trial == 0 ? std::max(sum, 0.0) : std::clamp(sum, -0.25, 0.5);
            ASSERT_NEAR(c[at(p, o)], expected, 1e-6 * magnitude + 1e-6)
                << "tap " << tap << " trial " << trial << " threads " << threads
                << " at (" << p << ", " << o << ")";
          }
      }
    }
}

} // namespace

TEST(PackedMatMulTest, TransposedConvolutionScatterAndSums) {
  if (!packedMatMulAvailable())
    GTEST_SKIP() << "no AVX-512 on this machine";
  // A 3x3 transposed convolution at stride 2, padding (1, 0), of a 5x6
  // image of 784 channels (two K slices) to 48 (three blocks: a panel
  // holds a tap and a third), its taps packed in reverse order. The rows
  // of A are the pixels in reverse order too. Computed three ways against
  // sums in double precision: the products added to the output as they
  // are made (packedMatMulScatter, its border taps skipped by where they
  // land), and the products stored whole, then summed per output pixel
  // (transposedConvolutionSum) over all output rows and over two halves.
  const int64_t h = 5, w = 6, channels = 784, out = 48, kernel = 3;
  const int64_t taps = kernel * kernel, pixels = h * w, n = taps * out;
  TransposedWindow window;
  window.height = h;
  window.width = w;
  window.outChannels = out;
  window.kernel[0] = window.kernel[1] = kernel;
  window.strides[0] = window.strides[1] = 2;
  window.pads[0] = 1;
  window.outHeight = (h - 1) * 2 + kernel - 2 * window.pads[0];
  window.outWidth = (w - 1) * 2 + kernel - 2 * window.pads[1];
  const int64_t outPlane = window.outHeight * window.outWidth;
  std::mt19937 random(11);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<float> weights(channels * out * taps), image(pixels * channels);
  for (float &x : weights)
    x = uniform(random);
  for (float &x : image)
    x = uniform(random);
  std::vector<int32_t> tapOrder(taps), tapSlot(taps), rowOf(pixels);
  for (int64_t t = 0; t < taps; ++t) {
    tapOrder[t] = int32_t(taps - 1 - t);
    tapSlot[taps - 1 - t] = int32_t(t);
  }
  std::vector<float> rows(pixels * channels);
  for (int64_t p = 0; p < pixels; ++p) {
    rowOf[p] = int32_t(pixels - 1 - p);
    std::copy(image.begin() + p * channels, image.begin() + (p + 1) * channels,
              rows.begin() + rowOf[p] * channels);
  }
  auto packed = PackedWeights::packTransposedConvolution(
      weights.data(), channels, out, taps, tapOrder.data());
  ASSERT_TRUE(packed);
  // The reference, and where each (pixel, tap) lands.
  std::vector<double> expected(out * outPlane, 0.0), magnitude(out * outPlane);
  auto landing = [&](int64_t p, int64_t t, int64_t &y, int64_t &x) {
    y = p / w * 2 - window.pads[0] + t / kernel;
    x = p % w * 2 - window.pads[1] + t % kernel;
    return y >= 0 && y < window.outHeight && x >= 0 && x < window.outWidth;
  };
  for (int64_t p = 0; p < pixels; ++p)
    for (int64_t t = 0; t < taps; ++t) {
      int64_t y, x;
      if (!landing(p, t, y, x))
        continue;
      for (int64_t o = 0; o < out; ++o)
        for (int64_t c = 0; c < channels; ++c) {
          double term = double(image[p * channels + c]) *
                        weights[(c * out + o) * taps + t];
          expected[o * outPlane + y * window.outWidth + x] += term;
          magnitude[o * outPlane + y * window.outWidth + x] += std::fabs(term);
        }
    }
  // nChw16c: channel o of output pixel q.
  auto at = [&](int64_t o, int64_t q) {
    return (o / 16) * outPlane * 16 + q * 16 + o % 16;
  };
  auto compare = [&](const std::vector<float> &result, const char *how) {
    for (int64_t o = 0; o < out; ++o)
      for (int64_t q = 0; q < outPlane; ++q)
        ASSERT_NEAR(result[at(o, q)], expected[o * outPlane + q],
                    1e-6 * magnitude[o * outPlane + q] + 1e-6)
            << how << " at (" << o << ", " << q << ")";
  };

  // Scattered: each row a pixel, each vector of 16 columns a tap's block.
  std::vector<int64_t> rowOffset(pixels), vectorOffset(packed->panels * 4);
  std::vector<int32_t> rowY(pixels), rowX(pixels), vectorY(vectorOffset.size()),
      vectorX(vectorOffset.size());
  for (int64_t p = 0; p < pixels; ++p) {
    int64_t r = rowOf[p];
    rowY[r] = int32_t(p / w * 2 - window.pads[0]);
    rowX[r] = int32_t(p % w * 2 - window.pads[1]);
    rowOffset[r] = (rowY[r] * window.outWidth + rowX[r]) * 16;
  }
  for (int64_t j = 0; 16 * j < n; ++j) {
    int64_t t = tapOrder[16 * j / out], block = 16 * j % out / 16;
    vectorY[j] = int32_t(t / kernel);
    vectorX[j] = int32_t(t % kernel);
    vectorOffset[j] =
        (vectorY[j] * window.outWidth + vectorX[j] + block * outPlane) * 16;
  }
  // Each block of 6 rows computes only the panels of taps that land for
  // one of its rows.
  std::vector<uint64_t> blockPanels((pixels + kPackedBlockRows - 1) /
                                    kPackedBlockRows);
  for (int64_t p = 0; p < pixels; ++p)
    for (int64_t column = 0; column < n; ++column) {
      int64_t y, x;
      if (landing(p, tapOrder[column / out], y, x))
        blockPanels[rowOf[p] / kPackedBlockRows] |= uint64_t(1)
                                                    << (column / 64);
    }
  ScatterLayout scatter;
  std::vector<float> scattered(out * outPlane, 0.0f);
  scatter.out = scattered.data();
  scatter.height = window.outHeight;
  scatter.width = window.outWidth;
  scatter.rowOffset = rowOffset.data();
  scatter.rowY = rowY.data();
  scatter.rowX = rowX.data();
  scatter.vectorOffset = vectorOffset.data();
  scatter.vectorY = vectorY.data();
  scatter.vectorX = vectorX.data();
  packedMatMulScatter(*packed, rows.data(), {channels, 16}, pixels, scatter,
                      blockPanels.data());
  compare(scattered, "scattered");

  // Stored, then summed (the rows a cache line longer than the columns).
  const int64_t stride = n + 16;
  std::vector<float> products(pixels * stride);
  packedMatMul(*packed, rows.data(), {channels, 16}, pixels, products.data(),
               {stride, 16}, PackedActivation::None, 0.0f, 0.0f, 2,
               /*accumulate=*/false);
  std::vector<float> summed(out * outPlane, 0.0f);
  transposedConvolutionSum(products.data(), stride, rowOf.data(),
                           tapSlot.data(), window, summed.data(), 0,
                           window.outHeight);
  compare(summed, "summed");
  std::vector<float> halves(out * outPlane, 0.0f);
  int64_t middle = window.outHeight / 2;
  transposedConvolutionSum(products.data(), stride, rowOf.data(),
                           tapSlot.data(), window, halves.data(), 0, middle);
  transposedConvolutionSum(products.data(), stride, rowOf.data(),
                           tapSlot.data(), window, halves.data(), middle,
                           window.outHeight);
  compare(halves, "summed in halves");

  // With blockPanels, the panels a block skips keep what C held.
  std::vector<float> partial(pixels * stride, 7.0f);
  packedMatMul(*packed, rows.data(), {channels, 16}, pixels, partial.data(),
               {stride, 16}, PackedActivation::None, 0.0f, 0.0f, 1,
               /*accumulate=*/false, blockPanels.data());
  int64_t skipped = 0;
  for (int64_t r = 0; r < pixels; ++r)
    for (int64_t column = 0; column < n; ++column) {
      bool computed = blockPanels[r / kPackedBlockRows] >> (column / 64) & 1;
      skipped += !computed;
      ASSERT_EQ(partial[r * stride + column],
                computed ? products[r * stride + column] : 7.0f)
          << "row " << r << " column " << column;
    }
  EXPECT_GT(skipped, 0);
}

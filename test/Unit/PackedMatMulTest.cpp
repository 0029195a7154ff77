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

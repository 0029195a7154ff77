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
  for (int64_t j = 0; j < n; ++j) {
    double expected = activate(bias[j], PackedActivation::GeluErf, 0.0);
    ASSERT_NEAR(c[j], expected, 1e-6 * std::fabs(expected) + 1e-7)
        << "at x = " << bias[j];
  }
}

} // namespace

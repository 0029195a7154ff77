/* Measures one core's peak single-precision FMA throughput: independent
 * chains of 512-bit (or, without AVX-512, 256-bit) fused multiply-adds,
 * enough to cover the FMA latency on both pipes (latency 4-5 cycles x 2
 * pipes) and few enough that every accumulator stays in a register: 24 of
 * AVX-512's 32 registers, 12 of AVX2's 16 (24 there spill to the stack,
 * and the loads and stores then cap the rate below what a GEMM kernel
 * reaches). Also the bytes per second one core reads and writes scaling
 * one 16 MiB array into another (beyond its L2 cache): the bound of layers
 * whose few channels leave the FMAs idle. Prints {"gflops": X, "gbps": B,
 * "lanes": N, "chains": C}. */
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#ifdef __AVX512F__
typedef __m512 vec;
#define LANES 16
#define SET1 _mm512_set1_ps
#define FMA _mm512_fmadd_ps
#define ADD _mm512_add_ps
#define SUM(v) _mm512_reduce_add_ps(v)
#else
typedef __m256 vec;
#define LANES 8
#define SET1 _mm256_set1_ps
#define FMA _mm256_fmadd_ps
#define ADD _mm256_add_ps
static float SUM(__m256 v) {
  float f[8];
  _mm256_storeu_ps(f, v);
  return f[0] + f[1] + f[2] + f[3] + f[4] + f[5] + f[6] + f[7];
}
#endif

#ifdef __AVX512F__
#define CHAINS 24
#define BODY STEP4(0) STEP4(4) STEP4(8) STEP4(12) STEP4(16) STEP4(20)
#else
#define CHAINS 12
#define BODY STEP4(0) STEP4(4) STEP4(8)
#endif
#define STEP(c) acc[c] = FMA(acc[c], a, b);
#define STEP4(c) STEP(c) STEP(c + 1) STEP(c + 2) STEP(c + 3)

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

/* Best of 5 passes of y = 0.5 x over `count` floats, in GB/s of bytes
 * read and written. */
static double bandwidth(long count) {
  float *x = aligned_alloc(64, count * sizeof(float));
  float *y = aligned_alloc(64, count * sizeof(float));
  if (!x || !y)
    return 0;
  for (long i = 0; i < count; ++i)
    x[i] = y[i] = (float)(i & 1023);
  double best = 0;
  for (int trial = 0; trial < 6; ++trial) {
    double start = now();
    for (long i = 0; i < count; i += LANES) {
#ifdef __AVX512F__
      _mm512_store_ps(y + i, _mm512_mul_ps(_mm512_load_ps(x + i), SET1(0.5f)));
#else
      _mm256_store_ps(y + i, _mm256_mul_ps(_mm256_load_ps(x + i), SET1(0.5f)));
#endif
    }
    double seconds = now() - start;
    double gbps = 2.0 * count * sizeof(float) / seconds / 1e9;
    if (trial > 0 && gbps > best) /* the first pass faults the pages in */
      best = gbps;
  }
  volatile float sink = y[count / 2];
  (void)sink;
  free(x);
  free(y);
  return best;
}

int main(void) {
  vec acc[CHAINS];
  vec a = SET1(0.999999f), b = SET1(1e-7f);
  for (int c = 0; c < CHAINS; ++c)
    acc[c] = SET1((float)c);
  const long iterations = 100000000;
  double best = 0;
  for (int trial = 0; trial < 5; ++trial) {
    double start = now();
    for (long i = 0; i < iterations / 10; ++i) {
      BODY
    }
    double seconds = now() - start;
    double gflops = (double)(iterations / 10) * CHAINS * LANES * 2 / seconds / 1e9;
    if (gflops > best)
      best = gflops;
  }
  vec total = acc[0];
  for (int c = 1; c < CHAINS; ++c)
    total = ADD(total, acc[c]);
  double gbps = bandwidth(16L << 20 >> 2);
  printf("{\"gflops\": %.1f, \"gbps\": %.1f, \"lanes\": %d, \"chains\": %d, "
         "\"check\": %g}\n",
         best, gbps, LANES, CHAINS, (double)SUM(total));
  return 0;
}

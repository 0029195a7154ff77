/* Runs a dnnl-backend model (dnnl_model.py's, compiled with --emit=lib)
   through its C API from four threads at once on one instance, then on a
   second instance, then on an instance made for one thread, comparing
   every output with NumPy's.
   usage: capi_dnnl X.bin EXPECTED.bin */
#include "model.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>

static kiln_model *model;
static float x[2 * 3 * 6 * 6], expected[2 * 4];
static int failures, mismatches;

static int run_once(void) {
  float logits[2 * 4];
  const void *inputs[] = {x};
  size_t input_bytes[] = {sizeof x};
  void *outputs[] = {logits};
  size_t output_bytes[] = {sizeof logits};
  char error[256];
  if (kiln_run(model, inputs, input_bytes, outputs, output_bytes, error,
               sizeof error) != 0) {
    fprintf(stderr, "error: %s\n", error);
    __atomic_add_fetch(&failures, 1, __ATOMIC_SEQ_CST);
    return 0;
  }
  for (int i = 0; i < 8; ++i)
    if (fabsf(logits[i] - expected[i]) > 1e-4f + 1e-4f * fabsf(expected[i])) {
      __atomic_add_fetch(&mismatches, 1, __ATOMIC_SEQ_CST);
      return 0;
    }
  return 1;
}

static void *worker(void *arg) {
  for (int iteration = 0; iteration < 50; ++iteration)
    run_once();
  return NULL;
}

static int load(const char *path, float *data, size_t count) {
  FILE *f = fopen(path, "rb");
  size_t got = f ? fread(data, sizeof(float), count, f) : 0;
  if (f)
    fclose(f);
  return got == count;
}

int main(int argc, char **argv) {
  if (argc != 3 || !load(argv[1], x, sizeof x / sizeof *x) ||
      !load(argv[2], expected, sizeof expected / sizeof *expected))
    return 2;
  char error[256];
  model = kiln_create(error, sizeof error);
  if (!model) {
    printf("create: %s\n", error);
    return 1;
  }
  pthread_t threads[4];
  for (int t = 0; t < 4; ++t)
    pthread_create(&threads[t], NULL, worker, NULL);
  for (int t = 0; t < 4; ++t)
    pthread_join(threads[t], NULL);
  printf("concurrent runs: %d failures, %d mismatches\n", failures, mismatches);
  kiln_destroy(model);
  model = kiln_create(error, sizeof error);
  printf("second instance: %s\n", model && run_once() ? "ok" : "failed");
  kiln_destroy(model);
  /* An instance made for one thread: its primitives and their choice are
     for a team of one, and 40 runs take it through the choice. */
  model = kiln_create_threads(1, error, sizeof error);
  int ok = model != NULL;
  for (int r = 0; ok && r < 40; ++r)
    ok = run_once();
  printf("one-thread instance: %s\n", ok ? "ok" : "failed");
  kiln_destroy(model);
  error[0] = 0;
  model = kiln_create_threads(-1, error, sizeof error);
  printf("negative threads: %s, %s\n", model ? "created" : "refused", error);
  error[0] = 0;
  model = kiln_create_threads(100000, error, sizeof error);
  printf("too many threads: %s, %s\n", model ? "created" : "refused", error);
  return 0;
}

/* Uses a model compiled with --emit=lib through its C API: the signature,
   runs from several threads at once, the thread setting, a profile, and
   the errors for bad buffers. */
#include "add.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

static kiln_model *model;
static int failures;

static void *worker(void *arg) {
  float offset = (float)(size_t)arg;
  for (int iteration = 0; iteration < 200; ++iteration) {
    float x[6], y[3] = {10, 20, 30}, sum[6];
    for (int i = 0; i < 6; ++i)
      x[i] = offset + i;
    const void *inputs[] = {x, y};
    size_t input_bytes[] = {sizeof x, sizeof y};
    void *outputs[] = {sum};
    size_t output_bytes[] = {sizeof sum};
    char error[256];
    if (kiln_run(model, inputs, input_bytes, outputs, output_bytes, error,
                 sizeof error) != 0) {
      __atomic_add_fetch(&failures, 1, __ATOMIC_SEQ_CST);
      continue;
    }
    for (int i = 0; i < 6; ++i)
      if (sum[i] != x[i] + y[i % 3])
        __atomic_add_fetch(&failures, 1, __ATOMIC_SEQ_CST);
  }
  return NULL;
}

static void print_op(void *user, const char *node, const char *op, long calls,
                     double us) {
  ++*(int *)user;
  printf("op %s (%s): %ld calls%s\n", node, op, calls,
         us >= 0 ? "" : ", negative time");
}

int main(void) {
  char error[256];
  model = kiln_create(error, sizeof error);
  if (!model) {
    printf("create failed: %s\n", error);
    return 1;
  }
  printf("inputs %zu outputs %zu\n", kiln_num_inputs(model),
         kiln_num_outputs(model));
  kiln_tensor_info info;
  for (size_t i = 0; kiln_input_info(model, i, &info) == 0; ++i)
    printf("input %s dtype %d rank %d bytes %zu\n", info.name, info.dtype,
           info.rank, info.bytes);
  kiln_output_info(model, 0, &info);
  printf("output %s dims %lld x %lld\n", info.name, (long long)info.dims[0],
         (long long)info.dims[1]);

  pthread_t threads[4];
  for (size_t t = 0; t < 4; ++t)
    pthread_create(&threads[t], NULL, worker, (void *)(t * 100));
  for (size_t t = 0; t < 4; ++t)
    pthread_join(threads[t], NULL);
  printf("concurrent runs: %d failures\n", failures);

  printf("set threads: %d %d\n", kiln_set_threads(model, 1),
         kiln_set_threads(model, -1));
  {
    float x[6] = {1, 2, 3, 4, 5, 6}, y[3] = {1, 1, 1}, sum[6];
    const void *inputs[] = {x, y};
    size_t input_bytes[] = {sizeof x, sizeof y};
    void *outputs[] = {sum};
    size_t output_bytes[] = {sizeof sum};
    int ops = 0;
    double run_us = -1;
    if (kiln_profile(model, inputs, input_bytes, outputs, output_bytes, 5,
                     print_op, &ops, &run_us, error, sizeof error) != 0)
      printf("profile failed: %s\n", error);
    printf("profile: %d ops, sum[5] = %g, run time %s\n", ops, sum[5],
           run_us > 0 ? "positive" : "not positive");
    if (kiln_profile(model, inputs, input_bytes, outputs, output_bytes, 0, NULL,
                     NULL, NULL, error, sizeof error) != 0)
      printf("error: %s\n", error);
  }

  float x[6] = {0}, y[4] = {0}, sum[6];
  const void *inputs[] = {x, y};
  size_t wrong_bytes[] = {sizeof x, sizeof y};
  void *outputs[] = {sum};
  size_t output_bytes[] = {sizeof sum};
  if (kiln_run(model, inputs, wrong_bytes, outputs, output_bytes, error,
               sizeof error) != 0)
    printf("error: %s\n", error);
  const void *null_inputs[] = {x, NULL};
  size_t input_bytes[] = {sizeof x, 12};
  if (kiln_run(model, null_inputs, input_bytes, outputs, output_bytes, error,
               sizeof error) != 0)
    printf("error: %s\n", error);
  kiln_destroy(model);
  return failures != 0;
}

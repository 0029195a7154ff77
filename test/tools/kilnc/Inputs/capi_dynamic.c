/* Uses a model whose dim N varies at run time through the C API: its open
   dim, the output shapes for given input shapes, runs at several sizes
   from several threads, and the errors for sizes that do not fit. */
#include "dynamic.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static kiln_model *model;
static int failures;

/* Runs N = n: Y = X + B, T = Y transposed; counts wrong elements. */
static int run(int64_t n) {
  float *x = malloc(sizeof(float) * 3 * n + 4);
  float *y = malloc(sizeof(float) * 3 * n + 4);
  float *t = malloc(sizeof(float) * 3 * n + 4);
  float b[3] = {10, 20, 30};
  for (int64_t i = 0; i < 3 * n; ++i)
    x[i] = (float)(i * 7 % 11) - 5;
  const void *inputs[] = {x, b};
  size_t input_bytes[] = {sizeof(float) * 3 * n, sizeof b};
  void *outputs[] = {y, t};
  size_t output_bytes[] = {sizeof(float) * 3 * n, sizeof(float) * 3 * n};
  char error[256];
  int wrong = 0;
  if (kiln_run(model, inputs, input_bytes, outputs, output_bytes, error,
               sizeof error) != 0) {
    printf("run %lld failed: %s\n", (long long)n, error);
    wrong = 1;
  } else {
    for (int64_t s = 0; s < n; ++s)
      for (int c = 0; c < 3; ++c) {
        float expected = x[s * 3 + c] + b[c];
        wrong += y[s * 3 + c] != expected;
        wrong += t[c * n + s] != expected;
      }
  }
  free(x);
  free(y);
  free(t);
  return wrong;
}

static void *worker(void *arg) {
  for (int64_t n = 0; n < 40; ++n)
    if (run(n + (size_t)arg) != 0)
      __atomic_add_fetch(&failures, 1, __ATOMIC_SEQ_CST);
  return NULL;
}

int main(void) {
  char error[256];
  model = kiln_create(error, sizeof error);
  if (!model) {
    printf("create failed: %s\n", error);
    return 1;
  }
  printf("open dim %s\n", kiln_dim_symbol(model));
  kiln_tensor_info info;
  for (size_t i = 0; kiln_input_info(model, i, &info) == 0; ++i)
    printf("input %s rank %d dim0 %lld bytes %zu\n", info.name, info.rank,
           (long long)info.dims[0], info.bytes);
  for (size_t i = 0; kiln_output_info(model, i, &info) == 0; ++i)
    printf("output %s dims %lld x %lld bytes %zu\n", info.name,
           (long long)info.dims[0], (long long)info.dims[1], info.bytes);

  int64_t x_dims[] = {5, 3}, b_dims[] = {3}, y_dims[2], t_dims[2];
  const int64_t *input_dims[] = {x_dims, b_dims};
  int64_t *output_dims[] = {y_dims, t_dims};
  if (kiln_output_shapes(model, input_dims, output_dims, error,
                         sizeof error) == 0)
    printf("for X [5, 3]: Y [%lld, %lld], T [%lld, %lld]\n",
           (long long)y_dims[0], (long long)y_dims[1], (long long)t_dims[0],
           (long long)t_dims[1]);
  x_dims[1] = 4;
  if (kiln_output_shapes(model, input_dims, output_dims, error,
                         sizeof error) != 0)
    printf("error: %s\n", error);

  pthread_t threads[4];
  for (size_t i = 0; i < 4; ++i)
    pthread_create(&threads[i], NULL, worker, (void *)i);
  for (size_t i = 0; i < 4; ++i)
    pthread_join(threads[i], NULL);
  printf("runs at N = 0 to 42 from 4 threads: %d failures\n", failures);

  /* X of 2.5 rows, and outputs sized for another N. */
  float x[16] = {0}, b[3] = {0}, y[16], t[16];
  const void *inputs[] = {x, b};
  void *outputs[] = {y, t};
  size_t bad_input[] = {sizeof(float) * 7, sizeof b};
  size_t out_bytes[] = {sizeof(float) * 6, sizeof(float) * 6};
  if (kiln_run(model, inputs, bad_input, outputs, out_bytes, error,
               sizeof error) != 0)
    printf("error: %s\n", error);
  size_t in_bytes[] = {sizeof(float) * 3, sizeof b};
  if (kiln_run(model, inputs, in_bytes, outputs, out_bytes, error,
               sizeof error) != 0)
    printf("error: %s\n", error);
  kiln_destroy(model);
  return 0;
}

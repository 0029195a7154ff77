/* Runs Inputs/sequence.onnxtxt (softmax of X [N, S, 4], transpose of
   M [N, S]) through kiln_run_shaped at batch 2, length 3, and checks what
   kiln_run refuses. */
#include "sequence.h"

#include <math.h>
#include <stdio.h>

int main(void) {
  char error[512];
  kiln_model *model = kiln_create(error, sizeof error);
  if (!model) {
    printf("create: %s\n", error);
    return 1;
  }
  kiln_tensor_info info;
  kiln_input_info(model, 0, &info);
  printf("X dims %lld %lld %lld bytes %zu\n", (long long)info.dims[0],
         (long long)info.dims[1], (long long)info.dims[2], info.bytes);
  int64_t entries = 0, low = 0, high = 0;
  int axis = kiln_sequence_axis(model, 1, 1, &entries);
  kiln_sequence_range(model, &low, &high);
  printf("batch %s, sequence %s, %lld to %lld; T's axis %d (%lld each); "
         "input 2: %d\n",
         kiln_dim_symbol(model), kiln_sequence_symbol(model), (long long)low,
         (long long)high, axis, (long long)entries,
         kiln_sequence_axis(model, 0, 2, NULL));
  float x[2][3][4], m[2][3], y[2][3][4], t[3][2];
  for (int n = 0; n < 2; ++n)
    for (int s = 0; s < 3; ++s) {
      m[n][s] = (float)(10 * n + s);
      for (int c = 0; c < 4; ++c)
        x[n][s][c] = (float)(n - s + c) * 0.5f;
    }
  int64_t xd[] = {2, 3, 4}, md[] = {2, 3}, yd[3], td[2];
  const int64_t *in_dims[] = {xd, md};
  int64_t *out_dims[] = {yd, td};
  if (kiln_output_shapes(model, in_dims, out_dims, error, sizeof error)) {
    printf("shapes: %s\n", error);
    return 1;
  }
  printf("Y dims %lld %lld %lld, T dims %lld %lld\n", (long long)yd[0],
         (long long)yd[1], (long long)yd[2], (long long)td[0],
         (long long)td[1]);
  const void *inputs[] = {x, m};
  void *outputs[] = {y, t};
  size_t out_bytes[] = {sizeof y, sizeof t};
  if (kiln_run_shaped(model, inputs, in_dims, outputs, out_bytes, error,
                      sizeof error)) {
    printf("run: %s\n", error);
    return 1;
  }
  double worst = 0;
  int transposed = 1;
  for (int n = 0; n < 2; ++n)
    for (int s = 0; s < 3; ++s) {
      double sum = 0;
      for (int c = 0; c < 4; ++c)
        sum += exp(x[n][s][c]);
      for (int c = 0; c < 4; ++c) {
        double d = fabs(y[n][s][c] - exp(x[n][s][c]) / sum);
        worst = d > worst ? d : worst;
      }
      transposed &= t[s][n] == m[n][s];
    }
  printf("softmax %s, transpose %s\n", worst < 1e-6 ? "ok" : "wrong",
         transposed ? "ok" : "wrong");
  size_t in_bytes[] = {sizeof x, sizeof m};
  if (kiln_run(model, inputs, in_bytes, outputs, out_bytes, error,
               sizeof error))
    printf("kiln_run: %s\n", error);
  size_t small[] = {sizeof y - 4, sizeof t};
  if (kiln_run_shaped(model, inputs, in_dims, outputs, small, error,
                      sizeof error))
    printf("small: %s\n", error);
  kiln_destroy(model);
  return 0;
}

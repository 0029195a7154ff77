/* Runs the gather model of index-checks.test through the C API with
 * indices in range, then out of range: kiln_run returns an error. */
#include "gather.h"

#include <stdint.h>
#include <stdio.h>

static void run(kiln_model *model, const int64_t idx[4]) {
  float x[6] = {0, 1, 2, 3, 4, 5};
  int32_t j[4] = {2, 0, -1, 1};
  float y[8], z[4];
  const void *inputs[] = {idx, x, j};
  size_t in_bytes[] = {sizeof(int64_t) * 4, sizeof(x), sizeof(j)};
  void *outputs[] = {y, z};
  size_t out_bytes[] = {sizeof(y), sizeof(z)};
  char error[256];
  if (kiln_run(model, inputs, in_bytes, outputs, out_bytes, error,
               sizeof(error)) != 0)
    printf("error: %s\n", error);
  else
    printf("ok: %g %g %g\n", y[0], y[7], z[2]);
}

int main(void) {
  char error[256];
  kiln_model *model = kiln_create(error, sizeof(error));
  if (!model) {
    printf("create: %s\n", error);
    return 1;
  }
  const int64_t good[4] = {4, 0, -1, 2}, bad[4] = {0, 1, 7, 2};
  run(model, good);
  run(model, bad);
  run(model, good);
  kiln_destroy(model);
  return 0;
}

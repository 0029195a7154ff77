/* Times a model library's runs at several sizes of its open dim: for each
   size N given, the first run at N (after runs at the sizes before it) and
   the median of the next RUNS runs at N. Inputs are zeros (valid tokens
   and indices too). Prints one JSON object per size; a size written +N is
   a warm-up (the process' first runs start the threads and touch the
   weights), timed but marked "warmup".

   usage: first_run LIBRARY RUNS [+]N... */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kiln/Runtime/KilnModel.h"

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int compare(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

#define LOAD(name)                                                           \
  __typeof__(&name) p_##name = (__typeof__(&name))dlsym(lib, #name);         \
  if (!p_##name) {                                                           \
    fprintf(stderr, "missing %s\n", #name);                                  \
    return 1;                                                                \
  }

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s LIBRARY RUNS N...\n", argv[0]);
    return 2;
  }
  void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    fprintf(stderr, "%s\n", dlerror());
    return 1;
  }
  LOAD(kiln_create) LOAD(kiln_run) LOAD(kiln_num_inputs)
  LOAD(kiln_num_outputs) LOAD(kiln_input_info) LOAD(kiln_output_info)
  char error[512];
  kiln_model *model = p_kiln_create(error, sizeof error);
  if (!model) {
    fprintf(stderr, "%s\n", error);
    return 1;
  }
  int runs = atoi(argv[2]);
  size_t ni = p_kiln_num_inputs(model), no = p_kiln_num_outputs(model);
  for (int a = 3; a < argc; ++a) {
    int warmup = argv[a][0] == '+';
    long n = atol(argv[a] + warmup);
    const void *inputs[64];
    void *outputs[64];
    size_t in_bytes[64], out_bytes[64];
    kiln_tensor_info info;
    for (size_t i = 0; i < ni && i < 64; ++i) {
      p_kiln_input_info(model, i, &info);
      int open = 0;
      for (int d = 0; d < info.rank; ++d)
        open |= info.dims[d] < 0;
      in_bytes[i] = info.bytes * (open ? n : 1);
      inputs[i] = calloc(1, in_bytes[i] + 64);
    }
    for (size_t i = 0; i < no && i < 64; ++i) {
      p_kiln_output_info(model, i, &info);
      int open = 0;
      for (int d = 0; d < info.rank; ++d)
        open |= info.dims[d] < 0;
      out_bytes[i] = info.bytes * (open ? n : 1);
      outputs[i] = malloc(out_bytes[i] + 64);
    }
    double *times = malloc(sizeof(double) * (runs + 1));
    for (int r = 0; r <= runs; ++r) {
      double start = now_us();
      if (p_kiln_run(model, inputs, in_bytes, outputs, out_bytes, error,
                     sizeof error) != 0) {
        fprintf(stderr, "N=%ld: %s\n", n, error);
        return 1;
      }
      times[r] = now_us() - start;
    }
    double first = times[0];
    qsort(times + 1, runs, sizeof(double), compare);
    printf("{\"n\": %ld, \"warmup\": %s, \"first_us\": %.1f, "
           "\"median_us\": %.1f}\n",
           n, warmup ? "true" : "false", first, times[1 + runs / 2]);
    for (size_t i = 0; i < ni; ++i)
      free((void *)inputs[i]);
    for (size_t i = 0; i < no; ++i)
      free(outputs[i]);
    free(times);
  }
  return 0;
}

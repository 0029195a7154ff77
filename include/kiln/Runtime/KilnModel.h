/*===- KilnModel.h - The C API of a model compiled with --emit=lib -------===*\
 *
 * kilnc --emit=lib writes libNAME.so and a copy of this header as NAME.h.
 *
 *   char error[256];
 *   kiln_model *model = kiln_create(error, sizeof error);
 *   const void *inputs[] = {image};           size_t in_bytes[] = {...};
 *   void *outputs[] = {probabilities};        size_t out_bytes[] = {...};
 *   if (kiln_run(model, inputs, in_bytes, outputs, out_bytes, error,
 *                sizeof error) != 0)
 *     fprintf(stderr, "%s\n", error);
 *   kiln_destroy(model);
 *
 * Buffers are dense, row-major and aligned to their element size; their
 * byte sizes are checked against the model's signature. kiln_run may be
 * called from several threads at once on one model: a run keeps its
 * temporaries to itself. The library exports only these functions, so a
 * process can load several models with dlopen; linked directly, one model
 * per program.
\*===----------------------------------------------------------------------===*/

#ifndef KILN_MODEL_H
#define KILN_MODEL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kiln_model kiln_model;

/* One input or output. dtype is an ONNX TensorProto code (1 = float32,
   7 = int64, 9 = bool, ...). */
typedef struct {
  const char *name;
  int dtype;
  int rank;
  const int64_t *dims;
  size_t bytes;
} kiln_tensor_info;

/* Creates the model; NULL (with a message in error) on failure. */
kiln_model *kiln_create(char *error, size_t error_size);
void kiln_destroy(kiln_model *model);

size_t kiln_num_inputs(const kiln_model *model);
size_t kiln_num_outputs(const kiln_model *model);
/* Fills info for input/output i; returns 0, or -1 when i is out of range. */
int kiln_input_info(const kiln_model *model, size_t i, kiln_tensor_info *info);
int kiln_output_info(const kiln_model *model, size_t i, kiln_tensor_info *info);

/* Runs the model: one buffer per input and per output, in signature order,
   with their sizes in bytes. Returns 0, or -1 with a message in error. */
int kiln_run(const kiln_model *model, const void *const *inputs,
             const size_t *input_bytes, void *const *outputs,
             const size_t *output_bytes, char *error, size_t error_size);

#ifdef __cplusplus
}
#endif

#endif /* KILN_MODEL_H */

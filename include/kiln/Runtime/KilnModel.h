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
 * byte sizes are checked against the model's signature.
 *
 * A model compiled with an open dim (ONNX's dim_param "batch", Keras' None
 * batch) runs at any size of it: kiln_dim_symbol names it, and the info of
 * each input and output that holds it reports -1 on its axis and the bytes
 * of one sample. A run takes inputs of any number of samples (their byte
 * sizes say how many; inputs must agree) and outputs sized for as many:
 * kiln_output_shapes gives the output dims for given input dims, so that
 * the caller can size the output buffers (elements * element size). kiln_run
may be
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

/* The most OpenMP threads a model's runs take: kiln_create_threads and
   kiln_set_threads refuse a larger count. */
#define KILN_MAX_THREADS 1024

/* Creates the model; NULL (with a message in error) on failure. */
kiln_model *kiln_create(char *error, size_t error_size);
/* Creates the model for runs of `threads` OpenMP threads (0: as
   kiln_create, OMP_NUM_THREADS or one per core): its oneDNN primitives are
   made for that team and their variants are chosen by timing runs of it,
   and the model's runs use it (kiln_set_threads changes it later). NULL,
   with a message in error, on failure or for a count outside 0 to
   KILN_MAX_THREADS. */
kiln_model *kiln_create_threads(int threads, char *error, size_t error_size);
void kiln_destroy(kiln_model *model);

size_t kiln_num_inputs(const kiln_model *model);
size_t kiln_num_outputs(const kiln_model *model);
/* Fills info for input/output i; returns 0, or -1 when i is out of range. */
int kiln_input_info(const kiln_model *model, size_t i, kiln_tensor_info *info);
int kiln_output_info(const kiln_model *model, size_t i, kiln_tensor_info *info);

/* Runs the model: one buffer per input and per output, in signature order,
   with their sizes in bytes. Returns 0, or -1 with a message in error (and
   nothing written when the sizes do not fit the model). */
int kiln_run(const kiln_model *model, const void *const *inputs,
             const size_t *input_bytes, void *const *outputs,
             const size_t *output_bytes, char *error, size_t error_size);

/* Runs the model on inputs of the dims given (input_dims[i] holds the rank
   of input i dims; their byte sizes follow), with output buffers of
   output_bytes (kiln_output_shapes gives their dims). A model whose
   sequence length varies at run time (kiln_sequence_symbol names it)
   runs only this way: kiln_run and kiln_profile refuse it. Returns 0, or -1
   with a message in error and nothing written. */
int kiln_run_shaped(const kiln_model *model, const void *const *inputs,
                    const int64_t *const *input_dims, void *const *outputs,
                    const size_t *output_bytes, char *error, size_t error_size);
/* For a model whose sequence length varies at run time (a second open
   dim): its name, or NULL. */
const char *kiln_sequence_symbol(const kiln_model *model);
/* The axis of input (output = 0) or output (output = 1) i that holds the
   positions of the sequence, -1 for none, -2 when i is out of range; with
   an axis, *entries (when not NULL) gets how many entries of it each
   position takes (1 but after a reshape). Such a tensor's info gives -1 on
   that axis and the bytes of one sample and one position. */
int kiln_sequence_axis(const kiln_model *model, int output, size_t i,
                       int64_t *entries);
/* The sequence lengths the model takes; returns 0, or -1 without a
   sequence. */
int kiln_sequence_range(const kiln_model *model, int64_t *low, int64_t *high);
/* The name of the model's open dim, or NULL for a model of fixed shapes. */
const char *kiln_dim_symbol(const kiln_model *model);

/* The dims of every output for inputs of the dims given (input_dims[i]
   holds the rank of input i dims): fills output_dims[i], which holds the
   rank of output i. Returns 0, or -1 with a message naming the input and
   the dim when the dims do not fit the model or the inputs disagree. */
int kiln_output_shapes(const kiln_model *model,
                       const int64_t *const *input_dims,
                       int64_t *const *output_dims, char *error,
                       size_t error_size);

/* The OpenMP threads each later kiln_run of this model uses for its
   parallel loops and oneDNN primitives (0, the default: OMP_NUM_THREADS or
   one per core). Returns 0, or -1 for a NULL model or a count outside 0 to
   KILN_MAX_THREADS. */
int kiln_set_threads(kiln_model *model, int threads);

/* Called by kiln_profile once per op of the model, in the model's order:
   the op's node (ONNX node name, Keras layer or file:line), its kind, how
   many times it ran over all the runs and its mean time per run in
   microseconds. */
typedef void (*kiln_op_time_fn)(void *user, const char *node, const char *op,
                                long calls, double us_per_run);

/* Runs the model `runs` times on the buffers, as kiln_run does but one
   sample at a time, with a timer around every op; then reports each op
   through each_op and the mean time of a run in *run_us (either may be
   NULL). One profile runs at a time per model; runs on other threads go
   on meanwhile, unrecorded. Returns 0, or -1 with a message in error. */
int kiln_profile(const kiln_model *model, const void *const *inputs,
                 const size_t *input_bytes, void *const *outputs,
                 const size_t *output_bytes, long runs, kiln_op_time_fn each_op,
                 void *user, double *run_us, char *error, size_t error_size);

#ifdef __cplusplus
}
#endif

#endif /* KILN_MODEL_H */

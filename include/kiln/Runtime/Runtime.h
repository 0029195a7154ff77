/*===- Runtime.h - The C ABI between compiled models and the runtime -----===*\
 *
 * A compiled model (an object file written by kilnc) defines:
 *
 *   const char kiln_model_signature[];
 *       One line per tensor: "in|out NAME DTYPE D0xD1x..." (DTYPE is an ONNX
 *       TensorProto data type code; a scalar's shape is "-"), inputs first,
 *       in graph order. A model whose open dim varies at run time first
 *       names it ("symbol NAME"), gives the dims of one sample, and ends
 *       the line of each tensor that holds samples with their axis, "AXIS"
 *       or "AXIS:BLOCKS" (see TensorInfo::sampleBlocks in Tensor.h).
 *       A model whose sequence length varies too (padded to an extent)
 *       has a line "sequence NAME EXTENT LO HI", "seq=AXIS" on the line of
 *       each tensor that holds the positions (their dims padded), and a
 *       last input "in sequence_length 7 - length": the actual length,
 *       an int64 scalar.
 *   const uint64_t kiln_model_workspace_bytes;
 *       The size of the model's workspace for intermediate tensors.
 *   void kiln_model_run(void **buffers);
 *       Runs the model on dense row-major buffers: the inputs, then the
 *       outputs, in signature order, then a 64-byte aligned workspace of
 *       kiln_model_workspace_bytes. The caller allocates every buffer; a
 *       workspace serves one run at a time.
 *   const char kiln_model_profile_ops[];
 *       One line per profiled op, "NAME<TAB>OP", in id order (may be empty).
 *   const uint64_t kiln_model_weights_bytes, kiln_model_weights_id;
 *   const char kiln_model_weights_file[];
 *   const void *kiln_model_weights_base;
 *       For a model compiled with --weights=external: the payload size, its
 *       hash and the name of the weights file, and where the runtime
 *       mapped the payload before the first run (bytes 0 otherwise).
 *
 *   void kiln_model_task(int32_t id, int64_t lo, int64_t hi, void **buffers);
 *       Runs iterations [lo, hi) of parallel loop `id` of the model, on the
 *       buffers kiln_model_run was given.
 *
 * and calls the runtime's
 *
 *   void kiln_parallel_for(int32_t id, int64_t iterations);
 *       Runs parallel loop `id` through kiln_model_task, split over the
 *       OpenMP threads.
 *
 * and, around each profiled op,
 *
 *   void kiln_profile_enter(int32_t id);
 *   void kiln_profile_exit(int32_t id);
 *
 * A binary compiled with blocks of samples (kilnc --block-samples) also
 * defines kiln_block_run, kiln_block_task, kiln_block_signature,
 * kiln_block_workspace_bytes and, for the dnnl backend,
 * kiln_block_dnnl_program and kiln_block_dnnl_constants: the same model
 * for a block, which the runtime declares weak.
 *
 * A binary of a model with a padded sequence also holds the model padded
 * to shorter extents, as kiln_bucketI_{run,task,signature,
 * workspace_bytes,dnnl_program,dnnl_constants} (I from 0) and, with blocks,
 * kiln_bucketI_block_{...}, listed, smallest first, in
 *
 *   struct graph { void *run, *task; const char *signature;
 *                  const uint64_t *workspace_bytes;
 *                  const int64_t *dnnl_program; void *dnnl_constants; };
 *   const struct { int64_t extent; struct graph bucket, block; }
 *       kiln_sequence_buckets[];
 *   const int64_t kiln_sequence_bucket_count;
 *
 * (null pointers where a bucket has no block or no oneDNN program).
 *
 * No MLIR here: the runtime is plain C++.
\*===----------------------------------------------------------------------===*/

#ifndef KILN_RUNTIME_RUNTIME_H
#define KILN_RUNTIME_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

extern const char kiln_model_signature[];
extern const char kiln_model_profile_ops[];
extern const uint64_t kiln_model_workspace_bytes;
extern const uint64_t kiln_model_weights_bytes;
extern const uint64_t kiln_model_weights_id;
extern const char kiln_model_weights_file[];
extern const void *kiln_model_weights_base;
void kiln_model_run(void **buffers);
void kiln_model_task(int32_t id, int64_t lo, int64_t hi, void **buffers);
void kiln_parallel_for(int32_t id, int64_t iterations);
void kiln_profile_enter(int32_t id);
void kiln_profile_exit(int32_t id);

#ifdef __cplusplus
}
#endif

#endif /* KILN_RUNTIME_RUNTIME_H */

/*===- Runtime.h - The C ABI between compiled models and the runtime -----===*\
 *
 * A compiled model (an object file written by kilnc) defines:
 *
 *   const char kiln_model_signature[];
 *       One line per tensor: "in|out NAME DTYPE D0xD1x..." (DTYPE is an ONNX
 *       TensorProto data type code; a scalar's shape is "-"), inputs first,
 *       in graph order.
 *   void kiln_model_run(void **buffers);
 *       Runs the model on dense row-major buffers: the inputs, then the
 *       outputs, in signature order. The caller allocates every buffer.
 *   const char kiln_model_profile_ops[];
 *       One line per profiled op, "NAME<TAB>OP", in id order (may be empty).
 *
 * and calls, around each profiled op, the runtime's
 *
 *   void kiln_profile_enter(int32_t id);
 *   void kiln_profile_exit(int32_t id);
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
void kiln_model_run(void **buffers);
void kiln_profile_enter(int32_t id);
void kiln_profile_exit(int32_t id);

#ifdef __cplusplus
}
#endif

#endif /* KILN_RUNTIME_RUNTIME_H */

//===- KilnBackendDialect.td - Ops of the backends ---------*- tablegen -*-===//
//
// The kiln_backend dialect holds the ops the backends lower kiln ops to on
// the way to code: calls of oneDNN primitives run by the runtime (dnnl
// backend) and the kernels Kiln generates itself (llvm backend). They work
// on tensors and, after one-shot bufferization, on buffers.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECT_KILNBACKEND_IR_KILNBACKENDDIALECT_TD
#define KILN_DIALECT_KILNBACKEND_IR_KILNBACKENDDIALECT_TD

include "mlir/IR/OpBase.td"

def KilnBackend_Dialect : Dialect {
  let name = "kiln_backend";
  let cppNamespace = "::kiln::backend";
  let summary = "Backend ops: oneDNN primitive calls and generated kernels";
  let description = [{
    The ops kiln-to-dnnl and kiln-to-linalg produce for the work they hand
    to a library or to a kernel of their own: `kiln_backend.dnnl_call`
    (one oneDNN primitive, run by the runtime), `kiln_backend.conv_pool`
    (banded convolution-pooling) and `kiln_backend.flash_attention` (tiled
    online-softmax attention). Each is destination-style and bufferizes in
    place; after bufferization, kiln-lower-dnnl-calls,
    kiln-lower-conv-pool and kiln-lower-attention replace them.
  }];
  let dependentDialects = ["::kiln::KilnDialect"];
}

#endif // KILN_DIALECT_KILNBACKEND_IR_KILNBACKENDDIALECT_TD

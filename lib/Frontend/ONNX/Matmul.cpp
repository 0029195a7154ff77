//===- Matmul.cpp - ONNX matrix products ----------------------------------===//

#include "NodeContext.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::onnx_frontend;

static LogicalResult importMatMul(NodeContext &ctx) {
  auto a = ctx.required(0, "A");
  auto b = ctx.required(1, "B");
  if (failed(a) || failed(b))
    return failure();
  return ctx.setResult(ctx.create<MatMulOp>({*a, *b}));
}

static LogicalResult importGemm(NodeContext &ctx) {
  auto a = ctx.required(0, "A");
  auto b = ctx.required(1, "B");
  auto transA = ctx.getInt("transA", 0);
  auto transB = ctx.getInt("transB", 0);
  auto alpha = ctx.getFloat("alpha", 1.0f);
  auto beta = ctx.getFloat("beta", 1.0f);
  if (failed(a) || failed(b) || failed(transA) || failed(transB) ||
      failed(alpha) || failed(beta))
    return failure();
  SmallVector<Value> operands = {*a, *b};
  if (Value c = ctx.input(2))
    operands.push_back(c);
  SmallVector<NamedAttribute> attrs = {ctx.named("alpha", ctx.f32(*alpha)),
                                       ctx.named("beta", ctx.f32(*beta))};
  if (*transA)
    attrs.push_back(ctx.named("trans_a", ctx.builder().getUnitAttr()));
  if (*transB)
    attrs.push_back(ctx.named("trans_b", ctx.builder().getUnitAttr()));
  return ctx.setResult(ctx.create<GemmOp>(operands, attrs));
}

void kiln::onnx_frontend::registerMatmulOps(HandlerTable &table) {
  table["MatMul"] = importMatMul;
  table["Gemm"] = importGemm;
}

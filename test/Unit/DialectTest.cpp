//===- DialectTest.cpp - Building kiln ops from C++ -----------------------===//
//
// The frontend builds kiln ops from untrusted models: result type inference
// must compute the ONNX output shapes and turn malformed operands into
// diagnostics, never into a crash.
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/Kiln/IR/KilnOps.h"
#include "kiln/InitAll.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace kiln;

namespace {

class DialectTest : public ::testing::Test {
protected:
  DialectTest() : builder(&context) {
    DialectRegistry registry;
    registerAllDialects(registry);
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
    module = ModuleOp::create(builder.getUnknownLoc());
    builder.setInsertionPointToEnd(module->getBody());
  }

  /// A value of the given type: a block argument of a fresh function.
  Value valueOf(ArrayRef<int64_t> shape, Type element = {}) {
    if (!element)
      element = builder.getF32Type();
    auto type = RankedTensorType::get(shape, element);
    if (!func) {
      func = func::FuncOp::create(builder, builder.getUnknownLoc(), "f",
                                  builder.getFunctionType({}, {}));
      func.addEntryBlock();
    }
    return func.getBody().front().addArgument(type, builder.getUnknownLoc());
  }

  /// Builds an OpTy through createChecked, collecting any diagnostic.
  template <typename OpTy>
  FailureOr<OpTy> build(ValueRange operands, ArrayRef<NamedAttribute> attrs) {
    ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
      messages.push_back(diag.str());
      return success();
    });
    return createChecked<OpTy>(builder, builder.getUnknownLoc(), operands,
                               attrs);
  }

  /// The shape of a built op's only result.
  template <typename OpTy> static ArrayRef<int64_t> shapeOf(OpTy op) {
    return llvm::cast<RankedTensorType>(op->getResult(0).getType()).getShape();
  }

  MLIRContext context;
  OpBuilder builder;
  OwningOpRef<ModuleOp> module;
  func::FuncOp func;
  std::vector<std::string> messages;
};

TEST_F(DialectTest, ConvInfersResNetStem) {
  Value x = valueOf({1, 3, 224, 224}), w = valueOf({64, 3, 7, 7});
  auto conv = ConvOp::create(
      builder, builder.getUnknownLoc(), x, w, Value(),
      builder.getDenseI64ArrayAttr({2, 2}), builder.getDenseI64ArrayAttr({}),
      builder.getDenseI64ArrayAttr({3, 3, 3, 3}), builder.getI64IntegerAttr(1));
  EXPECT_EQ(conv.getType().getShape(), ArrayRef<int64_t>({1, 64, 112, 112}));
}

TEST_F(DialectTest, PoolCeilModeDropsWindowInPadding) {
  // 1-d: input 5, kernel 2, stride 2, pad end 1. floor: 3 windows; ceil
  // would give 4, but the 4th window would start in the end padding.
  Value x = valueOf({1, 1, 5});
  NamedAttrList attrs;
  attrs.append("kind", PoolKindAttr::get(&context, PoolKind::max));
  attrs.append("kernel_shape", builder.getDenseI64ArrayAttr({2}));
  attrs.append("strides", builder.getDenseI64ArrayAttr({2}));
  attrs.append("pads", builder.getDenseI64ArrayAttr({0, 1}));
  attrs.append("ceil_mode", builder.getUnitAttr());
  auto pool = build<PoolOp>({x}, attrs);
  ASSERT_TRUE(succeeded(pool));
  EXPECT_EQ(shapeOf(*pool), ArrayRef<int64_t>({1, 1, 3}));

  // Input 6, kernel 3, stride 2, ceil: windows start at 0, 2, 4 (the last
  // one partially out of bounds), so 3 outputs instead of floor's 2.
  Value y = valueOf({1, 1, 6});
  attrs.set("kernel_shape", builder.getDenseI64ArrayAttr({3}));
  attrs.set("pads", builder.getDenseI64ArrayAttr({0, 0}));
  pool = build<PoolOp>({y}, attrs);
  ASSERT_TRUE(succeeded(pool));
  EXPECT_EQ(shapeOf(*pool), ArrayRef<int64_t>({1, 1, 3}));
}

TEST_F(DialectTest, MatMulBroadcastsBatchAndDropsVectorDims) {
  struct Case {
    SmallVector<int64_t> lhs, rhs, expected;
  } cases[] = {
      {{2, 3}, {3, 4}, {2, 4}},
      {{3}, {3, 4}, {4}},
      {{2, 3}, {3}, {2}},
      {{3}, {3}, {}},
      {{5, 1, 2, 3}, {7, 3, 4}, {5, 7, 2, 4}},
  };
  for (const Case &c : cases) {
    auto matmul = build<MatMulOp>({valueOf(c.lhs), valueOf(c.rhs)}, {});
    ASSERT_TRUE(succeeded(matmul)) << (messages.empty() ? "" : messages[0]);
    EXPECT_EQ(shapeOf(*matmul), ArrayRef<int64_t>(c.expected));
  }
}

TEST_F(DialectTest, MalformedOpIsADiagnosticNotACrash) {
  // 3 input channels against a weight expecting 4.
  Value x = valueOf({1, 3, 8, 8}), w = valueOf({8, 4, 3, 3});
  EXPECT_TRUE(failed(build<ConvOp>({x, w}, {})));
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0], "'kiln.conv' op expected weight dim 1 to be input "
                         "channels / group = 3, got 4");

  // A dynamic dim is rejected, not dereferenced.
  messages.clear();
  Value dyn = valueOf({ShapedType::kDynamic, 4});
  EXPECT_TRUE(failed(build<MatMulOp>({dyn, valueOf({4, 2})}, {})));
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_NE(messages[0].find("statically shaped tensor"), std::string::npos)
      << messages[0];

  // So is a missing attribute.
  messages.clear();
  EXPECT_TRUE(failed(build<ConstantOp>({}, {})));
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0],
            "'kiln.constant' op expected a 'value' elements attribute");

  // An attribute of the wrong kind is reported too.
  messages.clear();
  NamedAttribute bad(builder.getStringAttr("axis"), builder.getF32FloatAttr(1));
  EXPECT_TRUE(failed(build<SoftmaxOp>({valueOf({2, 3})}, {bad})));
  EXPECT_FALSE(messages.empty());
}

TEST_F(DialectTest, UnaryParamsFollowOnnxDefaults) {
  EXPECT_TRUE(getUnaryParams(UnaryKind::leaky_relu).hasAlpha);
  EXPECT_FLOAT_EQ(getUnaryParams(UnaryKind::leaky_relu).alpha, 0.01f);
  EXPECT_FLOAT_EQ(getUnaryParams(UnaryKind::hard_sigmoid).alpha, 0.2f);
  EXPECT_FLOAT_EQ(getUnaryParams(UnaryKind::hard_sigmoid).beta, 0.5f);
  EXPECT_FALSE(getUnaryParams(UnaryKind::relu).hasAlpha);
  EXPECT_TRUE(std::isinf(getUnaryParams(UnaryKind::clip).beta));
}

} // namespace

//===- ABITest.cpp - What the compiler writes, the runtime reads ----------===//

#include "kiln/Runtime/ABI.h"

#include <gtest/gtest.h>

#include <cstring>
#include <limits>

using namespace kiln::abi;

namespace {

/// Encodes `params` as kiln-to-dnnl does and decodes them as the runtime
/// does.
template <typename Params, typename... Kind>
bool roundTrip(const Params &params, Params &decoded, Kind... kind) {
  std::vector<int64_t> words;
  std::vector<float> floats;
  params.encode(kind..., words, floats);
  ParamReader reader(words, floats);
  return decoded.decode(kind..., reader);
}

TEST(ABITest, ConvParamsRoundTrip) {
  DnnlConvParams conv;
  conv.hasBias = true;
  conv.groups = 2;
  conv.window.strides = {2, 1};
  conv.window.dilations = {1, 3};
  conv.window.padBegin = {1, 0};
  conv.window.padEnd = {0, 1};
  conv.sum = true;
  conv.winograd = true;
  conv.activation = {DnnlEltwise::Clip, -1.5f, 6.0f};
  DnnlConvParams decoded;
  ASSERT_TRUE(roundTrip(conv, decoded, DnnlPrimitive::Conv));
  EXPECT_TRUE(decoded.hasBias);
  EXPECT_EQ(decoded.groups, 2);
  EXPECT_EQ(decoded.window.strides, (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(decoded.window.dilations, (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(decoded.window.padBegin, (std::vector<int64_t>{1, 0}));
  EXPECT_EQ(decoded.window.padEnd, (std::vector<int64_t>{0, 1}));
  EXPECT_TRUE(decoded.sum);
  EXPECT_TRUE(decoded.winograd);
  EXPECT_EQ(decoded.activation.eltwise, DnnlEltwise::Clip);
  EXPECT_EQ(decoded.activation.alpha, -1.5f);
  EXPECT_EQ(decoded.activation.beta, 6.0f);
}

TEST(ABITest, DeconvHasNoPostOps) {
  DnnlConvParams deconv;
  deconv.window = {{}, {2}, {1}, {0}, {1}};
  deconv.sum = true; // not written for a deconvolution
  std::vector<int64_t> words;
  std::vector<float> floats;
  deconv.encode(DnnlPrimitive::Deconv, words, floats);
  EXPECT_EQ(words, (std::vector<int64_t>{0, 1, 1, 2, 1, 0, 1}));
  EXPECT_TRUE(floats.empty());
  DnnlConvParams decoded;
  ParamReader reader(words, floats);
  ASSERT_TRUE(decoded.decode(DnnlPrimitive::Deconv, reader));
  EXPECT_FALSE(decoded.sum);
}

TEST(ABITest, PoolAndRecurrentRoundTrip) {
  DnnlPoolParams pool;
  pool.algorithm = DnnlPoolAlgorithm::AvgExcludePadding;
  pool.window = {{3, 3}, {2, 2}, {1, 1}, {1, 1}, {0, 0}};
  DnnlPoolParams decodedPool;
  ASSERT_TRUE(roundTrip(pool, decodedPool));
  EXPECT_EQ(decodedPool.algorithm, DnnlPoolAlgorithm::AvgExcludePadding);
  EXPECT_EQ(decodedPool.window.kernel, (std::vector<int64_t>{3, 3}));

  DnnlRecurrentParams gru;
  gru.direction = DnnlDirection::Bidirectional;
  gru.hidden = 48;
  gru.hasH0 = true;
  gru.linearBeforeReset = true;
  DnnlRecurrentParams decodedGru;
  ASSERT_TRUE(roundTrip(gru, decodedGru));
  EXPECT_EQ(decodedGru.direction, DnnlDirection::Bidirectional);
  EXPECT_EQ(decodedGru.hidden, 48);
  EXPECT_TRUE(decodedGru.hasH0);
  EXPECT_FALSE(decodedGru.hasC0);
  EXPECT_TRUE(decodedGru.linearBeforeReset);
}

TEST(ABITest, MalformedParamsAreRefused) {
  std::vector<float> none;
  // A window of 4 spatial dims.
  std::vector<int64_t> words = {0, 4, 1, 1, 1, 1, 1, 1, 1, 1,
                                0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  ParamReader reader(words, none);
  DnnlPoolParams pool;
  EXPECT_FALSE(pool.decode(reader));
  // A matmul whose post-op has no alpha and beta.
  std::vector<int64_t> matmulWords = {0, 0, 0, 0, (int64_t)DnnlEltwise::Relu};
  ParamReader matmulReader(matmulWords, none);
  DnnlMatMulParams matmul;
  EXPECT_FALSE(matmul.decode(matmulReader));
  // A flag that is neither 0 nor 1, and words left over.
  std::vector<int64_t> flag = {2};
  ParamReader flagReader(flag, none);
  DnnlLayerNormParams layerNorm;
  EXPECT_FALSE(layerNorm.decode(flagReader));
  std::vector<int64_t> extra = {1, 7};
  ParamReader extraReader(extra, none);
  DnnlSoftmaxParams softmax;
  EXPECT_FALSE(softmax.decode(extraReader));
}

TEST(ABITest, ProgramRoundTrip) {
  std::vector<int64_t> program;
  beginDnnlProgram(program, 1);
  appendDnnlRecordHead(program, DnnlPrimitive::Softmax, 1, 1);
  DnnlOperand operand;
  operand.dims = {2, 10};
  appendDnnlOperand(program, operand);
  appendDnnlOperand(program, operand);
  std::vector<int64_t> params;
  std::vector<float> floats;
  DnnlSoftmaxParams{1}.encode(params, floats);
  appendDnnlParams(program, params, floats);
  finishDnnlProgram(program);
  EXPECT_EQ(program[2], (int64_t)program.size());

  std::vector<DnnlRecord> records;
  ASSERT_TRUE(readDnnlProgram(program.data(), records));
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].kind, (int64_t)DnnlPrimitive::Softmax);
  ASSERT_EQ(records[0].operands.size(), 2u);
  EXPECT_EQ(records[0].operands[1].dims, (std::vector<int64_t>{2, 10}));
  EXPECT_EQ(records[0].params, (std::vector<int64_t>{1}));

  // A program that says it is longer than its records: a record is cut
  // short, and reading stops at the recorded length.
  std::vector<int64_t> truncated(program.begin(), program.end() - 2);
  truncated[2] = (int64_t)truncated.size();
  EXPECT_FALSE(readDnnlProgram(truncated.data(), records));
  std::vector<int64_t> unknown = program;
  unknown[4] = 99; // the primitive
  EXPECT_FALSE(readDnnlProgram(unknown.data(), records));
  std::vector<int64_t> version = program;
  version[1] = kDnnlProgramVersion + 1;
  EXPECT_FALSE(readDnnlProgram(version.data(), records));
}

TEST(ABITest, PrimitiveNames) {
  for (int64_t code = 1; code <= (int64_t)DnnlPrimitive::LSTM; ++code) {
    std::optional<DnnlPrimitive> parsed =
        parseDnnlPrimitive(dnnlPrimitiveName(code));
    ASSERT_TRUE(parsed);
    EXPECT_EQ((int64_t)*parsed, code);
  }
  EXPECT_FALSE(parseDnnlPrimitive("gemm"));
  EXPECT_EQ(dnnlPrimitiveName(0), "?");
}

TEST(ABITest, WeightsHeaderRoundTrip) {
  const char payload[] = "weights";
  WeightsHeader header{sizeof(payload), fnv1a(payload, sizeof(payload))};
  char bytes[kWeightsHeaderBytes];
  encodeWeightsHeader(header, bytes);
  EXPECT_EQ(std::memcmp(bytes, "KILNWTS1", 8), 0);
  std::optional<WeightsHeader> decoded =
      decodeWeightsHeader(reinterpret_cast<unsigned char *>(bytes));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->payloadBytes, sizeof(payload));
  EXPECT_EQ(decoded->hash, header.hash);
  // FNV-1a's published value for the empty input.
  EXPECT_EQ(fnv1a("", 0), 0xcbf29ce484222325ull);
  bytes[0] = 'X';
  EXPECT_FALSE(decodeWeightsHeader(reinterpret_cast<unsigned char *>(bytes)));
}

TEST(ABITest, ElementTypeCodes) {
  EXPECT_EQ(dtypeOf(true, 32), DType::F32);
  EXPECT_EQ(dtypeOf(true, 16, false, /*isBrain=*/true), DType::BF16);
  EXPECT_EQ(dtypeOf(false, 1), DType::Bool);
  EXPECT_EQ(dtypeOf(false, 8, /*isUnsigned=*/true), DType::U8);
  EXPECT_EQ(dtypeOf(false, 64), DType::I64);
  EXPECT_EQ(dtypeOf(true, 8), DType::Undefined);
  EXPECT_EQ(dtypeSize((int)DType::BF16), 2u);
  EXPECT_EQ(dtypeSize(8), 0u); // strings
}

} // namespace

//===- RuntimeTest.cpp - Tensor files and signatures of the runtime -------===//

#include "kiln/Runtime/Tensor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <unistd.h>

using namespace kiln::runtime;

extern "C" void memrefCopy(int64_t elementSize, void *source, void *target);

namespace {

std::string tempPath(const std::string &name) {
  return "/tmp/kiln-runtime-test-" + std::to_string(getpid()) + "-" + name;
}

void writeBytes(const std::string &path, const std::string &bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

TEST(RuntimeTest, NpyRoundTrip) {
  HostTensor tensor;
  tensor.info = {"x", (int)DType::F32, {2, 3}};
  float values[6] = {1, 2, 3, 4, 5, 6};
  tensor.data.assign((uint8_t *)values, (uint8_t *)values + sizeof(values));
  std::string error, path = tempPath("round.npy");
  ASSERT_TRUE(writeNpy(path, tensor, error)) << error;
  HostTensor back;
  ASSERT_TRUE(readTensorFile(path, back, error)) << error;
  EXPECT_EQ(back.info.dtype, (int)DType::F32);
  EXPECT_EQ(back.info.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(back.data, tensor.data);
  // Data starts on a 64-byte boundary, as NumPy writes it.
  std::ifstream file(path, std::ios::binary | std::ios::ate);
  EXPECT_EQ(((size_t)file.tellg() - 24) % 64, 0u);
  std::remove(path.c_str());
}

TEST(RuntimeTest, NpyScalarAndBool) {
  HostTensor scalar;
  scalar.info = {"s", (int)DType::I64, {}};
  int64_t v = -7;
  scalar.data.assign((uint8_t *)&v, (uint8_t *)&v + 8);
  std::string error, path = tempPath("scalar.npy");
  ASSERT_TRUE(writeNpy(path, scalar, error)) << error;
  HostTensor back;
  ASSERT_TRUE(readTensorFile(path, back, error)) << error;
  EXPECT_TRUE(back.info.shape.empty());
  EXPECT_EQ(back.data, scalar.data);
  std::remove(path.c_str());
}

TEST(RuntimeTest, Bfloat16NpyIsFloat32) {
  // 1.0, -2.5, the largest finite bfloat16 and the smallest subnormal.
  HostTensor tensor;
  tensor.info = {"b", (int)DType::BF16, {4}};
  uint16_t bits[4] = {0x3f80, 0xc020, 0x7f7f, 0x0001};
  tensor.data.assign((uint8_t *)bits, (uint8_t *)bits + sizeof(bits));
  std::string error, path = tempPath("bf16.npy");
  ASSERT_TRUE(writeNpy(path, tensor, error)) << error;
  HostTensor back;
  ASSERT_TRUE(readTensorFile(path, back, error)) << error;
  EXPECT_EQ(back.info.dtype, (int)DType::F32);
  ASSERT_EQ(back.data.size(), 16u);
  float values[4];
  std::memcpy(values, back.data.data(), 16);
  EXPECT_EQ(values[0], 1.0f);
  EXPECT_EQ(values[1], -2.5f);
  EXPECT_EQ(values[2], 0x1.fep127f);
  EXPECT_EQ(values[3], 0x1p-133f);
  std::remove(path.c_str());
}

TEST(RuntimeTest, MalformedNpyIsAnError) {
  std::string error, path = tempPath("bad.npy");
  HostTensor tensor;
  writeBytes(path, "not numpy at all");
  EXPECT_FALSE(readTensorFile(path, tensor, error));
  EXPECT_NE(error.find("bad magic"), std::string::npos) << error;

  std::string header =
      "{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }";
  std::string npy = std::string("\x93NUMPY\x01\x00", 8) +
                    std::string(1, (char)header.size()) + std::string(1, '\0') +
                    header + std::string(8, '\0');
  writeBytes(path, npy);
  EXPECT_FALSE(readTensorFile(path, tensor, error));
  EXPECT_NE(error.find("Fortran order"), std::string::npos) << error;

  header =
      "{'descr': '<f4', 'fortran_order': False, 'shape': (9999999999999,), }";
  npy = std::string("\x93NUMPY\x01\x00", 8) +
        std::string(1, (char)header.size()) + std::string(1, '\0') + header;
  writeBytes(path, npy);
  EXPECT_FALSE(readTensorFile(path, tensor, error));
  EXPECT_NE(error.find("the data holds 0 bytes"), std::string::npos) << error;
  std::remove(path.c_str());
}

TEST(RuntimeTest, TensorProtoRawAndTyped) {
  // dims [2] (field 1), data_type INT64 (field 2), name "t" (field 8),
  // int64_data packed [5, 300] (field 7).
  std::string typed =
      std::string("\x08\x02\x10\x07\x42\x01t\x3a\x03\x05\xac\x02", 12);
  std::string error, path = tempPath("typed.pb");
  writeBytes(path, typed);
  HostTensor tensor;
  ASSERT_TRUE(readTensorFile(path, tensor, error)) << error;
  EXPECT_EQ(tensor.info.name, "t");
  EXPECT_EQ(tensor.info.dtype, (int)DType::I64);
  ASSERT_EQ(tensor.data.size(), 16u);
  int64_t values[2];
  std::memcpy(values, tensor.data.data(), 16);
  EXPECT_EQ(values[0], 5);
  EXPECT_EQ(values[1], 300);

  // dims [1], FLOAT, raw_data of 4 bytes (field 9).
  float one = 1.0f;
  std::string raw =
      std::string("\x08\x01\x10\x01\x4a\x04", 6) + std::string((char *)&one, 4);
  writeBytes(path, raw);
  ASSERT_TRUE(readTensorFile(path, tensor, error)) << error;
  EXPECT_EQ(tensor.info.shape, (std::vector<int64_t>{1}));
  EXPECT_EQ(std::memcmp(tensor.data.data(), &one, 4), 0);

  // raw_data one byte short.
  writeBytes(path, raw.substr(0, raw.size() - 1));
  EXPECT_FALSE(readTensorFile(path, tensor, error));
  std::remove(path.c_str());
}

TEST(RuntimeTest, SignatureAndNames) {
  Signature signature;
  std::string error;
  ASSERT_TRUE(
      parseSignature("in x 1 1x3\nin s 7 -\nout y:0 1 3\n", signature, error))
      << error;
  ASSERT_EQ(signature.inputs.size(), 2u);
  EXPECT_EQ(signature.inputs[0].describe(), "x: f32 [1, 3]");
  EXPECT_TRUE(signature.inputs[1].shape.empty());
  EXPECT_EQ(signature.outputs[0].byteSize(), 12u);
  EXPECT_FALSE(parseSignature("sideways x 1 3\n", signature, error));
  EXPECT_EQ(sanitizeFileName("gpu_0/softmax:1"), "gpu_0_softmax_1");
  EXPECT_EQ(sanitizeFileName(".."), "_..");
}

TEST(RuntimeTest, SignatureIndexChecks) {
  Signature signature;
  std::string error;
  ASSERT_TRUE(parseSignature("in i 7 4\nout y 1 4x2\n"
                             "check -5 4 /embed/Gather (Gather)\n",
                             signature, error))
      << error;
  ASSERT_EQ(signature.checks.size(), 1u);
  EXPECT_EQ(signature.checks[0].low, -5);
  EXPECT_EQ(signature.checks[0].high, 4);
  EXPECT_EQ(signature.checks[0].what, "/embed/Gather (Gather)");
  EXPECT_EQ(signature.outputs.size(), 1u);
  Signature bad;
  EXPECT_FALSE(parseSignature("check 4 -5 x\n", bad, error));
  EXPECT_FALSE(parseSignature("check five 4 x\n", bad, error));
}

TEST(RuntimeTest, SignatureOpenDim) {
  Signature signature;
  std::string error;
  ASSERT_TRUE(parseSignature("symbol batch 1 64\nin x 1 1x3 0\nin w 1 3\n"
                             "out y 1 3x2 0:3\nout t 1 3x1 1\n",
                             signature, error))
      << error;
  EXPECT_EQ(signature.symbol, "batch");
  EXPECT_EQ(signature.minSamples, 1);
  EXPECT_EQ(signature.maxSamples, 64);
  EXPECT_EQ(signature.inputs[0].describe(), "x: f32 [batch, 3]");
  EXPECT_EQ(signature.inputs[1].describe(), "w: f32 [3]");
  EXPECT_EQ(signature.outputs[0].describe(), "y: f32 [3*batch, 2]");
  EXPECT_EQ(signature.outputs[1].describe(), "t: f32 [3, batch]");
  EXPECT_EQ(signature.outputs[0].forSamples(5).shape,
            (std::vector<int64_t>{15, 2}));
  EXPECT_EQ(signature.outputs[1].forSamples(5).shape,
            (std::vector<int64_t>{3, 5}));

  auto given = [](std::vector<int64_t> x, std::vector<int64_t> w) {
    TensorInfo a, b;
    a.dtype = b.dtype = 1;
    a.shape = std::move(x);
    b.shape = std::move(w);
    return std::vector<TensorInfo>{a, b};
  };
  int64_t samples = 0;
  EXPECT_TRUE(countSamples(signature, given({7, 3}, {3}), samples, error))
      << error;
  EXPECT_EQ(samples, 7);
  // A fixed dim, a rank, the range and an input's type.
  EXPECT_FALSE(countSamples(signature, given({7, 4}, {3}), samples, error));
  EXPECT_NE(error.find("dim 1 must be 3"), std::string::npos) << error;
  EXPECT_FALSE(countSamples(signature, given({7}, {3}), samples, error));
  EXPECT_FALSE(countSamples(signature, given({65, 3}, {3}), samples, error));
  EXPECT_NE(error.find("outside the range"), std::string::npos) << error;
  EXPECT_FALSE(countSamples(signature, given({0, 3}, {3}), samples, error));
  auto wrongType = given({2, 3}, {3});
  wrongType[1].dtype = 7;
  EXPECT_FALSE(countSamples(signature, wrongType, samples, error));

  // Two inputs holding samples must agree; sizes must not overflow.
  Signature two;
  ASSERT_TRUE(parseSignature("symbol n\nin a 1 2 0\nin b 1 1x4 0\n"
                             "out y 1 2 0\n",
                             two, error))
      << error;
  EXPECT_FALSE(countSamples(two, given({6}, {4, 4}), samples, error));
  EXPECT_NE(error.find("disagree"), std::string::npos) << error;
  EXPECT_TRUE(countSamples(two, given({6}, {3, 4}), samples, error)) << error;
  EXPECT_EQ(samples, 3);
  EXPECT_FALSE(countSamples(
      two, given({int64_t(1) << 62}, {int64_t(1) << 61, 4}), samples, error));

  // Malformed open-dim lines.
  Signature bad;
  EXPECT_FALSE(parseSignature("in x 1 1x3 0\n", bad, error)); // no symbol
  EXPECT_FALSE(parseSignature("symbol n\nin x 1 1x3 2\n", bad, error));
  EXPECT_FALSE(parseSignature("symbol n\nin x 1 2x3 0:3\n", bad, error));
  EXPECT_FALSE(parseSignature("symbol n 5 2\nin x 1 2x3 0\n", bad, error));
  EXPECT_FALSE(parseSignature("symbol n\nin x 1 2x3 0:x\n", bad, error));
}

TEST(RuntimeTest, SignatureSequence) {
  // [batch, seq, 4] and [seq*2, batch] padded to 11 positions, the length
  // last.
  const char *text = "symbol batch\nsequence seq 11 1 9\n"
                     "in x 1 1x11x4 0 seq=1\nin len 7 - length\n"
                     "out y 1 22x1 1 seq=0\n";
  Signature signature;
  std::string error;
  ASSERT_TRUE(parseSignature(text, signature, error)) << error;
  EXPECT_TRUE(signature.hasSequence());
  EXPECT_EQ(signature.sequenceExtent, 11);
  EXPECT_EQ(signature.minLength, 1);
  EXPECT_EQ(signature.maxLength, 9);
  ASSERT_EQ(signature.inputs.size(), 1u);
  EXPECT_EQ(signature.lengthInput, 1);
  EXPECT_EQ(signature.inputs[0].describe(), "x: f32 [batch, seq, 4]");
  EXPECT_EQ(signature.outputs[0].describe(), "y: f32 [seq*2, batch]");
  EXPECT_EQ(signature.outputs[0].forShape(3, 5).shape,
            (std::vector<int64_t>{10, 3}));

  auto given = [](std::vector<int64_t> x) {
    TensorInfo a;
    a.dtype = 1;
    a.shape = std::move(x);
    return std::vector<TensorInfo>{a};
  };
  int64_t samples = 0, length = 0;
  EXPECT_TRUE(countShape(signature, given({3, 5, 4}), samples, length, error))
      << error;
  EXPECT_EQ(samples, 3);
  EXPECT_EQ(length, 5);
  // Lengths outside 1 to 9, and a fixed dim.
  EXPECT_FALSE(
      countShape(signature, given({3, 10, 4}), samples, length, error));
  EXPECT_NE(error.find("outside the lengths"), std::string::npos) << error;
  EXPECT_FALSE(countShape(signature, given({3, 0, 4}), samples, length, error));
  EXPECT_FALSE(countShape(signature, given({3, 5, 3}), samples, length, error));

  // Malformed sequence lines: no length input, an axis past the rank, a
  // range past the extent, a length input that is not an i64 scalar.
  Signature bad;
  EXPECT_FALSE(
      parseSignature("sequence s 11 1 9\nin x 1 11 seq=0\n", bad, error));
  bad = {};
  EXPECT_FALSE(parseSignature(
      "sequence s 11 1 9\nin x 1 11 seq=1\nin l 7 - length\n", bad, error));
  bad = {};
  EXPECT_FALSE(parseSignature(
      "sequence s 11 1 12\nin x 1 11 seq=0\nin l 7 - length\n", bad, error));
  bad = {};
  EXPECT_FALSE(parseSignature(
      "sequence s 11 1 9\nin x 1 11 seq=0\nin l 1 - length\n", bad, error));
  bad = {};
  EXPECT_FALSE(parseSignature("in x 1 11 seq=0\n", bad, error));
}

TEST(RuntimeTest, MemrefCopyFollowsStrides) {
  // Copy the 2x2 block at [1, 1] of a 3x4 row-major source into a
  // contiguous 2x2 target.
  float source[12], target[4] = {0};
  for (int i = 0; i < 12; ++i)
    source[i] = (float)i;
  struct Descriptor {
    float *allocated, *aligned;
    int64_t offset, sizes[2], strides[2];
  } src = {source, source, 5, {2, 2}, {4, 1}},
    dst = {target, target, 0, {2, 2}, {2, 1}};
  struct Unranked {
    int64_t rank;
    void *descriptor;
  } srcArg = {2, &src}, dstArg = {2, &dst};
  memrefCopy(sizeof(float), &srcArg, &dstArg);
  EXPECT_EQ(target[0], 5.0f);
  EXPECT_EQ(target[1], 6.0f);
  EXPECT_EQ(target[2], 9.0f);
  EXPECT_EQ(target[3], 10.0f);
}

TEST(RuntimeTest, MemrefCopyIntoPaddedBlockedRows) {
  // A contiguous [2, 1, 3, 4] source (unit dim with a stray stride) into
  // rows 1..3 of a [2, 1, 5, 4] target, and a source read with stride 2
  // along its last dim: every element lands where its index says.
  float source[48], target[40];
  for (int i = 0; i < 48; ++i)
    source[i] = (float)i;
  struct Descriptor {
    float *allocated, *aligned;
    int64_t offset, sizes[4], strides[4];
  };
  struct Unranked {
    int64_t rank;
    void *descriptor;
  };
  for (int64_t step : {1, 2}) {
    std::fill(target, target + 40, -1.0f);
    Descriptor src = {
        source, source, 0, {2, 1, 3, 4}, {12 * step, 7, 4 * step, step}};
    Descriptor dst = {target, target, 4, {2, 1, 3, 4}, {20, 99, 4, 1}};
    Unranked srcArg = {4, &src}, dstArg = {4, &dst};
    memrefCopy(sizeof(float), &srcArg, &dstArg);
    for (int n = 0; n < 2; ++n)
      for (int h = 0; h < 5; ++h)
        for (int w = 0; w < 4; ++w) {
          float expected =
              h >= 1 && h <= 3
                  ? source[n * 12 * step + (h - 1) * 4 * step + w * step]
                  : -1.0f;
          EXPECT_EQ(target[n * 20 + h * 4 + w], expected)
              << "step " << step << " at " << n << "," << h << "," << w;
        }
  }
}

} // namespace

//===- MemRef.cpp - Support functions generated code calls ----------------===//
//
// MLIR lowers a copy between memrefs that are not both contiguous to a call
// of `memrefCopy` with unranked descriptors; this is Kiln's definition,
// following the descriptor layout of MLIR's LLVM lowering:
//   { void *allocated, *aligned; int64_t offset, sizes[rank], strides[rank]; }
//
//===----------------------------------------------------------------------===//

#include <cstdint>
#include <cstring>
#include <vector>

namespace {
struct UnrankedDescriptor {
  int64_t rank;
  void *descriptor;
};

struct View {
  char *aligned;
  int64_t offset;
  const int64_t *sizes, *strides;
};

View viewOf(const UnrankedDescriptor &memref) {
  auto *fields = static_cast<char *>(memref.descriptor);
  View view;
  std::memcpy(&view.aligned, fields + sizeof(void *), sizeof(void *));
  view.offset = *reinterpret_cast<int64_t *>(fields + 2 * sizeof(void *));
  view.sizes = reinterpret_cast<int64_t *>(fields + 2 * sizeof(void *) + 8);
  view.strides = view.sizes + memref.rank;
  return view;
}
} // namespace

extern "C" void memrefCopy(int64_t elementSize, UnrankedDescriptor *source,
                           UnrankedDescriptor *target) {
  int64_t rank = source->rank;
  View src = viewOf(*source), dst = viewOf(*target);
  for (int64_t d = 0; d < rank; ++d)
    if (src.sizes[d] == 0)
      return;
  if (rank == 0) {
    std::memcpy(dst.aligned + dst.offset * elementSize,
                src.aligned + src.offset * elementSize, elementSize);
    return;
  }
  // The innermost dims that both sides hold contiguously (unit dims count
  // whatever their strides) are copied as one block of `run` elements, so a
  // copy into a padded channel-blocked tensor moves whole rows, not blocks
  // of 8 floats. The outer dims are walked like an odometer.
  int64_t inner = rank, run = 1;
  while (inner > 0) {
    int64_t d = inner - 1;
    if (src.sizes[d] != 1 && (src.strides[d] != run || dst.strides[d] != run))
      break;
    run *= src.sizes[d];
    inner = d;
  }
  // The odometer's digits: on the stack for the ranks models have.
  constexpr int64_t kStackRank = 12;
  int64_t onStack[kStackRank] = {};
  std::vector<int64_t> onHeap;
  int64_t *index = onStack;
  if (inner > kStackRank) {
    onHeap.assign(inner, 0);
    index = onHeap.data();
  }
  while (true) {
    int64_t s = src.offset, t = dst.offset;
    for (int64_t d = 0; d < inner; ++d) {
      s += index[d] * src.strides[d];
      t += index[d] * dst.strides[d];
    }
    std::memcpy(dst.aligned + t * elementSize, src.aligned + s * elementSize,
                run * elementSize);
    int64_t d = inner - 1;
    for (; d >= 0; --d) {
      if (++index[d] < src.sizes[d])
        break;
      index[d] = 0;
    }
    if (d < 0)
      return;
  }
}

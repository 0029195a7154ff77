//===- Profile.cpp - Per-op times of a compiled model ---------------------===//

#include "kiln/Runtime/Profile.h"
#include "kiln/Runtime/Runtime.h"

#include <chrono>

using namespace kiln::runtime;
using Clock = std::chrono::steady_clock;

namespace {
/// Only the thread that started the profile records: other threads may run
/// the same model meanwhile.
thread_local bool enabled = false;
} // namespace

/// How many threads profile: while none does, the compiled model does not
/// call the hooks below (it reads this once per run), so that they cost a
/// branch per op instead of two calls.
extern "C" {
int32_t kiln_profile_active = 0;
}

namespace {
std::vector<OpTime> ops;
std::vector<Clock::time_point> started;
} // namespace

void kiln::runtime::startProfile(const char *table) {
  ops.clear();
  std::string text = table ? table : "";
  size_t begin = 0;
  while (begin < text.size()) {
    size_t end = text.find('\n', begin);
    if (end == std::string::npos)
      end = text.size();
    std::string line = text.substr(begin, end - begin);
    size_t tab = line.find('\t');
    OpTime op;
    op.name = line.substr(0, tab);
    op.op = tab == std::string::npos ? "" : line.substr(tab + 1);
    ops.push_back(op);
    begin = end + 1;
  }
  started.assign(ops.size(), Clock::time_point());
  if (!enabled)
    __atomic_fetch_add(&kiln_profile_active, 1, __ATOMIC_RELAXED);
  enabled = true;
}

std::vector<OpTime> kiln::runtime::profileResults() { return ops; }

void kiln::runtime::stopProfile() {
  if (enabled)
    __atomic_fetch_sub(&kiln_profile_active, 1, __ATOMIC_RELAXED);
  enabled = false;
}

extern "C" void kiln_profile_enter(int32_t id) {
  if (enabled && id >= 0 && (size_t)id < started.size())
    started[id] = Clock::now();
}

extern "C" void kiln_profile_exit(int32_t id) {
  if (!enabled || id < 0 || (size_t)id >= ops.size())
    return;
  ops[id].totalUs +=
      std::chrono::duration<double, std::micro>(Clock::now() - started[id])
          .count();
  ++ops[id].calls;
}

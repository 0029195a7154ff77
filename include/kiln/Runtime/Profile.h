//===- Profile.h - Per-op times of a compiled model -------------*- C++ -*-===//
//
// The executable's --profile: compiled models call kiln_profile_enter/exit
// around every op (see Runtime.h); once enabled, the runtime sums the time
// between them per op.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_PROFILE_H
#define KILN_RUNTIME_PROFILE_H

#include <string>
#include <vector>

namespace kiln::runtime {

struct OpTime {
  std::string name, op;
  long calls = 0;
  double totalUs = 0;
};

/// Starts recording for the ops listed in `table` ("NAME<TAB>OP" lines),
/// on the calling thread only: one profile at a time, while runs on other
/// threads go on unrecorded.
void startProfile(const char *table);

/// Stops recording (the results stay until the next startProfile).
void stopProfile();

/// The times recorded since startProfile, in op order.
std::vector<OpTime> profileResults();

} // namespace kiln::runtime

#endif // KILN_RUNTIME_PROFILE_H

// The simtime bugs the fault sweeps know about (see KnownBug in harness.hpp). Each has a
// reproducer in known_bugs_test.cc; delete its entries here when it is fixed.
#include "tests/faults/harness.hpp"

namespace simtime::faults {

const std::vector<KnownBug>& known_bugs() {
  // None open: the four the sweeps found are fixed (FixedBugs.* in known_bugs_test.cc).
  static const std::vector<KnownBug> bugs;
  return bugs;
}

}  // namespace simtime::faults

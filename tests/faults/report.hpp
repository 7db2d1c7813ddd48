// Turns a sweep's report into GoogleTest failures, one per failing point.
#pragma once

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstddef>
#include <string>

#include "tests/faults/harness.hpp"

namespace simtime::faults {

/// Fails the current test once per failing point (the first `shown` in full, then a count),
/// and prints how many points were run.
inline void expect_no_failures(const std::string& what, const SweepReport& sweep, std::size_t shown = 12) {
  fmt::print("[  FAULTS  ] {}: {} runs, {} failing, {} at known bugs\n", what, sweep.runs, sweep.failures.size(),
             sweep.known.size());
  for (const std::string& note : sweep.notes) fmt::print("[  NOTE    ] {}\n", note);
  for (const std::string& known : sweep.known) fmt::print("[  KNOWN   ] {}\n", known);
  for (std::size_t i = 0; i < sweep.failures.size() && i < shown; ++i) {
    SCOPED_TRACE(what);
    ADD_FAILURE() << sweep.failures[i];
  }
  if (sweep.failures.size() > shown) {
    ADD_FAILURE() << what << ": " << sweep.failures.size() - shown << " more failing point(s) not shown";
  }
}

}  // namespace simtime::faults

// A GoogleTest listener that checks every test leaves nothing of simtime alive: no coroutine
// frame, no task, no armed timer (simtime::live_objects() back to where it was before the
// test). Link `//:testing_main` instead of gtest_main to install it in a test binary.
//
// GoogleTest does not let a listener fail the test it reports on, so a leaking test is
// named on stderr when it ends and makes the whole test program fail at exit.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "simtime/live_objects.hpp"

namespace simtime::testing {

class LiveObjectsCheck : public ::testing::EmptyTestEventListener {
 public:
  void OnTestStart(const ::testing::TestInfo& test) override;
  void OnTestEnd(const ::testing::TestInfo& test) override;

  /// "Suite.Test: 2 frames, 1 task, 0 timers still alive" for every test that leaked.
  [[nodiscard]] const std::vector<std::string>& leaks() const noexcept { return leaks_; }

 private:
  LiveObjects before_;
  std::vector<std::string> leaks_;
};

/// RUN_ALL_TESTS() with a LiveObjectsCheck appended to GoogleTest's listeners; a test main's
/// last line. Returns RUN_ALL_TESTS()'s status, or 1 when a test left simtime objects alive
/// (after listing them on stderr).
int run_all_tests_checking_leaks();

}  // namespace simtime::testing

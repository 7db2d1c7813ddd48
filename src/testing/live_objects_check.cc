#include "simtime/testing/live_objects_check.hpp"

#include <fmt/format.h>

namespace simtime::testing {

void LiveObjectsCheck::OnTestStart(const ::testing::TestInfo&) { before_ = live_objects(); }

void LiveObjectsCheck::OnTestEnd(const ::testing::TestInfo& test) {
  const LiveObjects after = live_objects();
  if (after == before_) return;
  leaks_.push_back(fmt::format("{}.{}: {} frames, {} tasks, {} timers still alive", test.test_suite_name(), test.name(),
                               after.frames - before_.frames, after.tasks - before_.tasks,
                               after.timers - before_.timers));
  fmt::print(stderr, "simtime: leak after {}\n", leaks_.back());
}

int run_all_tests_checking_leaks() {
  auto* check = new LiveObjectsCheck;  // owned by GoogleTest's listener list
  ::testing::UnitTest::GetInstance()->listeners().Append(check);
  const int status = RUN_ALL_TESTS();
  if (!check->leaks().empty()) {
    fmt::print(stderr, "simtime: {} test(s) left simtime objects alive:\n", check->leaks().size());
    for (const auto& leak : check->leaks()) fmt::print(stderr, "  {}\n", leak);
    return 1;
  }
  return status;
}

}  // namespace simtime::testing

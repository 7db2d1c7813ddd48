#include "simtime/testing/live_objects_check.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <simtime/simtime.hpp>

namespace simtime {
namespace {

using ::testing::ElementsAre;

Coro<int> never_awaited() { co_return 1; }

TEST(LiveObjectsCheck, NamesATestThatEndsWithAFrameAlive) {
  testing::LiveObjectsCheck check;
  const auto& test = *::testing::UnitTest::GetInstance()->current_test_info();
  check.OnTestStart(test);
  {
    auto kept = never_awaited();  // a frame alive when the "test" ends
    check.OnTestEnd(test);
  }
  EXPECT_THAT(
      check.leaks(),
      ElementsAre("LiveObjectsCheck.NamesATestThatEndsWithAFrameAlive: 1 frames, 0 tasks, 0 timers still alive"));
}

TEST(LiveObjectsCheck, IsSilentWhenEverythingIsReleased) {
  testing::LiveObjectsCheck check;
  const auto& test = *::testing::UnitTest::GetInstance()->current_test_info();
  check.OnTestStart(test);
  { auto released = never_awaited(); }
  check.OnTestEnd(test);
  EXPECT_TRUE(check.leaks().empty());
}

}  // namespace
}  // namespace simtime

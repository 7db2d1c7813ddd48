// The asyncio tutorial's program (examples/asyncio_demo) on both clocks.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <simtime/simtime.hpp>
#include <string>
#include <vector>

#include "examples/asyncio_demo.hpp"

namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;

std::vector<std::string> run_demo(demo::Mode mode, simtime::Clock& clock, simtime::Duration unit = 1s) {
  std::vector<std::string> lines;
  simtime::run(demo::tutorial(
                   mode, [&](const std::string& line) { lines.push_back(line); }, unit),
               clock);
  return lines;
}

TEST(AsyncioDemo, OnTheVirtualClockWakesInOrderAfterExactlyTenSeconds) {
  simtime::VirtualClock clock;
  EXPECT_THAT(run_demo(demo::Mode::async, clock),
              ElementsAre("Begin sleep for 2", "Begin sleep for 10", "Begin sleep for 5", "Awake from 2",
                          "Awake from 5", "Awake from 10", "Execution time: 10.00 seconds."));
  EXPECT_EQ(clock.now().time_since_epoch(), std::chrono::nanoseconds(10'000'000'000));
}

TEST(AsyncioDemo, SequentiallyTakesExactlySeventeenSeconds) {
  simtime::VirtualClock clock;
  EXPECT_THAT(run_demo(demo::Mode::sync, clock),
              ElementsAre("Begin sleep for 2", "Awake from 2", "Begin sleep for 10", "Awake from 10",
                          "Begin sleep for 5", "Awake from 5", "Execution time: 17.00 seconds."));
  EXPECT_EQ(clock.now(), simtime::TimePoint{17s});
}

TEST(AsyncioDemo, OnTheRealClockPrintsTheSameOrder) {
  // Milliseconds instead of seconds keep the test short; the order is what is checked.
  simtime::RealClock clock;
  const auto lines = run_demo(demo::Mode::async, clock, 1ms);
  ASSERT_EQ(lines.size(), 7u);
  EXPECT_THAT(std::vector<std::string>(lines.begin(), lines.end() - 1),
              ElementsAre("Begin sleep for 2", "Begin sleep for 10", "Begin sleep for 5", "Awake from 2",
                          "Awake from 5", "Awake from 10"));
  EXPECT_GE(clock.now(), simtime::TimePoint{10ms});
}

TEST(AsyncioDemo, FormatsSecondsWithTwoRoundedDecimals) {
  EXPECT_EQ(demo::format_seconds(10s), "10.00");
  EXPECT_EQ(demo::format_seconds(10'004'999'999ns), "10.00");
  EXPECT_EQ(demo::format_seconds(10'005ms), "10.01");
  EXPECT_EQ(demo::format_seconds(17s), "17.00");
}

}  // namespace

// The README's first test, built against the installed package and its testing component
// (simtime::testing_main: GoogleTest's main plus the check that every test leaves no
// coroutine frame, task or timer alive).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <simtime/simtime.hpp>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;

simtime::Coro<> sleeper(int seconds, std::vector<std::string>& log) {
  log.push_back("Begin sleep for " + std::to_string(seconds));
  co_await simtime::sleep(std::chrono::seconds(seconds));
  log.push_back("Awake from " + std::to_string(seconds));
}

simtime::Coro<simtime::Duration> three_sleepers(std::vector<std::string>& log) {
  const simtime::TimePoint start = simtime::now();
  auto two = simtime::create_task(sleeper(2, log));
  auto ten = simtime::create_task(sleeper(10, log));
  auto five = simtime::create_task(sleeper(5, log));
  co_await simtime::gather(two, ten, five);
  co_return simtime::now() - start;
}

TEST(Sleepers, WakeInDeadlineOrderAfterExactlyTenVirtualSeconds) {
  simtime::VirtualClock clock;
  std::vector<std::string> log;

  const simtime::Duration elapsed = simtime::run(three_sleepers(log), clock);

  EXPECT_THAT(log, ::testing::ElementsAre("Begin sleep for 2", "Begin sleep for 10", "Begin sleep for 5",
                                          "Awake from 2", "Awake from 5", "Awake from 10"));
  EXPECT_EQ(elapsed, 10s);
  EXPECT_EQ(clock.now(), simtime::TimePoint{10s});
}

}  // namespace

#include "simtime/clock.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <simtime/simtime.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace simtime {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;

TEST(VirtualClock, StartsAtZeroAndMovesOnlyWhenAdvanced) {
  VirtualClock clock;
  Wakeup wakeup;
  EXPECT_EQ(clock.now(), TimePoint{});
  EXPECT_TRUE(clock.is_virtual());
  clock.advance(1500ms);
  clock.advance_to(TimePoint{2s});
  clock.wait_until(TimePoint{3s}, wakeup);
  EXPECT_EQ(clock.now(), TimePoint{3s});
}

TEST(VirtualClock, NeverGoesBackwards) {
  VirtualClock clock;
  Wakeup wakeup;
  clock.advance_to(TimePoint{5s});
  clock.wait_until(TimePoint{1s}, wakeup);  // a past deadline is already reached
  EXPECT_EQ(clock.now(), TimePoint{5s});
  try {
    clock.advance_to(TimePoint{1s});
    FAIL() << "no error";
  } catch (const std::invalid_argument& error) {
    EXPECT_STREQ(error.what(), "VirtualClock::advance_to: 1s is earlier than now (5s); time never goes backwards");
  }
  try {
    clock.advance(-1ns);
    FAIL() << "no error";
  } catch (const std::invalid_argument& error) {
    EXPECT_STREQ(error.what(), "VirtualClock::advance: negative delta -1ns");
  }
}

TEST(VirtualClock, RefusesToOverflow) {
  VirtualClock clock;
  clock.advance(1s);
  try {
    clock.advance(Duration::max());
    FAIL() << "no error";
  } catch (const std::invalid_argument& error) {
    EXPECT_STREQ(error.what(), "VirtualClock::advance: now 1s + 9223372036854775807ns overflows the clock");
  }
  EXPECT_EQ(clock.now(), TimePoint{1s});
}

TEST(RealClock, StartsNearZeroAndWaitsAtLeastUntilTheDeadline) {
  RealClock clock;
  Wakeup wakeup;
  EXPECT_FALSE(clock.is_virtual());
  const TimePoint start = clock.now();
  EXPECT_LT(start, TimePoint{1s});
  clock.wait_until(start + 20ms, wakeup);
  const TimePoint after = clock.now();
  EXPECT_GE(after, start + 20ms);
  EXPECT_LT(after, start + 10s);  // loose: the machine may be busy
}

TEST(RealClock, AWaitEndsEarlyWhenWokenFromAnotherThread) {
  RealClock clock;
  Wakeup wakeup;
  std::thread waker([&] { wakeup.notify(); });
  clock.wait_until(clock.now() + 1h, wakeup);  // would hang for an hour if the wakeup were lost
  waker.join();
  EXPECT_LT(clock.now(), TimePoint{1h});
}

TEST(FormatDuration, UsesTheLargestExactUnit) {
  EXPECT_EQ(format_duration(0s), "0s");
  EXPECT_EQ(format_duration(10s), "10s");
  EXPECT_EQ(format_duration(1500ms), "1500ms");
  EXPECT_EQ(format_duration(-250us), "-250us");
  EXPECT_EQ(format_duration(7ns), "7ns");
  EXPECT_EQ(format_time(TimePoint{3min}), "180s");
  std::ostringstream out;
  out << TimePoint{2ms};
  EXPECT_EQ(out.str(), "2ms");
}

// One body, both clocks (rule 12): the same coroutine gives the same order of events.
template <class ClockType>
class BothClocks : public ::testing::Test {};

using ClockTypes = ::testing::Types<VirtualClock, RealClock>;
TYPED_TEST_SUITE(BothClocks, ClockTypes);

Coro<> wake_after(Duration delay, std::vector<std::string>& order, std::string name) {
  co_await sleep(delay);
  order.push_back(name);
}

Coro<Duration> three_sleepers(std::vector<std::string>& order) {
  const TimePoint start = now();
  co_await gather(wake_after(2ms, order, "2"), wake_after(10ms, order, "10"), wake_after(5ms, order, "5"));
  co_return now() - start;
}

TYPED_TEST(BothClocks, RunTheSameCoroutineInTheSameOrder) {
  TypeParam clock;
  std::vector<std::string> order;
  const Duration elapsed = run(three_sleepers(order), clock);
  EXPECT_THAT(order, ElementsAre("2", "5", "10"));
  EXPECT_GE(elapsed, 10ms);
  EXPECT_LT(elapsed, 10s);
  if (clock.is_virtual()) {
    EXPECT_EQ(elapsed, 10ms);
  }
}

}  // namespace
}  // namespace simtime

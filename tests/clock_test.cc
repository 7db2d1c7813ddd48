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

// A virtual clock of the user's own: it starts at a given epoch, and records every jump the
// loop asks of it.
class EpochClock final : public Clock {
 public:
  explicit EpochClock(TimePoint epoch) : now_(epoch) {}
  [[nodiscard]] TimePoint now() const override { return now_; }
  void wait_until(TimePoint deadline, Wakeup&) override {
    jumps.push_back(deadline);
    if (deadline > now_) now_ = deadline;
  }
  [[nodiscard]] bool is_virtual() const noexcept override { return true; }
  std::vector<TimePoint> jumps;

 private:
  TimePoint now_;
};

// A waiting clock of the user's own: real time, read in whole ticks of a millisecond.
class TickClock final : public Clock {
 public:
  [[nodiscard]] TimePoint now() const override {
    const auto elapsed = std::chrono::steady_clock::now() - zero_;
    return TimePoint{std::chrono::floor<std::chrono::milliseconds>(elapsed)};
  }
  void wait_until(TimePoint deadline, Wakeup& wakeup) override {
    ++waits;
    wakeup.wait_until(zero_ + std::chrono::ceil<std::chrono::milliseconds>(deadline.time_since_epoch()));
  }
  [[nodiscard]] bool is_virtual() const noexcept override { return false; }
  int waits = 0;

 private:
  std::chrono::steady_clock::time_point zero_ = std::chrono::steady_clock::now();
};

Coro<std::vector<TimePoint>> wake_times(std::vector<Duration> delays) {
  std::vector<TimePoint> woke;
  std::vector<Task<>> sleepers;
  for (const Duration delay : delays) {
    sleepers.push_back(create_task([](Duration d, std::vector<TimePoint>& out) -> Coro<> {
      co_await sleep(d);
      out.push_back(now());
    }(delay, woke)));
  }
  co_await gather(std::move(sleepers));
  co_return woke;
}

TEST(CustomClock, AVirtualClockOfYourOwnIsJumpedStraightToEachDeadline) {
  const TimePoint epoch{std::chrono::seconds{1'700'000'000}};
  EpochClock clock(epoch);
  const std::vector<TimePoint> woke = run(wake_times({2s, 10s, 5s}), clock);
  EXPECT_THAT(woke, ElementsAre(epoch + 2s, epoch + 5s, epoch + 10s));
  EXPECT_THAT(clock.jumps, ElementsAre(epoch + 2s, epoch + 5s, epoch + 10s));
  EXPECT_EQ(clock.now(), epoch + 10s);
}

TEST(CustomClock, AWaitingClockOfYourOwnIsWaitedOnInItsOwnTicks) {
  TickClock clock;
  const std::vector<TimePoint> woke = run(wake_times({2ms, 10ms, 5ms}), clock);
  ASSERT_EQ(woke.size(), 3u);
  EXPECT_GE(woke[0], TimePoint{2ms});
  EXPECT_GE(woke[1], TimePoint{5ms});
  EXPECT_GE(woke[2], TimePoint{10ms});
  EXPECT_LE(woke[0], woke[1]);
  EXPECT_LE(woke[1], woke[2]);
  EXPECT_LT(woke[2], TimePoint{10s});  // loose: the machine may be busy
  for (const TimePoint t : woke) EXPECT_EQ(t.time_since_epoch() % 1ms, 0ns) << t;
  EXPECT_GE(clock.waits, 1);
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

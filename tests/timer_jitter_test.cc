// Timer jitter makes timers late, never early, within the bound, the same for a seed.
#include "simtime/testing/timer_jitter.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <limits>
#include <simtime/simtime.hpp>
#include <stdexcept>
#include <vector>

#include "simtime/testing/policies.hpp"

namespace simtime::testing {
namespace {

using namespace std::chrono_literals;

struct Lateness {
  std::vector<Duration> late;  // how much after its deadline each sleep woke
};

Coro<> sleeper(Duration delay, Lateness& out) {
  for (int i = 0; i < 5; ++i) {
    const TimePoint deadline = now() + delay;
    co_await sleep(delay);
    out.late.push_back(now() - deadline);
  }
}

Coro<> sleepers(Lateness& out) {
  auto a = create_task(sleeper(1ms, out));
  auto b = create_task(sleeper(3ms, out));
  auto c = create_task(sleeper(0ns, out));
  co_await a;
  co_await b;
  co_await c;
}

Lateness run_with(const Jitter& jitter) {
  Fifo fifo;
  TimerJitter late(fifo, jitter);
  VirtualClock clock;
  Loop loop(clock);
  loop.set_schedule(&late);
  Lateness out;
  loop.run(sleepers(out));
  return out;
}

TEST(TimerJitter, RejectsANegativeBound) {
  Fifo fifo;
  try {
    TimerJitter late(fifo, Jitter{Duration{-5}, 1});
    FAIL() << "a negative bound was accepted";
  } catch (const std::invalid_argument& error) {
    EXPECT_STREQ(error.what(), "TimerJitter: bound -5ns is negative (a timer can be made late, not early)");
  }
}

TEST(TimerJitter, MakesTimersLateWithinTheBoundAndNeverEarly) {
  const Lateness out = run_with(Jitter{500us, 11});
  ASSERT_EQ(out.late.size(), 15u);
  bool some_late = false;
  for (const Duration late : out.late) {
    EXPECT_GE(late, 0ns);
    EXPECT_LE(late, 500us);
    some_late = some_late || late > 0ns;
  }
  EXPECT_TRUE(some_late);
}

TEST(TimerJitter, TheSameSeedMakesTheSameTimersLate) {
  EXPECT_EQ(run_with(Jitter{1ms, 3}).late, run_with(Jitter{1ms, 3}).late);
  EXPECT_NE(run_with(Jitter{1ms, 3}).late, run_with(Jitter{1ms, 4}).late);
}

TEST(TimerJitter, WithAZeroBoundChangesNothing) {
  for (const Duration late : run_with(Jitter{0ns, 3}).late) EXPECT_EQ(late, 0ns);
}

TEST(TimerJitter, NeverGivesADeadlineBeforeNow) {
  Fifo fifo;
  TimerJitter late(fifo, Jitter{1ms, 1});
  const TimePoint now{5s};
  for (int i = 0; i < 100; ++i) EXPECT_GE(late.deadline_for(TimePoint{1s}, now), now);
}

TEST(TimerJitter, SaturatesAtTheClocksEndInsteadOfOverflowing) {
  Fifo fifo;
  TimerJitter late(fifo, Jitter{Duration{std::numeric_limits<std::int64_t>::max()}, 1});
  const TimePoint end{Duration{std::numeric_limits<std::int64_t>::max()}};
  for (int i = 0; i < 100; ++i) {
    const TimePoint deadline = late.deadline_for(end - 1ns, TimePoint{0s});
    EXPECT_GE(deadline, end - 1ns);
  }
}

}  // namespace
}  // namespace simtime::testing

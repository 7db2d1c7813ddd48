#include "simtime/sleep.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <simtime/simtime.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/timeline.hpp"

namespace simtime {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;

Coro<> sleep_then_note(Duration delay, test::Timeline& timeline, std::string what) {
  co_await sleep(delay);
  timeline.note(what);
}

Coro<> sleepers(test::Timeline& timeline) {
  co_await gather(sleep_then_note(3s, timeline, "c"), sleep_then_note(1s, timeline, "a"),
                  sleep_then_note(3s, timeline, "d"), sleep_then_note(2s, timeline, "b"),
                  sleep_then_note(3s, timeline, "e"));
}

TEST(Sleep, TimersFireInDeadlineOrderAndTiesInArmOrder) {
  VirtualClock clock;
  test::Timeline timeline;
  run(sleepers(timeline), clock);
  EXPECT_THAT(timeline.lines(), ElementsAre("1s a", "2s b", "3s c", "3s d", "3s e"));
  EXPECT_EQ(clock.now(), TimePoint{3s});
}

Coro<> nanosecond_steps(test::Timeline& timeline) {
  co_await sleep(1ns);
  timeline.note("one nanosecond");
  co_await sleep(std::chrono::hours(24 * 365));
  timeline.note("a year later");
  co_await sleep_until(TimePoint{std::chrono::hours(24 * 365) + 2ns});
  timeline.note("until");
}

TEST(Sleep, VirtualTimeIsExactToTheNanosecond) {
  VirtualClock clock;
  test::Timeline timeline;
  run(nanosecond_steps(timeline), clock);
  EXPECT_THAT(timeline.lines(),
              ElementsAre("1ns one nanosecond", "31536000000000001ns a year later", "31536000000000002ns until"));
}

// The deadline is fixed by the first await: awaiting the same sleep again does not start a
// new delay from the new current time.
Coro<> await_one_sleep_twice(test::Timeline& timeline) {
  auto three_seconds = sleep(3s);
  co_await three_seconds;
  timeline.note("first");
  co_await sleep(1s);
  co_await three_seconds;
  timeline.note("second");
}

TEST(Sleep, AwaitingASleepAgainKeepsItsDeadlineAndYields) {
  VirtualClock clock;
  test::Timeline timeline;
  run(await_one_sleep_twice(timeline), clock);
  EXPECT_THAT(timeline.lines(), ElementsAre("3s first", "4s second"));
}

Coro<> yielder(test::Timeline& timeline, std::string name, Duration delay) {
  for (int i = 0; i < 2; ++i) {
    timeline.note(name + std::to_string(i));
    co_await sleep(delay);
  }
}

TEST(Sleep, SleepZeroYieldsToTheBackOfTheQueueWithoutMovingTime) {
  VirtualClock clock;
  test::Timeline timeline;
  run(gather(yielder(timeline, "a", 0s), yielder(timeline, "b", 0s)), clock);
  EXPECT_THAT(timeline.lines(), ElementsAre("0s a0", "0s b0", "0s a1", "0s b1"));
  EXPECT_EQ(clock.now(), TimePoint{});
}

TEST(Sleep, ANegativeDurationYieldsLikeZero) {
  VirtualClock clock;
  test::Timeline timeline;
  run(gather(yielder(timeline, "a", -5s), yielder(timeline, "b", -1ns)), clock);
  EXPECT_THAT(timeline.lines(), ElementsAre("0s a0", "0s b0", "0s a1", "0s b1"));
  EXPECT_EQ(clock.now(), TimePoint{});
}

Coro<> sleep_until_the_past(test::Timeline& timeline) {
  co_await sleep(5s);
  co_await sleep_until(TimePoint{1s});
  timeline.note("past deadline yields");
}

TEST(Sleep, SleepUntilAPastDeadlineYieldsAndTimeNeverGoesBack) {
  VirtualClock clock;
  test::Timeline timeline;
  run(sleep_until_the_past(timeline), clock);
  EXPECT_THAT(timeline.lines(), ElementsAre("5s past deadline yields"));
}

Coro<std::string> overflow_message(Duration first, Duration second) {
  co_await sleep(first);
  try {
    co_await sleep(second);
  } catch (const std::invalid_argument& error) {
    co_return error.what();
  }
  co_return "no error";
}

TEST(Sleep, ADeadlinePastTheClocksRangeIsAnInvalidArgument) {
  VirtualClock clock;
  EXPECT_EQ(run(overflow_message(5s, Duration::max()), clock),
            "sleep: now 5s + 9223372036854775807ns overflows the clock");
  EXPECT_EQ(clock.now(), TimePoint{5s});
}

Coro<std::string> huge_duration() {
  try {
    co_await sleep(std::chrono::hours::max());
  } catch (const std::invalid_argument& error) {
    co_return error.what();
  }
  co_return "no error";
}

TEST(Sleep, ADurationTooLargeForNanosecondsIsAnInvalidArgument) {
  VirtualClock clock;
  EXPECT_EQ(run(huge_duration(), clock),
            "sleep: duration 9223372036854775807 x 3600/1s does not fit the clock's signed 64-bit nanoseconds");
}

TEST(Sleep, TheLongestSleepThatFitsIsAllowed) {
  VirtualClock clock;
  run([]() -> Coro<> { co_await sleep(Duration::max()); }(), clock);
  EXPECT_EQ(clock.now(), TimePoint::max());
}

TEST(Sleep, SleepingOutsideALoopIsAnError) {
  auto sleeping = sleep(1s);
  try {
    EXPECT_FALSE(sleeping.await_ready());
    sleeping.await_suspend(std::noop_coroutine());
    FAIL() << "no error";
  } catch (const std::runtime_error& error) {
    EXPECT_STREQ(error.what(), "sleep: no running event loop (call it from a coroutine run by simtime::run)");
  }
}

Coro<> record_timers_at_wake(std::vector<std::size_t>& seen) {
  co_await sleep(5s);
  seen.push_back(get_running_loop().pending_timer_count());
}

TEST(Sleep, EveryTimerDueAtAnInstantFiresBeforeAnyTaskItWakesRuns) {
  VirtualClock clock;
  std::vector<std::size_t> seen;
  run(gather(record_timers_at_wake(seen), record_timers_at_wake(seen), record_timers_at_wake(seen)), clock);
  EXPECT_THAT(seen, ElementsAre(0, 0, 0));
}

TEST(Sleep, ANegativeDurationBeyondNanosecondsStillYields) {
  VirtualClock clock;
  run([]() -> Coro<> { co_await sleep(std::chrono::hours::min()); }(), clock);
  EXPECT_EQ(clock.now(), TimePoint{});
}

}  // namespace
}  // namespace simtime

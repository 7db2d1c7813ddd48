// Properties of the virtual clock over random programs (rapidcheck). A failing case prints
// its seed; RC_PARAMS="seed=N" replays it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <numeric>
#include <simtime/simtime.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace simtime {
namespace {

struct Wake {
  std::size_t index;
  TimePoint at;
};

Coro<> sleeper(std::size_t index, Duration delay, std::vector<Wake>& wakes) {
  co_await sleep(delay);
  wakes.push_back({index, now()});
}

Coro<> sleep_all(const std::vector<std::int64_t>& delays_ms, std::vector<Wake>& wakes) {
  std::vector<Task<>> tasks;
  for (std::size_t i = 0; i < delays_ms.size(); ++i) {
    tasks.push_back(create_task(sleeper(i, std::chrono::milliseconds(delays_ms[i]), wakes)));
  }
  co_await gather(std::move(tasks));
}

RC_GTEST_PROP(VirtualTime, WakeOrderIsTheDelaysSortedWithTiesInCreationOrder, ()) {
  // Few distinct values so that ties are common.
  const auto delays = *rc::gen::container<std::vector<std::int64_t>>(rc::gen::inRange<std::int64_t>(0, 20));
  VirtualClock clock;
  std::vector<Wake> wakes;
  run(sleep_all(delays, wakes), clock);

  std::vector<std::size_t> expected(delays.size());
  std::iota(expected.begin(), expected.end(), 0);
  std::stable_sort(expected.begin(), expected.end(), [&](auto a, auto b) { return delays[a] < delays[b]; });
  std::vector<std::size_t> actual;
  for (const Wake& wake : wakes) {
    actual.push_back(wake.index);
    RC_ASSERT(wake.at == TimePoint{std::chrono::milliseconds(delays[wake.index])});
  }
  RC_ASSERT(actual == expected);
}

RC_GTEST_PROP(VirtualTime, TotalElapsedIsTheLargestDelay, ()) {
  const auto delays = *rc::gen::container<std::vector<std::int64_t>>(rc::gen::inRange<std::int64_t>(0, 1'000'000'000));
  VirtualClock clock;
  std::vector<Wake> wakes;
  run(sleep_all(delays, wakes), clock);
  const std::int64_t largest = delays.empty() ? 0 : *std::max_element(delays.begin(), delays.end());
  RC_ASSERT(clock.now() == TimePoint{std::chrono::milliseconds(largest)});
  RC_ASSERT(wakes.size() == delays.size());
}

Coro<> chained_sleeps(const std::vector<std::int64_t>& steps_ns, std::vector<TimePoint>& seen) {
  for (const std::int64_t step : steps_ns) {
    const TimePoint before = now();
    co_await sleep(std::chrono::nanoseconds(step));
    seen.push_back(now());
    // Never early, never rounded; zero and negative steps do not move time.
    RC_ASSERT(now() == before + std::chrono::nanoseconds(std::max<std::int64_t>(step, 0)));
  }
}

RC_GTEST_PROP(VirtualTime, SleepWakesAtExactlyNowPlusTheDurationAndTimeNeverGoesBack, ()) {
  const auto steps =
      *rc::gen::container<std::vector<std::int64_t>>(rc::gen::inRange<std::int64_t>(-1'000'000'000, 1'000'000'000'000));
  VirtualClock clock;
  std::vector<TimePoint> seen;
  run(chained_sleeps(steps, seen), clock);
  RC_ASSERT(std::is_sorted(seen.begin(), seen.end()));
}

// Values near the int64 edges come up often, so that overflow handling is exercised.
rc::Gen<std::int64_t> nanoseconds_with_extremes() {
  constexpr auto max = std::numeric_limits<std::int64_t>::max();
  constexpr auto min = std::numeric_limits<std::int64_t>::min();
  return rc::gen::oneOf(rc::gen::element<std::int64_t>(0, 1, -1, max, max - 1, min, min + 1),
                        rc::gen::arbitrary<std::int64_t>(), rc::gen::inRange<std::int64_t>(-1000, 1000));
}

Coro<std::string> sleep_from(Duration delay) {
  const TimePoint start = now();
  try {
    co_await sleep(delay);
  } catch (const std::invalid_argument& error) {
    co_return error.what();
  }
  const Duration slept = now() - start;
  co_return "slept " + std::to_string(slept.count());
}

RC_GTEST_PROP(VirtualTime, SleepIsExactOrRefusesToOverflowAtTheInt64Edges, ()) {
  const std::int64_t start = *rc::gen::inRange<std::int64_t>(0, std::numeric_limits<std::int64_t>::max()).as("start");
  const std::int64_t delay = *nanoseconds_with_extremes().as("delay");
  VirtualClock clock;
  clock.advance_to(TimePoint{Duration{start}});
  const std::string outcome = run(sleep_from(Duration{delay}), clock);
  if (delay > 0 && start > std::numeric_limits<std::int64_t>::max() - delay) {
    RC_ASSERT(outcome == "sleep: now " + format_time(TimePoint{Duration{start}}) + " + " +
                             format_duration(Duration{delay}) + " overflows the clock");
    RC_ASSERT(clock.now() == TimePoint{Duration{start}});
  } else {
    // Never early, never rounded; zero and negative durations yield without moving time.
    const std::int64_t expected = std::max<std::int64_t>(delay, 0);
    RC_ASSERT(outcome == "slept " + std::to_string(expected));
    RC_ASSERT(clock.now() == TimePoint{Duration{start + expected}});
  }
}

Coro<> note_wake(Duration delay, std::size_t index, std::vector<std::size_t>& order) {
  co_await sleep(delay);
  order.push_back(index);
}

Coro<> same_deadline_sleepers(std::size_t count, Duration delay, std::vector<std::size_t>& order) {
  std::vector<Task<>> tasks;
  for (std::size_t i = 0; i < count; ++i) tasks.push_back(create_task(note_wake(delay, i, order)));
  co_await gather(std::move(tasks));
}

RC_GTEST_PROP(VirtualTime, SameDeadlineTimersFireInArmOrder, ()) {
  const auto count = *rc::gen::inRange<std::size_t>(1, 200);
  const auto delay = *rc::gen::inRange<std::int64_t>(0, std::numeric_limits<std::int64_t>::max());
  VirtualClock clock;
  std::vector<std::size_t> order;
  run(same_deadline_sleepers(count, Duration{delay}, order), clock);
  std::vector<std::size_t> expected(count);
  std::iota(expected.begin(), expected.end(), 0);
  RC_ASSERT(order == expected);
  RC_ASSERT(clock.now() == TimePoint{Duration{delay}});
}

}  // namespace
}  // namespace simtime

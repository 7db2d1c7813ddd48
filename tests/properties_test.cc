// Properties of the virtual clock over random programs (rapidcheck). A failing case prints
// its seed; RC_PARAMS="seed=N" replays it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <numeric>
#include <vector>

#include <simtime/simtime.hpp>

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
  const auto delays =
      *rc::gen::container<std::vector<std::int64_t>>(rc::gen::inRange<std::int64_t>(0, 1'000'000'000));
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
  const auto steps = *rc::gen::container<std::vector<std::int64_t>>(
      rc::gen::inRange<std::int64_t>(-1'000'000'000, 1'000'000'000'000));
  VirtualClock clock;
  std::vector<TimePoint> seen;
  run(chained_sleeps(steps, seen), clock);
  RC_ASSERT(std::is_sorted(seen.begin(), seen.end()));
}

}  // namespace
}  // namespace simtime

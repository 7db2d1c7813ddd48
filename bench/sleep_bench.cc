// W1, one sleep per task: many concurrent sleeping tasks on the virtual clock, then many
// cancelled mid-sleep. Task i sleeps splitmix64(1, i) % 1,000,000 ms (the peers' W1), all
// gathered. Checks that every task wakes at exactly its deadline and that wakes come in
// deadline order.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <simtime/simtime.hpp>
#include <vector>

#include "bench/counters.hpp"
#include "bench/splitmix.hpp"

namespace simtime::bench {
namespace {

struct Check {
  TimePoint last_wake{};
  std::uint64_t wakes = 0;
  bool in_order = true;
};

Coro<> sleeper(Duration delay, Check& check) {
  co_await sleep(delay);
  const TimePoint woke = now();
  check.in_order = check.in_order && woke == TimePoint{delay} && woke >= check.last_wake;
  check.last_wake = woke;
  ++check.wakes;
}

Coro<> sleep_all(std::int64_t tasks, Check& check) {
  std::vector<Task<>> handles;
  handles.reserve(static_cast<std::size_t>(tasks));
  for (std::int64_t i = 0; i < tasks; ++i) {
    const auto delay = std::chrono::milliseconds(splitmix64(1, static_cast<std::uint64_t>(i)) % 1'000'000);
    handles.push_back(create_task(sleeper(delay, check)));
  }
  co_await gather(std::move(handles));
}

void ConcurrentSleepingTasks(benchmark::State& state) {
  const std::int64_t tasks = state.range(0);
  const PeakMemory memory;
  for (auto _ : state) {
    VirtualClock clock;
    Check check;
    run(sleep_all(tasks, check), clock);
    if (!check.in_order || check.wakes != static_cast<std::uint64_t>(tasks)) {
      state.SkipWithError("tasks woke out of order or not at their deadline");
      return;
    }
  }
  report_counters(state, static_cast<double>(tasks), tasks, memory);
}
BENCHMARK(ConcurrentSleepingTasks)->Arg(1'000'000)->Iterations(1)->UseRealTime()->Unit(benchmark::kMillisecond);

Coro<> cancel_all_mid_sleep(std::int64_t tasks, std::int64_t& cancelled, std::size_t& timers_left) {
  std::vector<Task<>> handles;
  handles.reserve(static_cast<std::size_t>(tasks));
  Check unused;
  for (std::int64_t i = 0; i < tasks; ++i) {
    const auto delay = std::chrono::milliseconds(1 + splitmix64(1, static_cast<std::uint64_t>(i)) % 1'000'000);
    handles.push_back(create_task(sleeper(delay, unused)));
  }
  co_await sleep(std::chrono::milliseconds(0));  // every task starts and arms its timer
  for (auto& handle : handles) handle.cancel();
  auto outcomes = co_await gather(return_exceptions, std::move(handles));
  for (const auto& outcome : outcomes) cancelled += outcome.index() == 1 ? 1 : 0;
  timers_left = get_running_loop().pending_timer_count();
}

// Every task is cancelled while asleep: each timer must be removed and each frame freed.
void CancelSleepingTasks(benchmark::State& state) {
  const std::int64_t tasks = state.range(0);
  const PeakMemory memory;
  for (auto _ : state) {
    VirtualClock clock;
    std::int64_t cancelled = 0;
    std::size_t timers_left = 1;
    run(cancel_all_mid_sleep(tasks, cancelled, timers_left), clock);
    if (cancelled != tasks || timers_left != 0 || clock.now() != TimePoint{}) {
      state.SkipWithError("a task was not cancelled, a timer was left armed, or time moved");
      return;
    }
  }
  report_counters(state, static_cast<double>(tasks), tasks, memory);
}
BENCHMARK(CancelSleepingTasks)->Arg(1'000'000)->Iterations(1)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace simtime::bench

BENCHMARK_MAIN();

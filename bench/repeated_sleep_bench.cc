// W2, many sleeps per task: 1,000 tasks share N sleeps of 1 to 1000 ms, each task sleeping
// through its own N/1,000 in turn, all gathered. Checks that every sleep happened and that
// the run ended when the longest-sleeping task's total had elapsed.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <numeric>
#include <simtime/simtime.hpp>
#include <vector>

#include "bench/counters.hpp"
#include "bench/peer_workloads.hpp"

namespace simtime::bench {
namespace {

// The virtual time at which the last of `tasks` tasks finishes its share of `durations_ms`.
std::chrono::milliseconds expected_end(const std::vector<std::uint32_t>& durations_ms, std::int64_t tasks) {
  const auto per_task = static_cast<std::ptrdiff_t>(durations_ms.size()) / tasks;
  std::uint64_t longest = 0;
  for (auto first = durations_ms.begin(); first != durations_ms.end(); first += per_task) {
    longest = std::max(longest, std::accumulate(first, first + per_task, std::uint64_t{0}));
  }
  return std::chrono::milliseconds(longest);
}

void RepeatedSleeps(benchmark::State& state) {
  const std::vector<std::uint32_t> durations = repeated_sleep_durations(state.range(0));
  const TimePoint end{expected_end(durations, kRepeatedSleepTasks)};
  const PeakMemory memory;
  for (auto _ : state) {
    VirtualClock clock;
    const Outcome outcome = run(sleep_many_each(durations, kRepeatedSleepTasks), clock);
    if (outcome.events != durations.size() || clock.now() != end) {
      state.SkipWithError("a sleep was skipped or the run did not end with the longest task");
      return;
    }
  }
  report_counters(state, static_cast<double>(durations.size()), kRepeatedSleepTasks, memory);
}
BENCHMARK(RepeatedSleeps)->Arg(1'000'000)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace simtime::bench

BENCHMARK_MAIN();

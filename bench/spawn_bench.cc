// W4, spawn and join: N tasks that return i at once, all created first, then gathered and
// summed. Measures what a task costs from create_task to its result; checks the sum.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <simtime/simtime.hpp>
#include <string>

#include "bench/counters.hpp"
#include "bench/peer_workloads.hpp"

namespace simtime::bench {
namespace {

void SpawnAndJoin(benchmark::State& state) {
  const std::int64_t tasks = state.range(0);
  const std::string want = "sum=" + std::to_string(tasks * (tasks - 1) / 2);
  const PeakMemory memory;
  for (auto _ : state) {
    VirtualClock clock;
    const Outcome outcome = run(spawn_and_join(tasks), clock);
    if (outcome.check != want) {
      state.SkipWithError("the gathered results do not add up");
      return;
    }
  }
  report_counters(state, static_cast<double>(tasks), tasks, memory);
}
BENCHMARK(SpawnAndJoin)->Arg(1'000'000)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace simtime::bench

BENCHMARK_MAIN();

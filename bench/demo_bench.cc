// W0, the asyncio tutorial's demo on the virtual clock: tasks sleeping 2, 10 and 5 s must
// wake 2, 5, 10 and the run must end at exactly 10 s. Measures a loop's fixed costs.
#include <benchmark/benchmark.h>

#include <chrono>
#include <simtime/simtime.hpp>

#include "bench/counters.hpp"
#include "bench/peer_workloads.hpp"

namespace simtime::bench {
namespace {

void TutorialDemo(benchmark::State& state) {
  const PeakMemory memory;
  for (auto _ : state) {
    VirtualClock clock;
    const Outcome outcome = run(demo(), clock);
    if (outcome.check != "order=2,5,10" || clock.now() != TimePoint{std::chrono::seconds(10)}) {
      state.SkipWithError("the demo woke out of order or did not end at 10 s");
      return;
    }
  }
  report_counters(state, 3, 3, memory);
}
BENCHMARK(TutorialDemo)->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace simtime::bench

BENCHMARK_MAIN();

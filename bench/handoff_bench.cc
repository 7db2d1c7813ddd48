// W3, handoffs: two tasks pass a token back and forth N times through two Events (2N
// handoffs), with no timer at all. Measures wake-up and task switch costs; checks the
// handoff count and that the virtual clock never moved.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <simtime/simtime.hpp>
#include <string>

#include "bench/counters.hpp"
#include "bench/peer_workloads.hpp"

namespace simtime::bench {
namespace {

void EventHandoffs(benchmark::State& state) {
  const std::int64_t round_trips = state.range(0);
  const std::string want = "handoffs=" + std::to_string(2 * round_trips);
  const PeakMemory memory;
  for (auto _ : state) {
    VirtualClock clock;
    const Outcome outcome = run(hand_off(round_trips), clock);
    if (outcome.check != want || clock.now() != TimePoint{}) {
      state.SkipWithError("a handoff was lost or the clock moved");
      return;
    }
  }
  report_counters(state, static_cast<double>(2 * round_trips), 2, memory);
}
BENCHMARK(EventHandoffs)->Arg(1'000'000)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace simtime::bench

BENCHMARK_MAIN();

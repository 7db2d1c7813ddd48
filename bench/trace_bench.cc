// The cost of recording a trace: W1 (one sleep per task) and W3 (handoffs through Events),
// each with no trace, and with a simtime::testing::Trace installed. Reports the workload's
// events per second, the trace's events per second and its bytes per event.
//
//   bazel run --config=opt //bench:trace_bench
#include <benchmark/benchmark.h>

#include <cstdint>
#include <simtime/simtime.hpp>
#include <vector>

#include "bench/peer_workloads.hpp"
#include "simtime/testing/trace.hpp"

namespace simtime::bench {
namespace {

template <class Workload>
void run_workload(benchmark::State& state, bool traced, Workload make) {
  std::uint64_t workload_events = 0;
  std::uint64_t trace_events = 0;
  double bytes_per_event = 0;
  for (auto _ : state) {
    VirtualClock clock;
    Loop loop(clock);
    testing::Trace trace;
    if (traced) loop.set_trace(&trace);
    const Outcome outcome = loop.run(make());
    workload_events += outcome.events;
    trace_events += trace.size();
    if (traced) bytes_per_event = trace.bytes_per_event();
  }
  state.counters["events/s"] = benchmark::Counter(static_cast<double>(workload_events), benchmark::Counter::kIsRate);
  if (traced) {
    state.counters["trace_events/s"] =
        benchmark::Counter(static_cast<double>(trace_events), benchmark::Counter::kIsRate);
    state.counters["bytes/event"] = bytes_per_event;
  }
}

void W1SleepOnceEach(benchmark::State& state) {
  const std::vector<std::uint32_t> durations = single_sleep_durations(state.range(0));
  run_workload(state, state.range(1) != 0, [&] { return sleep_once_each(durations); });
}
BENCHMARK(W1SleepOnceEach)
    ->ArgNames({"tasks", "traced"})
    ->Args({100'000, 0})
    ->Args({100'000, 1})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

void W3HandOff(benchmark::State& state) {
  const std::int64_t round_trips = state.range(0);
  run_workload(state, state.range(1) != 0, [&] { return hand_off(round_trips); });
}
BENCHMARK(W3HandOff)
    ->ArgNames({"round_trips", "traced"})
    ->Args({100'000, 0})
    ->Args({100'000, 1})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace simtime::bench

BENCHMARK_MAIN();

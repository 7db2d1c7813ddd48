// Schedule exploration of examples/bank_transfer: how many schedules a second one core
// explores, and how many of them are distinct traces (issue 20's target: 20,000/s).
//
//   bazel run --config=opt //bench:explore_bench
//
// BM_Sweep is the user's view: explore() over 10,000 schedules per iteration, counters
// schedules/s and distinct_traces. BM_OneSchedule/* is one run under each policy (with the
// fingerprint explore takes); BM_UnobservedDay is the same day with no policy at all, and
// BM_EmptyLoop a loop set up and torn down around an empty coroutine: what a schedule
// costs beyond the program itself.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <simtime/simtime.hpp>
#include <unordered_set>

#include "examples/bank_transfer.hpp"
#include "simtime/testing/explore.hpp"
#include "simtime/testing/policies.hpp"

namespace {

using simtime::testing::ExplorePolicy;

const simtime::testing::Program day = [] { return bank_transfer::business_day(bank_transfer::Version::locked); };

void BM_Sweep(benchmark::State& state) {
  const auto policy = static_cast<ExplorePolicy>(state.range(0));
  constexpr std::uint64_t schedules = 10'000;
  std::uint64_t distinct = 0;
  std::uint64_t seed = 0;
  for (auto _ : state) {
    const auto result = simtime::testing::explore(
        day, {.schedules = schedules, .policy = policy, .seed = seed, .name = "bench", .report = false});
    if (!result.passed()) state.SkipWithError("a schedule failed");
    distinct = result.distinct_traces;
    seed += schedules;
  }
  state.counters["schedules/s"] =
      benchmark::Counter(static_cast<double>(schedules * state.iterations()), benchmark::Counter::kIsRate);
  state.counters["distinct_traces"] = static_cast<double>(distinct);
}
BENCHMARK(BM_Sweep)
    ->Arg(static_cast<int>(ExplorePolicy::random))
    ->Arg(static_cast<int>(ExplorePolicy::pct))
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

template <class Policy>
void one_schedule(benchmark::State& state, auto make_policy) {
  std::uint64_t seed = 0;
  std::unordered_set<std::uint64_t> distinct;
  for (auto _ : state) {
    Policy policy = make_policy(seed++);
    const auto outcome = simtime::testing::run_once(day, policy);
    distinct.insert(outcome.fingerprint);
  }
  state.counters["schedules/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["distinct_traces"] = static_cast<double>(distinct.size());
}

void BM_OneSchedule_Random(benchmark::State& state) {
  one_schedule<simtime::testing::RandomSchedule>(
      state, [](std::uint64_t seed) { return simtime::testing::RandomSchedule(seed); });
}
BENCHMARK(BM_OneSchedule_Random);

void BM_OneSchedule_Pct(benchmark::State& state) {
  one_schedule<simtime::testing::Pct>(state, [](std::uint64_t seed) { return simtime::testing::Pct(seed, 3, 27); });
}
BENCHMARK(BM_OneSchedule_Pct);

void BM_OneSchedule_Fifo(benchmark::State& state) {
  one_schedule<simtime::testing::Fifo>(state, [](std::uint64_t) { return simtime::testing::Fifo(); });
}
BENCHMARK(BM_OneSchedule_Fifo);

void BM_UnobservedDay(benchmark::State& state) {
  for (auto _ : state) {
    simtime::VirtualClock clock;
    simtime::run(bank_transfer::business_day(bank_transfer::Version::locked), clock);
  }
  state.counters["days/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_UnobservedDay);

void BM_EmptyLoop(benchmark::State& state) {
  for (auto _ : state) {
    simtime::VirtualClock clock;
    simtime::run([]() -> simtime::Coro<> { co_return; }(), clock);
  }
}
BENCHMARK(BM_EmptyLoop);

}  // namespace

BENCHMARK_MAIN();

// The peers' five workloads (../shared/bench-peers/README.md) as simtime coroutines.
//
// Shared by //bench:workloads, the program the peers' harness runs, and by the Google
// Benchmark targets, so both measure the same code. Parameters are the peers' exactly (see
// ../shared/bench-peers/lowerbound/lowerbound.cpp):
//
//   W0 demo()             three tasks sleep 2, 10, 5 s; wake 2, 5, 10; end at 10 s.
//   W1 sleep_once_each()  N tasks, task i sleeps splitmix64(1, i) % 1e6 ms, all gathered.
//   W2 sleep_many_each()  1,000 tasks x N/1,000 sleeps; sleep j of task t lasts
//                         1 + splitmix64(2, t*S + j) % 1000 ms, S = N/1,000.
//   W3 hand_off()         two tasks hand a token back and forth N times through two Events
//                         (2N handoffs).
//   W4 spawn_and_join()   N tasks that return i at once, all created, then gathered, summed.
//
// Durations are drawn before the clock starts, as every peer does: the caller builds them
// with the *_durations functions and keeps them alive until the workload's run returns.
#pragma once

#include <cstdint>
#include <simtime/simtime.hpp>
#include <span>
#include <string>
#include <vector>

namespace simtime::bench {

/// What a workload did: the events it counts and the check the peers' harness verifies, in
/// the peers' spelling ("order=2,5,10", "done", "handoffs=2000000", "sum=499999500000").
struct Outcome {
  std::uint64_t events = 0;
  std::string check;
};

/// W2 runs this many tasks whatever N is.
inline constexpr std::int64_t kRepeatedSleepTasks = 1000;

/// W1's durations in milliseconds: element i is splitmix64(1, i) % 1,000,000.
[[nodiscard]] std::vector<std::uint32_t> single_sleep_durations(std::int64_t tasks);

/// W2's durations in milliseconds for N: (N / 1000) * 1000 of them, element k is
/// 1 + splitmix64(2, k) % 1000; task t takes the t-th run of N / 1000.
[[nodiscard]] std::vector<std::uint32_t> repeated_sleep_durations(std::int64_t n);

/// W0: the asyncio tutorial's three sleepers.
Coro<Outcome> demo();

/// W1: one task per duration, each sleeps once. `durations_ms` must outlive the run.
Coro<Outcome> sleep_once_each(std::span<const std::uint32_t> durations_ms);

/// W2: `tasks` tasks, each sleeps through its equal share of `durations_ms` in turn.
/// `durations_ms` must outlive the run.
Coro<Outcome> sleep_many_each(std::span<const std::uint32_t> durations_ms, std::int64_t tasks);

/// W3: `round_trips` round trips of a token between two tasks, through two Events.
Coro<Outcome> hand_off(std::int64_t round_trips);

/// W4: `tasks` tasks returning 0..tasks-1, created first, then gathered and summed.
Coro<Outcome> spawn_and_join(std::int64_t tasks);

}  // namespace simtime::bench

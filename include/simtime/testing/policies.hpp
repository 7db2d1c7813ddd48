// The schedule policies that explore a program's orders (rule 18): Fifo, RandomSchedule,
// Pct and Guided. Each implements simtime::SchedulePolicy and serves one run: make a fresh
// one for each run (simtime::testing::explore does).
//
// Each is deterministic for its seed (rule 19): the same program under the same policy and
// seed takes the same decisions and steps in the same order, on every machine. A policy
// sees only task ids and the decision number, never an address.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "simtime/schedule_policy.hpp"
#include "simtime/testing/splitmix.hpp"

namespace simtime::testing {

/// Today's order, bit for bit: always the task FIFO order would take (index 0). A run under
/// Fifo is the same, event for event, as a run with no policy.
class Fifo final : public SchedulePolicy {
 public:
  std::size_t choose(const ScheduleChoice& choice) override;
};

/// A uniform choice among the runnable tasks at each decision, from a SplitMix64 seeded with
/// `seed`. Finds bugs that need several deviations from FIFO, spread anywhere.
class RandomSchedule final : public SchedulePolicy {
 public:
  explicit RandomSchedule(std::uint64_t seed) noexcept : random_(seed) {}
  std::size_t choose(const ScheduleChoice& choice) override;

 private:
  SplitMix64 random_;
};

/// Probabilistic concurrency testing (Burckhardt, Kothari, Musuvathi, Nagarakatte, ASPLOS
/// 2010): each task gets a random priority when it is first seen, the highest-priority
/// runnable task always steps, and at `depth - 1` decisions drawn at random below `horizon`
/// the task about to step drops below every other. A bug that needs d ordering constraints
/// is found with probability at least 1 / (n k^(d-1)) per run (n tasks, k decisions).
class Pct final : public SchedulePolicy {
 public:
  /// Throws std::invalid_argument when `depth` is below 1. `horizon` is how many decisions
  /// a run is expected to take (explore measures it on the FIFO run); change points fall
  /// below it.
  Pct(std::uint64_t seed, int depth, std::uint64_t horizon = 64);
  std::size_t choose(const ScheduleChoice& choice) override;

 private:
  std::uint64_t& priority_of(std::uint64_t task_id);

  SplitMix64 random_;
  std::vector<std::uint64_t> change_points_;  // decision numbers, sorted
  std::size_t next_change_ = 0;
  std::vector<std::uint64_t> priorities_;  // by task id; 0: not seen yet
};

/// Follows a list of choices, then FIFO: decision k takes `choices[k]` reduced modulo the
/// number of runnable tasks, and every decision past the list takes 0. Any list fits any
/// program, which is what a generator needs (gen::schedule); shrinking a choice toward 0
/// moves the run toward FIFO. The decisions it actually took (Loop::schedule_decisions)
/// are the exact schedule, for a token.
class Guided final : public SchedulePolicy {
 public:
  explicit Guided(std::vector<std::uint32_t> choices) : choices_(std::move(choices)) {}
  std::size_t choose(const ScheduleChoice& choice) override;

 private:
  std::vector<std::uint32_t> choices_;
};

}  // namespace simtime::testing

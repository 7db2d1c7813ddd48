// explore: run a property over many schedules (issue 20, item 5).
//
//     const auto result = simtime::testing::explore([] { return my_program(); },
//                                                   {.schedules = 10'000, .seed = 7});
//     EXPECT_TRUE(result.passed()) << result;
//
// Each schedule is a run of a fresh program (the factory's Coro) on a fresh Loop over a
// fresh VirtualClock, under a fresh policy seeded with `seed + i` for schedule i. A run
// fails when its main coroutine ends in an exception (a broken invariant, DeadlockError,
// BudgetExceededError). explore stops at the first failure, shrinks its schedule toward
// FIFO (fewer and earlier deviations) and reports both tokens; it reports how many
// schedules ran and how many distinct traces (RunFingerprint) they made.
//
// Environment:
//   SIMTIME_SCHEDULE=<token>   replay that one schedule instead (ScheduleTokenError if it is
//                              malformed, ScheduleMismatch if it does not fit the program).
//   TEST_TOTAL_SHARDS, TEST_SHARD_INDEX (Bazel's sharding): each shard runs its slice of the
//                              seeds and touches TEST_SHARD_STATUS_FILE, unless GoogleTest is
//                              sharding the tests themselves (GTEST_TOTAL_SHARDS set): then
//                              each test is on one shard and explores every seed. A target
//                              whose sweep is sharded links //:explore_main, which leaves
//                              sharding to explore.
// Output: on a terminal, a progress line on stderr; one summary line on stdout at the end.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>

#include "simtime/clock.hpp"
#include "simtime/coro.hpp"
#include "simtime/loop.hpp"
#include "simtime/schedule_policy.hpp"
#include "simtime/testing/schedule.hpp"

namespace simtime::testing {

/// Makes the program of one run; called once per schedule.
using Program = std::function<Coro<>()>;

/// Which policy explore seeds for each schedule.
enum class ExplorePolicy : unsigned char { random, pct, fifo };

struct ExploreOptions {
  std::uint64_t schedules = 1000;
  ExplorePolicy policy = ExplorePolicy::random;
  /// Schedule i runs with seed `seed + i`.
  std::uint64_t seed = 0;
  /// Pct's depth (1: random priorities only).
  int pct_depth = 3;
  /// Above zero: every timer is made up to this much late (TimerJitter), seeded per schedule.
  Duration jitter{0};
  /// Budgets for each run (a schedule that livelocks ends in BudgetExceededError, a
  /// failure); none given: the loop's defaults.
  std::optional<RunLimits> limits{};
  /// Shrink a failing schedule before reporting it.
  bool shrink = true;
  /// Names the sweep in its output lines.
  std::string name = "explore";
  /// Prints the summary line (and, on a terminal, progress); off for benchmarks.
  bool report = true;
};

struct ExploreFailure {
  std::uint64_t seed = 0;  // of the failing schedule
  std::string message;     // what the failing run threw
  Schedule schedule;       // as found
  Schedule shrunk;         // the smallest failing change to FIFO found (== schedule without shrinking)
  std::string shrunk_message;
  std::string timeline;  // the text timeline of the shrunk schedule's run, traced (Trace)
};

struct ExploreResult {
  std::uint64_t schedules_run = 0;
  std::uint64_t distinct_traces = 0;
  std::uint64_t first_seed = 0;  // the seeds this process ran: [first_seed, end_seed)
  std::uint64_t end_seed = 0;
  unsigned shard_index = 0;
  unsigned shard_count = 1;
  bool replayed = false;  // SIMTIME_SCHEDULE was set
  double seconds = 0;     // wall time the sweep took (reporting only)
  std::optional<ExploreFailure> failure;

  [[nodiscard]] bool passed() const noexcept { return !failure.has_value(); }
  /// One line: what ran, what it found, and how to replay a failure.
  [[nodiscard]] std::string summary() const;
};
std::ostream& operator<<(std::ostream& out, const ExploreResult& result);

/// Runs `program` over `options.schedules` schedules (or this shard's slice of them).
/// Throws std::invalid_argument for bad options (Pct's depth, a negative jitter), and
/// ScheduleTokenError / ScheduleMismatch for a SIMTIME_SCHEDULE that is malformed or does
/// not fit.
ExploreResult explore(const Program& program, const ExploreOptions& options = {});

/// What one run did.
struct RunOutcome {
  Schedule schedule;                   // its exact decisions (and jitter)
  std::uint64_t fingerprint;           // RunFingerprint
  std::optional<std::string> failure;  // what it threw, if it failed
};

/// Runs `program` once on a fresh loop and virtual clock under `policy`, with timers made
/// late by `jitter` if it has a bound. A ScheduleMismatch escapes; any other exception is
/// the run's failure.
RunOutcome run_once(const Program& program, SchedulePolicy& policy, const std::optional<Jitter>& jitter = {},
                    const std::optional<RunLimits>& limits = {});

/// The text timeline (Trace::timeline) of `schedule`'s run: the same run, traced, since a
/// trace changes nothing in it (rule 20). Throws ScheduleMismatch if it does not fit.
std::string timeline_of(const Program& program, const Schedule& schedule, const std::optional<RunLimits>& limits = {});

/// Re-runs `schedule` exactly (Replay); throws ScheduleMismatch if it does not fit.
RunOutcome replay(const Program& program, const Schedule& schedule, const std::optional<RunLimits>& limits = {});

/// The seeds of shard `index` of `count` among `schedules`: [first, end) offsets, so that
/// the shards' slices are contiguous, disjoint and cover every schedule.
struct SeedSlice {
  std::uint64_t first;
  std::uint64_t end;
};
SeedSlice shard_slice(std::uint64_t schedules, unsigned index, unsigned count);

/// For a test main: stops GoogleTest from sharding the tests (GTEST_TOTAL_SHARDS), so that
/// every shard runs every test and each explore call runs its slice of the seeds
/// (TEST_TOTAL_SHARDS). //:explore_main calls it.
void leave_test_sharding_to_explore();

}  // namespace simtime::testing

#include "simtime/testing/explore.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <ostream>
#include <stdexcept>
#include <vector>

#include "simtime/testing/fingerprint.hpp"
#include "simtime/testing/policies.hpp"
#include "simtime/testing/timer_jitter.hpp"
#include "simtime/testing/trace.hpp"

namespace simtime::testing {
namespace {

struct Shard {
  unsigned index = 0;
  unsigned count = 1;
  const char* status_file = nullptr;
};

// Bazel's sharding, unless GoogleTest is already sharding the tests (then this test is on
// one shard only, and must explore every seed there).
Shard shard_from_environment() {
  Shard shard;
  const char* total = std::getenv("TEST_TOTAL_SHARDS");
  const char* index = std::getenv("TEST_SHARD_INDEX");
  if (total == nullptr || index == nullptr || std::getenv("GTEST_TOTAL_SHARDS") != nullptr) return shard;
  const long count = std::strtol(total, nullptr, 10);
  const long at = std::strtol(index, nullptr, 10);
  if (count < 1 || at < 0 || at >= count) {
    throw std::invalid_argument(
        fmt::format("explore: TEST_SHARD_INDEX={} and TEST_TOTAL_SHARDS={} are not a shard", index, total));
  }
  shard.index = static_cast<unsigned>(at);
  shard.count = static_cast<unsigned>(count);
  shard.status_file = std::getenv("TEST_SHARD_STATUS_FILE");
  return shard;
}

std::unique_ptr<SchedulePolicy> policy_for(const ExploreOptions& options, std::uint64_t seed,
                                           std::uint64_t pct_horizon) {
  switch (options.policy) {
    case ExplorePolicy::random:
      return std::make_unique<RandomSchedule>(seed);
    case ExplorePolicy::pct:
      return std::make_unique<Pct>(seed, options.pct_depth, pct_horizon);
    case ExplorePolicy::fifo:
      break;
  }
  return std::make_unique<Fifo>();
}

// The jitter of schedule `seed`: its own stream, apart from the policy's.
std::optional<Jitter> jitter_for(const ExploreOptions& options, std::uint64_t seed) {
  if (options.jitter == Duration{0}) return std::nullopt;
  return Jitter{options.jitter, SplitMix64(seed ^ 0x6A09E667F3BCC909ull).next()};
}

// Greedy shrinking toward FIFO: drop each deviation (earliest first), then lower each index,
// keeping a change whenever the run still fails; the schedule kept is the run's exact one.
void shrink(const Program& program, const ExploreOptions& options, ExploreFailure& failure) {
  constexpr int most_runs = 2000;
  int runs = 0;
  bool changed = true;
  const auto still_fails = [&](std::vector<std::uint32_t> choices) {
    ++runs;
    while (!choices.empty() && choices.back() == 0) choices.pop_back();
    Guided guided(std::move(choices));
    RunOutcome outcome = run_once(program, guided, failure.shrunk.jitter, options.limits);
    if (!outcome.failure) return false;
    failure.shrunk = std::move(outcome.schedule);
    failure.shrunk_message = std::move(*outcome.failure);
    return true;
  };
  while (changed && runs < most_runs) {
    changed = false;
    for (std::size_t i = 0; i < failure.shrunk.decisions.size() && runs < most_runs; ++i) {
      const std::uint32_t index = failure.shrunk.decisions[i];
      if (index == 0) continue;
      std::vector<std::uint32_t> without = failure.shrunk.decisions;
      without[i] = 0;
      if (still_fails(without)) {
        changed = true;
        continue;
      }
      if (index > 1) {
        std::vector<std::uint32_t> lower = failure.shrunk.decisions;
        lower[i] = index - 1;
        changed = still_fails(lower) || changed;
      }
    }
  }
}

class Progress {
 public:
  Progress(const ExploreOptions& options, std::uint64_t total)
      : name_(options.name), total_(total), terminal_(options.report && isatty(fileno(stderr)) != 0) {}
  void update(std::uint64_t done, bool failed) {
    if (!terminal_ || (done % 256 != 0 && !failed)) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(200) && !failed) return;
    last_ = now;
    fmt::print(stderr, "\r{}: {}/{} schedules, {:.0f}/s, {} failure{}", name_, done, total_, rate(done), failed ? 1 : 0,
               failed ? "" : "s");
    std::fflush(stderr);
    shown_ = true;
  }
  void finish() {
    if (shown_) fmt::print(stderr, "\n");
  }
  [[nodiscard]] double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - began_).count();
  }
  [[nodiscard]] double rate(std::uint64_t done) const {
    const double elapsed = seconds();
    return elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0;
  }

 private:
  std::string name_;
  std::uint64_t total_;
  bool terminal_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point began_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_ = began_;
};

}  // namespace

namespace {
RunOutcome run_traced(const Program& program, SchedulePolicy& policy, const std::optional<Jitter>& jitter,
                      const std::optional<RunLimits>& limits, Trace* trace) {
  VirtualClock clock;
  Loop loop(clock);
  if (limits) loop.set_limits(*limits);
  if (trace != nullptr) loop.set_trace(trace);
  std::optional<TimerJitter> late;
  SchedulePolicy* installed = &policy;
  if (jitter && jitter->bound != Duration{0}) installed = &late.emplace(policy, *jitter);
  loop.set_schedule(installed);
  RunOutcome outcome{};
  {
    RunFingerprint fingerprint(loop);
    try {
      loop.run(program());
    } catch (const ScheduleMismatch&) {
      throw;
    } catch (...) {
      outcome.failure = exception_message(std::current_exception());
    }
    outcome.fingerprint = fingerprint.value();
  }
  outcome.schedule.decisions = loop.schedule_decisions();
  if (jitter && jitter->bound != Duration{0}) outcome.schedule.jitter = jitter;
  return outcome;
}
}  // namespace

RunOutcome run_once(const Program& program, SchedulePolicy& policy, const std::optional<Jitter>& jitter,
                    const std::optional<RunLimits>& limits) {
  return run_traced(program, policy, jitter, limits, nullptr);
}

std::string timeline_of(const Program& program, const Schedule& schedule, const std::optional<RunLimits>& limits) {
  Trace trace;
  Replay policy(schedule);
  run_traced(program, policy, schedule.jitter, limits, &trace);
  return trace.timeline();
}

RunOutcome replay(const Program& program, const Schedule& schedule, const std::optional<RunLimits>& limits) {
  Replay policy(schedule);
  RunOutcome outcome = run_once(program, policy, schedule.jitter, limits);
  policy.finish();
  return outcome;
}

SeedSlice shard_slice(std::uint64_t schedules, unsigned index, unsigned count) {
  const auto at = [&](unsigned shard) {
    return static_cast<std::uint64_t>(static_cast<unsigned __int128>(schedules) * shard / count);
  };
  return {at(index), at(index + 1)};
}

void leave_test_sharding_to_explore() {
  unsetenv("GTEST_TOTAL_SHARDS");
  unsetenv("GTEST_SHARD_INDEX");
}

std::string ExploreResult::summary() const {
  std::string where = replayed ? std::string("replayed SIMTIME_SCHEDULE")
                               : fmt::format("seeds {}..{}", first_seed, end_seed == 0 ? 0 : end_seed - 1);
  if (shard_count > 1) where += fmt::format(", shard {}/{}", shard_index + 1, shard_count);
  std::string line =
      fmt::format("{} schedule{} ({}) in {:.2f}s, {} distinct trace{}", schedules_run, schedules_run == 1 ? "" : "s",
                  where, seconds, distinct_traces, distinct_traces == 1 ? "" : "s");
  if (!failure) return line + ": passed";
  const ExploreFailure& found = *failure;
  const std::string at_seed = replayed ? std::string() : fmt::format(" at seed {}", found.seed);
  line += fmt::format(": FAILED{} ({} deviation{} from FIFO): {}\n  schedule: SIMTIME_SCHEDULE={}", at_seed,
                      found.schedule.deviations(), found.schedule.deviations() == 1 ? "" : "s", found.message,
                      found.schedule.token());
  if (found.shrunk != found.schedule) {
    line += fmt::format("\n  shrunk to {} deviation{}: SIMTIME_SCHEDULE={}\n  which fails with: {}",
                        found.shrunk.deviations(), found.shrunk.deviations() == 1 ? "" : "s", found.shrunk.token(),
                        found.shrunk_message);
  }
  if (!found.timeline.empty()) {
    line += "\n  the timeline of that schedule:";
    std::size_t start = 0;
    while (start < found.timeline.size()) {
      const std::size_t end = std::min(found.timeline.find('\n', start), found.timeline.size());
      line += "\n    " + found.timeline.substr(start, end - start);
      start = end + 1;
    }
  }
  return line;
}

std::ostream& operator<<(std::ostream& out, const ExploreResult& result) { return out << result.summary(); }

ExploreResult explore(const Program& program, const ExploreOptions& options) {
  if (options.pct_depth < 1)
    throw std::invalid_argument(fmt::format("explore: Pct depth {} is below 1", options.pct_depth));
  if (options.jitter < Duration{0}) {
    throw std::invalid_argument(fmt::format("explore: jitter {} is negative", format_duration(options.jitter)));
  }
  ExploreResult result;
  std::vector<std::uint64_t> fingerprints;
  const auto record_failure = [&](std::uint64_t seed, RunOutcome& outcome) {
    ExploreFailure failure{seed, *outcome.failure, outcome.schedule, outcome.schedule, *outcome.failure, {}};
    if (options.shrink) shrink(program, options, failure);
    failure.timeline = timeline_of(program, failure.shrunk, options.limits);
    result.failure = std::move(failure);
  };

  if (const char* token = std::getenv("SIMTIME_SCHEDULE"); token != nullptr && *token != '\0') {
    result.replayed = true;
    RunOutcome outcome = replay(program, Schedule::parse(token), options.limits);
    result.schedules_run = 1;
    result.distinct_traces = 1;
    if (outcome.failure) {
      result.failure = ExploreFailure{0,
                                      *outcome.failure,
                                      outcome.schedule,
                                      outcome.schedule,
                                      *outcome.failure,
                                      timeline_of(program, outcome.schedule, options.limits)};
    }
    if (options.report) fmt::print("{}: {}\n", options.name, result.summary());
    std::fflush(stdout);
    return result;
  }

  const Shard shard = shard_from_environment();
  if (shard.status_file != nullptr) std::ofstream(shard.status_file, std::ios::app);  // "this test shards"
  const SeedSlice slice = shard_slice(options.schedules, shard.index, shard.count);
  result.shard_index = shard.index;
  result.shard_count = shard.count;
  result.first_seed = options.seed + slice.first;
  result.end_seed = options.seed + slice.end;

  // Pct spreads its change points over the decisions a run takes: the FIFO run's count.
  std::uint64_t pct_horizon = 0;
  if (options.policy == ExplorePolicy::pct) {
    Fifo fifo;
    pct_horizon = run_once(program, fifo, {}, options.limits).schedule.decisions.size();
  }

  Progress progress(options, slice.end - slice.first);
  fingerprints.reserve(slice.end - slice.first);
  for (std::uint64_t i = slice.first; i < slice.end; ++i) {
    const std::uint64_t seed = options.seed + i;
    const std::unique_ptr<SchedulePolicy> policy = policy_for(options, seed, pct_horizon);
    RunOutcome outcome = run_once(program, *policy, jitter_for(options, seed), options.limits);
    ++result.schedules_run;
    fingerprints.push_back(outcome.fingerprint);
    if (outcome.failure) record_failure(seed, outcome);
    progress.update(result.schedules_run, outcome.failure.has_value());
    if (result.failure) break;
  }
  progress.finish();
  std::sort(fingerprints.begin(), fingerprints.end());
  result.distinct_traces =
      static_cast<std::uint64_t>(std::unique(fingerprints.begin(), fingerprints.end()) - fingerprints.begin());
  result.seconds = progress.seconds();
  if (options.report) fmt::print("{}: {}\n", options.name, result.summary());
  std::fflush(stdout);
  return result;
}

}  // namespace simtime::testing

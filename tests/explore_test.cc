// explore: a sweep of schedules that stops at the first failure with a token that replays
// it, counts distinct traces, honours SIMTIME_SCHEDULE and Bazel's sharding.
#include "simtime/testing/explore.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>
#include <stdlib.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <simtime/simtime.hpp>
#include <stdexcept>
#include <string>

#include "simtime/testing/fingerprint.hpp"
#include "simtime/testing/policies.hpp"

namespace simtime::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// Two tasks increment a shared counter with a yield between read and write: lost updates in
// every order but FIFO's... and FIFO's too, unless the second starts late. `racy` decides.
struct Counter {
  int value = 0;
};

Coro<> increment(std::shared_ptr<Counter> counter, bool start_late) {
  if (start_late) co_await sleep(Duration{0});
  const int read = counter->value;
  co_await sleep(Duration{0});
  counter->value = read + 1;
}

Coro<> two_increments(bool racy) {
  auto counter = std::make_shared<Counter>();
  auto a = create_task(increment(counter, false));
  auto b = create_task(increment(counter, true));
  co_await a;
  co_await b;
  if (racy && counter->value != 2) throw std::logic_error(fmt::format("lost an update: counter is {}", counter->value));
}

// The same work, without the race: each reads and writes in one step.
Coro<> safe_increment(std::shared_ptr<Counter> counter) {
  co_await sleep(Duration{0});
  ++counter->value;
  co_await sleep(Duration{0});
}

Coro<> four_safe_increments() {
  auto counter = std::make_shared<Counter>();
  std::vector<Task<>> tasks;
  for (int i = 0; i < 4; ++i) tasks.push_back(create_task(safe_increment(counter)));
  co_await gather(std::move(tasks));
  if (counter->value != 4) throw std::logic_error("lost an update");
}

const Program racy = [] { return two_increments(true); };
const Program safe = [] { return four_safe_increments(); };

// Sets an environment variable for one test.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// These tests decide sharding themselves: a sharded run of this binary must not slice them.
class Explore : public ::testing::Test {
 protected:
  ScopedEnv no_total_{"TEST_TOTAL_SHARDS", "1"};
  ScopedEnv no_index_{"TEST_SHARD_INDEX", "0"};
};

TEST_F(Explore, PassesACorrectProgramAndCountsItsDistinctTraces) {
  const ExploreResult result = explore(safe, {.schedules = 300, .seed = 5});
  EXPECT_TRUE(result.passed()) << result;
  EXPECT_EQ(result.schedules_run, 300u);
  EXPECT_GT(result.distinct_traces, 50u);
  EXPECT_LE(result.distinct_traces, 300u);
  EXPECT_EQ(result.first_seed, 5u);
  EXPECT_EQ(result.end_seed, 305u);
}

TEST_F(Explore, UnderFifoSeesOneTrace) {
  const ExploreResult result = explore(racy, {.schedules = 20, .policy = ExplorePolicy::fifo});
  EXPECT_TRUE(result.passed()) << result;
  EXPECT_EQ(result.distinct_traces, 1u);
}

TEST_F(Explore, StopsAtTheFirstFailureWithATokenThatReplaysIt) {
  const ExploreResult result = explore(racy, {.schedules = 1000});
  ASSERT_FALSE(result.passed());
  EXPECT_LT(result.schedules_run, 1000u);
  EXPECT_EQ(result.failure->seed, result.first_seed + result.schedules_run - 1);
  EXPECT_EQ(result.failure->message, "lost an update: counter is 1");
  const RunOutcome again = replay(racy, result.failure->schedule);
  EXPECT_EQ(again.failure, result.failure->message);
}

TEST_F(Explore, ShrinksTheFailingScheduleToOneDeviationFromFifo) {
  const ExploreResult result = explore(racy, {.schedules = 1000});
  ASSERT_FALSE(result.passed());
  EXPECT_EQ(result.failure->shrunk.deviations(), 1u) << result;
  EXPECT_EQ(result.failure->shrunk_message, "lost an update: counter is 1");
  EXPECT_EQ(replay(racy, result.failure->shrunk).failure, "lost an update: counter is 1");
}

TEST_F(Explore, FindsTheRaceWithPctToo) {
  const ExploreResult result = explore(racy, {.schedules = 100, .policy = ExplorePolicy::pct, .pct_depth = 2});
  EXPECT_FALSE(result.passed());
}

TEST_F(Explore, ShowsTheTimelineOfTheShrunkSchedule) {
  const ExploreResult result = explore(racy, {.schedules = 1000});
  ASSERT_FALSE(result.passed());
  const std::string& timeline = result.failure->timeline;
  EXPECT_EQ(timeline, timeline_of(racy, result.failure->shrunk)) << "the same run, traced again";
  EXPECT_THAT(timeline, ::testing::StartsWith("timeline 0s .. "));
  EXPECT_THAT(timeline, ::testing::HasSubstr("threw at 0s"));
  EXPECT_THAT(result.summary(), ::testing::HasSubstr("\n  the timeline of that schedule:\n    timeline 0s .. "));
}

TEST(ExploreResult, SummarisesAPassInOneLine) {
  ExploreResult result;
  result.schedules_run = 250;
  result.distinct_traces = 249;
  result.first_seed = 250;
  result.end_seed = 500;
  result.shard_index = 1;
  result.shard_count = 4;
  result.seconds = 0.5;
  EXPECT_EQ(result.summary(), "250 schedules (seeds 250..499, shard 2/4) in 0.50s, 249 distinct traces: passed");
  EXPECT_EQ(fmt::format("{}", ::testing::PrintToString(result)), result.summary());
}

TEST(ExploreResult, SummarisesAFailureWithBothReplayTokens) {
  ExploreResult result;
  result.schedules_run = 3;
  result.distinct_traces = 3;
  result.end_seed = 1000;
  result.seconds = 0.01;
  result.failure = ExploreFailure{2, "lost an update", Schedule{{0, 1, 2}, {}}, Schedule{{1}, {}}, "lost it", {}};
  EXPECT_EQ(
      result.summary(),
      "3 schedules (seeds 0..999) in 0.01s, 3 distinct traces: FAILED at seed 2 (2 deviations from FIFO): lost an "
      "update\n  schedule: SIMTIME_SCHEDULE=s1:3:1=1,2=2\n  shrunk to 1 deviation: SIMTIME_SCHEDULE=s1:1:0=1\n  "
      "which fails with: lost it");
  result.replayed = true;
  result.failure->shrunk = result.failure->schedule;
  EXPECT_EQ(result.summary(),
            "3 schedules (replayed SIMTIME_SCHEDULE) in 0.01s, 3 distinct traces: FAILED (2 deviations from FIFO): "
            "lost an update\n  schedule: SIMTIME_SCHEDULE=s1:3:1=1,2=2");
}

TEST_F(Explore, WithoutShrinkingReportsTheScheduleAsFound) {
  const ExploreResult result = explore(racy, {.schedules = 1000, .shrink = false});
  ASSERT_FALSE(result.passed());
  EXPECT_EQ(result.failure->shrunk, result.failure->schedule);
}

TEST_F(Explore, ReplaysTheScheduleInSimtimeSchedule) {
  const ExploreResult found = explore(racy, {.schedules = 1000});
  ASSERT_FALSE(found.passed());
  const ScopedEnv token("SIMTIME_SCHEDULE", found.failure->shrunk.token().c_str());
  const ExploreResult replayed = explore(racy, {.schedules = 1000});
  EXPECT_TRUE(replayed.replayed);
  EXPECT_EQ(replayed.schedules_run, 1u);
  ASSERT_FALSE(replayed.passed());
  EXPECT_EQ(replayed.failure->message, "lost an update: counter is 1");
  EXPECT_EQ(replayed.failure->schedule, found.failure->shrunk);
}

TEST_F(Explore, RejectsAMalformedSimtimeSchedule) {
  const ScopedEnv token("SIMTIME_SCHEDULE", "s1:x");
  EXPECT_THROW((void)explore(racy), ScheduleTokenError);
}

TEST_F(Explore, RejectsASimtimeScheduleOfAnotherProgram) {
  const ScopedEnv token("SIMTIME_SCHEDULE", "s1:2:1=7");
  try {
    (void)explore(racy);
    FAIL() << "a token naming index 7 replayed";
  } catch (const ScheduleMismatch& mismatch) {
    EXPECT_EQ(mismatch.decision(), 1u);
  }
}

TEST_F(Explore, RejectsAPctDepthBelowOne) {
  try {
    (void)explore(safe, {.policy = ExplorePolicy::pct, .pct_depth = 0});
    FAIL() << "depth 0 was accepted";
  } catch (const std::invalid_argument& error) {
    EXPECT_STREQ(error.what(), "explore: Pct depth 0 is below 1");
  }
}

TEST_F(Explore, RejectsANegativeJitter) {
  try {
    (void)explore(safe, {.jitter = Duration{-1}});
    FAIL() << "a negative jitter was accepted";
  } catch (const std::invalid_argument& error) {
    EXPECT_STREQ(error.what(), "explore: jitter -1ns is negative");
  }
}

TEST_F(Explore, WithJitterRecordsItInTheTokenAndReplaysIt) {
  const Program sleepy = [] {
    return []() -> Coro<> {
      const TimePoint start = now();
      co_await sleep(std::chrono::milliseconds(1));
      if (now() - start > std::chrono::microseconds(900)) throw std::logic_error("a late timer");
    }();
  };
  const ExploreResult result = explore(sleepy, {.schedules = 100, .jitter = std::chrono::milliseconds(1)});
  ASSERT_FALSE(result.passed());
  ASSERT_TRUE(result.failure->schedule.jitter.has_value());
  EXPECT_THAT(result.failure->schedule.token(), HasSubstr(":j1000000@"));
  EXPECT_EQ(replay(sleepy, result.failure->schedule).failure, "a late timer");
}

TEST_F(Explore, OffByDefaultLeavesEveryTimerOnTime) {
  const Program punctual = [] {
    return []() -> Coro<> {
      const TimePoint start = now();
      co_await sleep(std::chrono::milliseconds(1));
      if (now() - start != std::chrono::milliseconds(1)) throw std::logic_error("a late timer");
    }();
  };
  EXPECT_TRUE(explore(punctual, {.schedules = 100}).passed());
}

TEST_F(Explore, ReportsABudgetExceededRunAsAFailure) {
  const Program spinner = [] {
    return []() -> Coro<> {
      while (true) co_await sleep(Duration{0});
    }();
  };
  RunLimits limits;
  limits.max_steps = 1000;
  const ExploreResult result = explore(spinner, {.schedules = 3, .limits = limits});
  ASSERT_FALSE(result.passed());
  EXPECT_THAT(result.failure->message, StartsWith("budget exceeded: max_steps = 1000"));
}

TEST(ExploreSharding, RunsItsSliceOfTheSeedsAndTouchesTheStatusFile) {
  const std::string status =
      (std::filesystem::path(std::getenv("TEST_TMPDIR") != nullptr ? std::getenv("TEST_TMPDIR") : "/tmp") /
       "explore_shard_status")
          .string();
  std::filesystem::remove(status);
  const ScopedEnv total("TEST_TOTAL_SHARDS", "4");
  const ScopedEnv index("TEST_SHARD_INDEX", "2");
  const ScopedEnv file("TEST_SHARD_STATUS_FILE", status.c_str());
  unsetenv("GTEST_TOTAL_SHARDS");
  const ExploreResult result = explore(safe, {.schedules = 10, .seed = 100});
  EXPECT_EQ(result.shard_index, 2u);
  EXPECT_EQ(result.shard_count, 4u);
  EXPECT_EQ(result.first_seed, 105u);
  EXPECT_EQ(result.end_seed, 107u);
  EXPECT_EQ(result.schedules_run, 2u);
  EXPECT_TRUE(std::filesystem::exists(status));
  EXPECT_THAT(result.summary(), HasSubstr("(seeds 105..106, shard 3/4)"));
}

TEST(ExploreSharding, LeavesTheSeedsWholeWhenGoogleTestShardsTheTests) {
  const ScopedEnv total("TEST_TOTAL_SHARDS", "4");
  const ScopedEnv index("TEST_SHARD_INDEX", "2");
  const ScopedEnv gtest("GTEST_TOTAL_SHARDS", "4");
  const ExploreResult result = explore(safe, {.schedules = 10});
  EXPECT_EQ(result.schedules_run, 10u);
  EXPECT_EQ(result.shard_count, 1u);
}

TEST(ExploreSharding, RejectsAShardIndexOutsideTheShards) {
  const ScopedEnv total("TEST_TOTAL_SHARDS", "4");
  const ScopedEnv index("TEST_SHARD_INDEX", "4");
  unsetenv("GTEST_TOTAL_SHARDS");
  try {
    (void)explore(safe, {.schedules = 10});
    FAIL() << "shard 4 of 4 ran";
  } catch (const std::invalid_argument& error) {
    EXPECT_STREQ(error.what(), "explore: TEST_SHARD_INDEX=4 and TEST_TOTAL_SHARDS=4 are not a shard");
  }
}

RC_GTEST_PROP(ShardSlice, TheShardsCoverEverySeedOnceInOrder, ()) {
  const auto schedules = *rc::gen::inRange<std::uint64_t>(0, 100'000);
  const auto count = *rc::gen::inRange<unsigned>(1, 64);
  std::uint64_t next = 0;
  for (unsigned shard = 0; shard < count; ++shard) {
    const SeedSlice slice = shard_slice(schedules, shard, count);
    RC_ASSERT(slice.first == next);
    RC_ASSERT(slice.end >= slice.first);
    RC_ASSERT(slice.end - slice.first <= schedules / count + 1);
    next = slice.end;
  }
  RC_ASSERT(next == schedules);
}

TEST(ShardSlice, DoesNotOverflowForHugeSweeps) {
  const std::uint64_t huge = std::numeric_limits<std::uint64_t>::max();
  EXPECT_EQ(shard_slice(huge, 3, 4).end, huge);
  EXPECT_EQ(shard_slice(huge, 0, 2).end, huge / 2);
}

TEST(RunFingerprint, IsTheSameForTheSameSeedAndDiffersAcrossOrders) {
  RandomSchedule first(3);
  RandomSchedule second(3);
  const RunOutcome a = run_once(safe, first);
  const RunOutcome b = run_once(safe, second);
  EXPECT_EQ(a.fingerprint, b.fingerprint);
  Fifo fifo;
  const RunOutcome in_fifo = run_once(safe, fifo);
  EXPECT_NE(a.fingerprint, in_fifo.fingerprint);
}

TEST(RunFingerprint, CountsStepsAndOfAnEmptyRunIsStable) {
  VirtualClock clock;
  Loop loop(clock);
  RunFingerprint fingerprint(loop);
  EXPECT_EQ(fingerprint.steps(), 0u);
  EXPECT_EQ(fingerprint.value(), RunFingerprint::mix(RunFingerprint::empty, 0));
  loop.run([]() -> Coro<> { co_return; }());
  EXPECT_EQ(fingerprint.steps(), 1u);
}

}  // namespace
}  // namespace simtime::testing

// examples/bank_transfer: the check-then-act bug passes under FIFO, is found by
// RandomSchedule and by Pct, shrinks to one deviation and replays from its token; the
// locked version passes 10,000 schedules.
#include "examples/bank_transfer.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <simtime/simtime.hpp>
#include <string>
#include <unordered_set>
#include <vector>

#include "simtime/testing/explore.hpp"
#include "simtime/testing/policies.hpp"

namespace bank_transfer {
namespace {

using simtime::testing::explore;
using simtime::testing::ExplorePolicy;
using ::testing::StartsWith;

const simtime::testing::Program buggy = [] { return business_day(Version::check_then_act); };
const simtime::testing::Program fixed = [] { return business_day(Version::locked); };

constexpr const char* overdraft = "account 'joint' is overdrawn: -30 after bob's withdrawal of 50";

TEST(BankTransfer, PassesUnderFifo) {
  simtime::VirtualClock clock;
  EXPECT_NO_THROW(simtime::run(business_day(Version::check_then_act), clock));
  EXPECT_TRUE(explore(buggy, {.schedules = 10, .policy = ExplorePolicy::fifo}).passed());
}

TEST(BankTransfer, RandomScheduleFindsTheOverdraftWithinTwentySchedules) {
  const auto result = explore(buggy, {.schedules = 20});
  ASSERT_FALSE(result.passed());
  EXPECT_THAT(result.failure->message, StartsWith(overdraft));
}

TEST(BankTransfer, PctFindsTheOverdraftWithinTwentySchedulesAtEveryDepth) {
  for (const int depth : {1, 2, 3}) {
    const auto result = explore(buggy, {.schedules = 20, .policy = ExplorePolicy::pct, .pct_depth = depth});
    ASSERT_FALSE(result.passed()) << "depth " << depth;
    EXPECT_THAT(result.failure->message, StartsWith(overdraft));
  }
}

TEST(BankTransfer, TheFailureShrinksToOneDeviationFromFifo) {
  for (std::uint64_t seed : {0, 1, 2, 3}) {
    const auto result = explore(buggy, {.schedules = 20, .seed = seed * 100});
    ASSERT_FALSE(result.passed());
    EXPECT_EQ(result.failure->shrunk.deviations(), 1u) << result;
    EXPECT_THAT(result.failure->shrunk_message, StartsWith(overdraft));
  }
}

TEST(BankTransfer, ThePrintedTokenReplaysTheSameFailureEveryTime) {
  const auto result = explore(buggy, {.schedules = 20});
  ASSERT_FALSE(result.passed());
  for (const std::string& token :
       std::vector<std::string>{result.failure->schedule.token(), result.failure->shrunk.token()}) {
    const auto schedule = simtime::testing::Schedule::parse(token);
    for (int i = 0; i < 100; ++i) {
      const auto again = simtime::testing::replay(buggy, schedule);
      ASSERT_TRUE(again.failure.has_value()) << token << " passed on replay " << i;
      ASSERT_EQ(*again.failure,
                token == result.failure->schedule.token() ? result.failure->message : result.failure->shrunk_message);
    }
  }
}

TEST(BankTransfer, TheLockedVersionPassesTenThousandSchedules) {
  const auto random = explore(fixed, {.schedules = 10'000});
  EXPECT_TRUE(random.passed()) << random;
  EXPECT_EQ(random.schedules_run, 10'000u);
  const auto pct = explore(fixed, {.schedules = 2'000, .policy = ExplorePolicy::pct, .seed = 1});
  EXPECT_TRUE(pct.passed()) << pct;
}

TEST(BankTransfer, TheSameSeedGivesTheSameTraceAndSeedsGiveDistinctOnes) {
  // Rule 19, for the example: 10,000 seeds, each run twice.
  std::unordered_set<std::uint64_t> distinct;
  for (std::uint64_t seed = 0; seed < 10'000; ++seed) {
    simtime::testing::RandomSchedule first(seed);
    simtime::testing::RandomSchedule second(seed);
    const auto a = simtime::testing::run_once(fixed, first);
    const auto b = simtime::testing::run_once(fixed, second);
    ASSERT_EQ(a.fingerprint, b.fingerprint) << "seed " << seed;
    ASSERT_EQ(a.schedule, b.schedule) << "seed " << seed;
    distinct.insert(a.fingerprint);
  }
  EXPECT_GE(distinct.size(), 9'000u);
}

}  // namespace
}  // namespace bank_transfer

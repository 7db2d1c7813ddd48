// A schedule is data (rule 21): tokens that print and parse back, errors that name the token
// and the fault, and Replay, which re-runs a schedule exactly or says where it diverges.
#include "simtime/testing/schedule.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cstdint>
#include <simtime/simtime.hpp>
#include <string>
#include <vector>

#include "simtime/testing/policies.hpp"

namespace simtime::testing {
namespace {

using ::testing::HasSubstr;

std::string parse_error(const std::string& token) {
  try {
    (void)Schedule::parse(token);
  } catch (const ScheduleTokenError& error) {
    return error.what();
  }
  return "parsed";
}

TEST(ScheduleToken, SpellsOnlyTheDecisionsThatAreNotFifos) {
  EXPECT_EQ((Schedule{{0, 1, 0, 2}, {}}).token(), "s1:4:1=1,3=2");
  EXPECT_EQ((Schedule{{0, 0, 0}, {}}).token(), "s1:3");
  EXPECT_EQ(Schedule{}.token(), "s1:0");
}

TEST(ScheduleToken, CarriesTheJitterARunHad) {
  EXPECT_EQ((Schedule{{0, 1}, Jitter{Duration{1000}, 5}}).token(), "s1:2:1=1:j1000@5");
  EXPECT_EQ((Schedule{{0, 0}, Jitter{Duration{1000}, 5}}).token(), "s1:2::j1000@5");
}

TEST(ScheduleToken, ParsesBackToTheSameSchedule) {
  for (const Schedule& schedule : {Schedule{{0, 1, 0, 2}, {}}, Schedule{}, Schedule{{0, 0}, Jitter{Duration{7}, 3}},
                                   Schedule{{4}, Jitter{Duration{0}, 0}}}) {
    EXPECT_EQ(Schedule::parse(schedule.token()), schedule) << schedule.token();
  }
}

RC_GTEST_PROP(ScheduleToken, EveryScheduleRoundTrips, (const std::vector<std::uint8_t>& decisions)) {
  Schedule schedule;
  schedule.decisions.assign(decisions.begin(), decisions.end());
  RC_ASSERT(Schedule::parse(schedule.token()) == schedule);
}

TEST(ScheduleToken, CountsItsDeviations) { EXPECT_EQ(Schedule::parse("s1:9:1=1,5=3").deviations(), 2u); }

TEST(ScheduleToken, RejectsAForeignToken) {
  EXPECT_EQ(parse_error("1234"), "schedule token '1234': does not start with 's1:' (not a simtime schedule token)");
  EXPECT_EQ(parse_error(""), "schedule token '': does not start with 's1:' (not a simtime schedule token)");
}

TEST(ScheduleToken, RejectsAVersionItDoesNotRead) {
  EXPECT_EQ(parse_error("s2:4"), "schedule token 's2:4': version 's2' is not one this simtime reads (it reads 's1')");
}

TEST(ScheduleToken, RejectsACountThatIsNotANumber) {
  EXPECT_EQ(parse_error("s1:x"), "schedule token 's1:x': the decision count 'x' is not a number");
  EXPECT_EQ(parse_error("s1:-3"), "schedule token 's1:-3': the decision count '-3' is not a number");
  EXPECT_EQ(parse_error("s1:"), "schedule token 's1:': the decision count '' is not a number");
}

TEST(ScheduleToken, RejectsACountTooLargeToHold) {
  EXPECT_EQ(parse_error("s1:99999999"),
            "schedule token 's1:99999999': the decision count 99999999 is beyond the 16777216 a token may hold");
}

TEST(ScheduleToken, RejectsAMalformedDeviation) {
  EXPECT_EQ(parse_error("s1:4:3-1"), "schedule token 's1:4:3-1': deviation '3-1' is not <decision>=<index> in decimal");
  EXPECT_EQ(parse_error("s1:4:1=1,"), "schedule token 's1:4:1=1,': deviation '' is not <decision>=<index> in decimal");
  EXPECT_EQ(parse_error("s1:4:a=1"), "schedule token 's1:4:a=1': deviation 'a=1' is not <decision>=<index> in decimal");
}

TEST(ScheduleToken, RejectsADeviationPastItsDecisions) {
  EXPECT_EQ(parse_error("s1:4:4=1"),
            "schedule token 's1:4:4=1': deviation '4=1' is at decision 4, past the token's 4 decisions");
}

TEST(ScheduleToken, RejectsDeviationsOutOfOrder) {
  EXPECT_EQ(parse_error("s1:9:5=1,2=1"),
            "schedule token 's1:9:5=1,2=1': deviation '2=1' does not come after decision 5");
  EXPECT_EQ(parse_error("s1:9:5=1,5=2"),
            "schedule token 's1:9:5=1,5=2': deviation '5=2' does not come after decision 5");
}

TEST(ScheduleToken, RejectsASpelledOutFifoChoice) {
  EXPECT_EQ(parse_error("s1:4:2=0"), "schedule token 's1:4:2=0': deviation '2=0' spells out a FIFO choice (0)");
}

TEST(ScheduleToken, RejectsMalformedJitter) {
  EXPECT_EQ(parse_error("s1:4::k5@1"),
            "schedule token 's1:4::k5@1': jitter 'k5@1' is not j<bound ns>@<seed> in decimal");
  EXPECT_EQ(parse_error("s1:4::j5"), "schedule token 's1:4::j5': jitter 'j5' is not j<bound ns>@<seed> in decimal");
  EXPECT_EQ(parse_error("s1:4::j5@"), "schedule token 's1:4::j5@': jitter 'j5@' is not j<bound ns>@<seed> in decimal");
}

TEST(ScheduleToken, RejectsExtraFields) {
  EXPECT_EQ(parse_error("s1:4:1=1:j5@1:x"),
            "schedule token 's1:4:1=1:j5@1:x': has more than 3 fields after 's1:' (count, deviations, jitter)");
}

// Three tasks that yield to each other; `order` records who stepped.
Coro<> worker(char name, std::string& order) {
  for (int round = 0; round < 3; ++round) {
    order += name;
    co_await sleep(Duration{0});
  }
}

Coro<> three_workers(std::string& order) {
  auto a = create_task(worker('a', order));
  auto b = create_task(worker('b', order));
  auto c = create_task(worker('c', order));
  co_await a;
  co_await b;
  co_await c;
}

struct Recorded {
  std::string order;
  std::vector<std::uint32_t> decisions;
};

Recorded run_under(SchedulePolicy& policy) {
  VirtualClock clock;
  Loop loop(clock);
  loop.set_schedule(&policy);
  Recorded run;
  loop.run(three_workers(run.order));
  run.decisions = loop.schedule_decisions();
  return run;
}

TEST(Replay, ReRunsARecordedScheduleExactly) {
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    RandomSchedule random(seed);
    const Recorded original = run_under(random);
    Replay replay(Schedule::parse(Schedule{original.decisions, {}}.token()));
    const Recorded again = run_under(replay);
    EXPECT_EQ(again.order, original.order) << "seed " << seed;
    EXPECT_EQ(again.decisions, original.decisions);
    EXPECT_NO_THROW(replay.finish());
  }
}

TEST(Replay, ThatRunsOutIsAMismatchAtTheDecisionItLacks) {
  Replay replay(std::vector<std::uint32_t>{1, 0});
  try {
    (void)run_under(replay);
    FAIL() << "a schedule of 2 decisions replayed a program that takes more";
  } catch (const ScheduleMismatch& mismatch) {
    EXPECT_EQ(mismatch.decision(), 2u);
    EXPECT_STREQ(mismatch.what(),
                 "schedule mismatch at decision 2: the schedule has only 2 decisions and the program asks for more (a "
                 "token recorded for another program, or the program changed)");
  }
}

TEST(Replay, ThatNamesATaskThatIsNotThereIsAMismatchAtThatDecision) {
  Replay replay(std::vector<std::uint32_t>{0, 5});
  try {
    (void)run_under(replay);
    FAIL() << "index 5 of 2 runnable tasks was taken";
  } catch (const ScheduleMismatch& mismatch) {
    EXPECT_EQ(mismatch.decision(), 1u);
    EXPECT_STREQ(mismatch.what(),
                 "schedule mismatch at decision 1: the schedule chooses index 5, but only 2 tasks are runnable "
                 "(indexes 0 to 1)");
  }
}

TEST(Replay, ThatIsNotUsedUpIsAMismatchWhenTheRunEnds) {
  Fifo fifo;
  const std::size_t taken = run_under(fifo).decisions.size();
  std::vector<std::uint32_t> longer(taken + 3, 0);
  Replay replay(longer);
  (void)run_under(replay);
  try {
    replay.finish();
    FAIL() << "a schedule longer than the run was used up";
  } catch (const ScheduleMismatch& mismatch) {
    EXPECT_EQ(mismatch.decision(), taken);
    EXPECT_THAT(mismatch.what(),
                HasSubstr(fmt::format("the run ended after {} decisions, but the schedule has {}", taken, taken + 3)));
  }
}

TEST(ScheduleFormatter, PrintsTheToken) { EXPECT_EQ(fmt::format("{}", Schedule{{0, 2}, {}}), "s1:2:1=2"); }

}  // namespace
}  // namespace simtime::testing

// run_virtual and CO_TEST: a coroutine on a fresh virtual clock, with budgets and a trace.
#include "simtime/testing/run_virtual.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <simtime/simtime.hpp>
#include <stdexcept>
#include <string>

#include "simtime/testing/co_test.hpp"
#include "simtime/testing/matchers.hpp"

namespace {

using namespace std::chrono_literals;
using simtime::Coro;
using simtime::testing::run_virtual;
using ::testing::HasSubstr;

Coro<int> answer_later() {
  co_await simtime::sleep(1500ms);
  simtime::testing::mark("answered");
  co_return 42;
}

TEST(RunVirtual, GivesBackTheValueTheElapsedTimeAndTheTrace) {
  const auto r = run_virtual(answer_later());
  EXPECT_EQ(r.value, 42);
  EXPECT_EQ(r.elapsed, 1500ms);
  EXPECT_THAT(r.trace, simtime::testing::HappenedAt("answered", 1500ms));
}

Coro<> nothing_but_sleep() { co_await simtime::sleep(3s); }

TEST(RunVirtual, RunsAVoidCoroutine) {
  const auto r = run_virtual(nothing_but_sleep());
  EXPECT_EQ(r.elapsed, 3s);
  EXPECT_THAT(r.trace, simtime::testing::ElapsedIs(3s));
}

TEST(RunVirtual, CanRunWithoutATrace) {
  const auto r = run_virtual(nothing_but_sleep(), {.trace = false});
  EXPECT_EQ(r.elapsed, 3s);
  EXPECT_TRUE(r.trace.empty());
}

Coro<> yields_forever() {
  for (;;) co_await simtime::sleep(0s);
}

Coro<> two_yielders() {
  auto ping = simtime::create_task(yields_forever(), "ping");
  auto pong = simtime::create_task(yields_forever(), "pong");
  co_await simtime::gather(ping, pong);
}

TEST(RunVirtual, EndsALivelockWithTheSpinningTasksAndTheTimelineSoFar) {
  const simtime::LiveObjects before = simtime::live_objects();
  try {
    run_virtual(two_yielders(), {.max_steps_at_one_instant = 1000});
    FAIL() << "the livelock was not stopped";
  } catch (const simtime::BudgetExceededError& error) {
    const std::string message = error.what();
    EXPECT_THAT(message, ::testing::StartsWith("budget exceeded: max_steps_at_one_instant = 1000 at virtual time 0s"));
    EXPECT_THAT(message, HasSubstr("'ping' (created at "));
    EXPECT_THAT(message, HasSubstr("'pong' (created at "));
    EXPECT_THAT(message, HasSubstr("\nthe timeline so far:\ntimeline 0s .. 0s, 3 tasks"));
  }
  EXPECT_EQ(simtime::live_objects(), before) << "every task was cleaned up";
}

Coro<> ticks_forever() {
  for (;;) co_await simtime::sleep(1s);
}

TEST(RunVirtual, EndsARunawayTimerLoopAtTheTimeBudget) {
  try {
    run_virtual(ticks_forever(), {.max_virtual_time = 1h});
    FAIL() << "the runaway was not stopped";
  } catch (const simtime::BudgetExceededError& error) {
    EXPECT_THAT(error.what(),
                ::testing::StartsWith("budget exceeded: max_virtual_time = 3600s: the next timer is due at "
                                      "3601s, 3601s after the run began at 0s; 3601 steps taken"));
    EXPECT_THAT(error.what(), HasSubstr("the timeline so far:\ntimeline 0s .. 3600s, 1 task"));
  }
}

TEST(RunVirtual, EndsARunAtTheStepBudget) {
  EXPECT_THROW(run_virtual(ticks_forever(), {.max_steps = 10}), simtime::BudgetExceededError);
}

Coro<> waits_for_nothing() {
  simtime::Event never("never");
  co_await never.wait();
}

TEST(RunVirtual, AddsTheTimelineToADeadlock) {
  try {
    run_virtual(waits_for_nothing());
    FAIL() << "no deadlock";
  } catch (const simtime::DeadlockError& error) {
    EXPECT_THAT(error.what(), ::testing::StartsWith("deadlock at 0s"));
    EXPECT_THAT(error.what(), HasSubstr("the timeline so far:\ntimeline 0s .. 0s, 1 task"));
  }
}

Coro<> fails_at_two_seconds() {
  co_await simtime::sleep(2s);
  throw std::invalid_argument("bad input");
}

TEST(RunVirtual, LetsOtherExceptionsEscapeUnchanged) {
  try {
    run_virtual(fails_at_two_seconds());
    FAIL() << "no exception";
  } catch (const std::invalid_argument& error) {
    EXPECT_STREQ(error.what(), "bad input");
  }
}

TEST(RunVirtual, WritesTheTraceIntoTheTestOutputsWhenTheRunFails) {
  const std::filesystem::path directory = std::filesystem::temp_directory_path() / "simtime-run-virtual-test";
  std::filesystem::remove_all(directory);
  std::filesystem::create_directories(directory);
  const char* const saved = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR");
  const std::string restore = saved != nullptr ? saved : "";
  ::setenv("TEST_UNDECLARED_OUTPUTS_DIR", directory.c_str(), 1);
  EXPECT_THROW(run_virtual(fails_at_two_seconds()), std::invalid_argument);
  if (saved != nullptr) {
    ::setenv("TEST_UNDECLARED_OUTPUTS_DIR", restore.c_str(), 1);
  } else {
    ::unsetenv("TEST_UNDECLARED_OUTPUTS_DIR");
  }
  const std::filesystem::path written =
      directory / "RunVirtual.WritesTheTraceIntoTheTestOutputsWhenTheRunFails.trace.json";
  ASSERT_TRUE(std::filesystem::exists(written));
  std::ifstream in(written);
  const std::string json((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_THAT(json, HasSubstr(R"("name":"threw: bad input")"));
  std::filesystem::remove_all(directory);
}

CO_TEST(CoTest, RunsItsBodyOnAVirtualClock) {
  co_await simtime::sleep(1h);
  EXPECT_EQ(simtime::now(), simtime::TimePoint{1h});
}

}  // namespace

// What //:testing_main does for every test linked with it: a livelock guard on every loop,
// unretrieved exceptions failing the test, and where an escaping exception came from.
#include <gmock/gmock.h>
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <chrono>
#include <simtime/simtime.hpp>
#include <stdexcept>
#include <string>

namespace {

using namespace std::chrono_literals;
using simtime::Coro;
using ::testing::HasSubstr;

bool ready = false;

Coro<> poll_until_ready() {
  while (!ready) co_await simtime::sleep(0s);  // never set: a livelock at one instant
}

Coro<> waits_for_the_poller() {
  auto poller = simtime::create_task(poll_until_ready(), "poller");
  co_await poller;
}

TEST(TestingMain, EndsASleepZeroPollerInAPlainRunNamingIt) {
  if (simtime::Loop::default_limits().max_steps_at_one_instant == 0) {
    GTEST_SKIP() << "no livelock guard: SIMTIME_TEST_PLAIN_TURN=1 runs the plain turn";
  }
  simtime::VirtualClock clock;
  try {
    simtime::run(waits_for_the_poller(), clock);
    FAIL() << "the poller spun forever";
  } catch (const simtime::BudgetExceededError& error) {
    EXPECT_THAT(error.what(), ::testing::StartsWith("budget exceeded: max_steps_at_one_instant = "));
    EXPECT_THAT(error.what(), HasSubstr("at virtual time 0s"));
    EXPECT_THAT(error.what(),
                HasSubstr("the tasks that kept running: 'poller' (created at tests/testing_main_test.cc:"));
  }
}

Coro<> yield_forever() {
  for (;;) co_await simtime::sleep(0s);
}

Coro<> two_tasks_yielding_to_each_other() {
  co_await simtime::sleep(1s);
  auto ping = simtime::create_task(yield_forever(), "ping");
  auto pong = simtime::create_task(yield_forever(), "pong");
  co_await simtime::gather(ping, pong);
}

TEST(TestingMain, EndsTwoTasksYieldingToEachOtherNamingBoth) {
  if (simtime::Loop::default_limits().max_steps_at_one_instant == 0) {
    GTEST_SKIP() << "no livelock guard: SIMTIME_TEST_PLAIN_TURN=1 runs the plain turn";
  }
  simtime::VirtualClock clock;
  try {
    simtime::run(two_tasks_yielding_to_each_other(), clock);
    FAIL() << "the two tasks yielded forever";
  } catch (const simtime::BudgetExceededError& error) {
    EXPECT_THAT(error.what(), HasSubstr("at virtual time 1s"));
    EXPECT_THAT(error.what(), HasSubstr("'ping' (created at "));
    EXPECT_THAT(error.what(), HasSubstr("'pong' (created at "));
  }
}

Coro<> fails_unseen() {
  co_await simtime::sleep(1s);
  throw std::runtime_error("nobody looks at this");
}

Coro<> leaves_a_failure_unretrieved() {
  simtime::create_task(fails_unseen(), "forgotten");
  co_await simtime::sleep(2s);
}

void run_leaving_a_failure_unretrieved() {
  simtime::VirtualClock clock;
  simtime::run(leaves_a_failure_unretrieved(), clock);
}

TEST(TestingMain, FailsTheTestOnAnUnretrievedException) {
  EXPECT_NONFATAL_FAILURE(run_leaving_a_failure_unretrieved(),
                          "Task exception was never retrieved: task 'forgotten' created at "
                          "tests/testing_main_test.cc:");
}

Coro<> fails_in_a_worker() {
  co_await simtime::sleep(5s);
  throw std::runtime_error("disk full");
}

Coro<> awaits_the_worker() {
  auto worker = simtime::create_task(fails_in_a_worker(), "worker");
  co_await worker;
}

TEST(TestingMain, KnowsWhichTaskAnEscapingExceptionCameFrom) {
  if (simtime::Loop::default_limits().max_steps_at_one_instant == 0) {
    GTEST_SKIP() << "no livelock guard: SIMTIME_TEST_PLAIN_TURN=1 runs the plain turn";
  }
  simtime::VirtualClock clock;
  EXPECT_THROW(simtime::run(awaits_the_worker(), clock), std::runtime_error);
  EXPECT_THAT(simtime::Loop::origin_of_last_exception(),
              ::testing::MatchesRegex("task 'worker' \\(created at tests/testing_main_test.cc:[0-9]+\\) ended with it "
                                      "at virtual time 5s"));
}

Coro<> returns() { co_return; }

TEST(TestingMain, ForgetsTheOriginOnceARunReturns) {
  if (simtime::Loop::default_limits().max_steps_at_one_instant == 0) {
    GTEST_SKIP() << "no livelock guard: SIMTIME_TEST_PLAIN_TURN=1 runs the plain turn";
  }
  simtime::VirtualClock clock;
  EXPECT_THROW(simtime::run(awaits_the_worker(), clock), std::runtime_error);
  simtime::run(returns(), clock);
  EXPECT_EQ(simtime::Loop::origin_of_last_exception(), "");
}

}  // namespace

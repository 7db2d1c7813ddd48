// A test that fails on purpose, to show what a failing simtime test prints: the matcher's
// explanation, then the trace's timeline. Tagged manual, so `bazel test //...` skips it:
//
//   bazel test //examples:failing_timeline_test --test_output=all
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <simtime/simtime.hpp>
#include <simtime/testing/matchers.hpp>
#include <simtime/testing/run_virtual.hpp>
#include <stdexcept>
#include <string>

#include "examples/asyncio_demo.hpp"

namespace {

using namespace std::chrono_literals;
using simtime::testing::HappenedAt;
using simtime::testing::run_virtual;
using simtime::testing::WokeInOrder;

void print_nothing(const std::string&) {}

// Expects the sleepers in the order they were created, which is not the order they wake.
TEST(FailingTimeline, ExpectsTheSleepersInCreationOrder) {
  const auto r = run_virtual(demo::tutorial(demo::Mode::async, print_nothing));
  EXPECT_THAT(r.trace, WokeInOrder("sleep 2", "sleep 10", "sleep 5"));
}

// Expects the sleeper of 5 s to end a little early.
TEST(FailingTimeline, ExpectsTheFiveSecondSleeperAtFourAndAHalf) {
  const auto r = run_virtual(demo::tutorial(demo::Mode::async, print_nothing));
  EXPECT_THAT(r.trace, HappenedAt("sleep 5", 4500ms));
}

simtime::Coro<> fails_in_a_worker() {
  co_await simtime::sleep(3s);
  throw std::runtime_error("connection reset");
}

simtime::Coro<> awaits_a_failing_worker() {
  auto worker = simtime::create_task(fails_in_a_worker(), "worker");
  co_await worker;
}

// An exception escaping a plain simtime::run: the test main says where it came from.
TEST(FailingTimeline, LetsAnExceptionEscapeTheRun) {
  simtime::VirtualClock clock;
  simtime::run(awaits_a_failing_worker(), clock);
}

}  // namespace

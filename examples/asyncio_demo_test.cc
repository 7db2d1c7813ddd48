// The asyncio tutorial's demo, checked with the trace matchers: the sleepers wake in the order
// 2, 5, 10, each at its exact time, and the whole run takes exactly 10 s of virtual time.
#include "examples/asyncio_demo.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <simtime/simtime.hpp>
#include <simtime/testing/matchers.hpp>
#include <simtime/testing/run_virtual.hpp>
#include <string>

namespace {

using namespace std::chrono_literals;
using simtime::testing::ElapsedIs;
using simtime::testing::HappenedAt;
using simtime::testing::HappenedBefore;
using simtime::testing::run_virtual;
using simtime::testing::WokeInOrder;

void print_nothing(const std::string&) {}

TEST(AsyncioDemo, WakesTheSleepersInTheOrderTwoFiveTen) {
  const auto r = run_virtual(demo::tutorial(demo::Mode::async, print_nothing));
  EXPECT_THAT(r.trace, WokeInOrder("sleep 2", "sleep 5", "sleep 10"));
}

TEST(AsyncioDemo, EndsEachSleeperAtItsExactTime) {
  const auto r = run_virtual(demo::tutorial(demo::Mode::async, print_nothing));
  EXPECT_THAT(r.trace, HappenedAt("sleep 2", 2s));
  EXPECT_THAT(r.trace, HappenedAt("sleep 5", 5s));
  EXPECT_THAT(r.trace, HappenedAt("sleep 10", 10s));
  EXPECT_THAT(r.trace, HappenedBefore("sleep 10", "Task-1"));  // main ends after its last sleeper
}

TEST(AsyncioDemo, TakesExactlyTenSecondsConcurrently) {
  const auto r = run_virtual(demo::tutorial(demo::Mode::async, print_nothing));
  EXPECT_EQ(r.elapsed, 10s);
  EXPECT_THAT(r.trace, ElapsedIs(10s));
}

TEST(AsyncioDemo, TakesExactlySeventeenSecondsOneAfterAnother) {
  const auto r = run_virtual(demo::tutorial(demo::Mode::sync, print_nothing));
  EXPECT_THAT(r.trace, ElapsedIs(17s));
}

}  // namespace

#include "simtime/shield.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <simtime/simtime.hpp>
#include <stdexcept>
#include <string>

#include "tests/timeline.hpp"

namespace simtime {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;

using test::value_after;

// test_tasks.py: test_shield_result
TEST(Shield, YieldsTheTasksResult) {
  VirtualClock clock;
  auto body = []() -> Coro<int> { co_return co_await shield(value_after(1s, 42)); };
  EXPECT_EQ(run(body(), clock), 42);
}

// test_tasks.py: test_shield_exception
TEST(Shield, RethrowsTheTasksException) {
  VirtualClock clock;
  auto body = []() -> Coro<std::string> {
    try {
      co_await shield([]() -> Coro<> {
        co_await sleep(1s);
        throw std::runtime_error("inner failed");
      }());
    } catch (const std::runtime_error& error) {
      co_return error.what();
    }
    co_return "no error";
  };
  EXPECT_EQ(run(body(), clock), "inner failed");
}

// test_tasks.py: test_shield_cancel_outer (the awaiter is cancelled; the inner task runs on)
TEST(Shield, CancellingTheAwaiterLeavesTheTaskRunning) {
  VirtualClock clock;
  test::Timeline timeline;
  auto body = [&]() -> Coro<std::string> {
    auto inner = create_task(value_after(5s, 7));
    auto outer = create_task([](Task<int> task, test::Timeline& out) -> Coro<> {
      try {
        co_await shield(task);
      } catch (const CancelledError&) {
        out.note("outer cancelled");
        throw;
      }
    }(inner, timeline));
    co_await sleep(1s);
    outer.cancel();
    const int value = co_await inner;
    timeline.note("inner finished with " + std::to_string(value));
    co_return std::to_string(outer.cancelled()) + std::to_string(inner.cancelled());
  };
  EXPECT_EQ(run(body(), clock), "10");
  EXPECT_THAT(timeline.lines(), ElementsAre("1s outer cancelled", "5s inner finished with 7"));
}

// test_tasks.py: test_shield_cancel_inner
TEST(Shield, CancellingTheTaskItselfStillCancelsIt) {
  VirtualClock clock;
  auto body = []() -> Coro<std::string> {
    auto inner = create_task(value_after(5s, 7));
    auto outer = create_task([](Task<int> task) -> Coro<int> { co_return co_await shield(task); }(inner));
    co_await sleep(1s);
    inner.cancel();
    try {
      co_await outer;
    } catch (const CancelledError&) {
      co_return "outer saw CancelledError";
    }
    co_return "outer finished";
  };
  EXPECT_EQ(run(body(), clock), "outer saw CancelledError");
}

// test_tasks.py: test_shield_shortcut
TEST(Shield, AFinishedTaskIsYieldedWithoutSuspending) {
  VirtualClock clock;
  auto body = []() -> Coro<int> {
    auto task = create_task(value_after(0s, 3));
    co_await sleep(1s);
    co_return co_await shield(task);
  };
  EXPECT_EQ(run(body(), clock), 3);
}

TEST(Shield, ProtectsWorkFromATimeLimit) {
  VirtualClock clock;
  // wait_for takes Coros and Tasks; a shielded Task is awaited through a small Coro instead.
  auto shielded_wait = []() -> Coro<std::string> {
    auto work = create_task(value_after(5s, 9));
    std::string seen;
    try {
      co_await wait_for([](Task<int> task) -> Coro<int> { co_return co_await shield(task); }(work), 1s);
    } catch (const TimeoutError&) {
      seen = "TimeoutError at " + format_time(now());
    }
    co_return seen + ", work gave " + std::to_string(co_await work) + " at " + format_time(now());
  };
  EXPECT_EQ(run(shielded_wait(), clock), "TimeoutError at 1s, work gave 9 at 5s");
}

TEST(Shield, AMoveOnlyResultIsMovedOut) {
  VirtualClock clock;
  auto body = []() -> Coro<int> {
    auto box = co_await shield([]() -> Coro<std::unique_ptr<int>> { co_return std::make_unique<int>(4); }());
    co_return *box;
  };
  EXPECT_EQ(run(body(), clock), 4);
}

}  // namespace
}  // namespace simtime

#include "simtime/gather.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

#include <simtime/simtime.hpp>

#include "tests/timeline.hpp"

namespace simtime {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;

Coro<int> value_after(Duration delay, int value) {
  co_await sleep(delay);
  co_return value;
}

Coro<std::string> text_after(Duration delay, std::string text) {
  co_await sleep(delay);
  co_return text;
}

Coro<> nothing_after(Duration delay) { co_await sleep(delay); }

Coro<std::tuple<int, std::string, std::monostate>> mixed() {
  co_return co_await gather(value_after(3s, 1), text_after(1s, "two"), nothing_after(2s));
}

TEST(Gather, ReturnsResultsInArgumentOrder) {
  VirtualClock clock;
  const auto [number, text, nothing] = run(mixed(), clock);
  EXPECT_EQ(number, 1);
  EXPECT_EQ(text, "two");
  EXPECT_EQ(nothing, std::monostate{});
  EXPECT_EQ(clock.now(), TimePoint{3s});
}

Coro<std::vector<int>> from_range() {
  std::vector<Coro<int>> coros;
  for (int i = 0; i < 5; ++i) coros.push_back(value_after(std::chrono::seconds(5 - i), i));
  co_return co_await gather(std::move(coros));
}

TEST(Gather, ARangeGivesAVectorInRangeOrder) {
  VirtualClock clock;
  EXPECT_THAT(run(from_range(), clock), ElementsAre(0, 1, 2, 3, 4));
  EXPECT_EQ(clock.now(), TimePoint{5s});
}

Coro<std::vector<int>> from_tasks() {
  std::vector<Task<int>> tasks;
  tasks.push_back(create_task(value_after(2s, 10)));
  tasks.push_back(create_task(value_after(1s, 20)));
  auto results = co_await gather(tasks);
  // The caller's handles still see the results.
  results.push_back(tasks[0].result() + tasks[1].result());
  co_return results;
}

TEST(Gather, AcceptsTasksAndLeavesTheirResultsReadable) {
  VirtualClock clock;
  EXPECT_THAT(run(from_tasks(), clock), ElementsAre(10, 20, 30));
}

Coro<std::size_t> empty_gathers() {
  auto none = co_await gather();
  auto empty = co_await gather(std::vector<Task<int>>{});
  co_return std::tuple_size_v<decltype(none)> + empty.size();
}

TEST(Gather, NothingToGatherCompletesAtOnce) {
  VirtualClock clock;
  EXPECT_EQ(run(empty_gathers(), clock), 0u);
  EXPECT_EQ(clock.now(), TimePoint{});
}

Coro<std::unique_ptr<int>> boxed_after(Duration delay, int value) {
  co_await sleep(delay);
  co_return std::make_unique<int>(value);
}

Coro<int> move_only_results() {
  auto [a, b] = co_await gather(boxed_after(1s, 4), boxed_after(2s, 5));
  co_return *a * *b;
}

TEST(Gather, MovesMoveOnlyResultsOut) {
  VirtualClock clock;
  EXPECT_EQ(run(move_only_results(), clock), 20);
}

Coro<int> fail_after(Duration delay, std::string message) {
  co_await sleep(delay);
  throw std::runtime_error(message);
}

Coro<> note_after(Duration delay, test::Timeline& timeline, std::string what) {
  co_await sleep(delay);
  timeline.note(what);
}

Coro<> first_exception(test::Timeline& timeline) {
  try {
    co_await gather(note_after(5s, timeline, "slow child finished"), fail_after(1s, "first"),
                    fail_after(2s, "second"));
  } catch (const std::runtime_error& error) {
    timeline.note(std::string("gather threw ") + error.what());
  }
  co_await sleep(10s);
}

TEST(Gather, TheFirstExceptionPropagatesAtOnceAndTheOthersKeepRunning) {
  VirtualClock clock;
  Loop loop(clock);
  int reports = 0;
  loop.set_exception_handler([&](const UnretrievedException&) { ++reports; });
  test::Timeline timeline;
  loop.run(first_exception(timeline));
  EXPECT_THAT(timeline.lines(), ElementsAre("1s gather threw first", "5s slow child finished"));
  EXPECT_EQ(reports, 0) << "the second failure belongs to the gather, as in asyncio";
}

Coro<> cancel_a_gather(test::Timeline& timeline) {
  auto gathering = create_task([](test::Timeline& out) -> Coro<> {
    try {
      co_await gather(note_after(5s, out, "a"), note_after(6s, out, "b"));
    } catch (const CancelledError&) {
      out.note("gather cancelled");
      throw;
    }
  }(timeline));
  co_await sleep(2s);
  gathering.cancel();
  co_await sleep(0s);
  co_await sleep(0s);
  timeline.note("timers left: " + std::to_string(get_running_loop().pending_timer_count()));
  co_await sleep(10s);
}

TEST(Gather, CancellingTheAwaitingTaskCancelsEveryChild) {
  VirtualClock clock;
  test::Timeline timeline;
  run(cancel_a_gather(timeline), clock);
  EXPECT_THAT(timeline.lines(), ElementsAre("2s gather cancelled", "2s timers left: 0"));
}

}  // namespace
}  // namespace simtime

namespace simtime {
namespace {

using namespace std::chrono_literals;

Coro<int> int_after(Duration delay, int value) {
  co_await sleep(delay);
  co_return value;
}

Coro<int> fails_after(Duration delay) {
  co_await sleep(delay);
  throw std::runtime_error("child failed");
}

std::string describe_outcome(const std::variant<int, std::exception_ptr>& outcome) {
  if (outcome.index() == 0) return std::to_string(std::get<0>(outcome));
  try {
    std::rethrow_exception(std::get<1>(outcome));
  } catch (const CancelledError&) {
    return "cancelled";
  } catch (const std::exception& error) {
    return error.what();
  }
}

// test_tasks.py GatherTests: test_return_exceptions
TEST(Gather, ReturnExceptionsGivesEveryOutcomeInArgumentOrder) {
  VirtualClock clock;
  auto body = []() -> Coro<std::vector<std::string>> {
    auto cancelled = create_task(int_after(10s, 3));
    auto [a, b, c] = co_await gather(return_exceptions, int_after(2s, 1), fails_after(1s), [](Task<int> victim) -> Coro<int> {
      co_await sleep(500ms);
      victim.cancel();
      co_return co_await victim;
    }(cancelled));
    co_return std::vector<std::string>{describe_outcome(a), describe_outcome(b), describe_outcome(c)};
  };
  EXPECT_THAT(run(body(), clock), testing::ElementsAre("1", "child failed", "cancelled"));
  EXPECT_EQ(clock.now(), TimePoint{2s});
}

TEST(Gather, ReturnExceptionsOverARange) {
  VirtualClock clock;
  auto body = []() -> Coro<std::vector<std::string>> {
    std::vector<Coro<int>> coros;
    coros.push_back(fails_after(1s));
    coros.push_back(int_after(1s, 9));
    auto outcomes = co_await gather(return_exceptions, std::move(coros));
    std::vector<std::string> seen;
    for (const auto& outcome : outcomes) seen.push_back(describe_outcome(outcome));
    co_return seen;
  };
  EXPECT_THAT(run(body(), clock), testing::ElementsAre("child failed", "9"));
}

// test_tasks.py GatherTests: test_cancel_gather_2 (cancelling the awaiter with return_exceptions)
TEST(Gather, CancellingTheAwaiterThrowsCancelledErrorEvenWithReturnExceptions) {
  VirtualClock clock;
  auto body = []() -> Coro<std::string> {
    auto waiter = create_task([]() -> Coro<std::size_t> {
      auto outcomes = co_await gather(return_exceptions, int_after(5s, 1), int_after(6s, 2));
      co_return std::tuple_size_v<decltype(outcomes)>;
    }());
    co_await sleep(1s);
    waiter.cancel();
    try {
      co_await waiter;
    } catch (const CancelledError&) {
      co_return "CancelledError at " + format_time(now()) + ", timers " +
                std::to_string(get_running_loop().pending_timer_count());
    }
    co_return "not cancelled";
  };
  EXPECT_EQ(run(body(), clock), "CancelledError at 1s, timers 0");
}

// test_tasks.py GatherTests: test_one_cancellation (a child cancelled on its own propagates)
TEST(Gather, AChildCancelledOnItsOwnPropagatesCancelledError) {
  VirtualClock clock;
  auto body = []() -> Coro<std::string> {
    auto child = create_task(int_after(5s, 1));
    auto other = create_task(int_after(6s, 2));
    auto gathering = create_task([](Task<int> a, Task<int> b) -> Coro<> { co_await gather(a, b); }(child, other));
    co_await sleep(1s);
    child.cancel();
    try {
      co_await gathering;
    } catch (const CancelledError&) {
      co_return "CancelledError, other still running: " + std::to_string(!other.done());
    }
    co_return "no error";
  };
  EXPECT_EQ(run(body(), clock), "CancelledError, other still running: 1");
}

}  // namespace
}  // namespace simtime

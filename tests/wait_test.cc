#include "simtime/wait.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <simtime/simtime.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/timeline.hpp"

namespace simtime {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;

using test::value_after;

Coro<int> fail_after(Duration delay) {
  co_await sleep(delay);
  throw std::runtime_error("failed");
}

template <class T>
std::string summary(const WaitResult<T>& result) {
  return std::to_string(result.done.size()) + " done, " + std::to_string(result.pending.size()) + " pending at " +
         format_time(now());
}

// test_tasks.py: test_wait (ALL_COMPLETED)
TEST(Wait, AllCompletedWaitsForEveryTask) {
  VirtualClock clock;
  auto body = []() -> Coro<std::string> {
    std::vector<Task<int>> tasks{create_task(value_after(1s, 1)), create_task(value_after(3s, 2))};
    co_return summary(co_await wait(tasks));
  };
  EXPECT_EQ(run(body(), clock), "2 done, 0 pending at 3s");
}

// test_tasks.py: test_wait_first_completed
TEST(Wait, FirstCompletedReturnsAsSoonAsOneFinishes) {
  VirtualClock clock;
  auto body = []() -> Coro<std::string> {
    std::vector<Task<int>> tasks{create_task(value_after(10s, 1)), create_task(value_after(1s, 2))};
    auto result = co_await wait(tasks, FIRST_COMPLETED);
    co_return summary(result) + ", first done gave " + std::to_string(result.done[0].result());
  };
  EXPECT_EQ(run(body(), clock), "1 done, 1 pending at 1s, first done gave 2");
}

// test_tasks.py: test_wait_first_exception
TEST(Wait, FirstExceptionReturnsAtTheFirstFailure) {
  VirtualClock clock;
  auto body = []() -> Coro<std::string> {
    std::vector<Task<int>> tasks{create_task(value_after(10s, 1)), create_task(fail_after(2s)),
                                 create_task(value_after(1s, 3))};
    auto result = co_await wait(tasks, FIRST_EXCEPTION);
    for (auto& task : result.done) (void)task.exception();  // retrieved: not reported
    co_return summary(result);
  };
  EXPECT_EQ(run(body(), clock), "2 done, 1 pending at 2s");
}

// test_tasks.py: test_wait_first_exception (no exception: behaves as ALL_COMPLETED)
TEST(Wait, FirstExceptionWithoutFailuresWaitsForAll) {
  VirtualClock clock;
  auto body = []() -> Coro<std::string> {
    std::vector<Task<int>> tasks{create_task(value_after(2s, 1)), create_task(value_after(1s, 3))};
    co_return summary(co_await wait(tasks, FIRST_EXCEPTION));
  };
  EXPECT_EQ(run(body(), clock), "2 done, 0 pending at 2s");
}

// test_tasks.py: test_wait_with_timeout (nothing is cancelled on timeout)
TEST(Wait, ATimeoutReturnsWhatIsDoneAndCancelsNothing) {
  VirtualClock clock;
  auto body = []() -> Coro<std::string> {
    std::vector<Task<int>> tasks{create_task(value_after(1s, 1)), create_task(value_after(10s, 2))};
    auto result = co_await wait(tasks, ALL_COMPLETED, 5s);
    const std::string seen = summary(result) + ", timers " + std::to_string(get_running_loop().pending_timer_count());
    co_await result.pending[0];
    co_return seen + ", pending one finished at " + format_time(now());
  };
  EXPECT_EQ(run(body(), clock), "1 done, 1 pending at 5s, timers 1, pending one finished at 10s");
}

// test_tasks.py: test_wait_really_done / already finished tasks do not suspend
TEST(Wait, FinishedTasksAreDoneAtOnce) {
  VirtualClock clock;
  auto body = []() -> Coro<std::string> {
    std::vector<Task<int>> tasks{create_task(value_after(0s, 1))};
    co_await sleep(1s);
    co_return summary(co_await wait(tasks, FIRST_COMPLETED));
  };
  EXPECT_EQ(run(body(), clock), "1 done, 0 pending at 1s");
}

// test_tasks.py: test_wait_errors
TEST(Wait, AnEmptySetIsAnInvalidArgument) {
  VirtualClock clock;
  auto body = []() -> Coro<std::string> {
    try {
      co_await wait(std::vector<Task<int>>{});
    } catch (const std::invalid_argument& error) {
      co_return error.what();
    }
    co_return "no error";
  };
  EXPECT_EQ(run(body(), clock), "wait: no tasks to wait for");
}

TEST(Wait, CancellingTheWaiterLeavesTheTasksRunning) {
  VirtualClock clock;
  auto body = []() -> Coro<std::string> {
    std::vector<Task<int>> tasks{create_task(value_after(5s, 1))};
    auto waiter = create_task([](std::vector<Task<int>> watched) -> Coro<> { co_await wait(watched); }(tasks));
    co_await sleep(1s);
    waiter.cancel();
    try {
      co_await waiter;
    } catch (const CancelledError&) {
    }
    const int value = co_await tasks[0];
    co_return std::to_string(waiter.cancelled()) + " " + std::to_string(value) + " at " + format_time(now());
  };
  EXPECT_EQ(run(body(), clock), "1 1 at 5s");
}

// test_tasks.py: test_as_completed
TEST(AsCompleted, HandsOutTasksInCompletionOrder) {
  VirtualClock clock;
  auto body = []() -> Coro<std::vector<std::string>> {
    std::vector<Task<int>> tasks{create_task(value_after(3s, 30)), create_task(value_after(1s, 10)),
                                 create_task(value_after(2s, 20))};
    auto completed = as_completed(tasks);
    std::vector<std::string> seen;
    while (completed.remaining() > 0) {
      Task<int> next = co_await completed.next();
      seen.push_back(std::to_string(co_await next) + " at " + format_time(now()));
    }
    co_return seen;
  };
  EXPECT_THAT(run(body(), clock), ElementsAre("10 at 1s", "20 at 2s", "30 at 3s"));
}

// test_tasks.py: test_as_completed_with_timeout
TEST(AsCompleted, ThrowsTimeoutErrorOnceTheDeadlinePasses) {
  VirtualClock clock;
  auto body = []() -> Coro<std::vector<std::string>> {
    std::vector<Task<int>> tasks{create_task(value_after(1s, 1)), create_task(value_after(10s, 2))};
    auto completed = as_completed(tasks, 5s);
    std::vector<std::string> seen;
    for (int i = 0; i < 2; ++i) {
      try {
        seen.push_back(std::to_string((co_await completed.next()).result()) + " at " + format_time(now()));
      } catch (const TimeoutError& error) {
        seen.push_back(std::string(error.what()) + " at " + format_time(now()));
      }
    }
    co_return seen;
  };
  EXPECT_THAT(run(body(), clock), ElementsAre("1 at 1s", "as_completed: the deadline 5s passed at 5s"));
}

TEST(AsCompleted, FinishedTasksComeFirstWithoutSuspending) {
  VirtualClock clock;
  auto body = []() -> Coro<std::string> {
    std::vector<Task<int>> tasks{create_task(value_after(5s, 5)), create_task(value_after(0s, 7))};
    co_await sleep(1s);
    auto completed = as_completed(tasks);
    auto first = co_await completed.next();
    co_return std::to_string(first.result()) + " at " + format_time(now());
  };
  EXPECT_EQ(run(body(), clock), "7 at 1s");
}

TEST(AsCompleted, AskingPastTheLastTaskIsAnInvalidStateError) {
  VirtualClock clock;
  auto body = []() -> Coro<std::string> {
    std::vector<Task<int>> tasks{create_task(value_after(1s, 1))};
    auto completed = as_completed(tasks);
    co_await completed.next();
    try {
      co_await completed.next();
    } catch (const InvalidStateError& error) {
      co_return error.what();
    }
    co_return "no error";
  };
  EXPECT_EQ(run(body(), clock), "as_completed: every task has already been handed out");
}

}  // namespace
}  // namespace simtime

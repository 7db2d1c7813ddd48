#include "simtime/task_group.hpp"

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
using ::testing::UnorderedElementsAre;

using test::value_after;

Coro<int> fail_after(Duration delay, std::string message) {
  co_await sleep(delay);
  throw std::runtime_error(message);
}

std::vector<std::string> messages(const ExceptionGroup& group) {
  std::vector<std::string> out;
  for (const auto& error : group.exceptions()) {
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      out.push_back(e.what());
    }
  }
  return out;
}

// test_taskgroups.py: test_taskgroup_01, test_taskgroup_02
TEST(TaskGroup, WaitsForEveryTaskAndLeavesTheirResultsReadable) {
  VirtualClock clock;
  auto body = []() -> Coro<int> {
    Task<int> first, second;
    co_await task_group([&](TaskGroup& group) -> Coro<> {
      first = group.create_task(value_after(100ms, 42));
      co_await sleep(50ms);
      second = group.create_task(value_after(200ms, 11));
    });
    co_return first.result() + second.result();
  };
  EXPECT_EQ(run(body(), clock), 53);
  EXPECT_EQ(clock.now(), TimePoint{250ms});
}

TEST(TaskGroup, YieldsTheBodysResult) {
  VirtualClock clock;
  auto body = []() -> Coro<int> {
    co_return co_await task_group([](TaskGroup& group) -> Coro<int> {
      auto task = group.create_task(value_after(1s, 5));
      co_return 2 * co_await task;
    });
  };
  EXPECT_EQ(run(body(), clock), 10);
}

// test_taskgroups.py: test_taskgroup_03 (a task cancelled explicitly does not fail the group)
TEST(TaskGroup, ATaskCancelledByHandDoesNotFailTheGroup) {
  VirtualClock clock;
  auto body = []() -> Coro<std::string> {
    Task<int> first, second;
    co_await task_group([&](TaskGroup& group) -> Coro<> {
      first = group.create_task(value_after(1s, 42));
      co_await sleep(150ms);
      first.cancel();
      second = group.create_task(value_after(200ms, 11));
    });
    co_return std::to_string(first.cancelled()) + " " + std::to_string(second.result());
  };
  EXPECT_EQ(run(body(), clock), "1 11");
}

// test_taskgroups.py: test_taskgroup_04 (one failure: siblings and body cancelled)
TEST(TaskGroup, AFailureCancelsTheSiblingsAndTheBodyThenRethrows) {
  VirtualClock clock;
  test::Timeline timeline;
  auto body = [&]() -> Coro<std::string> {
    try {
      co_await task_group([&](TaskGroup& group) -> Coro<> {
        group.create_task(fail_after(100ms, "division by zero"));
        group.create_task(test::note_how_sleep_ends(1s, timeline, "sibling"));
        try {
          co_await sleep(10s);
        } catch (const CancelledError&) {
          timeline.note("body cancelled");
          throw;
        }
      });
    } catch (const std::runtime_error& error) {
      co_return std::string(error.what()) + " at " + format_time(now());
    }
    co_return "no error";
  };
  EXPECT_EQ(run(body(), clock), "division by zero at 100ms");
  EXPECT_THAT(timeline.lines(), ElementsAre("100ms sibling cancelled", "100ms body cancelled"));
}

// test_taskgroups.py: test_taskgroup_05 (several failures come back together)
TEST(TaskGroup, SeveralFailuresComeBackInAnExceptionGroup) {
  VirtualClock clock;
  auto body = []() -> Coro<std::vector<std::string>> {
    try {
      co_await task_group([](TaskGroup& group) -> Coro<> {
        group.create_task(fail_after(1s, "first"));
        group.create_task(fail_after(1s, "second"));
        group.create_task(value_after(5s, 0));
        co_return;
      });
    } catch (const ExceptionGroup& group) {
      co_return messages(group);
    }
    co_return std::vector<std::string>{};
  };
  EXPECT_THAT(run(body(), clock), ElementsAre("first", "second"));
  EXPECT_EQ(clock.now(), TimePoint{1s});
}

Coro<> fails_while_cancelled() {
  try {
    co_await sleep(10s);
  } catch (const CancelledError&) {
  }
  throw std::runtime_error("failed in cleanup");
}

// test_taskgroups.py: test_taskgroup_08 (cancelled from outside, children fail while cancelling)
TEST(TaskGroup, ErrorsRaisedWhileCancellingWinOverTheOutsideCancellation) {
  VirtualClock clock;
  auto body = []() -> Coro<std::string> {
    auto runner = create_task([]() -> Coro<> {
      co_await task_group([](TaskGroup& group) -> Coro<> {
        for (int i = 0; i < 5; ++i) group.create_task(fails_while_cancelled());
        co_await sleep(10s);
      });
    }());
    co_await sleep(100ms);
    runner.cancel();
    try {
      co_await runner;
    } catch (const ExceptionGroup& group) {
      co_return std::to_string(group.exceptions().size()) + " errors";
    }
    co_return "no ExceptionGroup";
  };
  EXPECT_EQ(run(body(), clock), "5 errors");
}

// test_taskgroups.py: test_taskgroup_09 / test_cancellation (outside cancellation propagates)
TEST(TaskGroup, AnOutsideCancellationCancelsTheTasksAndPropagates) {
  VirtualClock clock;
  test::Timeline timeline;
  auto body = [&]() -> Coro<std::string> {
    auto runner = create_task([](test::Timeline& out) -> Coro<> {
      co_await task_group([&out](TaskGroup& group) -> Coro<> {
        group.create_task(test::note_how_sleep_ends(1s, out, "a"));
        group.create_task(test::note_how_sleep_ends(2s, out, "b"));
        co_return;
      });
    }(timeline));
    co_await sleep(500ms);
    runner.cancel();
    try {
      co_await runner;
    } catch (const CancelledError&) {
      co_return "CancelledError, cancelled() = " + std::to_string(runner.cancelled());
    }
    co_return "not cancelled";
  };
  EXPECT_EQ(run(body(), clock), "CancelledError, cancelled() = 1");
  EXPECT_THAT(timeline.lines(), ElementsAre("500ms a cancelled", "500ms b cancelled"));
}

// test_taskgroups.py: test_taskgroup_cancel_body (the caller carries on after a failed group)
TEST(TaskGroup, TheParentIsNotLeftCancelledAfterTheGroupFails) {
  VirtualClock clock;
  test::Timeline timeline;
  auto body = [&]() -> Coro<std::string> {
    try {
      co_await task_group([](TaskGroup& group) -> Coro<> {
        group.create_task(fail_after(1s, "crash"));
        co_await sleep(10s);
      });
    } catch (const std::runtime_error&) {
    }
    co_await sleep(1s);  // must not throw CancelledError
    co_return "carried on at " + format_time(now());
  };
  EXPECT_EQ(run(body(), clock), "carried on at 2s");
}

TEST(TaskGroup, AnExceptionFromTheBodyCancelsTheTasksAndIsRethrown) {
  VirtualClock clock;
  test::Timeline timeline;
  auto body = [&]() -> Coro<std::string> {
    try {
      co_await task_group([&](TaskGroup& group) -> Coro<> {
        group.create_task(test::note_how_sleep_ends(5s, timeline, "child"));
        co_await sleep(1s);
        throw std::logic_error("body failed");
      });
    } catch (const std::logic_error& error) {
      co_return error.what();
    }
    co_return "no error";
  };
  EXPECT_EQ(run(body(), clock), "body failed");
  EXPECT_THAT(timeline.lines(), ElementsAre("1s child cancelled"));
}

TEST(TaskGroup, CancelStopsEverythingWithoutRaising) {
  VirtualClock clock;
  test::Timeline timeline;
  auto body = [&]() -> Coro<std::string> {
    co_await task_group([&](TaskGroup& group) -> Coro<> {
      group.create_task(test::note_how_sleep_ends(5s, timeline, "child"));
      co_await sleep(1s);
      group.cancel();
      co_await sleep(10s);
      timeline.note("not reached");
    });
    co_return "returned at " + format_time(now());
  };
  EXPECT_EQ(run(body(), clock), "returned at 1s");
  EXPECT_THAT(timeline.lines(), ElementsAre("1s child cancelled"));
}

// Found by the loop fuzzer (fuzz/crashes/task_group_cancel_value).
TEST(TaskGroup, CancelInterruptingABodyThatReturnsAValueRethrowsItsCancellation) {
  VirtualClock clock;
  auto body = []() -> Coro<std::string> {
    try {
      const int value = co_await task_group([](TaskGroup& group) -> Coro<int> {
        group.create_task(value_after(5s, 1));
        co_await sleep(1s);
        group.cancel();
        co_await sleep(10s);
        co_return 42;
      });
      co_return "value " + std::to_string(value);
    } catch (const CancelledError&) {
      co_return "CancelledError at " + format_time(now());
    }
  };
  EXPECT_EQ(run(body(), clock), "CancelledError at 1s");
}

TEST(TaskGroup, ABodyThatCatchesTheGroupsCancelStillReturnsItsValue) {
  VirtualClock clock;
  auto body = []() -> Coro<int> {
    co_return co_await task_group([](TaskGroup& group) -> Coro<int> {
      group.create_task(value_after(5s, 1));
      group.cancel();
      try {
        co_await sleep(10s);
      } catch (const CancelledError&) {
        co_return 7;
      }
      co_return 42;
    });
  };
  EXPECT_EQ(run(body(), clock), 7);
}

TEST(TaskGroup, RefusesNewTasksOnceShuttingDown) {
  VirtualClock clock;
  auto body = []() -> Coro<std::string> {
    std::string refused;
    try {
      co_await task_group([&](TaskGroup& group) -> Coro<> {
        group.create_task(fail_after(1s, "crash"));
        try {
          co_await sleep(5s);
        } catch (const CancelledError&) {
          try {
            group.create_task(value_after(1s, 1));
          } catch (const InvalidStateError& error) {
            refused = error.what();
          }
          throw;
        }
      });
    } catch (const std::runtime_error&) {
    }
    co_return refused;
  };
  EXPECT_EQ(run(body(), clock), "TaskGroup::create_task: the group is shutting down");
}

// test_timeouts.py: test_timeout_taskgroup
TEST(TaskGroup, ATimeoutAroundAGroupWaitsForItsTasksThenThrowsTimeoutError) {
  VirtualClock clock;
  auto body = []() -> Coro<std::string> {
    try {
      co_await timeout(100ms, [](Timeout&) -> Coro<> {
        co_await task_group([](TaskGroup& group) -> Coro<> {
          group.create_task([]() -> Coro<> {
            std::exception_ptr cancelled;
            try {
              co_await sleep(2s);
            } catch (const CancelledError&) {
              cancelled = std::current_exception();
            }
            co_await sleep(10s);
            if (cancelled) std::rethrow_exception(cancelled);
          }());
          co_return;
        });
      });
    } catch (const TimeoutError&) {
      co_return "TimeoutError at " + format_time(now());
    }
    co_return "no timeout";
  };
  EXPECT_EQ(run(body(), clock), "TimeoutError at 10100ms");
}

TEST(ExceptionGroup, HoldsEveryExceptionAndNamesThemInItsMessage) {
  ExceptionGroup group("two failures", {std::make_exception_ptr(std::runtime_error("a")),
                                        std::make_exception_ptr(std::logic_error("b"))});
  EXPECT_EQ(group.exceptions().size(), 2u);
  EXPECT_STREQ(group.what(), "two failures (2 sub-exceptions)\n  a\n  b");
}

}  // namespace
}  // namespace simtime

#include "simtime/timeout.hpp"

#include <fmt/format.h>
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

// An awaitable's outcome as text, for assertions outside the coroutine.
template <class Awaitable>
Coro<std::string> outcome(Awaitable awaitable) {
  try {
    if constexpr (std::is_void_v<typename Awaitable::value_type>) {
      co_await std::move(awaitable);
      co_return "done at " + format_time(now());
    } else {
      const auto value = co_await std::move(awaitable);
      co_return "value " + std::to_string(value) + " at " + format_time(now());
    }
  } catch (const TimeoutError&) {
    co_return "TimeoutError at " + format_time(now());
  } catch (const CancelledError&) {
    co_return "CancelledError at " + format_time(now());
  }
}

TEST(WaitFor, ThrowsTimeoutErrorAtTheLimitAndLeavesNoTimerBehind) {
  VirtualClock clock;
  test::Timeline timeline;
  auto body = [&]() -> Coro<std::string> {
    auto result = co_await outcome(wait_for(test::note_how_sleep_ends(10s, timeline, "sleeper"), 3s));
    co_return result + ", timers " + std::to_string(get_running_loop().pending_timer_count());
  };
  EXPECT_EQ(run(body(), clock), "TimeoutError at 3s, timers 0");
  EXPECT_THAT(timeline.lines(), ElementsAre("3s sleeper cancelled"));
}

TEST(WaitFor, ReturnsTheValueWhenTheWorkFinishesInTime) {
  VirtualClock clock;
  EXPECT_EQ(run(outcome(wait_for(value_after(2s, 7), 3s)), clock), "value 7 at 2s");
  EXPECT_EQ(clock.now(), TimePoint{2s});
}

// Rule 13: the limit expiring at the very instant the work completes wins.
TEST(WaitFor, ALimitExpiringAtTheInstantTheWorkCompletesWins) {
  VirtualClock clock;
  EXPECT_EQ(run(outcome(wait_for(value_after(3s, 7), 3s)), clock), "TimeoutError at 3s");
}

Coro<std::string> limit_on_a_task_finishing_at_the_same_instant() {
  auto work = create_task(value_after(3s, 7));  // its timer is armed before the limit's
  auto result = co_await outcome(wait_for(work, 3s));
  co_return result + (work.cancelled() ? ", work cancelled" : ", work not cancelled");
}

TEST(WaitFor, ALimitOnATaskFinishingAtTheSameInstantCancelsTheTask) {
  VirtualClock clock;
  EXPECT_EQ(run(limit_on_a_task_finishing_at_the_same_instant(), clock), "TimeoutError at 3s, work cancelled");
}

// test_waitfor.py: test_wait_for (a Task is cancelled on timeout and waited for)
Coro<std::string> cancels_the_task_on_timeout(test::Timeline& timeline) {
  auto task = create_task(test::note_how_sleep_ends(10s, timeline, "task"));
  auto result = co_await outcome(wait_for(task, 100ms));
  co_return result + (task.cancelled() ? ", task cancelled" : ", task running");
}

TEST(WaitFor, CancelsATaskOnTimeoutAndWaitsForIt) {
  VirtualClock clock;
  test::Timeline timeline;
  EXPECT_EQ(run(cancels_the_task_on_timeout(timeline), clock), "TimeoutError at 100ms, task cancelled");
  EXPECT_THAT(timeline.lines(), ElementsAre("100ms task cancelled"));
}

// test_waitfor.py: test_wait_for_waits_for_task_cancellation
Coro<> slow_to_cancel(test::Timeline& timeline) {
  std::exception_ptr cancelled;
  try {
    co_await sleep(10s);
  } catch (const CancelledError&) {
    cancelled = std::current_exception();
  }
  co_await sleep(100ms);  // cleanup takes a while
  timeline.note("finished cancelling");
  std::rethrow_exception(cancelled);
}

TEST(WaitFor, WaitsForTheTaskToFinishCancelling) {
  VirtualClock clock;
  test::Timeline timeline;
  auto body = [&]() -> Coro<std::string> {
    co_return co_await outcome(wait_for(create_task(slow_to_cancel(timeline)), 100ms));
  };
  EXPECT_EQ(run(body(), clock), "TimeoutError at 200ms");
  EXPECT_THAT(timeline.lines(), ElementsAre("200ms finished cancelling"));
}

// test_waitfor.py: test_wait_for_cancellation_race_condition
Coro<int> swallows_cancellation() {
  try {
    co_await sleep(1s);
  } catch (const CancelledError&) {
  }
  co_return 1;
}

TEST(WaitFor, ReturnsTheValueOfWorkThatSwallowsTheCancellation) {
  VirtualClock clock;
  EXPECT_EQ(run(outcome(wait_for(swallows_cancellation(), 10ms)), clock), "value 1 at 10ms");
}

// test_waitfor.py: test_wait_for_reraises_exception_during_cancellation
Coro<> raises_when_cancelled() {
  try {
    co_await sleep(200ms);
  } catch (const CancelledError&) {
    throw std::domain_error("raised while cancelling");
  }
}

TEST(WaitFor, AnExceptionRaisedWhileCancellingPropagates) {
  VirtualClock clock;
  auto body = []() -> Coro<std::string> {
    try {
      co_await wait_for(raises_when_cancelled(), 100ms);
    } catch (const std::domain_error& error) {
      co_return error.what();
    }
    co_return "no error";
  };
  EXPECT_EQ(run(body(), clock), "raised while cancelling");
}

// test_waitfor.py: test_wait_for_timeout_less_then_0_or_0_coroutine_do_not_started
TEST(WaitFor, AZeroOrNegativeLimitNeverStartsACoroutine) {
  VirtualClock clock;
  test::Timeline timeline;
  auto body = [&]() -> Coro<std::string> {
    auto zero = co_await outcome(wait_for(test::note_how_sleep_ends(0s, timeline, "zero"), 0s));
    auto negative = co_await outcome(wait_for(test::note_how_sleep_ends(0s, timeline, "negative"), -1s));
    co_return zero + ", " + negative;
  };
  EXPECT_EQ(run(body(), clock), "TimeoutError at 0s, TimeoutError at 0s");
  EXPECT_TRUE(timeline.lines().empty());
}

// test_waitfor.py: test_wait_for_timeout_less_then_0_or_0_future_done and _0
Coro<std::string> zero_limit_on_tasks() {
  auto finished = create_task(value_after(0s, 5));
  co_await sleep(1s);
  auto running = create_task(value_after(1s, 6));
  auto first = co_await outcome(wait_for(finished, 0s));
  auto second = co_await outcome(wait_for(running, 0s));
  co_return first + ", " + second + (running.cancelled() ? ", cancelled" : "");
}

TEST(WaitFor, AZeroLimitGivesAFinishedTasksResultAndCancelsAnUnfinishedOne) {
  VirtualClock clock;
  EXPECT_EQ(run(zero_limit_on_tasks(), clock), "value 5 at 1s, TimeoutError at 1s, cancelled");
}

Coro<int> slow_to_cancel() {
  std::exception_ptr cancelled;
  try {
    co_await sleep(10s);
  } catch (const CancelledError&) {
    cancelled = std::current_exception();
  }
  co_await sleep(1s);  // cleaning up takes a while
  if (cancelled) std::rethrow_exception(cancelled);
  co_return 1;
}

// Found by the loop fuzzer (fuzz/crashes/wait_for_zero_loses_cancellation).
TEST(WaitFor, AZeroLimitPropagatesTheAwaitersOwnCancellationInsteadOfTimingOut) {
  VirtualClock clock;
  auto body = []() -> Coro<std::string> {
    auto work = create_task(slow_to_cancel());
    co_await sleep(0s);  // the work starts sleeping
    auto waiting = create_task(outcome(wait_for(work, 0s)));
    co_await sleep(500ms);  // wait_for has cancelled the work, which is still cleaning up;
    // this cancellation goes on to the work and cuts its cleanup short
    waiting.cancel();
    auto result = co_await waiting;
    co_return result + (work.cancelled() ? ", work cancelled" : "");
  };
  EXPECT_EQ(run(body(), clock), "CancelledError at 500ms, work cancelled");
}

TEST(WaitFor, CancellingTheAwaiterCancelsTheWorkAndPropagates) {
  VirtualClock clock;
  test::Timeline timeline;
  auto body = [&]() -> Coro<std::string> {
    auto waiting = create_task(outcome(wait_for(test::note_how_sleep_ends(10s, timeline, "work"), 5s)));
    co_await sleep(1s);
    waiting.cancel();
    co_return co_await waiting;
  };
  EXPECT_EQ(run(body(), clock), "CancelledError at 1s");
  EXPECT_THAT(timeline.lines(), ElementsAre("1s work cancelled"));
}

TEST(WaitFor, ALimitThatOverflowsTheClockIsAnInvalidArgument) {
  VirtualClock clock;
  auto body = []() -> Coro<std::string> {
    co_await sleep(1s);
    try {
      co_await wait_for(value_after(1s, 1), Duration::max());
    } catch (const std::invalid_argument& error) {
      co_return error.what();
    }
    co_return "no error";
  };
  EXPECT_EQ(run(body(), clock), "wait_for: now 1s + 9223372036854775807ns overflows the clock");
}

// test_timeouts.py: test_timeout_basic
TEST(Timeout, CancelsTheBodyAndThrowsTimeoutError) {
  VirtualClock clock;
  bool expired = false;
  auto body = [&]() -> Coro<std::string> {
    co_return co_await outcome(timeout(10ms, [&](Timeout& scope) -> Coro<> {
      try {
        co_await sleep(10s);
      } catch (const CancelledError&) {
        expired = scope.expired();
        throw;
      }
    }));
  };
  EXPECT_EQ(run(body(), clock), "TimeoutError at 10ms");
  EXPECT_TRUE(expired);
}

// test_timeouts.py: test_timeout_not_called, test_timeout_disabled
// A task that cancels itself, then enters an already expired scope: the scope's own
// cancellation and the task's are delivered as one CancelledError, and the task's request
// is still there after the scope withdraws its own, so CancelledError propagates.
// Found by the loop fuzzer (fuzz/corpus/timeout_past_deadline_loses_cancellation).
Coro<std::string> cancel_self_then_enter_an_expired_scope(Task<std::string>& self, Duration limit) {
  self.cancel();  // delivered at the next suspension, inside the scope
  try {
    co_await timeout(limit, [](Timeout&) -> Coro<> { co_await sleep(1s); });
    co_return "returned at " + format_time(now());
  } catch (const TimeoutError&) {
    co_return "TimeoutError at " + format_time(now());
  } catch (const CancelledError&) {
    co_return "CancelledError at " + format_time(now());
  }
}

TEST(Timeout, ACancellationPendingOnEntryPropagatesEvenIfTheScopeExpires) {
  for (const Duration limit : {Duration(0s), Duration(-1s), Duration(1ns), Duration(5s)}) {
    VirtualClock clock;
    auto body = [limit]() -> Coro<std::string> {
      Task<std::string> task;
      task = create_task(cancel_self_then_enter_an_expired_scope(task, limit));
      co_return co_await task;
    };
    EXPECT_EQ(run(body(), clock), "CancelledError at 0s") << "limit " << limit.count() << "ns";
  }
}

TEST(Timeout, AScopeThatDoesNotExpireReportsItsDeadline) {
  VirtualClock clock;
  std::vector<std::string> seen;
  auto body = [&]() -> Coro<> {
    co_await timeout(10s, [&](Timeout& scope) -> Coro<> {
      co_await sleep(0s);
      seen.push_back(format_time(*scope.when()) + (scope.expired() ? " expired" : " not expired"));
    });
    co_await timeout_at(std::nullopt, [&](Timeout& scope) -> Coro<> {
      co_await sleep(1s);
      seen.push_back(scope.when() ? "deadline" : "no deadline");
    });
  };
  run(body(), clock);
  EXPECT_THAT(seen, ElementsAre("10s not expired", "no deadline"));
}

// test_timeouts.py: test_timeout_zero, test_timeout_zero_sleep_zero, test_timeout_in_the_past_sleep_zero
TEST(Timeout, ADeadlineAlreadyPassedExpiresAtTheNextSuspension) {
  VirtualClock clock;
  test::Timeline timeline;
  auto body = [&]() -> Coro<std::string> {
    co_await sleep(5s);
    auto zero = co_await outcome(timeout(0s, [&](Timeout&) -> Coro<> {
      timeline.note("body starts");
      co_await sleep(0s);
      timeline.note("not reached");
    }));
    auto past = co_await outcome(timeout_at(TimePoint{1s}, [&](Timeout&) -> Coro<> { co_await sleep(0s); }));
    co_return zero + ", " + past;
  };
  EXPECT_EQ(run(body(), clock), "TimeoutError at 5s, TimeoutError at 5s");
  EXPECT_THAT(timeline.lines(), ElementsAre("5s body starts"));
}

// test_timeouts.py: test_nested_timeouts (only the outermost scope raises TimeoutError)
TEST(Timeout, NestedScopesWithTheSameDeadlineRaiseTimeoutErrorOnlyAtTheOutermost) {
  VirtualClock clock;
  std::vector<std::string> seen;
  auto body = [&]() -> Coro<std::string> {
    const TimePoint deadline = now() + 10ms;
    co_return co_await outcome(timeout_at(deadline, [&, deadline](Timeout& outer) -> Coro<> {
      try {
        co_await timeout_at(deadline, [&](Timeout& inner) -> Coro<> {
          seen.push_back(inner.expired() ? "inner expired early" : "inner running");
          co_await sleep(10s);
        });
      } catch (const CancelledError&) {
        seen.push_back(outer.expired() ? "inner raised CancelledError, outer expired" : "outer not expired");
        throw;
      }
    }));
  };
  EXPECT_EQ(run(body(), clock), "TimeoutError at 10ms");
  EXPECT_THAT(seen, ElementsAre("inner running", "inner raised CancelledError, outer expired"));
}

// test_timeouts.py: test_foreign_exception_passed, test_foreign_exception_on_timeout
TEST(Timeout, OtherExceptionsPassThroughUnchanged) {
  VirtualClock clock;
  auto body = []() -> Coro<std::string> {
    try {
      co_await timeout(10ms, [](Timeout&) -> Coro<> {
        try {
          co_await sleep(1s);
        } catch (...) {
        }
        throw std::out_of_range("crash while cancelled");
      });
    } catch (const std::out_of_range& error) {
      co_return error.what();
    }
    co_return "no error";
  };
  EXPECT_EQ(run(body(), clock), "crash while cancelled");
}

// test_timeouts.py: test_foreign_cancel_doesnt_timeout_if_not_expired
TEST(Timeout, AnotherCancellationIsNotTurnedIntoTimeoutError) {
  VirtualClock clock;
  bool expired = true;
  auto body = [&]() -> Coro<std::string> {
    Task<std::string> self;
    self = create_task(outcome(timeout(10s, [&](Timeout& scope) -> Coro<> {
      self.cancel();
      try {
        co_await sleep(10s);
      } catch (...) {
        expired = scope.expired();
        throw;
      }
    })));
    co_return co_await self;
  };
  EXPECT_EQ(run(body(), clock), "CancelledError at 0s");
  EXPECT_FALSE(expired);
}

// test_timeouts.py: test_outer_task_is_not_cancelled
TEST(Timeout, TheTaskIsNotLeftCancelledAfterATimeout) {
  VirtualClock clock;
  auto body = []() -> Coro<std::string> {
    auto task = create_task(outcome(timeout(1ms, [](Timeout&) -> Coro<> { co_await sleep(10s); })));
    auto result = co_await task;
    co_return result + (task.cancelled() ? ", cancelled" : ", not cancelled") +
        ", cancelling=" + std::to_string(task.cancelling());
  };
  EXPECT_EQ(run(body(), clock), "TimeoutError at 1ms, not cancelled, cancelling=0");
}

// test_timeouts.py: test_reschedule
TEST(Timeout, CanBeRescheduledOrDisabledWhileRunning) {
  VirtualClock clock;
  std::vector<std::string> seen;
  auto body = [&]() -> Coro<std::string> {
    co_return co_await outcome(timeout(10s, [&](Timeout& scope) -> Coro<> {
      scope.reschedule(TimePoint{30s});
      seen.push_back(format_time(*scope.when()));
      co_await sleep(20s);
      scope.reschedule(std::nullopt);
      seen.push_back(scope.when() ? "deadline" : "none");
      co_await sleep(20s);
      scope.reschedule(now() + 5s);
      co_await sleep(20s);
    }));
  };
  EXPECT_EQ(run(body(), clock), "TimeoutError at 45s");
  EXPECT_THAT(seen, ElementsAre("30s", "none"));
}

// test_timeouts.py: test_timeout_after_cancellation, test_cancel_in_timeout_after_cancellation
TEST(Timeout, WorksInCleanupAfterTheTaskWasCancelled) {
  VirtualClock clock;
  auto body = []() -> Coro<std::string> {
    Task<std::string> self;
    self = create_task([](Task<std::string>* me) -> Coro<std::string> {
      try {
        me->cancel();
        co_await sleep(1s);
      } catch (const CancelledError&) {
      }
      auto cleanup = co_await outcome(timeout(0s, [](Timeout&) -> Coro<> { co_await sleep(1s); }));
      auto cancelled_cleanup = co_await outcome(timeout(1s, [me](Timeout&) -> Coro<> {
        me->cancel();
        co_await sleep(2s);
      }));
      co_return cleanup + ", " + cancelled_cleanup;
    }(&self));
    co_return co_await self;
  };
  EXPECT_EQ(run(body(), clock), "TimeoutError at 0s, CancelledError at 0s");
}

TEST(Timeout, SaysWhichDeadlinePassedAndRefusesReschedulingBeforeEntry) {
  VirtualClock clock;
  auto body = []() -> Coro<std::string> {
    try {
      co_await timeout(1s, [&](Timeout&) -> Coro<> { co_await sleep(2s); });
    } catch (const TimeoutError& error) {
      co_return error.what();
    }
    co_return "no timeout";
  };
  EXPECT_EQ(run(body(), clock), "timeout: the deadline 1s passed");
  Timeout unentered(TimePoint{1s});
  try {
    unentered.reschedule(TimePoint{2s});
    FAIL() << "no error";
  } catch (const InvalidStateError& error) {
    EXPECT_STREQ(error.what(), "Timeout::reschedule: the scope has not been entered");
  }
}

template <class ClockType>
class OnBothClocks : public ::testing::Test {};
TYPED_TEST_SUITE_P(OnBothClocks);

TYPED_TEST_P(OnBothClocks, WaitForTimesOutInOrder) {
  TypeParam clock;
  auto body = []() -> Coro<std::string> {
    auto slow = co_await outcome(wait_for(value_after(200ms, 1), 5ms));
    auto quick = co_await outcome(wait_for(value_after(1ms, 2), 1s));
    co_return (slow.starts_with("TimeoutError") ? std::string("timeout") : slow) + ", " +
        (quick.starts_with("value 2") ? std::string("value") : quick);
  };
  EXPECT_EQ(run(body(), clock), "timeout, value");
  EXPECT_LT(clock.now(), TimePoint{10s});
}

REGISTER_TYPED_TEST_SUITE_P(OnBothClocks, WaitForTimesOutInOrder);
using Clocks = ::testing::Types<VirtualClock, RealClock>;
INSTANTIATE_TYPED_TEST_SUITE_P(TimeLimits, OnBothClocks, Clocks);

// -- wait_for on any awaitable ---------------------------------------------------------

Coro<std::vector<std::string>> time_limits_on_the_primitives() {
  std::vector<std::string> seen;
  Event never_set;
  Event set_soon;
  Lock held;
  Queue<int> queue;
  Semaphore none(0);
  co_await held.acquire();
  try {
    co_await wait_for(never_set.wait(), 1s);
  } catch (const TimeoutError&) {
    seen.push_back("event timed out at " + format_time(now()));
  }
  try {
    co_await wait_for(held.lock(), 1s);
  } catch (const TimeoutError&) {
    seen.push_back("lock timed out at " + format_time(now()));
  }
  try {
    co_await wait_for(queue.get(), 1s);
  } catch (const TimeoutError&) {
    seen.push_back("queue timed out at " + format_time(now()));
  }
  try {
    co_await wait_for(none.acquire(), 1s);
  } catch (const TimeoutError&) {
    seen.push_back("semaphore timed out at " + format_time(now()));
  }
  try {
    co_await wait_for(sleep(5s), 1s);
  } catch (const TimeoutError&) {
    seen.push_back("sleep timed out at " + format_time(now()));
  }
  // In time: the values come through.
  Task<> setter = create_task([](Event& event) -> Coro<> {
    co_await sleep(500ms);
    event.set();
  }(set_soon));
  co_await wait_for(set_soon.wait(), 1s);
  seen.push_back("event set at " + format_time(now()));
  queue.put_nowait(7);
  const int item = co_await wait_for(queue.get(), 1s);
  seen.push_back("got " + std::to_string(item) + " at " + format_time(now()));
  held.release();
  {
    LockGuard guard = co_await wait_for(held.lock(), 1s);
    seen.push_back(fmt::format("locked {} at {}", held.locked(), format_time(now())));
  }
  co_await setter;
  // Nothing is left waiting on a primitive after the time limits.
  seen.push_back(fmt::format("{} {}", never_set, queue));
  co_return seen;
}

TEST(WaitFor, AcceptsEveryAwaitableOfThePrimitives) {
  VirtualClock clock;
  const std::vector<std::string> seen = run(time_limits_on_the_primitives(), clock);
  ASSERT_EQ(seen.size(), 9u);
  EXPECT_THAT(
      std::vector<std::string>(seen.begin(), seen.begin() + 8),
      ElementsAre("event timed out at 1s", "lock timed out at 2s", "queue timed out at 3s", "semaphore timed out at 4s",
                  "sleep timed out at 5s", "event set at 5500ms", "got 7 at 5500ms", "locked true at 5500ms"));
  EXPECT_THAT(seen[8], ::testing::Not(::testing::HasSubstr("waiters")));
}

Coro<std::string> wait_for_a_shielded_task() {
  Task<int> task = create_task(value_after(5s, 7), "shielded");
  std::string seen;
  try {
    co_await wait_for(shield(task), 2s);
  } catch (const TimeoutError&) {
    seen = "TimeoutError at " + format_time(now());
  }
  const int value = co_await task;
  co_return fmt::format("{}; the task went on to {} at {}", seen, value, format_time(now()));
}

TEST(WaitFor, AShieldedTaskTimesOutAtTheLimitAndRunsOnToItsEnd) {
  VirtualClock clock;
  EXPECT_EQ(run(wait_for_a_shielded_task(), clock), "TimeoutError at 2s; the task went on to 7 at 5s");
}

Coro<std::string> wait_for_a_condition(Duration limit) {
  Condition condition;
  co_await condition.acquire();
  std::string seen;
  try {
    co_await wait_for(condition.wait(), limit);
    seen = "notified";
  } catch (const TimeoutError&) {
    seen = "TimeoutError at " + format_time(now());
  }
  // asyncio: wait() takes the lock back before the error leaves it.
  seen += fmt::format(", locked {}", condition.locked());
  condition.release();
  co_return seen;
}

TEST(WaitFor, AConditionWaitTimesOutHoldingTheLockAgain) {
  VirtualClock clock;
  EXPECT_EQ(run(wait_for_a_condition(3s), clock), "TimeoutError at 3s, locked true");
}

TEST(WaitFor, ANonPositiveLimitOnAnAwaitableTimesOutWithoutAwaitingIt) {
  VirtualClock clock;
  const std::string seen = run(
      []() -> Coro<std::string> {
        Event set;
        set.set();
        try {
          co_await wait_for(set.wait(), 0s);
        } catch (const TimeoutError& error) {
          co_return error.what();
        }
        co_return "no error";
      }(),
      clock);
  EXPECT_EQ(seen, "wait_for: the time limit was not positive; the coroutine never ran");
}

static_assert(!detail::TimeLimitable<int>, "wait_for refuses what cannot be awaited");
static_assert(detail::TimeLimitable<detail::EventWaiter>);

}  // namespace
}  // namespace simtime

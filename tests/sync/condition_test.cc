#include "simtime/sync/condition.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <simtime/simtime.hpp>
#include <string>
#include <vector>

#include "tests/sync/scenarios.hpp"
#include "tests/timeline.hpp"

namespace simtime {
namespace {

using namespace std::chrono_literals;
using test::state_of;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string joined(const std::vector<int>& values) { return fmt::format("[{}]", fmt::join(values, ",")); }

// Takes the lock, waits, records `id`, and returns holding the lock (as CPython's c1..c3).
Coro<> acquire_wait_record(Condition& condition, std::vector<int>& result, int id) {
  co_await condition.acquire();
  co_await condition.wait();
  result.push_back(id);
}

// CPython test_locks.py ConditionTests.test_wait.
Coro<std::vector<std::string>> notified_waiters_return_holding_the_lock() {
  Condition condition;
  std::vector<int> result;
  std::vector<std::string> seen;
  auto snapshot = [&] { seen.push_back(fmt::format("{} locked={}", joined(result), condition.locked())); };
  auto t1 = create_task(acquire_wait_record(condition, result, 1));
  auto t2 = create_task(acquire_wait_record(condition, result, 2));
  auto t3 = create_task(acquire_wait_record(condition, result, 3));
  co_await sleep(0s);
  snapshot();
  co_await condition.acquire();
  condition.notify();
  co_await sleep(0s);
  snapshot();  // notified, but the lock is still held here
  condition.release();
  co_await sleep(0s);
  snapshot();  // t1 took the lock back and returned holding it
  condition.notify(2);
  co_await sleep(0s);
  snapshot();
  condition.release();
  co_await sleep(0s);
  snapshot();
  condition.release();
  co_await sleep(0s);
  snapshot();
  seen.push_back(t1.done() && t2.done() && t3.done() ? "all done" : "not all done");
  co_return seen;
}

TEST(Condition, ANotifiedWaiterReturnsOnceItHoldsTheLockAgain) {
  VirtualClock clock;
  EXPECT_THAT(run(notified_waiters_return_holding_the_lock(), clock),
              ElementsAre("[] locked=false", "[] locked=true", "[1] locked=true", "[1] locked=true",
                          "[1,2] locked=true", "[1,2,3] locked=true", "all done"));
}

Coro<> wait_once(Condition& condition) { co_await condition.wait(); }

// CPython ConditionTests.test_wait_cancel.
Coro<std::vector<std::string>> cancel_a_waiter_before_any_notification() {
  Condition condition;
  co_await condition.acquire();
  auto waiter = create_task(wait_once(condition));  // waits with the lock this task took
  co_await sleep(0s);
  waiter.cancel();
  const std::string waiter_ended = co_await test::how_it_ends(waiter);
  co_return std::vector<std::string>{waiter_ended, state_of(condition)};
}

TEST(Condition, ACancelledWaitTakesTheLockBackBeforeThrowing) {
  VirtualClock clock;
  EXPECT_THAT(run(cancel_a_waiter_before_any_notification(), clock), ElementsAre("cancelled", "[locked]"));
}

// CPython ConditionTests.test_wait_cancel_contested.
Coro<std::vector<std::string>> cancel_a_notified_waiter_while_the_lock_is_held() {
  Condition condition;
  co_await condition.acquire();
  auto waiter = create_task(wait_once(condition));
  co_await sleep(0s);
  std::vector<std::string> seen{fmt::format("locked={}", condition.locked())};
  co_await condition.acquire();
  condition.notify();
  waiter.cancel();
  condition.release();
  seen.push_back(co_await test::how_it_ends(waiter));
  seen.push_back(fmt::format("locked={}", condition.locked()));
  co_return seen;
}

TEST(Condition, ANotifiedWaiterCancelledWhileQueuedForTheLockStillTakesItBack) {
  VirtualClock clock;
  EXPECT_THAT(run(cancel_a_notified_waiter_while_the_lock_is_held(), clock),
              ElementsAre("locked=false", "cancelled", "locked=true"));
}

// CPython ConditionTests.test_wait_cancel_after_notify (bpo-32841).
Coro<std::vector<std::string>> cancel_after_notify() {
  Condition condition;
  bool waited = false;
  auto waiter = create_task([](Condition& c, bool& reached) -> Coro<> {
    LockGuard guard = co_await c.lock();
    reached = true;
    co_await c.wait();
  }(condition, waited));
  co_await sleep(0s);
  co_await condition.acquire();
  condition.notify();
  co_await sleep(0s);
  waiter.cancel();
  co_await sleep(0s);
  condition.release();
  co_await sleep(0s);
  co_return std::vector<std::string>{fmt::format("cancelled={}", waiter.cancelled()), fmt::format("waited={}", waited),
                                     state_of(condition)};
}

TEST(Condition, AWaiterCancelledAfterItsNotificationEndsCancelledAndReleasesTheLock) {
  VirtualClock clock;
  EXPECT_THAT(run(cancel_after_notify(), clock), ElementsAre("cancelled=true", "waited=true", "[unlocked]"));
}

Coro<> wait_and_note(Condition& condition, test::Timeline& timeline, std::string who) {
  LockGuard guard = co_await condition.lock();
  try {
    co_await condition.wait();
  } catch (const CancelledError&) {
    timeline.note(fmt::format("{} cancelled, lock held={}", who, condition.locked()));
    throw;
  }
  timeline.note(who + " notified");
}

// Cancellation at each point of a wait: before the notification, after it while queued for
// the lock, and after the waiter took the lock back (then it is simply done).
enum class CancelPoint { before_notify, after_notify, after_it_returned };

Coro<std::string> cancel_condition_waiter(CancelPoint point, test::Timeline& timeline) {
  Condition condition("changed");
  auto victim = create_task(wait_and_note(condition, timeline, "victim"));
  auto other = create_task(wait_and_note(condition, timeline, "other"));
  co_await sleep(1s);
  if (point == CancelPoint::before_notify) victim.cancel();
  co_await sleep(1s);
  {
    LockGuard guard = co_await condition.lock();
    condition.notify();  // one notification: the first waiter still waiting gets it
    if (point == CancelPoint::after_notify) victim.cancel();
  }
  co_await sleep(1s);
  if (point == CancelPoint::after_it_returned) victim.cancel();
  co_await sleep(1s);
  {
    LockGuard guard = co_await condition.lock();
    condition.notify_all();
  }
  co_await other;
  const std::string victim_ended = co_await test::how_it_ends(victim, "finished");
  co_return fmt::format("victim {}, {}", victim_ended, state_of(condition));
}

TEST(Condition, AWaiterCancelledBeforeAnyNotificationDoesNotWakeAnother) {
  VirtualClock clock;
  test::Timeline timeline;
  EXPECT_EQ(run(cancel_condition_waiter(CancelPoint::before_notify, timeline), clock), "victim cancelled, [unlocked]");
  EXPECT_THAT(timeline.lines(), ElementsAre("1s victim cancelled, lock held=true", "2s other notified"));
}

TEST(Condition, AWaiterCancelledAfterItsNotificationPassesItToTheNextWaiter) {
  VirtualClock clock;
  test::Timeline timeline;
  EXPECT_EQ(run(cancel_condition_waiter(CancelPoint::after_notify, timeline), clock), "victim cancelled, [unlocked]");
  EXPECT_THAT(timeline.lines(), ElementsAre("2s victim cancelled, lock held=true", "2s other notified"));
}

TEST(Condition, AWaiterCancelledAfterItReturnedIsNotAffected) {
  VirtualClock clock;
  test::Timeline timeline;
  EXPECT_EQ(run(cancel_condition_waiter(CancelPoint::after_it_returned, timeline), clock),
            "victim finished, [unlocked]");
  EXPECT_THAT(timeline.lines(), ElementsAre("2s victim notified", "4s other notified"));
}

TEST(Condition, WaitingWithoutTheLockIsAnInvalidStateError) {
  VirtualClock clock;
  const int line = __LINE__ + 1;
  Condition condition("changed");
  auto attempt = [](Condition& c) -> Coro<std::string> {
    try {
      co_await c.wait();
    } catch (const InvalidStateError& error) {
      co_return error.what();
    }
    co_return "no error";
  };
  EXPECT_EQ(run(attempt(condition), clock),
            fmt::format("Condition 'changed' (created at tests/sync/condition_test.cc:{}): wait() needs the lock held, "
                        "and it is not",
                        line));
}

// CPython ConditionTests.test_notify_unacquired and test_notify_all_unacquired.
TEST(Condition, NotifyingWithoutTheLockIsAnInvalidStateError) {
  const int line = __LINE__ + 1;
  Condition condition("changed");
  try {
    condition.notify();
    FAIL() << "no error";
  } catch (const InvalidStateError& error) {
    EXPECT_EQ(std::string(error.what()),
              fmt::format("Condition 'changed' (created at tests/sync/condition_test.cc:{}): notify() needs the lock "
                          "held, and it is not",
                          line));
  }
  try {
    condition.notify_all();
    FAIL() << "no error";
  } catch (const InvalidStateError& error) {
    EXPECT_THAT(error.what(), HasSubstr("): notify_all() needs the lock held, and it is not"));
  }
}

// CPython ConditionTests.test_wait_for.
Coro<std::vector<std::string>> wait_for_a_predicate() {
  Condition condition;
  bool ready = false;
  std::vector<int> result;
  auto waiter = create_task([](Condition& c, bool& flag, std::vector<int>& out) -> Coro<> {
    co_await c.acquire();
    if (co_await c.wait_for([&flag] { return flag; })) {
      out.push_back(1);
      c.release();
    }
  }(condition, ready, result));
  std::vector<std::string> seen;
  co_await sleep(0s);
  seen.push_back(joined(result));
  co_await condition.acquire();
  condition.notify();
  condition.release();
  co_await sleep(0s);
  seen.push_back(joined(result));  // woken, but the predicate is still false
  ready = true;
  co_await condition.acquire();
  condition.notify();
  condition.release();
  co_await sleep(0s);
  seen.push_back(joined(result));
  seen.push_back(fmt::format("done={}", waiter.done()));
  co_return seen;
}

TEST(Condition, WaitForWaitsUntilThePredicateHolds) {
  VirtualClock clock;
  EXPECT_THAT(run(wait_for_a_predicate(), clock), ElementsAre("[]", "[]", "[1]", "done=true"));
}

// CPython ConditionTests.test_wait_for_unacquired.
Coro<std::vector<std::string>> wait_for_without_the_lock() {
  Condition condition;
  std::vector<std::string> seen;
  const std::optional<int> value = co_await condition.wait_for([] { return std::optional<int>(7); });
  seen.push_back(fmt::format("{}", *value));  // true at once: yields the predicate's value
  try {
    co_await condition.wait_for([] { return false; });
  } catch (const InvalidStateError&) {
    seen.push_back("InvalidStateError");
  }
  co_return seen;
}

TEST(Condition, WaitForATruePredicateNeedsNeitherTheLockNorAWait) {
  VirtualClock clock;
  EXPECT_THAT(run(wait_for_without_the_lock(), clock), ElementsAre("7", "InvalidStateError"));
}

Coro<> wait_record_release(Condition& condition, std::vector<int>& result, int id) {
  co_await condition.acquire();
  co_await condition.wait();
  result.push_back(id);
  condition.release();
}

// CPython ConditionTests.test_notify.
Coro<std::vector<std::string>> notify_some() {
  Condition condition;
  std::vector<int> result;
  auto t1 = create_task(wait_record_release(condition, result, 1));
  auto t2 = create_task(wait_record_release(condition, result, 2));
  auto t3 = create_task(wait_record_release(condition, result, 3));
  co_await sleep(0s);
  std::vector<std::string> seen{joined(result)};
  co_await condition.acquire();
  condition.notify(1);
  condition.release();
  co_await sleep(0s);
  seen.push_back(joined(result));
  co_await condition.acquire();
  condition.notify(1);
  condition.notify(2048);
  condition.release();
  co_await gather(t1, t2, t3);
  seen.push_back(joined(result));
  co_return seen;
}

TEST(Condition, NotifyWakesAtMostNWaitersInOrder) {
  VirtualClock clock;
  EXPECT_THAT(run(notify_some(), clock), ElementsAre("[]", "[1]", "[1,2,3]"));
}

// CPython ConditionTests.test_notify_all.
Coro<std::vector<std::string>> notify_everyone() {
  Condition condition;
  std::vector<int> result;
  auto t1 = create_task(wait_record_release(condition, result, 1));
  auto t2 = create_task(wait_record_release(condition, result, 2));
  co_await sleep(0s);
  std::vector<std::string> seen{joined(result)};
  co_await condition.acquire();
  condition.notify_all();
  condition.release();
  co_await gather(t1, t2);
  seen.push_back(joined(result));
  co_return seen;
}

TEST(Condition, NotifyAllWakesEveryWaiterInOrder) {
  VirtualClock clock;
  EXPECT_THAT(run(notify_everyone(), clock), ElementsAre("[]", "[1,2]"));
}

// CPython ConditionTests.test_explicit_lock and test_context_manager.
Coro<std::vector<std::string>> condition_over_a_given_lock() {
  Lock lock;
  Condition condition(lock);
  std::vector<std::string> seen;
  auto state = [&] { seen.push_back(fmt::format("{}/{}", lock.locked(), condition.locked())); };
  state();
  {
    LockGuard guard = co_await condition.lock();
    state();
  }
  state();
  {
    LockGuard guard = co_await lock.lock();
    state();
  }
  co_await condition.acquire();
  state();
  lock.release();
  state();
  co_return seen;
}

TEST(Condition, SharesALockGivenAtConstruction) {
  VirtualClock clock;
  EXPECT_THAT(run(condition_over_a_given_lock(), clock),
              ElementsAre("false/false", "true/true", "false/false", "true/true", "true/true", "false/false"));
}

Coro<> wait_in_timeout(Condition& condition, std::vector<std::string>& seen) {
  LockGuard guard = co_await condition.lock();
  try {
    co_await wait_for(condition.wait_for([] { return false; }), 500ms);
  } catch (const TimeoutError&) {
    seen.push_back(fmt::format("{} timed out holding the lock: {}", format_time(now()), condition.locked()));
  }
}

// CPython ConditionTests.test_timeout_in_block.
TEST(Condition, AWaitUnderATimeLimitTimesOutHoldingTheLock) {
  VirtualClock clock;
  Condition condition;
  std::vector<std::string> seen;
  run(wait_in_timeout(condition, seen), clock);
  EXPECT_THAT(seen, ElementsAre("500ms timed out holding the lock: true"));
  EXPECT_FALSE(condition.locked());
}

int deadlock_condition_line = 0;
int deadlock_wait_line = 0;

Coro<> wait_for_a_notification_nobody_sends() {
  deadlock_condition_line = __LINE__ + 1;
  Condition condition("changed");
  LockGuard guard = co_await condition.lock();
  deadlock_wait_line = __LINE__ + 1;
  co_await condition.wait();
}

TEST(Condition, ADeadlockNamesTheConditionAndWhereItWasAwaited) {
  const std::string message = test::deadlock_message(wait_for_a_notification_nobody_sends());
  EXPECT_THAT(message,
              HasSubstr(fmt::format("waits on Condition 'changed' (created at tests/sync/condition_test.cc:{}) "
                                    "[unlocked, waiters:1], awaited at tests/sync/condition_test.cc:{}",
                                    deadlock_condition_line, deadlock_wait_line)));
}

int reacquire_wait_line = 0;

Coro<> notify_and_keep_the_lock() {
  deadlock_condition_line = __LINE__ + 1;
  Condition condition("changed");
  auto waiter = create_task([](Condition& c) -> Coro<> {
    LockGuard guard = co_await c.lock();
    reacquire_wait_line = __LINE__ + 1;
    co_await c.wait();
  }(condition));
  co_await sleep(0s);
  co_await condition.acquire();
  condition.notify();
  co_await waiter;  // the waiter needs the lock this task never releases
}

TEST(Condition, ADeadlockWhileTakingTheLockBackNamesTheLockAndTheCondition) {
  const std::string message = test::deadlock_message(notify_and_keep_the_lock());
  EXPECT_THAT(message,
              HasSubstr(fmt::format("waits on Lock 'changed' (created at tests/sync/condition_test.cc:{0}) [locked, "
                                    "waiters:1], to take it back for Condition 'changed' (created at "
                                    "tests/sync/condition_test.cc:{0}), awaited at tests/sync/condition_test.cc:{1}",
                                    deadlock_condition_line, reacquire_wait_line)));
}

Coro<> acquire_and_wait(Condition& condition) {
  co_await condition.acquire();
  co_await condition.wait();
}

TEST(Condition, AWaiterOfADestroyedConditionCanStillBeCancelled) {
  VirtualClock clock;
  EXPECT_EQ(run(test::cancel_a_waiter_of_a_destroyed([] { return Condition(); }, acquire_and_wait), clock),
            "cancelled");
}

TEST(Condition, FormatsLikeAsyncioRepr) {
  const int line = __LINE__ + 1;
  Condition condition("changed");
  EXPECT_EQ(fmt::format("{}", condition),
            fmt::format("Condition 'changed' (created at tests/sync/condition_test.cc:{}) [unlocked]", line));
}

TEST(Condition, KnowsItsNameAndWhereItWasCreated) {
  const int line = __LINE__ + 1;
  Condition condition("changed");
  EXPECT_EQ(condition.name(), "changed");
  EXPECT_STREQ(condition.created_at().file_name(), "tests/sync/condition_test.cc");
  EXPECT_EQ(condition.created_at().line(), static_cast<unsigned>(line));
}

// Says whether a wait that a cancellation ended took the lock back before it threw; the
// guard lets the lock go on the way out.
Coro<std::string> notified(Condition& condition) {
  LockGuard guard = co_await condition.lock();
  try {
    co_await condition.wait();
  } catch (const CancelledError&) {
    co_return fmt::format("CancelledError holding the lock: {}", condition.locked());
  }
  co_return "notified";
}

Coro<std::string> withdraw_a_condition_waiters_cancellation() {
  Condition condition;
  co_return co_await test::withdraw_a_cancellation(test::wait_then_sleep(notified(condition)));
}

TEST(Condition, AWithdrawnCancellationStillEndsTheWaitWithCancelledError) {
  VirtualClock clock;
  EXPECT_EQ(run(withdraw_a_condition_waiters_cancellation(), clock),
            "CancelledError holding the lock: true, then slept");
}

Coro<> lock_and_wait(Condition& condition) {
  LockGuard guard = co_await condition.lock();
  co_await condition.wait();
}

// The waiter waits for a notification; the holder then (at 1s) takes the lock for good, and
// run()'s cancellations send the waiter to queue for it, to take it back.
Coro<> leave_condition_stragglers(Condition& condition, Event& never, bool holder_first) {
  return test::leave_two_stragglers(test::hold_forever([&condition] { return condition.lock(); }, never, 1s),
                                    test::attempt_forever([&condition] { return lock_and_wait(condition); }),
                                    holder_first);
}

TEST(Condition, ALockGuardDestroyedWithTheLoopDoesNotWakeTasksOfTheClosedLoop) {
  for (const bool holder_first : {true, false}) {
    Condition condition;
    Event never;
    VirtualClock clock;
    run(leave_condition_stragglers(condition, never, holder_first), clock);
    EXPECT_FALSE(condition.locked());
  }
}

}  // namespace
}  // namespace simtime

#include "simtime/sync/lock.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <simtime/simtime.hpp>
#include <string>
#include <type_traits>
#include <vector>

#include "tests/sync/scenarios.hpp"
#include "tests/timeline.hpp"

namespace simtime {
namespace {

using namespace std::chrono_literals;
using test::acquire_and_record;
using test::acquire_forever;
using test::CancelPoint;
using test::state_of;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// How the shared scenarios take the lock: through its guard.
auto guard_of(Lock& lock) {
  return [&lock] { return lock.lock(); };
}

// Rule 14.
Coro<std::string> acquire_a_free_lock() {
  Lock lock;
  co_await lock.acquire();
  co_return lock.locked() ? "acquired" : "not acquired";
}

TEST(Lock, AcquiringAFreeLockDoesNotSuspend) {
  EXPECT_THAT(test::run_ahead_of_another_task(acquire_a_free_lock()), ElementsAre("0s acquired", "0s other task ran"));
}

// CPython test_locks.py LockTests.test_acquire.
Coro<std::vector<std::string>> waiters_in_fifo_order() {
  Lock lock;
  std::vector<int> result;
  std::vector<std::string> snapshots;
  auto snapshot = [&] { snapshots.push_back(fmt::format("{}", fmt::join(result, ","))); };
  co_await lock.acquire();
  auto t1 = create_task(acquire_and_record(lock, result, 1));
  auto t2 = create_task(acquire_and_record(lock, result, 2));
  co_await sleep(0s);
  snapshot();
  lock.release();
  co_await sleep(0s);
  snapshot();
  co_await sleep(0s);
  snapshot();
  auto t3 = create_task(acquire_and_record(lock, result, 3));
  lock.release();
  co_await sleep(0s);
  snapshot();
  lock.release();
  co_await sleep(0s);
  snapshot();
  snapshots.push_back(t1.done() && t2.done() && t3.done() ? "all done" : "not all done");
  co_return snapshots;
}

TEST(Lock, WaitersTakeTheLockInTheOrderTheyAsked) {
  VirtualClock clock;
  EXPECT_THAT(run(waiters_in_fifo_order(), clock), ElementsAre("", "1", "1", "1,2", "1,2,3", "all done"));
}

Coro<std::vector<std::string>> newcomer_behind_woken_waiter(test::Timeline& timeline) {
  Lock lock;
  co_await lock.acquire();
  auto waiter = create_task(test::hold_for(guard_of(lock), 1s, timeline, "waiter"));
  co_await sleep(1s);
  lock.release();
  // The lock is free but promised to the woken waiter: a newcomer queues behind it.
  std::vector<std::string> seen{lock.locked() ? "locked" : "unlocked"};
  auto newcomer = create_task(test::hold_for(guard_of(lock), 1s, timeline, "newcomer"));
  co_await gather(waiter, newcomer);
  seen.push_back(state_of(lock));
  co_return seen;
}

TEST(Lock, ANewcomerQueuesBehindAWaiterWokenByRelease) {
  VirtualClock clock;
  test::Timeline timeline;
  EXPECT_THAT(run(newcomer_behind_woken_waiter(timeline), clock), ElementsAre("unlocked", "[unlocked]"));
  EXPECT_THAT(timeline.lines(),
              ElementsAre("1s waiter acquired", "2s waiter releases", "2s newcomer acquired", "3s newcomer releases"));
}

// Cancellation at each point around a wake: A holds the lock until 2s, B and C wait.
Coro<std::string> cancel_lock_waiter(CancelPoint point, test::Timeline& timeline) {
  Lock lock("db");
  const std::string b = co_await test::cancel_the_first_waiter(point, guard_of(lock), timeline);
  co_return fmt::format("{}, {}", b, state_of(lock));
}

TEST(Lock, AWaiterCancelledBeforeTheReleaseJustLeavesTheQueue) {
  VirtualClock clock;
  test::Timeline timeline;
  EXPECT_EQ(run(cancel_lock_waiter(CancelPoint::before_release, timeline), clock), "B cancelled, [unlocked]");
  EXPECT_THAT(timeline.lines(), ElementsAre("0s A acquired", "2s A releases", "2s C acquired", "4s C releases"));
}

// CPython LockTests.test_finished_waiter_cancelled and test_cancel_race.
TEST(Lock, AWaiterWokenThenCancelledPassesTheWakeToTheNextWaiter) {
  VirtualClock clock;
  test::Timeline timeline;
  EXPECT_EQ(run(cancel_lock_waiter(CancelPoint::after_release_same_turn, timeline), clock), "B cancelled, [unlocked]");
  EXPECT_THAT(timeline.lines(), ElementsAre("0s A acquired", "2s A releases", "2s C acquired", "4s C releases"));
}

TEST(Lock, AHolderCancelledInsideItsCriticalSectionReleasesThroughItsGuard) {
  VirtualClock clock;
  test::Timeline timeline;
  EXPECT_EQ(run(cancel_lock_waiter(CancelPoint::after_it_acquired, timeline), clock), "B cancelled, [unlocked]");
  EXPECT_THAT(timeline.lines(), ElementsAre("0s A acquired", "2s A releases", "2s B acquired",
                                            "3s B cancelled while holding", "3s C acquired", "5s C releases"));
}

Coro<> count_acquisitions(Lock& lock, int& acquired) {
  co_await lock.acquire();
  ++acquired;
}

// CPython LockTests.test_cancel_release_race (bpo-32734): cancel the first waiter, then
// release: exactly one other waiter gets the lock.
Coro<std::vector<std::string>> cancel_then_release() {
  Lock lock;
  int acquired = 0;
  co_await lock.acquire();
  auto t1 = create_task(count_acquisitions(lock, acquired));
  auto t2 = create_task(count_acquisitions(lock, acquired));
  auto t3 = create_task(count_acquisitions(lock, acquired));
  co_await sleep(0s);
  t1.cancel();
  lock.release();
  co_await sleep(0s);
  std::vector<std::string> seen{std::to_string(acquired), t1.cancelled() ? "t1 cancelled" : "t1 not cancelled",
                                t2.done() ? "t2 done" : "t2 waiting", t3.done() ? "t3 done" : "t3 waiting",
                                state_of(lock)};
  t3.cancel();
  co_await sleep(0s);
  seen.push_back(t3.cancelled() ? "t3 cancelled" : "t3 not cancelled");
  co_return seen;
}

TEST(Lock, CancellingAWaiterThenReleasingLetsExactlyOneOtherWaiterIn) {
  VirtualClock clock;
  EXPECT_THAT(run(cancel_then_release(), clock),
              ElementsAre("1", "t1 cancelled", "t2 done", "t3 waiting", "[locked, waiters:1]", "t3 cancelled"));
}

TEST(Lock, ReleasingAnUnlockedLockIsAnInvalidStateError) {
  const int line = __LINE__ + 1;
  Lock lock("db");
  try {
    lock.release();
    FAIL() << "no error";
  } catch (const InvalidStateError& error) {
    EXPECT_EQ(std::string(error.what()),
              fmt::format("Lock 'db' (created at tests/sync/lock_test.cc:{}): release() of a lock that is not acquired",
                          line));
  }
}

Coro<std::vector<std::string>> guard_lifecycle() {
  Lock lock;
  std::vector<std::string> seen;
  {
    LockGuard guard = co_await lock.lock();
    seen.push_back(fmt::format("{} {}", guard.owns_lock(), lock.locked()));
    LockGuard moved = std::move(guard);
    seen.push_back(fmt::format("{} {} {}", guard.owns_lock(), moved.owns_lock(), lock.locked()));
    moved.unlock();
    seen.push_back(fmt::format("{} {}", moved.owns_lock(), lock.locked()));
    try {
      moved.unlock();
    } catch (const InvalidStateError& error) {
      seen.push_back(error.what());
    }
    LockGuard assigned;
    seen.push_back(fmt::format("{}", assigned.owns_lock()));
    assigned = co_await lock.lock();
    seen.push_back(fmt::format("{} {}", assigned.owns_lock(), lock.locked()));
  }
  seen.push_back(fmt::format("{}", lock.locked()));
  co_return seen;
}

// Only the awaiter that took the lock makes a LockGuard; it moves, never copies, and a
// default-constructed one holds nothing.
static_assert(std::is_nothrow_default_constructible_v<LockGuard>);
static_assert(std::is_nothrow_move_constructible_v<LockGuard> && std::is_nothrow_move_assignable_v<LockGuard>);
static_assert(!std::is_copy_constructible_v<LockGuard> && !std::is_copy_assignable_v<LockGuard>);
static_assert(!std::is_constructible_v<LockGuard, Lock&>);

TEST(Lock, LockGivesAGuardThatReleasesOnceAndCanBeMoved) {
  VirtualClock clock;
  EXPECT_THAT(run(guard_lifecycle(), clock),
              ElementsAre("true true", "false true true", "false false",
                          "LockGuard::unlock: the guard holds no lock (already unlocked, or moved from)", "false",
                          "true true", "false"));
}

Coro<bool> guard_after_manual_release() {
  Lock lock;
  {
    LockGuard guard = co_await lock.lock();
    lock.release();  // behind the guard's back: its destructor must not throw
  }
  co_return lock.locked();
}

TEST(Lock, AGuardLeavesALockReleasedBehindItsBackAlone) {
  VirtualClock clock;
  EXPECT_FALSE(run(guard_after_manual_release(), clock));
}

int deadlock_lock_line = 0;
int deadlock_acquire_line = 0;

Coro<> acquire_twice() {
  deadlock_lock_line = __LINE__ + 1;
  Lock lock("db");
  co_await lock.acquire();
  deadlock_acquire_line = __LINE__ + 1;
  co_await lock.acquire();  // asyncio locks are not reentrant
}

TEST(Lock, ADeadlockNamesTheLockAndWhereItWasAwaited) {
  const std::string message = test::deadlock_message(acquire_twice());
  EXPECT_THAT(message, HasSubstr(fmt::format("waits on Lock 'db' (created at tests/sync/lock_test.cc:{}) "
                                             "[locked, waiters:1], awaited at tests/sync/lock_test.cc:{}",
                                             deadlock_lock_line, deadlock_acquire_line)));
}

// This task takes the lock first, so that the waiter waits.
Coro<std::string> destroy_the_lock_under_a_waiter() {
  return test::cancel_a_waiter_of_a_destroyed([] { return Lock(); }, acquire_forever<Lock>,
                                              [](Lock& lock) { return lock.acquire(); });
}

TEST(Lock, AWaiterOfADestroyedLockCanStillBeCancelled) {
  VirtualClock clock;
  EXPECT_EQ(run(destroy_the_lock_under_a_waiter(), clock), "cancelled");
}

Coro<std::string> format_with_waiters(Lock& lock) {
  co_await lock.acquire();
  auto first = create_task(acquire_forever(lock));
  auto second = create_task(acquire_forever(lock));
  co_await sleep(0s);
  std::string text = fmt::format("{}", lock);
  first.cancel();
  second.cancel();
  co_await sleep(0s);
  co_return text;
}

TEST(Lock, FormatsLikeAsyncioRepr) {
  VirtualClock clock;
  const int line = __LINE__ + 1;
  Lock lock("db");
  EXPECT_EQ(fmt::format("{}", lock), fmt::format("Lock 'db' (created at tests/sync/lock_test.cc:{}) [unlocked]", line));
  EXPECT_EQ(run(format_with_waiters(lock), clock),
            fmt::format("Lock 'db' (created at tests/sync/lock_test.cc:{}) [locked, waiters:2]", line));
  EXPECT_THAT(fmt::format("{}", Lock()), HasSubstr("Lock (created at tests/sync/lock_test.cc:"));
}

TEST(Lock, KnowsItsNameAndWhereItWasCreated) {
  const int line = __LINE__ + 1;
  Lock lock("db");
  EXPECT_EQ(lock.name(), "db");
  EXPECT_STREQ(lock.created_at().file_name(), "tests/sync/lock_test.cc");
  EXPECT_EQ(lock.created_at().line(), static_cast<unsigned>(line));
}

TEST(Lock, AWithdrawnCancellationStillEndsTheWaitWithCancelledError) {
  VirtualClock clock;
  EXPECT_EQ(run(test::withdraw_an_acquirers_cancellation<Lock>(), clock), "CancelledError, then slept; [unlocked]");
}

TEST(Lock, AGuardDestroyedWithTheLoopDoesNotWakeTasksOfTheClosedLoop) {
  for (const bool holder_first : {true, false}) {
    Lock lock;
    Event never;
    VirtualClock clock;
    run(test::leave_a_holder_and_a_waiter(guard_of(lock), never, holder_first), clock);
    EXPECT_FALSE(lock.locked());
  }
}

Coro<> hold_then_take(Lock& held, Lock& wanted, Event& both_held) {
  const LockGuard guard = co_await held.lock();
  co_await sleep(1s);
  both_held.set();
  const LockGuard second = co_await wanted.lock();
}

Coro<> take_in_opposite_orders(Lock& first, Lock& second) {
  Event both_held("both held");
  auto a = create_task(hold_then_take(first, second, both_held), "a");
  auto b = create_task(hold_then_take(second, first, both_held), "b");
  co_await gather(a, b);
}

TEST(Lock, TheDeadlockReportSaysWhoHoldsWhatEachTaskWaitsFor) {
  Lock first("first");
  Lock second("second");
  VirtualClock clock;
  try {
    run(take_in_opposite_orders(first, second), clock);
    FAIL() << "no deadlock";
  } catch (const DeadlockError& error) {
    EXPECT_THAT(error.what(), HasSubstr("task 'a' (created at tests/sync/lock_test.cc:"));
    EXPECT_THAT(error.what(), HasSubstr("waits on Lock 'second' (created at tests/sync/lock_test.cc:"));
    EXPECT_THAT(error.what(), ::testing::MatchesRegex("(.|\n)*task 'a' .* waits on Lock 'second' .* \\[locked, "
                                                      "waiters:1\\], awaited at [^;]*; held by task 'b'(.|\n)*"));
    EXPECT_THAT(error.what(), ::testing::MatchesRegex("(.|\n)*task 'b' .* waits on Lock 'first' .* \\[locked, "
                                                      "waiters:1\\], awaited at [^;]*; held by task 'a'(.|\n)*"));
  }
}

}  // namespace
}  // namespace simtime

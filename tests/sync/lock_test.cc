#include "simtime/sync/lock.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <simtime/simtime.hpp>
#include <string>
#include <vector>

#include "tests/timeline.hpp"

namespace simtime {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string state_of(const Lock& lock) {
  const std::string text = fmt::format("{}", lock);
  return text.substr(text.find('['));
}

Coro<> note(test::Timeline& timeline, std::string what) {
  timeline.note(what);
  co_return;
}

// Rule 14.
Coro<> acquire_a_free_lock(test::Timeline& timeline) {
  Lock lock;
  auto other = create_task(note(timeline, "other task ran"));
  co_await lock.acquire();
  timeline.note(lock.locked() ? "acquired" : "not acquired");
  co_await other;
}

TEST(Lock, AcquiringAFreeLockDoesNotSuspend) {
  VirtualClock clock;
  test::Timeline timeline;
  run(acquire_a_free_lock(timeline), clock);
  EXPECT_THAT(timeline.lines(), ElementsAre("0s acquired", "0s other task ran"));
}

Coro<> acquire_and_record(Lock& lock, std::vector<int>& result, int id) {
  co_await lock.acquire();
  result.push_back(id);
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

Coro<> hold_for(Lock& lock, Duration hold, test::Timeline& timeline, std::string who) {
  LockGuard guard = co_await lock.lock();
  timeline.note(who + " acquired");
  try {
    co_await sleep(hold);
  } catch (const CancelledError&) {
    timeline.note(who + " cancelled while holding");
    throw;
  }
  timeline.note(who + " releases");
}

Coro<std::vector<std::string>> newcomer_behind_woken_waiter(test::Timeline& timeline) {
  Lock lock;
  co_await lock.acquire();
  auto waiter = create_task(hold_for(lock, 1s, timeline, "waiter"));
  co_await sleep(1s);
  lock.release();
  // The lock is free but promised to the woken waiter: a newcomer queues behind it.
  std::vector<std::string> seen{lock.locked() ? "locked" : "unlocked"};
  auto newcomer = create_task(hold_for(lock, 1s, timeline, "newcomer"));
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
enum class CancelPoint { before_release, after_release_same_turn, after_it_acquired };

Coro<std::string> cancel_lock_waiter(CancelPoint point, test::Timeline& timeline) {
  Lock lock("db");
  auto a = create_task(hold_for(lock, 2s, timeline, "A"));
  co_await sleep(1s);
  auto b = create_task(hold_for(lock, 2s, timeline, "B"));
  auto c = create_task(hold_for(lock, 2s, timeline, "C"));
  co_await sleep(0s);
  if (point == CancelPoint::before_release) b.cancel();
  co_await sleep(1s);  // A's timer was armed first: A releases at 2s, then this runs
  if (point == CancelPoint::after_release_same_turn) b.cancel();
  co_await sleep(1s);
  if (point == CancelPoint::after_it_acquired) b.cancel();
  co_await gather(a, c);
  try {
    co_await b;
  } catch (const CancelledError&) {
  }
  co_return fmt::format("B {}, {}", b.cancelled() ? "cancelled" : "finished", state_of(lock));
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
  VirtualClock clock;
  try {
    run(acquire_twice(), clock);
    FAIL() << "no DeadlockError";
  } catch (const DeadlockError& error) {
    EXPECT_THAT(error.what(), HasSubstr(fmt::format("waits on Lock 'db' (created at tests/sync/lock_test.cc:{}) "
                                                    "[locked, waiters:1], awaited at tests/sync/lock_test.cc:{}",
                                                    deadlock_lock_line, deadlock_acquire_line)));
  }
}

Coro<> acquire_forever(Lock& lock) { co_await lock.acquire(); }

Coro<std::string> destroy_the_lock_under_a_waiter() {
  Task<> waiter;
  {
    Lock lock;
    co_await lock.acquire();
    waiter = create_task(acquire_forever(lock));
    co_await sleep(0s);
  }
  waiter.cancel();
  try {
    co_await waiter;
  } catch (const CancelledError&) {
    co_return "cancelled";
  }
  co_return "returned";
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

}  // namespace
}  // namespace simtime

namespace simtime {
namespace {

// A cancellation that made the wait give up cannot be withdrawn: asyncio's waiter future is
// cancelled, so uncancel() does not undo it. The next await is not affected.
template <class Acquire>
Coro<std::string> acquire_then_sleep(Acquire acquire) {
  std::string what;
  try {
    co_await acquire();
    what = "acquired";
  } catch (const CancelledError&) {
    what = "CancelledError";
  }
  co_await sleep(1s);
  co_return what + ", then slept";
}

Coro<std::string> withdraw_a_lock_waiters_cancellation() {
  Lock lock;
  co_await lock.acquire();
  auto waiter = create_task(acquire_then_sleep([&lock]() { return lock.acquire(); }));
  co_await sleep(0s);
  waiter.cancel();
  waiter.uncancel();
  lock.release();
  const std::string what = co_await waiter;
  co_return fmt::format("{}; {}", what, state_of(lock));
}

TEST(Lock, AWithdrawnCancellationStillEndsTheWaitWithCancelledError) {
  VirtualClock clock;
  EXPECT_EQ(run(withdraw_a_lock_waiters_cancellation(), clock), "CancelledError, then slept; [unlocked]");
}

// Tasks that swallow run()'s cancellations are destroyed when the run ends (rule 10): a guard
// in such a frame releases the lock, which must not wake another such task of the closed loop.
Coro<> hold_forever(Lock& lock, Event& never) {
  LockGuard guard = co_await lock.lock();
  for (;;) {
    try {
      co_await never.wait();
    } catch (const CancelledError&) {
    }
  }
}

Coro<> wait_for_the_lock_forever(Lock& lock) {
  co_await sleep(1s);
  for (;;) {
    try {
      LockGuard guard = co_await lock.lock();
    } catch (const CancelledError&) {
    }
  }
}

// Both creation orders, so that either straggler's frame is destroyed first.
Coro<> leave_two_stragglers(Lock& lock, Event& never, bool holder_first) {
  if (holder_first) create_task(hold_forever(lock, never));
  create_task(wait_for_the_lock_forever(lock));
  if (!holder_first) create_task(hold_forever(lock, never));
  co_await sleep(2s);
}

TEST(Lock, AGuardDestroyedWithTheLoopDoesNotWakeTasksOfTheClosedLoop) {
  for (const bool holder_first : {true, false}) {
    Lock lock;
    Event never;
    VirtualClock clock;
    run(leave_two_stragglers(lock, never, holder_first), clock);
    EXPECT_FALSE(lock.locked());
  }
}

}  // namespace
}  // namespace simtime

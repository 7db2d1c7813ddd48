#include "simtime/sync/semaphore.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <simtime/simtime.hpp>
#include <stdexcept>
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

// How the shared scenarios take a permit: through its guard.
auto permit_of(Semaphore& semaphore) {
  return [&semaphore] { return semaphore.hold(); };
}

// CPython test_locks.py SemaphoreTests.test_initial_value_zero.
TEST(Semaphore, WithAnInitialValueOfZeroIsLocked) {
  Semaphore semaphore(0);
  EXPECT_TRUE(semaphore.locked());
  EXPECT_EQ(semaphore.value(), 0);
  EXPECT_FALSE(Semaphore().locked());
  EXPECT_EQ(Semaphore().value(), 1);
}

// CPython SemaphoreTests.test_semaphore_value.
TEST(Semaphore, ANegativeInitialValueIsAnInvalidArgument) {
  const int line = __LINE__ + 2;
  try {
    Semaphore semaphore(-1, "pool");
    FAIL() << "no error";
  } catch (const std::invalid_argument& error) {
    EXPECT_EQ(
        std::string(error.what()),
        fmt::format("Semaphore 'pool' (created at tests/sync/semaphore_test.cc:{}): initial value -1 must be >= 0",
                    line));
  }
  EXPECT_THROW(BoundedSemaphore(-3), std::invalid_argument);
}

// Rule 14.
Coro<std::string> acquire_a_free_permit() {
  Semaphore semaphore(2);
  co_await semaphore.acquire();
  co_return fmt::format("acquired, {} left", semaphore.value());
}

TEST(Semaphore, AcquiringAFreePermitDoesNotSuspend) {
  EXPECT_THAT(test::run_ahead_of_another_task(acquire_a_free_permit()),
              ElementsAre("0s acquired, 1 left", "0s other task ran"));
}

// CPython SemaphoreTests.test_acquire.
Coro<std::vector<std::string>> three_permits_four_tasks() {
  Semaphore semaphore(3);
  std::vector<int> result;
  std::vector<std::string> seen;
  co_await semaphore.acquire();
  co_await semaphore.acquire();
  seen.push_back(fmt::format("locked={}", semaphore.locked()));
  auto t1 = create_task(acquire_and_record(semaphore, result, 1));
  auto t2 = create_task(acquire_and_record(semaphore, result, 2));
  auto t3 = create_task(acquire_and_record(semaphore, result, 3));
  co_await sleep(0s);
  seen.push_back(fmt::format("{} {}", fmt::join(result, ","), state_of(semaphore)));
  auto t4 = create_task(acquire_and_record(semaphore, result, 4));
  semaphore.release();
  semaphore.release();
  seen.push_back(fmt::format("value={}", semaphore.value()));  // both permits set aside for t2, t3
  co_await sleep(0s);
  seen.push_back(fmt::format("{} {}", fmt::join(result, ","), state_of(semaphore)));
  semaphore.release();
  co_await gather(t1, t2, t3, t4);
  seen.push_back(fmt::format("{}", fmt::join(result, ",")));
  co_return seen;
}

TEST(Semaphore, GivesPermitsInTheOrderTasksAsked) {
  VirtualClock clock;
  EXPECT_THAT(run(three_permits_four_tasks(), clock),
              ElementsAre("locked=false", "1 [locked, waiters:2]", "value=0", "1,2,3 [locked, waiters:1]", "1,2,3,4"));
}

Coro<> acquire_sleep_release_twice(Semaphore& semaphore, std::vector<std::string>& result, std::string tag) {
  for (int round = 1; round <= 2; ++round) {
    co_await semaphore.acquire();
    result.push_back(fmt::format("{}_{}", tag, round));
    co_await sleep(10ms);
    semaphore.release();
  }
}

// CPython SemaphoreTests.test_acquire_fifo_order.
Coro<std::vector<std::string>> fifo_over_two_rounds() {
  Semaphore semaphore(1);
  std::vector<std::string> result;
  co_await gather(acquire_sleep_release_twice(semaphore, result, "c1"),
                  acquire_sleep_release_twice(semaphore, result, "c2"),
                  acquire_sleep_release_twice(semaphore, result, "c3"));
  co_return result;
}

TEST(Semaphore, ATaskReleasingAndReacquiringQueuesBehindTheOthers) {
  VirtualClock clock;
  EXPECT_THAT(run(fifo_over_two_rounds(), clock), ElementsAre("c1_1", "c2_1", "c3_1", "c1_2", "c2_2", "c3_2"));
  EXPECT_EQ(clock.now(), TimePoint{60ms});
}

// CPython SemaphoreTests.test_acquire_fifo_order_2.
Coro<std::vector<int>> release_and_reacquire_while_others_are_woken() {
  Semaphore semaphore(1);
  std::vector<int> result;
  auto c1 = create_task(acquire_and_record(semaphore, result, 1));
  auto c2 = create_task([](Semaphore& s, std::vector<int>& out) -> Coro<> {
    co_await s.acquire();
    out.push_back(2);
    s.release();
    co_await s.acquire();
    out.push_back(4);
  }(semaphore, result));
  auto c3 = create_task(acquire_and_record(semaphore, result, 3));
  co_await sleep(0s);
  semaphore.release();
  semaphore.release();
  co_await gather(c1, c2, c3);
  co_return result;
}

TEST(Semaphore, ANewcomerWaitsBehindWokenWaitersEvenWithAPermitFree) {
  VirtualClock clock;
  EXPECT_THAT(run(release_and_reacquire_while_others_are_woken(), clock), ElementsAre(1, 2, 3, 4));
}

// CPython SemaphoreTests.test_acquire_fifo_order_3.
Coro<std::vector<int>> cancel_first_then_release_twice() {
  Semaphore semaphore(0);
  std::vector<int> result;
  auto t1 = create_task(acquire_and_record(semaphore, result, 1));
  auto t2 = create_task(acquire_and_record(semaphore, result, 2));
  auto t3 = create_task(acquire_and_record(semaphore, result, 3));
  co_await sleep(0s);
  t1.cancel();
  co_await sleep(0s);
  semaphore.release();
  semaphore.release();
  co_await gather(t2, t3);
  co_return result;
}

TEST(Semaphore, ACancelledWaiterDoesNotTakeAPermit) {
  VirtualClock clock;
  EXPECT_THAT(run(cancel_first_then_release_twice(), clock), ElementsAre(2, 3));
}

// CPython SemaphoreTests.test_acquire_cancel_before_awoken and test_acquire_hang.
Coro<std::vector<std::string>> cancel_two_then_release_one() {
  Semaphore semaphore(0);
  std::vector<int> result;
  std::vector<Task<>> tasks;
  for (int i = 1; i <= 4; ++i) tasks.push_back(create_task(acquire_and_record(semaphore, result, i)));
  co_await sleep(0s);
  tasks[0].cancel();
  tasks[1].cancel();
  semaphore.release();
  co_await sleep(0s);
  co_await sleep(0s);
  std::vector<std::string> seen{fmt::format("{}", fmt::join(result, ",")), fmt::format("t4 done={}", tasks[3].done()),
                                state_of(semaphore)};
  tasks[3].cancel();
  co_await sleep(0s);
  seen.push_back(state_of(semaphore));
  co_return seen;
}

TEST(Semaphore, WaitersCancelledBeforeTheReleaseLetTheNextOneIn) {
  VirtualClock clock;
  EXPECT_THAT(run(cancel_two_then_release_one(), clock),
              ElementsAre("3", "t4 done=false", "[locked, waiters:1]", "[locked]"));
}

// Cancellation at each point around a wake: A holds the only permit until 2s, B and C wait.
Coro<std::string> cancel_semaphore_waiter(CancelPoint point, test::Timeline& timeline) {
  BoundedSemaphore semaphore(1, "pool");
  const std::string b = co_await test::cancel_the_first_waiter(point, permit_of(semaphore), timeline);
  co_return fmt::format("{}, {}", b, state_of(semaphore));
}

TEST(Semaphore, AWaiterCancelledBeforeTheReleaseJustLeavesTheQueue) {
  VirtualClock clock;
  test::Timeline timeline;
  EXPECT_EQ(run(cancel_semaphore_waiter(CancelPoint::before_release, timeline), clock),
            "B cancelled, [unlocked, value:1]");
  EXPECT_THAT(timeline.lines(), ElementsAre("0s A acquired", "2s A releases", "2s C acquired", "4s C releases"));
}

TEST(Semaphore, AWaiterWokenThenCancelledGivesItsPermitToTheNextWaiter) {
  VirtualClock clock;
  test::Timeline timeline;
  EXPECT_EQ(run(cancel_semaphore_waiter(CancelPoint::after_release_same_turn, timeline), clock),
            "B cancelled, [unlocked, value:1]");
  EXPECT_THAT(timeline.lines(), ElementsAre("0s A acquired", "2s A releases", "2s C acquired", "4s C releases"));
}

TEST(Semaphore, AHolderCancelledWhileHoldingReturnsItsPermitThroughItsGuard) {
  VirtualClock clock;
  test::Timeline timeline;
  EXPECT_EQ(run(cancel_semaphore_waiter(CancelPoint::after_it_acquired, timeline), clock),
            "B cancelled, [unlocked, value:1]");
  EXPECT_THAT(timeline.lines(), ElementsAre("0s A acquired", "2s A releases", "2s B acquired",
                                            "3s B cancelled while holding", "3s C acquired", "5s C releases"));
}

// CPython SemaphoreTests.test_acquire_no_hang: the woken waiter is cancelled by the task
// that released the permit; the permit must not be lost.
Coro<bool> cancel_the_woken_waiter_from_the_releaser() {
  Semaphore semaphore(1);
  Task<> second;
  auto first = create_task([](Semaphore& s, Task<>* other) -> Coro<> {
    {
      SemaphoreGuard permit = co_await s.hold();
      co_await sleep(0s);
    }
    other->cancel();
  }(semaphore, &second));
  second = create_task([](Semaphore& s) -> Coro<> { SemaphoreGuard permit = co_await s.hold(); }(semaphore));
  co_await first;
  try {
    co_await second;
  } catch (const CancelledError&) {
  }
  co_await semaphore.acquire();  // would block forever if the permit leaked
  co_return second.cancelled() && semaphore.value() == 0;
}

TEST(Semaphore, APermitGivenToAWaiterCancelledBeforeItRanIsNotLost) {
  VirtualClock clock;
  EXPECT_TRUE(run(cancel_the_woken_waiter_from_the_releaser(), clock));
}

// CPython SemaphoreTests.test_release_not_acquired.
TEST(BoundedSemaphore, ReleasingMoreThanItsInitialValueIsAnInvalidArgument) {
  const int line = __LINE__ + 1;
  BoundedSemaphore semaphore(1, "pool");
  try {
    semaphore.release();
    FAIL() << "no error";
  } catch (const std::invalid_argument& error) {
    EXPECT_EQ(std::string(error.what()),
              fmt::format("BoundedSemaphore 'pool' (created at tests/sync/semaphore_test.cc:{}) released too many "
                          "times: its value 1 is already its initial value 1",
                          line));
  }
  EXPECT_EQ(semaphore.value(), 1);
}

Coro<std::vector<std::string>> bounded_within_its_bound() {
  BoundedSemaphore semaphore(2);
  co_await semaphore.acquire();
  co_await semaphore.acquire();
  semaphore.release();
  semaphore.release();
  std::vector<std::string> seen{fmt::format("value={}", semaphore.value())};
  try {
    semaphore.release();
  } catch (const std::invalid_argument&) {
    seen.push_back("third release refused");
  }
  co_return seen;
}

TEST(BoundedSemaphore, AcceptsReleasesUpToItsInitialValue) {
  VirtualClock clock;
  EXPECT_THAT(run(bounded_within_its_bound(), clock), ElementsAre("value=2", "third release refused"));
}

// CPython SemaphoreTests.test_release_no_waiters.
TEST(Semaphore, AnUnboundedSemaphoreMayBeReleasedBeyondItsInitialValue) {
  Semaphore semaphore(1);
  semaphore.release();
  EXPECT_EQ(semaphore.value(), 2);
  EXPECT_FALSE(semaphore.locked());
}

Coro<std::vector<std::string>> guard_lifecycle() {
  Semaphore semaphore(2);
  std::vector<std::string> seen;
  {
    SemaphoreGuard permit = co_await semaphore.hold();
    seen.push_back(fmt::format("{} {}", permit.owns_permit(), semaphore.value()));
    SemaphoreGuard moved = std::move(permit);
    seen.push_back(fmt::format("{} {} {}", permit.owns_permit(), moved.owns_permit(), semaphore.value()));
    moved.release();
    seen.push_back(fmt::format("{} {}", moved.owns_permit(), semaphore.value()));
    try {
      moved.release();
    } catch (const InvalidStateError& error) {
      seen.push_back(error.what());
    }
    SemaphoreGuard assigned;
    assigned = co_await semaphore.hold();
    seen.push_back(fmt::format("{} {}", assigned.owns_permit(), semaphore.value()));
  }
  seen.push_back(fmt::format("{}", semaphore.value()));
  co_return seen;
}

// Only the awaiter that took the semaphore makes a SemaphoreGuard; it moves, never copies, and a
// default-constructed one holds nothing.
static_assert(std::is_nothrow_default_constructible_v<SemaphoreGuard>);
static_assert(std::is_nothrow_move_constructible_v<SemaphoreGuard> &&
              std::is_nothrow_move_assignable_v<SemaphoreGuard>);
static_assert(!std::is_copy_constructible_v<SemaphoreGuard> && !std::is_copy_assignable_v<SemaphoreGuard>);
static_assert(!std::is_constructible_v<SemaphoreGuard, Semaphore&>);

TEST(Semaphore, HoldGivesAGuardThatReleasesOnceAndCanBeMoved) {
  VirtualClock clock;
  EXPECT_THAT(run(guard_lifecycle(), clock),
              ElementsAre("true 1", "false true 1", "false 2",
                          "SemaphoreGuard::release: the guard holds no permit (already released, or moved from)",
                          "true 1", "2"));
}

Coro<std::ptrdiff_t> guard_never_over_releases() {
  BoundedSemaphore semaphore(1);
  {
    SemaphoreGuard permit = co_await semaphore.hold();
    semaphore.release();  // behind the guard's back
  }                       // the guard must not throw from its destructor
  co_return semaphore.value();
}

TEST(BoundedSemaphore, AGuardNeverReleasesItPastItsBound) {
  VirtualClock clock;
  EXPECT_EQ(run(guard_never_over_releases(), clock), 1);
}

int deadlock_semaphore_line = 0;
int deadlock_acquire_line = 0;

Coro<> acquire_an_empty_semaphore() {
  deadlock_semaphore_line = __LINE__ + 1;
  Semaphore semaphore(0, "pool");
  deadlock_acquire_line = __LINE__ + 1;
  co_await semaphore.acquire();
}

TEST(Semaphore, ADeadlockNamesTheSemaphoreAndWhereItWasAwaited) {
  const std::string message = test::deadlock_message(acquire_an_empty_semaphore());
  EXPECT_THAT(message, HasSubstr(fmt::format("waits on Semaphore 'pool' (created at tests/sync/semaphore_test.cc:{}) "
                                             "[locked, waiters:1], awaited at tests/sync/semaphore_test.cc:{}",
                                             deadlock_semaphore_line, deadlock_acquire_line)));
}

TEST(Semaphore, AWaiterOfADestroyedSemaphoreCanStillBeCancelled) {
  VirtualClock clock;
  EXPECT_EQ(run(test::cancel_a_waiter_of_a_destroyed([] { return Semaphore(0); }, acquire_forever<Semaphore>), clock),
            "cancelled");
}

TEST(Semaphore, FormatsLikeAsyncioRepr) {
  const int line = __LINE__ + 1;
  Semaphore semaphore(2, "pool");
  BoundedSemaphore bounded(0);
  EXPECT_EQ(fmt::format("{}", semaphore),
            fmt::format("Semaphore 'pool' (created at tests/sync/semaphore_test.cc:{}) [unlocked, value:2]", line));
  EXPECT_EQ(fmt::format("{}", bounded),
            fmt::format("BoundedSemaphore (created at tests/sync/semaphore_test.cc:{}) [locked]", line + 1));
}

TEST(Semaphore, KnowsItsNameAndWhereItWasCreated) {
  const int line = __LINE__ + 1;
  BoundedSemaphore semaphore(3, "pool");
  EXPECT_EQ(semaphore.name(), "pool");
  EXPECT_STREQ(semaphore.created_at().file_name(), "tests/sync/semaphore_test.cc");
  EXPECT_EQ(semaphore.created_at().line(), static_cast<unsigned>(line));
}

// Semaphore() has one permit.
TEST(Semaphore, AWithdrawnCancellationStillEndsTheWaitWithCancelledError) {
  VirtualClock clock;
  EXPECT_EQ(run(test::withdraw_an_acquirers_cancellation<Semaphore>(), clock),
            "CancelledError, then slept; [unlocked, value:1]");
}

TEST(Semaphore, AGuardDestroyedWithTheLoopDoesNotWakeTasksOfTheClosedLoop) {
  for (const bool holder_first : {true, false}) {
    Semaphore semaphore(1);
    Event never;
    VirtualClock clock;
    run(test::leave_a_holder_and_a_waiter(permit_of(semaphore), never, holder_first), clock);
    EXPECT_EQ(semaphore.value(), 1);
  }
}

Coro<> take_a_permit_and_wait(Semaphore& semaphore, Event& never) {
  co_await semaphore.acquire();
  co_await never.wait();
}

Coro<> take_the_last_permit_then_wait_for_another(Semaphore& semaphore) {
  Event never("never");
  auto holder = create_task(take_a_permit_and_wait(semaphore, never), "holder");
  co_await sleep(1s);
  co_await semaphore.acquire();
}

TEST(Semaphore, TheDeadlockReportSaysWhichTaskTookTheLastPermit) {
  Semaphore semaphore(1, "pool");
  VirtualClock clock;
  try {
    run(take_the_last_permit_then_wait_for_another(semaphore), clock);
    FAIL() << "no deadlock";
  } catch (const DeadlockError& error) {
    EXPECT_THAT(error.what(), HasSubstr("waits on Semaphore 'pool' (created at tests/sync/semaphore_test.cc:"));
    EXPECT_THAT(error.what(), HasSubstr("; its last permit taken by task 'holder'"));
  }
}

}  // namespace
}  // namespace simtime

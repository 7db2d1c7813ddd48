#include "simtime/sync/barrier.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <functional>
#include <simtime/simtime.hpp>
#include <stdexcept>
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
using ::testing::UnorderedElementsAre;

constexpr std::size_t N = 5;  // CPython's BarrierTests use 5 parties

// Runs `count` tasks of `body` and gathers them (CPython's gather_tasks).
Coro<std::vector<std::size_t>> gather_tasks(std::size_t count, std::function<Coro<std::size_t>()> body) {
  std::vector<Task<std::size_t>> tasks;
  for (std::size_t i = 0; i < count; ++i) tasks.push_back(create_task(body()));
  co_return co_await gather(std::move(tasks));
}

TEST(Barrier, NeedsAtLeastOneParty) {
  const int line = __LINE__ + 2;
  try {
    Barrier barrier(0, "start");
    FAIL() << "no error";
  } catch (const std::invalid_argument& error) {
    EXPECT_EQ(std::string(error.what()),
              fmt::format("Barrier 'start' (created at tests/sync/barrier_test.cc:{}): parties 0 must be >= 1", line));
  }
  EXPECT_THROW(Barrier(-4), std::invalid_argument);
  EXPECT_EQ(Barrier(3).parties(), 3u);
}

Coro<> wait_and_note(Barrier& barrier, test::Timeline& timeline, std::string who) {
  const std::size_t index = co_await barrier.wait();
  timeline.note(fmt::format("{} passed as {}", who, index));
}

Coro<> arrive_at(Duration delay, Barrier& barrier, test::Timeline& timeline, std::string who) {
  co_await sleep(delay);
  co_await wait_and_note(barrier, timeline, who);
}

Coro<> three_arrivals(test::Timeline& timeline) {
  Barrier barrier(3, "start");
  co_await gather(arrive_at(2s, barrier, timeline, "b"), arrive_at(1s, barrier, timeline, "a"),
                  arrive_at(3s, barrier, timeline, "c"));
}

TEST(Barrier, ReleasesEveryoneWhenTheLastPartyArrivesAndNumbersThemByArrival) {
  VirtualClock clock;
  test::Timeline timeline;
  run(three_arrivals(timeline), clock);
  // The last party passes at once; the released ones run on the next turn, in arrival order.
  EXPECT_THAT(timeline.lines(), ElementsAre("3s c passed as 2", "3s a passed as 0", "3s b passed as 1"));
}

Coro<std::string> last_party_does_not_suspend() {
  Barrier barrier(1);
  const std::size_t index = co_await barrier.wait();
  co_return fmt::format("passed as {}", index);
}

// CPython BarrierTests.test_filling_one_task.
TEST(Barrier, TheLastPartyDoesNotSuspend) {
  EXPECT_THAT(test::run_ahead_of_another_task(last_party_does_not_suspend()),
              ElementsAre("0s passed as 0", "0s other task ran"));
}

// CPython BarrierTests.test_filling_one_task_twice.
Coro<std::vector<std::string>> one_party_twice() {
  Barrier barrier(1);
  auto t1 = create_task(barrier.wait());
  co_await sleep(0s);
  std::vector<std::string> seen{fmt::format("waiting {}", barrier.n_waiting())};
  auto t2 = create_task(barrier.wait());
  co_await sleep(0s);
  seen.push_back(
      fmt::format("{} {} waiting {} broken {}", t1.result(), t2.result(), barrier.n_waiting(), barrier.broken()));
  co_return seen;
}

TEST(Barrier, OfOnePartyLetsEachTaskThroughAlone) {
  VirtualClock clock;
  EXPECT_THAT(run(one_party_twice(), clock), ElementsAre("waiting 0", "0 0 waiting 0 broken false"));
}

// CPython BarrierTests.test_filling_task_by_task.
Coro<std::vector<std::string>> fill_task_by_task() {
  Barrier barrier(3);
  std::vector<std::string> seen;
  auto t1 = create_task(barrier.wait());
  co_await sleep(0s);
  seen.push_back(state_of(barrier));
  auto t2 = create_task(barrier.wait());
  co_await sleep(0s);
  seen.push_back(state_of(barrier));
  auto t3 = create_task(barrier.wait());
  co_await sleep(0s);
  seen.push_back(state_of(barrier));  // t3 passed; t1 and t2 are released but have not run
  co_await gather(t1, t2, t3);
  seen.push_back(state_of(barrier));
  co_return seen;
}

TEST(Barrier, CountsWaitersWhileFillingAndDrainsAfterRelease) {
  VirtualClock clock;
  EXPECT_THAT(run(fill_task_by_task(), clock), ElementsAre("[filling, waiters:1/3]", "[filling, waiters:2/3]",
                                                           "[draining, waiters:0/3]", "[filling, waiters:0/3]"));
}

// CPython BarrierTests.test_filling_tasks_wait_twice and test_filling_tasks_check_return_value.
Coro<std::vector<std::size_t>> wait_twice() {
  Barrier barrier(N);
  std::vector<std::size_t> second_round;
  co_await gather_tasks(N, [&]() -> Coro<std::size_t> {
    return [](Barrier& b, std::vector<std::size_t>& out) -> Coro<std::size_t> {
      co_await b.wait();
      const std::size_t index = co_await b.wait();
      out.push_back(index);
      co_return index;
    }(barrier, second_round);
  });
  EXPECT_EQ(barrier.n_waiting(), 0u);
  EXPECT_FALSE(barrier.broken());
  co_return second_round;
}

TEST(Barrier, CanBeWaitedOnAgainAndGivesEveryIndexOnce) {
  VirtualClock clock;
  EXPECT_THAT(run(wait_twice(), clock), UnorderedElementsAre(0, 1, 2, 3, 4));
}

// CPython BarrierTests.test_draining_state.
Coro<std::vector<bool>> draining_seen_from_inside() {
  Barrier barrier(N);
  std::vector<bool> draining;
  co_await gather_tasks(N, [&]() -> Coro<std::size_t> {
    return [](Barrier& b, std::vector<bool>& out) -> Coro<std::size_t> {
      const std::size_t index = co_await b.wait();
      out.push_back(state_of(b).find("draining") != std::string::npos);
      co_return index;
    }(barrier, draining);
  });
  co_return draining;
}

TEST(Barrier, DrainsUntilTheLastReleasedTaskHasRun) {
  VirtualClock clock;
  EXPECT_THAT(run(draining_seen_from_inside(), clock), ElementsAre(true, true, true, true, false));
}

// CPython BarrierTests.test_blocking_tasks_while_draining.
Coro<bool> tasks_blocked_while_draining() {
  Barrier barrier(N);
  Barrier fewer(N - 2);
  int rewait = 2;
  co_await gather_tasks(N, [&]() -> Coro<std::size_t> {
    return [](Barrier& b, Barrier& f, int& again) -> Coro<std::size_t> {
      co_await b.wait();
      if (again > 0) {
        --again;
        co_await b.wait();  // comes while the barrier drains: blocks until it has
      } else {
        co_await f.wait();
        co_await b.wait();
      }
      co_return 0;
    }(barrier, fewer, rewait);
  });
  co_return barrier.n_waiting() == 0 && !barrier.broken();
}

TEST(Barrier, TasksComingWhileItDrainsWaitForTheNextRound) {
  VirtualClock clock;
  EXPECT_TRUE(run(tasks_blocked_while_draining(), clock));
}

// CPython BarrierTests.test_filling_tasks_cancel_one.
Coro<std::vector<std::string>> cancel_one_of_three() {
  Barrier barrier(3);
  int passed = 0;
  auto pass = [](Barrier& b, int& count) -> Coro<> {
    co_await b.wait();
    ++count;
  };
  std::vector<std::string> seen;
  auto t1 = create_task(pass(barrier, passed));
  co_await sleep(0s);
  auto t2 = create_task(pass(barrier, passed));
  co_await sleep(0s);
  seen.push_back(fmt::format("waiting {}", barrier.n_waiting()));
  t1.cancel();
  co_await sleep(0s);
  seen.push_back(fmt::format("waiting {}, t1 cancelled {}", barrier.n_waiting(), t1.cancelled()));
  auto t3 = create_task(pass(barrier, passed));
  co_await sleep(0s);
  seen.push_back(fmt::format("waiting {}", barrier.n_waiting()));
  auto t4 = create_task(pass(barrier, passed));
  co_await gather(t2, t3, t4);
  seen.push_back(fmt::format("passed {}, {}", passed, state_of(barrier)));
  co_return seen;
}

TEST(Barrier, ACancelledWaiterLeavesWithoutBreakingIt) {
  VirtualClock clock;
  EXPECT_THAT(run(cancel_one_of_three(), clock), ElementsAre("waiting 2", "waiting 1, t1 cancelled true", "waiting 2",
                                                             "passed 3, [filling, waiters:0/3]"));
}

// Cancellation at each point around the release: before the last party arrives, after it
// arrived in the same turn, and after the released task ran.
enum class CancelPoint { before_release, after_release_same_turn, after_it_ran };

Coro<std::string> cancel_barrier_waiter(CancelPoint point, test::Timeline& timeline) {
  Barrier barrier(2, "pair");
  auto victim = create_task(wait_and_note(barrier, timeline, "victim"));
  co_await sleep(1s);
  if (point == CancelPoint::before_release) victim.cancel();
  auto partner = create_task(wait_and_note(barrier, timeline, "partner"));
  co_await sleep(0s);  // the partner arrives, in this turn before this task
  if (point == CancelPoint::after_release_same_turn) victim.cancel();
  co_await sleep(1s);
  if (point == CancelPoint::after_it_ran) victim.cancel();
  if (point == CancelPoint::before_release) co_await wait_and_note(barrier, timeline, "main");
  co_await partner;
  const std::string victim_ended = co_await test::how_it_ends(victim, "finished");
  co_return fmt::format("victim {}, {}", victim_ended, state_of(barrier));
}

TEST(Barrier, AWaiterCancelledBeforeTheReleaseNoLongerCounts) {
  VirtualClock clock;
  test::Timeline timeline;
  EXPECT_EQ(run(cancel_barrier_waiter(CancelPoint::before_release, timeline), clock),
            "victim cancelled, [filling, waiters:0/2]");
  EXPECT_THAT(timeline.lines(), ElementsAre("2s main passed as 1", "2s partner passed as 0"));
}

TEST(Barrier, AWaiterCancelledAfterItsReleaseThrowsButCountsAsReleased) {
  VirtualClock clock;
  test::Timeline timeline;
  EXPECT_EQ(run(cancel_barrier_waiter(CancelPoint::after_release_same_turn, timeline), clock),
            "victim cancelled, [filling, waiters:0/2]");
  EXPECT_THAT(timeline.lines(), ElementsAre("1s partner passed as 1"));
}

TEST(Barrier, AWaiterCancelledAfterItRanIsNotAffected) {
  VirtualClock clock;
  test::Timeline timeline;
  EXPECT_EQ(run(cancel_barrier_waiter(CancelPoint::after_it_ran, timeline), clock),
            "victim finished, [filling, waiters:0/2]");
  EXPECT_THAT(timeline.lines(), ElementsAre("1s partner passed as 1", "1s victim passed as 0"));
}

// CPython BarrierTests.test_reset_barrier and test_abort_barrier.
TEST(Barrier, ResetAndAbortWithoutWaiters) {
  Barrier barrier(1);
  barrier.reset();
  EXPECT_EQ(barrier.n_waiting(), 0u);
  EXPECT_FALSE(barrier.broken());
  barrier.abort();
  EXPECT_TRUE(barrier.broken());
  EXPECT_EQ(state_of(barrier), "[broken]");
  barrier.reset();
  EXPECT_FALSE(barrier.broken());
}

Coro<std::size_t> wait_catching_broken(Barrier& barrier, std::vector<std::string>& errors) {
  try {
    co_return co_await barrier.wait();
  } catch (const BrokenBarrierError& error) {
    const std::string what = error.what();
    errors.push_back(what.substr(what.find("): ") + 3));
  }
  co_return 99;
}

// CPython BarrierTests.test_reset_barrier_while_tasks_waiting.
Coro<std::vector<std::string>> reset_while_tasks_wait() {
  Barrier barrier(N);
  std::vector<std::string> errors;
  std::vector<Task<std::size_t>> tasks;
  for (std::size_t i = 0; i < N - 1; ++i) tasks.push_back(create_task(wait_catching_broken(barrier, errors)));
  co_await sleep(0s);
  barrier.reset();
  co_await gather(std::move(tasks));
  errors.push_back(state_of(barrier));
  co_return errors;
}

TEST(Barrier, ResetMakesTheWaitingTasksThrowBrokenBarrierError) {
  VirtualClock clock;
  const std::string reset = "reset while this task waited for 5 parties";
  EXPECT_THAT(run(reset_while_tasks_wait(), clock), ElementsAre(reset, reset, reset, reset, "[filling, waiters:0/5]"));
}

// CPython BarrierTests.test_reset_barrier_when_tasks_half_draining: a reset while released
// tasks have not run yet breaks their release (asyncio reads the state when they run).
Coro<std::vector<std::string>> reset_while_half_drained() {
  Barrier barrier(N);
  std::vector<std::string> errors;
  const std::size_t rest_of_tasks = N / 2;
  std::size_t passed = 0;
  co_await gather_tasks(N, [&]() -> Coro<std::size_t> {
    return [](Barrier& b, std::vector<std::string>& out, std::size_t& count, std::size_t rest) -> Coro<std::size_t> {
      const std::size_t index = co_await wait_catching_broken(b, out);
      if (index != 99 && ++count == N - rest) b.reset();
      co_return index;
    }(barrier, errors, passed, rest_of_tasks);
  });
  errors.push_back(state_of(barrier));
  co_return errors;
}

TEST(Barrier, ResetWhileDrainingBreaksTheReleaseOfTasksThatHaveNotRun) {
  VirtualClock clock;
  const std::string reset = "reset while this task waited for 5 parties";
  EXPECT_THAT(run(reset_while_half_drained(), clock), ElementsAre(reset, reset, "[filling, waiters:0/5]"));
}

// CPython BarrierTests.test_reset_barrier_when_tasks_half_draining_half_blocking.
Coro<std::vector<std::size_t>> reset_half_draining_half_blocking() {
  Barrier barrier(N);
  std::size_t caught_waiting = 0;
  std::size_t caught_blocked = 0;
  std::size_t count = 0;
  const std::size_t blocking_tasks = N / 2;
  co_await gather_tasks(N, [&]() -> Coro<std::size_t> {
    return [](Barrier& b, std::size_t& waiting, std::size_t& blocked, std::size_t& passed,
              std::size_t blocking) -> Coro<std::size_t> {
      bool broken = false;
      try {
        co_await b.wait();
      } catch (const BrokenBarrierError&) {
        broken = true;
      }
      if (broken) {
        ++waiting;
        co_await b.wait();
      } else if (++passed > blocking) {
        b.reset();
        co_await b.wait();
      } else {
        try {
          co_await b.wait();
        } catch (const BrokenBarrierError&) {
          ++blocked;
        }
      }
      co_return 0;
    }(barrier, caught_waiting, caught_blocked, count, blocking_tasks);
  });
  EXPECT_EQ(barrier.n_waiting(), 0u);
  EXPECT_FALSE(barrier.broken());
  co_return std::vector<std::size_t>{caught_waiting, caught_blocked};
}

TEST(Barrier, TasksBlockedWhileItResetsAreNotBroken) {
  VirtualClock clock;
  EXPECT_THAT(run(reset_half_draining_half_blocking(), clock), ElementsAre(N / 2, 0u));
}

// CPython BarrierTests.test_reset_barrier_while_tasks_waiting_and_waiting_again.
Coro<std::vector<std::size_t>> reset_then_wait_again() {
  Barrier barrier(N);
  std::size_t broken = 0;
  std::size_t passed = 0;
  std::vector<Task<>> tasks;
  for (std::size_t i = 0; i < N - 1; ++i) {
    tasks.push_back(create_task([](Barrier& b, std::size_t& broke, std::size_t& ok) -> Coro<> {
      try {
        co_await b.wait();
      } catch (const BrokenBarrierError&) {
        ++broke;
      }
      co_await b.wait();
      ++ok;
    }(barrier, broken, passed)));
  }
  create_task([](Barrier& b) -> Coro<> {
    b.reset();
    co_return;
  }(barrier));
  co_await sleep(0s);
  create_task([](Barrier& b, std::size_t& ok) -> Coro<> {
    co_await b.wait();
    ++ok;
  }(barrier, passed));
  co_await gather(std::move(tasks));
  co_await sleep(0s);
  EXPECT_FALSE(barrier.broken());
  co_return std::vector<std::size_t>{broken, passed};
}

TEST(Barrier, TasksBrokenByAResetCanWaitAgain) {
  VirtualClock clock;
  EXPECT_THAT(run(reset_then_wait_again(), clock), ElementsAre(N - 1, N));
}

// CPython BarrierTests.test_reset_barrier_while_tasks_draining.
Coro<std::vector<std::size_t>> reset_by_the_last_task_out() {
  Barrier barrier(N);
  std::size_t count = 0;
  std::size_t second_ok = 0;
  std::size_t second_failed = 0;
  std::size_t third_ok = 0;
  co_await gather_tasks(N, [&]() -> Coro<std::size_t> {
    return [](Barrier& b, std::size_t& passed, std::size_t& ok, std::size_t& failed,
              std::size_t& last) -> Coro<std::size_t> {
      co_await b.wait();
      if (++passed == N) {
        b.reset();  // the last task out: nobody is inside, the reset changes nothing
        co_await b.wait();
      } else {
        try {
          co_await b.wait();
          ++ok;
        } catch (const BrokenBarrierError&) {
          ++failed;
        }
      }
      co_await b.wait();
      ++last;
      co_return 0;
    }(barrier, count, second_ok, second_failed, third_ok);
  });
  EXPECT_FALSE(barrier.broken());
  EXPECT_EQ(barrier.n_waiting(), 0u);
  co_return std::vector<std::size_t>{second_ok, second_failed, third_ok};
}

TEST(Barrier, AResetByTheLastTaskOutDoesNotBreakTasksThatCameWhileItDrained) {
  VirtualClock clock;
  EXPECT_THAT(run(reset_by_the_last_task_out(), clock), ElementsAre(N - 1, 0u, N));
}

// CPython BarrierTests.test_abort_barrier_when_tasks_half_draining_half_blocking.
Coro<std::vector<std::string>> abort_half_draining_half_blocking() {
  Barrier barrier(N);
  std::vector<std::string> released_broken;
  std::vector<std::string> blocked_broken;
  std::size_t count = 0;
  const std::size_t blocking_tasks = N / 2;
  co_await gather_tasks(N, [&]() -> Coro<std::size_t> {
    return [](Barrier& b, std::vector<std::string>& first, std::vector<std::string>& second, std::size_t& passed,
              std::size_t blocking) -> Coro<std::size_t> {
      if (co_await wait_catching_broken(b, first) == 99) co_return 0;
      if (++passed > blocking) {
        b.abort();
      } else {
        co_await wait_catching_broken(b, second);
      }
      co_return 0;
    }(barrier, released_broken, blocked_broken, count, blocking_tasks);
  });
  EXPECT_TRUE(barrier.broken());
  EXPECT_EQ(barrier.n_waiting(), 0u);
  released_broken.insert(released_broken.end(), blocked_broken.begin(), blocked_broken.end());
  co_return released_broken;
}

TEST(Barrier, AbortBreaksReleasedTasksThatHaveNotRunAndTasksBlockedWhileDraining) {
  VirtualClock clock;
  const std::string aborted = "aborted while this task waited for 5 parties";
  const std::string broken = "the barrier is broken (abort() was called; reset() repairs it)";
  EXPECT_THAT(run(abort_half_draining_half_blocking(), clock), ElementsAre(aborted, aborted, broken, broken));
}

// The worker of CPython's abort-on-exception tests: the task that passes as N / 2 fails and
// aborts the barrier; the others count a second pass, or the BrokenBarrierError they get instead.
Coro<> pass_twice_unless_one_fails(Barrier& barrier, std::size_t& passed_twice, std::size_t& broken) {
  bool failed = false;
  try {
    const std::size_t index = co_await barrier.wait();
    if (index == N / 2) throw std::runtime_error("boom");
    co_await barrier.wait();
    ++passed_twice;
  } catch (const BrokenBarrierError&) {
    ++broken;
  } catch (const std::runtime_error&) {
    failed = true;
  }
  if (failed) barrier.abort();
}

// CPython BarrierTests.test_abort_barrier_when_exception.
Coro<std::vector<std::size_t>> abort_on_exception() {
  Barrier barrier(N);
  std::size_t passed_twice = 0;
  std::size_t broken = 0;
  co_await gather_tasks(N, [&]() -> Coro<std::size_t> {
    return [](Barrier& b, std::size_t& twice, std::size_t& broke) -> Coro<std::size_t> {
      co_await pass_twice_unless_one_fails(b, twice, broke);
      co_return 0;
    }(barrier, passed_twice, broken);
  });
  EXPECT_TRUE(barrier.broken());
  co_return std::vector<std::size_t>{passed_twice, broken};
}

TEST(Barrier, AnAbortOnAnExceptionBreaksItForEveryone) {
  VirtualClock clock;
  EXPECT_THAT(run(abort_on_exception(), clock), ElementsAre(0u, N - 1));
}

// CPython BarrierTests.test_abort_barrier_when_exception_then_resetting.
Coro<std::vector<std::size_t>> abort_then_reset() {
  Barrier first(N);
  Barrier second(N);
  std::size_t passed = 0;
  std::size_t broken = 0;
  std::size_t passed_after_reset = 0;
  co_await gather_tasks(N, [&]() -> Coro<std::size_t> {
    return
        [](Barrier& b1, Barrier& b2, std::size_t& ok, std::size_t& broke, std::size_t& ok_again) -> Coro<std::size_t> {
          co_await pass_twice_unless_one_fails(b1, ok, broke);
          // Everyone has left b1 before the reset, and nobody enters it before the reset.
          if (co_await b2.wait() == N / 2) b1.reset();
          co_await b2.wait();
          co_await b1.wait();
          ++ok_again;
          co_return 0;
        }(first, second, passed, broken, passed_after_reset);
  });
  EXPECT_FALSE(first.broken());
  co_return std::vector<std::size_t>{passed, broken, passed_after_reset};
}

TEST(Barrier, ResetRepairsAnAbortedBarrier) {
  VirtualClock clock;
  EXPECT_THAT(run(abort_then_reset(), clock), ElementsAre(0u, N - 1, N));
}

Coro<std::string> wait_on_a_broken_barrier(Barrier& barrier) {
  try {
    co_await barrier.wait();
  } catch (const BrokenBarrierError& error) {
    co_return error.what();
  }
  co_return "no error";
}

TEST(Barrier, WaitingOnABrokenBarrierThrowsBrokenBarrierError) {
  VirtualClock clock;
  const int line = __LINE__ + 1;
  Barrier barrier(2, "start");
  barrier.abort();
  EXPECT_EQ(run(wait_on_a_broken_barrier(barrier), clock),
            fmt::format("Barrier 'start' (created at tests/sync/barrier_test.cc:{}): the barrier is broken (abort() "
                        "was called; reset() repairs it)",
                        line));
}

int deadlock_barrier_line = 0;
int deadlock_wait_line = 0;

Coro<> wait_for_a_second_party() {
  deadlock_barrier_line = __LINE__ + 1;
  Barrier barrier(2, "pair");
  deadlock_wait_line = __LINE__ + 1;
  co_await barrier.wait();
}

TEST(Barrier, ADeadlockNamesTheBarrierAndWhereItWasAwaited) {
  const std::string message = test::deadlock_message(wait_for_a_second_party());
  EXPECT_THAT(message, HasSubstr(fmt::format("waits on Barrier 'pair' (created at tests/sync/barrier_test.cc:{}) "
                                             "[filling, waiters:1/2], awaited at tests/sync/barrier_test.cc:{}",
                                             deadlock_barrier_line, deadlock_wait_line)));
}

TEST(Barrier, AWaiterOfADestroyedBarrierCanStillBeCancelled) {
  VirtualClock clock;
  EXPECT_EQ(run(test::cancel_a_waiter_of_a_destroyed([] { return Barrier(2); },
                                                     [](Barrier& barrier) { return barrier.wait(); }),
                clock),
            "cancelled");
}

TEST(Barrier, FormatsLikeAsyncioRepr) {
  const int line = __LINE__ + 1;
  Barrier barrier(3, "start");
  EXPECT_EQ(fmt::format("{}", barrier),
            fmt::format("Barrier 'start' (created at tests/sync/barrier_test.cc:{}) [filling, waiters:0/3]", line));
}

TEST(Barrier, KnowsItsNameAndWhereItWasCreated) {
  const int line = __LINE__ + 1;
  Barrier barrier(3, "start");
  EXPECT_EQ(barrier.name(), "start");
  EXPECT_STREQ(barrier.created_at().file_name(), "tests/sync/barrier_test.cc");
  EXPECT_EQ(barrier.created_at().line(), static_cast<unsigned>(line));
}

Coro<std::string> passed(Barrier& barrier) {
  co_await barrier.wait();
  co_return "passed";
}

// The cancelled task no longer counts as arrived.
Coro<std::string> withdraw_a_barrier_waiters_cancellation() {
  Barrier barrier(2);
  const std::string what = co_await test::withdraw_a_cancellation(test::wait_then_sleep(passed(barrier)));
  co_return fmt::format("{}; {}", what, state_of(barrier));
}

TEST(Barrier, AWithdrawnCancellationStillEndsTheWaitWithCancelledError) {
  VirtualClock clock;
  EXPECT_EQ(run(withdraw_a_barrier_waiters_cancellation(), clock),
            "CancelledError, then slept; [filling, waiters:0/2]");
}

// A waiter the loop destroys (it swallows every cancellation at the end of the run and waits
// again, so the loop gives up on it) leaves the barrier, which stays usable.
Coro<> wait_whatever_happens(Barrier& barrier) {
  while (true) {
    try {
      co_await barrier.wait();
    } catch (const CancelledError&) {
    }
  }
}

Coro<> leave_a_stubborn_waiter_behind(Barrier& barrier) {
  create_task(wait_whatever_happens(barrier));
  co_await sleep(1s);
}

Coro<std::size_t> two_parties_meet(Barrier& barrier) {
  auto first = create_task([](Barrier& b) -> Coro<std::size_t> { co_return co_await b.wait(); }(barrier));
  const std::size_t second = co_await barrier.wait();
  co_return co_await first + second;
}

TEST(Barrier, AWaiterDestroyedWithItsLoopLeavesTheBarrier) {
  Barrier barrier(2);
  VirtualClock clock;
  run(leave_a_stubborn_waiter_behind(barrier), clock);
  EXPECT_EQ(barrier.n_waiting(), 0u);
  EXPECT_EQ(run(two_parties_meet(barrier), clock), 1u);  // indexes 0 and 1: a fresh round
}

}  // namespace
}  // namespace simtime

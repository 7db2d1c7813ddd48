#include "simtime/loop.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <simtime/simtime.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/timeline.hpp"

namespace simtime {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

Coro<int> answer_after(Duration delay) {
  co_await sleep(delay);
  co_return 42;
}

TEST(Run, ReturnsTheMainCoroutinesValue) {
  VirtualClock clock;
  EXPECT_EQ(run(answer_after(4s), clock), 42);
  EXPECT_EQ(clock.now(), TimePoint{4s}) << "the virtual clock stays readable after run";
}

Coro<int> fail() {
  co_await sleep(1s);
  throw std::domain_error("main failed");
}

TEST(Run, RethrowsTheMainCoroutinesException) {
  VirtualClock clock;
  EXPECT_THROW(run(fail(), clock), std::domain_error);
}

Coro<> cleanup_on_cancel(test::Timeline& timeline) {
  try {
    co_await sleep(1h);
  } catch (const CancelledError&) {
    timeline.note("cancelled, cleaning up");
  }
  co_await sleep(3s);  // cleanup may take time of its own
  timeline.note("cleanup done");
}

Coro<int> leave_tasks_pending(test::Timeline& timeline) {
  create_task(cleanup_on_cancel(timeline));
  create_task(cleanup_on_cancel(timeline));
  co_await sleep(2s);
  timeline.note("main done");
  co_return 1;
}

TEST(Run, CancelsPendingTasksAndRunsThemUntilTheyFinish) {
  VirtualClock clock;
  test::Timeline timeline;
  EXPECT_EQ(run(leave_tasks_pending(timeline), clock), 1);
  EXPECT_THAT(timeline.lines(), ElementsAre("2s main done", "2s cancelled, cleaning up", "2s cancelled, cleaning up",
                                            "5s cleanup done", "5s cleanup done"));
}

Coro<> wait_on(Task<>* other) { co_await *other; }

// Refuses cancellation, then waits on a task that waits on it: it can never finish.
Coro<> stubborn(Task<>* self, test::LiveCounter held) {
  try {
    co_await sleep(1h);
  } catch (const CancelledError&) {
  }
  auto partner = create_task(wait_on(self));
  co_await partner;
  (void)held;
}

Coro<> start_stubborn() {
  Task<> task;
  task = create_task(stubborn(&task, test::LiveCounter{}));
  co_await sleep(1s);
}

TEST(Run, DestroysTasksThatRefuseToFinishAndFreesTheirFrames) {
  test::LiveCounter::live = 0;
  VirtualClock clock;
  run(start_stubborn(), clock);
  EXPECT_EQ(test::LiveCounter::live, 0);
}

struct Pair {
  Task<> first;
  Task<> second;
};

Coro<> wait_for_other(Task<>* other) {
  co_await sleep(1s);
  co_await *other;
}

Coro<> deadlocked_pair() {
  Pair pair;
  pair.first = create_task(wait_for_other(&pair.second), "first");
  pair.second = create_task(wait_for_other(&pair.first), "second");
  co_await pair.first;
}

TEST(Run, ThrowsDeadlockErrorNamingEveryBlockedTaskAndTheTime) {
  VirtualClock clock;
  try {
    run(deadlocked_pair(), clock);
    FAIL() << "no DeadlockError";
  } catch (const DeadlockError& error) {
    const std::string message = error.what();
    EXPECT_THAT(message, HasSubstr("deadlock at 1s: no task can run, no timer is armed, and the main task has "
                                   "not finished; 3 blocked tasks:"));
    EXPECT_THAT(message, HasSubstr("task 'Task-1' (created at "));
    EXPECT_THAT(message, HasSubstr(") waits on task 'first'"));
    EXPECT_THAT(message, HasSubstr("task 'first' (created at tests/loop_test.cc:"));
    EXPECT_THAT(message, HasSubstr(") waits on task 'second'"));
    EXPECT_THAT(message, HasSubstr("task 'second' (created at tests/loop_test.cc:"));
  }
}

Coro<> outer_run() {
  VirtualClock inner_clock;
  run(answer_after(1s), inner_clock);
  co_return;
}

TEST(Run, CannotBeNested) {
  VirtualClock clock;
  try {
    run(outer_run(), clock);
    FAIL() << "no error";
  } catch (const std::runtime_error& error) {
    EXPECT_STREQ(error.what(), "run: a loop is already running on this thread (simtime::run cannot be nested)");
  }
}

TEST(Run, NowAndTheRunningLoopExistOnlyInsideRun) {
  EXPECT_THROW((void)now(), std::runtime_error);
  EXPECT_THROW((void)get_running_loop(), std::runtime_error);
}

Coro<std::vector<std::string>> introspect() {
  auto& loop = get_running_loop();
  std::vector<std::string> seen;
  auto note = [&] {
    const auto deadline = loop.next_deadline();
    seen.push_back(fmt::format("{} timers, next {}, {} unfinished", loop.pending_timer_count(),
                               deadline ? format_time(*deadline) : "none", loop.unfinished_task_count()));
  };
  note();
  auto a = create_task(answer_after(3s));
  auto b = create_task(answer_after(7s));
  co_await sleep(1s);
  note();
  co_await a;
  note();
  co_await b;
  note();
  co_return seen;
}

TEST(Loop, RunningAnEmptyCoroIsAnInvalidStateError) {
  VirtualClock clock;
  Coro<int> main = answer_after(1s);
  Coro<int> moved = std::move(main);
  try {
    run(std::move(main), clock);  // NOLINT(bugprone-use-after-move): what is tested
    ADD_FAILURE() << "no error";
  } catch (const InvalidStateError& error) {
    EXPECT_STREQ(error.what(), "run: the main Coro is empty (moved from or already a task)");
  }
}

TEST(Loop, ReportsItsTimersAndTasksForTests) {
  VirtualClock clock;
  EXPECT_THAT(run(introspect(), clock),
              ElementsAre("0 timers, next none, 1 unfinished", "2 timers, next 3s, 3 unfinished",
                          "1 timers, next 7s, 2 unfinished", "0 timers, next none, 1 unfinished"));
}

TEST(Loop, RunsAgainFromWhereItsClockStands) {
  VirtualClock clock;
  Loop loop(clock);
  EXPECT_EQ(loop.run(answer_after(2s)), 42);
  EXPECT_EQ(loop.run(answer_after(3s)), 42);
  EXPECT_EQ(loop.now(), TimePoint{5s});
}

TEST(Loop, AtMost65535LoopsLiveAtOnceAndAClosedLoopsPlaceIsReused) {
  VirtualClock clock;
  std::vector<std::unique_ptr<Loop>> loops;
  std::string refusal;
  try {
    for (int i = 0; i < 70'000; ++i) loops.push_back(std::make_unique<Loop>(clock));
  } catch (const std::runtime_error& error) {
    refusal = error.what();
  }
  EXPECT_EQ(refusal, "Loop: 65535 loops are alive already, the most there can be at once");
  ASSERT_GE(loops.size(), 2u);
  EXPECT_EQ(loops.size(), 65'535u);
  loops.pop_back();
  loops.push_back(std::make_unique<Loop>(clock));
  EXPECT_EQ(loops.back()->run(answer_after(2s)), 42) << "a loop in a reused place runs its tasks";
  loops.clear();
  EXPECT_EQ(run(answer_after(1s), clock), 42);
}

Coro<> yield_twice(test::Timeline& timeline, std::string name) {
  co_await sleep(0s);
  timeline.note(name + " step 2");
  co_await sleep(0s);
  timeline.note(name + " step 3");
}

Coro<> awaits_task(Task<> task, test::Timeline& timeline) {
  co_await task;
  timeline.note("awaiter woke");
}

Coro<> finishes_after_one_yield(test::Timeline& timeline) {
  co_await sleep(0s);
  timeline.note("awaited task finished");
}

Coro<> turn_order(test::Timeline& timeline) {
  auto awaited = create_task(finishes_after_one_yield(timeline));
  auto awaiter = create_task(awaits_task(awaited, timeline));
  auto bystander = create_task(yield_twice(timeline, "bystander"));
  co_await gather(awaited, awaiter, bystander);
}

TEST(Loop, ATaskWokenDuringATurnRunsInTheNextTurn) {
  VirtualClock clock;
  test::Timeline timeline;
  run(turn_order(timeline), clock);
  EXPECT_THAT(timeline.lines(),
              ElementsAre("0s awaited task finished", "0s bystander step 2", "0s awaiter woke", "0s bystander step 3"));
}

Coro<> two_sleeps() {
  co_await sleep(1s);
  co_await sleep(1s);
}

TEST(Loop, AStepObserverSeesEveryStepOfEveryTask) {
  VirtualClock clock;
  Loop loop(clock);
  std::vector<std::string> steps;
  loop.set_step_observer([&](const StepEvent& step) {
    steps.push_back(std::to_string(step.task_id) + (step.finished ? " finished" : " suspended"));
  });
  loop.run([]() -> Coro<> { co_await create_task(two_sleeps()); }());
  EXPECT_THAT(steps, ElementsAre("1 suspended", "2 suspended", "2 suspended", "2 finished", "1 finished"));
}

TEST(Loop, AStepObserverMayCancelTheTaskThatJustSuspended) {
  VirtualClock clock;
  Loop loop(clock);
  Task<> victim;
  int suspensions = 0;
  // Cancels the victim at its second suspension point, the way a fault-injection harness
  // walks through every point.
  loop.set_step_observer([&](const StepEvent& step) {
    if (victim.valid() && step.task_id == victim.id() && !step.finished && ++suspensions == 2) victim.cancel();
  });
  auto body = [&]() -> Coro<std::string> {
    victim = create_task(two_sleeps());
    try {
      co_await victim;
    } catch (const CancelledError&) {
      co_return "cancelled at " + format_time(now()) + " after " + std::to_string(suspensions) + " suspensions";
    }
    co_return "finished";
  };
  EXPECT_EQ(loop.run(body()), "cancelled at 1s after 2 suspensions");
}

// -- budgets ----------------------------------------------------------------------------

Coro<> yield_forever() {
  for (;;) co_await sleep(0s);
}

Coro<> two_tasks_yielding_to_each_other() {
  Task<> ping = create_task(yield_forever(), "ping");
  Task<> pong = create_task(yield_forever(), "pong");
  co_await gather(ping, pong);
}

TEST(RunLimits, StepsAtOneInstantEndALivelockAndNameTheTasksThatKeptRunning) {
  VirtualClock clock;
  Loop loop(clock);
  loop.set_limits({.max_steps_at_one_instant = 1000});
  try {
    loop.run(two_tasks_yielding_to_each_other());
    ADD_FAILURE() << "the livelock was not stopped";
  } catch (const BudgetExceededError& error) {
    const std::string message = error.what();
    EXPECT_THAT(message, ::testing::StartsWith("budget exceeded: max_steps_at_one_instant = 1000 at virtual time 0s, "
                                               "1000 steps into the run; the tasks that kept running: "));
    EXPECT_THAT(message, HasSubstr("'ping' (created at tests/loop_test.cc:"));
    EXPECT_THAT(message, HasSubstr("'pong' (created at tests/loop_test.cc:"));
  }
  EXPECT_EQ(loop.unfinished_task_count(), 0u) << "the spinning tasks were cancelled and finished";
  EXPECT_EQ(clock.now(), TimePoint{0s});
}

Coro<> tick_forever() {
  for (;;) co_await sleep(1s);
}

TEST(RunLimits, VirtualTimeEndsARunawayTimerLoopWithoutWaitingForTheTimerBeyondIt) {
  VirtualClock clock;
  Loop loop(clock);
  loop.set_limits({.max_virtual_time = 10s});
  try {
    loop.run([]() -> Coro<> { co_await create_task(tick_forever(), "ticker"); }());
    ADD_FAILURE() << "the runaway was not stopped";
  } catch (const BudgetExceededError& error) {
    EXPECT_THAT(error.what(), ::testing::StartsWith("budget exceeded: max_virtual_time = 10s: the next timer is due "
                                                    "at 11s, 11s after the run began at 0s; 12 steps taken; the tasks "
                                                    "that kept running: 'ticker' (created at tests/loop_test.cc:"));
  }
  EXPECT_EQ(clock.now(), TimePoint{10s}) << "time stops at the last timer within the budget";
  EXPECT_EQ(loop.pending_timer_count(), 0u);
}

TEST(RunLimits, StepsInAllEndARunThatTakesTooMany) {
  VirtualClock clock;
  Loop loop(clock);
  loop.set_limits({.max_steps = 5});
  EXPECT_THROW(loop.run(tick_forever()), BudgetExceededError);
  // Steps 1 to 5 ran at 0s to 4s; the sixth, due at 5s, was refused.
  EXPECT_EQ(clock.now(), TimePoint{5s});
  EXPECT_EQ(loop.limits().max_steps, 5u);
}

TEST(RunLimits, ARunWithinItsBudgetsEndsAsUsual) {
  VirtualClock clock;
  Loop loop(clock);
  loop.set_limits({.max_virtual_time = 4s, .max_steps = 10, .max_steps_at_one_instant = 10});
  EXPECT_EQ(loop.run(answer_after(4s)), 42);
  EXPECT_EQ(loop.observed_step_count(), 2u);
}

Coro<std::string> catch_every_cancellation_and_spin() {
  for (;;) {
    try {
      co_await sleep(0s);
    } catch (const CancelledError&) {
    }
  }
}

TEST(RunLimits, ATaskThatSwallowsItsCancellationIsDestroyedAfterTheCleanUpBudget) {
  VirtualClock clock;
  Loop loop(clock);
  loop.set_limits({.max_steps_at_one_instant = 100});
  EXPECT_THROW(loop.run(catch_every_cancellation_and_spin()), BudgetExceededError);
  EXPECT_EQ(loop.unfinished_task_count(), 0u);
}

TEST(RunLimits, DefaultLimitsApplyToEveryLoopMadeAfterwards) {
  const RunLimits saved = Loop::default_limits();
  Loop::set_default_limits({.max_steps = 7});
  VirtualClock clock;
  Loop loop(clock);
  Loop::set_default_limits(saved);
  EXPECT_EQ(loop.limits().max_steps, 7u);
  VirtualClock other_clock;
  Loop other(other_clock);
  EXPECT_EQ(other.limits().max_steps, saved.max_steps);
}

Coro<> fail_unawaited() {
  create_task(fail(), "failing");
  co_await sleep(2s);
}

TEST(Loop, TheDefaultExceptionHandlerServesLoopsWithoutOneOfTheirOwn) {
  const ExceptionHandler saved = Loop::get_default_exception_handler();
  std::vector<std::string> reports;
  Loop::set_default_exception_handler([&](const UnretrievedException& report) { reports.push_back(report.task_name); });
  {
    VirtualClock clock;
    run(fail_unawaited(), clock);
  }
  {
    VirtualClock clock;
    Loop loop(clock);
    loop.set_exception_handler([](const UnretrievedException&) {});  // its own handler wins
    loop.run(fail_unawaited());
  }
  Loop::set_default_exception_handler(saved);
  EXPECT_THAT(reports, ElementsAre("failing"));
}

}  // namespace
}  // namespace simtime

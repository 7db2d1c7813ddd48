#include "simtime/gather.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <simtime/simtime.hpp>
#include <stdexcept>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

#include "tests/timeline.hpp"

namespace simtime {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;

using test::value_after;

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
  co_return *a** b;
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

// Runs `main` on a loop of its own; yields how many exceptions nobody retrieved.
int unretrieved_after_running(Coro<> main) {
  VirtualClock clock;
  Loop loop(clock);
  int reports = 0;
  loop.set_exception_handler([&](const UnretrievedException&) { ++reports; });
  loop.run(std::move(main));
  return reports;
}

Coro<> first_exception(test::Timeline& timeline) {
  try {
    co_await gather(note_after(5s, timeline, "slow child finished"), fail_after(1s, "first"), fail_after(2s, "second"));
  } catch (const std::runtime_error& error) {
    timeline.note(std::string("gather threw ") + error.what());
  }
  co_await sleep(10s);
}

TEST(Gather, TheFirstExceptionPropagatesAtOnceAndTheOthersKeepRunning) {
  test::Timeline timeline;
  const int reports = unretrieved_after_running(first_exception(timeline));
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
    auto [a, b, c] =
        co_await gather(return_exceptions, int_after(2s, 1), fails_after(1s), [](Task<int> victim) -> Coro<int> {
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

// A task can be awaited by many at once; each waiter hears of its end in the order it began
// waiting, whether it awaits the task itself or gathers it.
Coro<> await_and_log(Task<int> task, std::string who, std::vector<std::string>& log) {
  co_await task;
  log.push_back(who);
}

Coro<> gather_and_log(Task<int> task, std::string who, std::vector<std::string>& log) {
  co_await gather(task);
  log.push_back(who);
}

TEST(Gather, WaitersOfATaskWakeInTheOrderTheyBeganWaiting) {
  VirtualClock clock;
  auto body = []() -> Coro<std::vector<std::string>> {
    std::vector<std::string> log;
    auto first = create_task(value_after(1s, 1));
    auto second = create_task(value_after(1s, 2));
    std::vector<Task<>> waiters;
    // On `first` a gather comes first, on `second` a plain await.
    waiters.push_back(create_task(gather_and_log(first, "gather first", log)));
    waiters.push_back(create_task(await_and_log(first, "await first", log)));
    waiters.push_back(create_task(gather_and_log(first, "gather first again", log)));
    waiters.push_back(create_task(await_and_log(second, "await second", log)));
    waiters.push_back(create_task(gather_and_log(second, "gather second", log)));
    co_await gather(std::move(waiters));
    co_return log;
  };
  EXPECT_THAT(run(body(), clock),
              ElementsAre("gather first", "await first", "gather first again", "await second", "gather second"));
}

TEST(Gather, TheSameTaskTwiceGivesItsResultTwice) {
  VirtualClock clock;
  auto body = []() -> Coro<std::tuple<int, int, int>> {
    auto task = create_task(value_after(2s, 7));
    auto other = create_task(value_after(1s, 8));
    co_return co_await gather(task, other, task);
  };
  EXPECT_EQ(run(body(), clock), std::make_tuple(7, 8, 7));
  EXPECT_EQ(clock.now(), TimePoint{2s});
}

// A wait that gives up (its timeout passes) leaves the tasks it watched: a later gather of
// the same task is the one woken when it ends, and the first waiter is never called back.
Coro<std::string> wait_briefly_then_gather() {
  Task<int> task = create_task(value_after(5s, 3));
  std::vector<Task<int>> watched{task};
  WaitResult<int> waited = co_await wait(std::move(watched), ALL_COMPLETED, 1s);
  std::string log = format_time(now()) + ": " + std::to_string(waited.done.size()) + " done, " +
                    std::to_string(waited.pending.size()) + " pending";
  std::tuple<int> gathered = co_await gather(task);
  log += "; gathered " + std::to_string(std::get<0>(gathered)) + " at " + format_time(now());
  co_return log;
}

TEST(Gather, ATaskLeftByAWaitThatTimedOutCanBeGatheredAgain) {
  VirtualClock clock;
  EXPECT_EQ(run(wait_briefly_then_gather(), clock), "1s: 0 done, 1 pending; gathered 3 at 5s");
}

// A gather of many tasks, some already awaited by another task: every one is waited for.
TEST(Gather, GathersManyTasksSomeOfWhichOthersAwaitToo) {
  VirtualClock clock;
  auto body = []() -> Coro<std::vector<int>> {
    std::vector<Task<int>> tasks;
    for (int i = 0; i < 100; ++i) tasks.push_back(create_task(value_after(std::chrono::seconds(100 - i), i)));
    std::vector<std::string> log;
    auto watcher = create_task(await_and_log(tasks[50], "watcher", log));
    auto results = co_await gather(tasks);
    co_await watcher;
    results.push_back(static_cast<int>(log.size()));
    co_return results;
  };
  const std::vector<int> results = run(body(), clock);
  ASSERT_EQ(results.size(), 101u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(results[static_cast<std::size_t>(i)], i);
  EXPECT_EQ(results.back(), 1);
  EXPECT_EQ(clock.now(), TimePoint{100s});
}

// A range gather takes each child's result as soon as every child before it has finished,
// and drops the child then: a million finished children are not kept until the last one ends.
Coro<std::vector<int>> count_tasks_midway(std::size_t& tasks_midway) {
  auto counter = create_task([](std::size_t& out) -> Coro<> {
    co_await sleep(2500ms);
    out = live_objects().tasks;
  }(tasks_midway));
  std::vector<Coro<int>> children;
  for (int i = 1; i <= 4; ++i) children.push_back(value_after(std::chrono::seconds(i), i * 10));
  auto results = co_await gather(std::move(children));
  co_await counter;
  co_return results;
}

TEST(Gather, ARangeFreesEachChildOnceItAndThoseBeforeItHaveFinished) {
  VirtualClock clock;
  const std::size_t before = live_objects().tasks;
  std::size_t tasks_midway = 0;
  EXPECT_THAT(run(count_tasks_midway(tasks_midway), clock), ElementsAre(10, 20, 30, 40));
  // At 2.5 s: the main task, the counter and the two children still sleeping.
  EXPECT_EQ(tasks_midway - before, 4u);
  EXPECT_EQ(live_objects().tasks, before);
}

// Children finishing out of order are taken once the ones before them have finished.
TEST(Gather, ARangeWhoseChildrenFinishOutOfOrderKeepsRangeOrder) {
  VirtualClock clock;
  auto body = []() -> Coro<std::vector<int>> {
    std::vector<Task<int>> tasks;
    for (const int seconds : {3, 1, 2, 5, 4})
      tasks.push_back(create_task(value_after(std::chrono::seconds(seconds), seconds)));
    auto results = co_await gather(tasks);
    // The caller's handles still see every result.
    for (const auto& task : tasks) results.push_back(task.result());
    co_return results;
  };
  EXPECT_THAT(run(body(), clock), ElementsAre(3, 1, 2, 5, 4, 3, 1, 2, 5, 4));
}

// Children taken before a failure are gone; the failure and the later children are handled
// as in any gather (asyncio's: the first exception propagates, the others keep running and
// their failures are the gather's).
Coro<> fail_after_some_were_taken(test::Timeline& timeline) {
  std::vector<Coro<int>> children;
  children.push_back(value_after(1s, 1));
  children.push_back(value_after(2s, 2));
  children.push_back(fail_after(3s, "third"));
  children.push_back(fail_after(4s, "fourth"));
  children.push_back(value_after(5s, 5));
  try {
    co_await gather(std::move(children));
  } catch (const std::runtime_error& error) {
    timeline.note(std::string("gather threw ") + error.what());
  }
  co_await sleep(10s);
}

TEST(Gather, ARangeFailingAfterSomeChildrenWereTakenThrowsTheFirstFailure) {
  test::Timeline timeline;
  const int reports = unretrieved_after_running(fail_after_some_were_taken(timeline));
  EXPECT_THAT(timeline.lines(), ElementsAre("3s gather threw third"));
  EXPECT_EQ(reports, 0);
}

// Cancelling a gather cancels only the children not taken yet (the others are gone).
Coro<std::vector<std::string>> cancel_after_some_were_taken() {
  std::vector<Task<int>> children;
  for (const int seconds : {1, 2, 10, 11})
    children.push_back(create_task(value_after(std::chrono::seconds(seconds), seconds)));
  auto gathering = create_task(gather(children));
  co_await sleep(3s);
  gathering.cancel();
  std::vector<std::string> log;
  try {
    co_await gathering;
  } catch (const CancelledError&) {
    log.push_back("gather cancelled at " + format_time(now()));
  }
  for (const auto& child : children) log.push_back(child.cancelled() ? "cancelled" : std::to_string(child.result()));
  co_return log;
}

TEST(Gather, CancellingARangeAfterSomeChildrenWereTakenCancelsTheRest) {
  VirtualClock clock;
  EXPECT_THAT(run(cancel_after_some_were_taken(), clock),
              ElementsAre("gather cancelled at 3s", "1", "2", "cancelled", "cancelled"));
}

// A deadlock report names the children still awaited, not those already taken.
Coro<> gather_one_that_never_ends(Event& never) {
  std::vector<Coro<>> children;
  children.push_back(nothing_after(1s));
  children.push_back([](Event& event) -> Coro<> { co_await event.wait(); }(never));
  co_await gather(std::move(children));
}

TEST(Gather, ADeadlockReportNamesOnlyTheChildrenNotTaken) {
  VirtualClock clock;
  Event never("never");
  try {
    run(gather_one_that_never_ends(never), clock);
    FAIL() << "no DeadlockError";
  } catch (const DeadlockError& error) {
    EXPECT_THAT(error.what(), ::testing::HasSubstr("gather of 2 tasks, waiting for 'Task-3'"));
  }
}

// With return_exceptions too, outcomes come in range order, failures included.
TEST(Gather, ReturnExceptionsOverARangeTakesOutcomesAroundAFailure) {
  VirtualClock clock;
  auto body = []() -> Coro<std::vector<std::string>> {
    std::vector<Coro<int>> children;
    children.push_back(value_after(1s, 1));
    children.push_back(fail_after(2s, "second"));
    children.push_back(value_after(3s, 3));
    children.push_back(value_after(1s, 4));
    std::vector<std::string> log;
    for (const auto& outcome : co_await gather(return_exceptions, std::move(children))) {
      if (outcome.index() == 0) {
        log.push_back(std::to_string(std::get<0>(outcome)));
      } else {
        try {
          std::rethrow_exception(std::get<1>(outcome));
        } catch (const std::exception& error) {
          log.push_back(error.what());
        }
      }
    }
    co_return log;
  };
  EXPECT_THAT(run(body(), clock), ElementsAre("1", "second", "3", "4"));
}

// A child finished before the gather began is handed over (and, held by nobody else, freed)
// when the gather starts waiting; a child someone else awaits too makes the gather link a
// node on every unfinished child. Neither step may look at the other's children.
TEST(Gather, ARangeOfAFinishedChildAndOneAwaitedElsewhereGivesBoth) {
  VirtualClock clock;
  auto body = []() -> Coro<std::vector<int>> {
    auto finished = create_task(value_after(0s, 1));
    co_await finished;
    auto slow = create_task(value_after(2s, 2));
    std::vector<std::string> log;
    auto watcher = create_task(await_and_log(slow, "watcher", log));
    co_await sleep(0s);  // the watcher awaits `slow` first
    std::vector<Task<int>> tasks;
    tasks.push_back(std::move(finished));
    tasks.push_back(slow);
    auto results = co_await gather(std::move(tasks));
    co_await watcher;
    results.push_back(static_cast<int>(log.size()));
    co_return results;
  };
  EXPECT_THAT(run(body(), clock), ElementsAre(1, 2, 1));
}

// A gather joins a task first; a wait then links a node on it and gives up (its timeout
// passes): the gather is still the one told when the task ends.
Coro<std::string> gather_then_wait_briefly() {
  Task<int> task = create_task(value_after(2s, 3));
  auto gathering = create_task(gather(std::vector<Task<int>>{task}));
  co_await sleep(0s);  // the gather joins the task
  std::vector<Task<int>> watched{task};
  WaitResult<int> waited = co_await wait(std::move(watched), ALL_COMPLETED, 1s);
  std::string log = format_time(now()) + ": " + std::to_string(waited.pending.size()) + " pending";
  const std::vector<int> gathered = co_await gathering;
  log += "; gathered " + std::to_string(gathered.at(0)) + " at " + format_time(now());
  co_return log;
}

TEST(Gather, AGatherStillHearsOfATaskThatALaterWaitGaveUpOn) {
  VirtualClock clock;
  EXPECT_EQ(run(gather_then_wait_briefly(), clock), "1s: 1 pending; gathered 3 at 2s");
}

}  // namespace
}  // namespace simtime

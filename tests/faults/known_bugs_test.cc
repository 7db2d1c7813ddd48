// Reproducers of the simtime bugs found by the fault sweeps (issue 9), each asserting the
// correct behaviour.
//
//   * KnownBugs.*: still open. Each FAILS (or crashes) until its bug is fixed; BUILD makes
//     one manual target per test (known_bug_<Name>), left out of `bazel test
//     //tests/faults/...`:  bazel test //tests/faults:known_bug_GatherCrashesWhenItsWaitCannotAllocate
//   * FixedBugs.*: fixed since they were found; they stay as regression tests
//     (//tests/faults:fixed_bugs_test).
//
// When a bug is fixed, rename its test from KnownBugs to FixedBugs, move its name in BUILD,
// and delete its entries from known_bugs.cc so that the sweeps run its points again.
#include <gtest/gtest.h>

#include <exception>
#include <functional>
#include <initializer_list>
#include <new>
#include <ostream>
#include <simtime/simtime.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/faults/failing_allocator.hpp"
#include "tests/faults/harness.hpp"

namespace simtime {
// Readable live counts in failure messages.
inline void PrintTo(const LiveObjects& live, std::ostream* out) {
  *out << live.frames << " frames, " << live.tasks << " tasks, " << live.timers << " timers";
}
}  // namespace simtime

namespace simtime::faults {
namespace {

using namespace std::chrono_literals;

// What run_failing_first_allocation_at returns when no allocation is made at the sites (a
// fix may well remove the allocation).
constexpr const char* nothing_allocates_there = "nothing allocates there";

// Runs `program` on a fresh loop: once to warm simtime's frame pool up, once to find the
// first allocation made at one of `sites` (a prefix of allocation_site()), then with that
// allocation failing. The loop's destruction is part of the run. Returns how the last run
// ended: "ok", "bad_alloc", ...
std::string run_failing_first_allocation_at(std::initializer_list<const char*> sites,
                                            const std::function<Coro<>()>& program, bool and_after = false) {
  const auto run_armed = [&](std::size_t fail_at, bool record_sites) {
    std::exception_ptr error;
    VirtualClock clock;
    {
      Loop loop(clock);
      loop.set_exception_handler([](const UnretrievedException&) {});
      arm_allocation_failure(fail_at, record_sites, and_after);
      try {
        loop.run(program());
      } catch (...) {
        error = std::current_exception();
      }
    }
    const std::size_t count = disarm_allocation_failure();
    return std::make_pair(describe_exception(error), count);
  };
  run_armed(0, false);
  const std::size_t count = run_armed(0, true).second;
  for (std::size_t n = 1; n <= count; ++n) {
    const std::string site = allocation_site(n);
    for (const char* wanted : sites) {
      if (site.rfind(wanted, 0) == 0) return run_armed(n, false).first;
    }
  }
  return nothing_allocates_there;
}

Coro<int> value_after(Duration delay, int value) {
  co_await sleep(delay);
  co_return value;
}

Coro<int> fail_after(Duration delay) {
  co_await sleep(delay);
  throw std::runtime_error("planned failure");
}

// ---------------------------------------------------------------------------------------
// FIXED (WaitTasks counts its nodes only once they are allocated).
// BUG: src/wait_tasks.cc, WaitTasks::await_suspend sets `node_count_ = remaining_` and then
// allocates `nodes_`; when that allocation throws, the awaiter is destroyed and
// ~WaitTasks -> stop_waiting() unlinks node_count_ nodes of a null array: SIGSEGV. Every
// gather, wait and wait_for_gather goes through it. Found by the sweep as
//   Gather: fail allocation 1 (in simtime::detail::WaitTasks::await_suspend < simtime::Loop::step
//   < simtime::Loop::run_turn): the process died of signal 11
// Stack:
//   simtime::detail::CompletionWaiter::unlink()
//   simtime::detail::WaitTasks::stop_waiting()
//   simtime::detail::WaitTasks::~WaitTasks()
//   simtime::detail::wait_for_gather(...) [clone .actor]
//   simtime::Loop::step -> run_turn -> run_until_done_or_stuck -> run_main -> Loop::run
// A gather allocates its nodes only when a task it waits for has another waiter already, so
// here a watcher awaits the first task before the gather does.
Coro<> await_int(Task<int> task) { co_await task; }

Coro<> gather_two() {
  Task<int> first = create_task(value_after(1s, 1));
  Task<> watcher = create_task(await_int(first));
  co_await sleep(0s);  // the watcher starts waiting
  co_await gather(first, value_after(2s, 2));
}

TEST(FixedBugs, GatherCrashesWhenItsWaitCannotAllocate) {
  const LiveObjects before = live_objects();
  EXPECT_EQ(run_failing_first_allocation_at({"simtime::detail::WaitTasks::await_suspend"}, gather_two), "bad_alloc");
  EXPECT_EQ(live_objects(), before);
}

// ---------------------------------------------------------------------------------------
// FIXED (Loop::finish releases the loop's reference whatever the callbacks throw).
// BUG: src/loop.cc, Loop::finish runs the completion callbacks before releasing the loop's
// reference to the finished task. TaskGroup::on_child_done allocates (errors_.push_back,
// and arm_timer for the abort timer); when that throws, the exception leaves Loop::run and
// the task's frame is never freed: "left alive: 1 frame(s), 1 task(s)", and LeakSanitizer
// reports the frame. Found as
//   TaskGroup: fail allocation 17 (in simtime::TaskGroup::on_child_done < simtime::Loop::finish
//   < simtime::Loop::step < simtime::Loop::run_turn): left alive: 1 frame(s), 1 task(s)
Coro<> group_with_a_failing_child() {
  co_await task_group([](TaskGroup& group) -> Coro<> {
    group.create_task(fail_after(1s));
    co_return;
  });
}

TEST(FixedBugs, TaskGroupLeaksAChildWhoseFailureItCannotRecord) {
  const LiveObjects before = live_objects();
  const std::string outcome =
      run_failing_first_allocation_at({"simtime::TaskGroup::on_child_done"}, group_with_a_failing_child);
  EXPECT_EQ(outcome, "bad_alloc");
  EXPECT_EQ(live_objects(), before) << "the failed child's frame was never freed";
}

// ---------------------------------------------------------------------------------------
// FIXED (create_task releases the frame from the Coro only once the loop has it).
// BUG: include/simtime/task.hpp, create_task takes the frame out of the Coro
// (CoroAccess::release) before start_task -> LoopAccess::register_task allocates the name
// (TaskState::give_name, which stores it with set_task_name); when that throws, nobody owns the frame: leaked. Found as
//   AwaitTask: fail allocation 5 (in simtime::detail::LoopAccess::register_task <
//   simtime::detail::start_task < simtime::create_task<int> < simtime::Loop::step):
//   left alive: 1 frame(s), 0 task(s)
Coro<> await_a_named_task() { co_await create_task(value_after(1s, 1), "worker"); }

TEST(FixedBugs, NamedCreateTaskLeaksTheFrameWhenTheNameCannotBeAllocated) {
  const LiveObjects before = live_objects();
  const std::string outcome =
      run_failing_first_allocation_at({"simtime::detail::set_task_name", "simtime::detail::TaskState::give_name",
                                       "simtime::detail::LoopAccess::register_task", "simtime::detail::start_task"},
                                      await_a_named_task);
  EXPECT_EQ(outcome, "bad_alloc");
  EXPECT_EQ(live_objects(), before) << "the Coro's frame was never freed";
}

// ---------------------------------------------------------------------------------------
// FIXED (TaskGroup::create_task allocates what the group needs before starting the task).
// BUG: src/task_group.cc, TaskGroup::create_task creates the task, then adopt() allocates
// (make_unique<Child>, children_.push_back). When that throws, create_task throws
// bad_alloc, but the task has started and is not the group's: the group neither waits for
// it nor cancels it, and it runs after the group has finished (with whatever the group's
// body had lent it by reference). Found as
//   TaskGroup: fail allocation 1 (in simtime::TaskGroup::adopt <
//   simtime::TaskGroup::create_task<int> < simtime::Loop::step < simtime::Loop::run_turn):
//   a task created in a TaskGroup ran after the group had finished
struct GroupFlags {
  bool group_finished = false;
  bool ran_after_the_group = false;
};

Coro<> group_member(GroupFlags& flags) {
  co_await sleep(1s);
  if (flags.group_finished) flags.ran_after_the_group = true;
}

Coro<> group_then_carry_on(GroupFlags& flags) {
  try {
    co_await task_group([&flags](TaskGroup& group) -> Coro<> {
      group.create_task(group_member(flags));
      co_return;
    });
  } catch (const std::bad_alloc&) {
  }
  flags.group_finished = true;
  co_await sleep(2s);
}

TEST(FixedBugs, TaskGroupCreateTaskThatThrowsStillRunsTheTask) {
  GroupFlags flags;
  const std::string outcome =
      run_failing_first_allocation_at({"simtime::TaskGroup::prepare_child", "simtime::TaskGroup::adopt"}, [&flags] {
        flags = {};
        return group_then_carry_on(flags);
      });
  EXPECT_EQ(outcome, "ok");  // the program caught the bad_alloc and carried on
  EXPECT_FALSE(flags.ran_after_the_group)
      << "TaskGroup::create_task threw bad_alloc, yet the task ran, outside the group";
}

// ---------------------------------------------------------------------------------------
// FIXED by e48e5ac "Loop teardown allocates nothing" (found before it).
// BUG: src/loop.cc, Loop::~Loop -> close() builds a std::vector of the finished tasks still
// held by Task handles; an allocation failure there throws out of a destructor:
// std::terminate. Any program that keeps a Task handle past its loop (as tests do) hits it
// under memory pressure. Found as
//   AwaitTask: fail allocation 15 (in simtime::Loop::close < simtime::Loop::~Loop <
//   simtime::faults::run_once): the process died of signal 6 (std::terminate)
Coro<> keep_a_handle(Task<int>& kept) {
  kept = create_task(value_after(1s, 1));
  co_await kept;
}

TEST(FixedBugs, LoopDestructorTerminatesWhenItCannotAllocate) {
  Task<int> kept;
  const std::string outcome =
      run_failing_first_allocation_at({"simtime::Loop::close"}, [&kept] { return keep_a_handle(kept); });
  EXPECT_TRUE(outcome == "ok" || outcome == nothing_allocates_there) << outcome;
  kept = Task<int>();
}

// FIXED by e48e5ac as well. The same bug when memory stays short: run() ends by cancelling the tasks still pending,
// and Loop::cancel_all_pending allocates its list; the bad_alloc leaves run() with tasks
// unfinished, and ~Loop -> close() -> destroy_unfinished() allocates again (its list, and
// CancelledError("the loop closed before the task finished")): std::terminate. Found with
// SIMTIME_FAULTS_PERSISTENT=1 as 109 deaths with the stack
//   simtime::Loop::destroy_unfinished < simtime::Loop::close < simtime::Loop::~Loop
Coro<> leave_a_task_pending() {
  create_task(value_after(1h, 1));
  co_await sleep(1s);
}

TEST(FixedBugs, LoopDestructorTerminatesAfterARunThatRanOutOfMemory) {
  const std::string outcome =
      run_failing_first_allocation_at({"simtime::Loop::cancel_all_pending"}, leave_a_task_pending, /*and_after=*/true);
  EXPECT_TRUE(outcome == "bad_alloc" || outcome == nothing_allocates_there) << outcome;
}

// ---------------------------------------------------------------------------------------
// FIXED by e48e5ac "Loop teardown allocates nothing" (found before it).
// BUG: src/loop.cc, Loop::report_unretrieved builds its report (`task.name()`, a copy of a
// custom name) outside its try block, and is called from TaskState::release() and
// Loop::close(), both noexcept: a name longer than the small-string buffer that cannot be
// copied is std::terminate. Found as
//   AwaitTask: fail allocation 13 (in simtime::detail::TaskState::name[abi:cxx11] <
//   simtime::Loop::report_unretrieved < simtime::detail::LoopAccess::report_unretrieved <
//   simtime::detail::TaskState::release): the process died of signal 6
Coro<> drop_an_unretrieved_failure() {
  Task<int> failing = create_task(fail_after(1s), "a task with a name longer than fifteen");
  co_await sleep(2s);
}  // the last handle goes: the loop reports the exception nobody retrieved

TEST(FixedBugs, ReportingAnUnretrievedExceptionTerminatesWhenTheNameCannotBeCopied) {
  const std::string outcome = run_failing_first_allocation_at(
      {"simtime::detail::TaskState::name[abi:cxx11] < simtime::Loop::report_unretrieved"}, drop_an_unretrieved_failure);
  EXPECT_TRUE(outcome == "ok" || outcome == nothing_allocates_there) << outcome;
}

// ---------------------------------------------------------------------------------------
// FIXED in src/loop.cc (detail::schedule ignores a task of a closed loop; found before).
// BUG (found by reading the loop while writing the harness, no allocation failure needed):
// src/loop.cc, Loop::destroy_unfinished first forgets every straggler (task.loop = nullptr),
// then destroys their frames. A frame holding a LockGuard releases the lock, which wakes the
// next waiter, itself a straggler: detail::schedule(*waiter) dereferences its null loop:
// SIGSEGV. Stragglers are tasks that swallowed run()'s two rounds of cancellation (rule 10
// says they are destroyed "so that nothing hangs"). The same holds for SemaphoreGuard and a
// Condition's lock. Stack:
//   simtime::detail::LoopAccess::schedule(Loop&, TaskState&)   <- loop is null
//   simtime::detail::schedule(TaskState&)
//   simtime::Lock::wake_up_first()
//   simtime::Lock::release()
//   simtime::LockGuard::~LockGuard()
//   hold_forever(...) [clone .destroy]
//   simtime::detail::TaskState::release()
//   simtime::Loop::destroy_unfinished()
//   simtime::Loop::run_main(...)
Coro<> hold_forever(Lock& lock, Event& never) {
  LockGuard guard = co_await lock.lock();
  while (true) {
    try {
      co_await never.wait();
    } catch (const CancelledError&) {  // swallowed: a straggler
    }
  }
}

Coro<> wait_for_the_lock_forever(Lock& lock) {
  co_await sleep(1s);  // the holder takes the lock first
  while (true) {
    try {
      LockGuard guard = co_await lock.lock();
    } catch (const CancelledError&) {  // swallowed: a straggler
    }
  }
}

Coro<> leave_two_stragglers(Lock& lock, Event& never) {
  create_task(wait_for_the_lock_forever(lock));  // older
  create_task(hold_forever(lock, never));        // newer: destroyed first
  co_await sleep(2s);
}

TEST(FixedBugs, DestroyingStragglersWakesALockWaiterOfAClosedLoop) {
  Lock lock;
  Event never;
  VirtualClock clock;
  run(leave_two_stragglers(lock, never), clock);
  EXPECT_FALSE(lock.locked());
}

// ---------------------------------------------------------------------------------------
// FIXED in the working tree's src/sync (cancel_pending(): must_cancel || wait_abandoned).
// BUG: src/sync/lock.cc and src/sync/semaphore.cc. Task::cancel() on a task waiting in
// Lock::acquire (or Semaphore::acquire) gives up the wait (the node is unlinked, the task
// scheduled, TaskState::wait_abandoned set); an uncancel() right after clears must_cancel.
// LockAcquire::await_resume only looks at must_cancel, finds the node unlinked, and throws
// InvalidStateError("Lock::acquire: the Lock was destroyed while this task waited on it")
// though the lock is alive; wait_abandoned stays set, so the task's NEXT await (a sleep)
// throws a CancelledError nobody asked for. Every other wait (sleep, Event, Queue, Barrier)
// throws CancelledError, as TaskState::wait_abandoned documents and asyncio does (the
// waiter's future was cancelled). Found by the sweep as
//   Lock: cancel and at once uncancel 'worker2' after loop step 3 of its life:
//   'worker2' ended with simtime::InvalidStateError: Lock::acquire: the Lock was destroyed
//   while this task waited on it
template <class Primitive>
Coro<std::string> acquire_then_sleep(Primitive& primitive) {
  std::string what;
  try {
    co_await primitive.acquire();
    primitive.release();
    what = "acquired";
  } catch (const CancelledError&) {
    what = "CancelledError";
  } catch (const std::exception& error) {
    what = error.what();
  }
  try {
    co_await sleep(1s);
    what += ", then slept";
  } catch (const CancelledError&) {
    what += ", then a CancelledError from sleep";
  }
  co_return what;
}

template <class Primitive>
Coro<std::string> withdraw_a_cancellation(Primitive& primitive) {
  co_await primitive.acquire();
  Task<std::string> waiter = create_task(acquire_then_sleep(primitive));
  co_await sleep(0s);  // the waiter queues
  waiter.cancel();
  waiter.uncancel();
  primitive.release();
  co_return co_await waiter;
}

TEST(FixedBugs, AWithdrawnCancellationMakesLockAcquireClaimTheLockWasDestroyed) {
  Lock lock;
  VirtualClock clock;
  EXPECT_EQ(run(withdraw_a_cancellation(lock), clock), "CancelledError, then slept");
}

TEST(FixedBugs, AWithdrawnCancellationMakesSemaphoreAcquireClaimItWasDestroyed) {
  Semaphore semaphore(1);
  VirtualClock clock;
  EXPECT_EQ(run(withdraw_a_cancellation(semaphore), clock), "CancelledError, then slept");
}

// For comparison, what the reproducers above expect: a withdrawn cancellation of a sleep.
Coro<std::string> sleep_then_sleep() {
  std::string what;
  try {
    co_await sleep(5s);
    what = "slept";
  } catch (const CancelledError&) {
    what = "CancelledError";
  }
  co_await sleep(1s);
  co_return what + ", then slept";
}

Coro<std::string> withdraw_a_sleeps_cancellation() {
  Task<std::string> sleeper = create_task(sleep_then_sleep());
  co_await sleep(0s);
  sleeper.cancel();
  sleeper.uncancel();
  co_return co_await sleeper;
}

TEST(FixedBugs, AWithdrawnCancellationOfASleepIsACancelledError) {
  VirtualClock clock;
  EXPECT_EQ(run(withdraw_a_sleeps_cancellation(), clock), "CancelledError, then slept");
}

}  // namespace
}  // namespace simtime::faults

// Runs a fuzz Program on a fresh Loop over a VirtualClock and checks it against oracles.
//
// The oracles, each a rule of docs/fuzzing.md:
//   * time never goes back, and simtime::now(), the loop and the clock agree (every op);
//   * every plain sleep wakes at exactly its start time + d, never earlier or later; a
//     sleep whose deadline would overflow the clock throws std::invalid_argument instead;
//     sleeps due at the same instant wake in the order they were armed; no sleep is overdue
//     while any task runs; a cancelled sleep never ends after its deadline;
//   * the loop's next deadline is never in the past;
//   * a task starts at the instant it was created, in creation order, and never after it was
//     cancelled before its first step;
//   * awaiting a task (await, gather, shield, wait_for) yields the value its body returned;
//   * wait_for and timeout never raise TimeoutError before their deadline, and raise it
//     exactly at the deadline (and never complete at or after it) unless some body swallowed
//     a CancelledError, or a cancelled wait of condition 1 had to wait for lock 1 (held by a
//     lock_hold) before it could throw; with a limit <= 0 wait_for never runs its coroutine;
//   * a task_group returns or throws only once every task created in it has finished, and a
//     value it returns is its body's; TaskGroup::cancel() that stops a value body makes it
//     throw CancelledError, which the awaiting body takes as the op's outcome (unless its
//     own task has cancellation requests pending, Task::cancelling());
//   * Task::cancel() returns false exactly when the task has finished;
//   * an event wait ends only after a set(), does not suspend on a set event, and does not
//     time out once a set() came before its deadline; a lock has one holder at a time and
//     none after the run; a queue's get takes exactly its oldest item (the model holds the
//     items in order), so no item is lost, duplicated or got after its put failed or after
//     shutdown(immediate) dropped it; the bounded queue never holds more than its size;
//     after the run each queue holds exactly the items put and not got, in order; the same
//     for the LifoQueue (newest first) and the PriorityQueue (smallest priority first, equal
//     ones in put order);
//   * a semaphore hands its permits to waiters in the order they asked, never to more
//     holders than there are permits, and a free one without suspending; a BoundedSemaphore
//     refuses release() exactly at its bound, and a guard never raises it past it; after the
//     run every permit is back (value() counts them all);
//   * a condition wait returns, or throws CancelledError, only with the lock taken back, and
//     no more waits return than notifications were given; a wait does not time out once a
//     notify reached every waiter before its deadline; wait() and notify without the lock
//     throw InvalidStateError;
//   * a barrier wait returns only once a last party released it since the wait began, with
//     an index below the number of parties; it throws BrokenBarrierError only if the barrier
//     was broken or reset or aborted since, and at once on a broken one;
//   * only the exceptions the program can cause come out of an await;
//   * run() returns (no DeadlockError: the program cannot deadlock); afterwards every task
//     has finished, no timer is armed, no task is left unfinished, every body that started
//     ended (no frame destroyed while suspended), and the clock stands where the last task
//     saw it; once the loop is gone, no coroutine frame, task or timer of the run is left
//     (simtime::live_objects()).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace simtime::fuzz {

struct Report {
  std::vector<std::string> violations;  // empty: every oracle held
  int ops_run = 0;
  int tasks_created = 0;
  int unretrieved_exceptions = 0;
};

/// Decodes `input` and runs it. Never throws; what went wrong is in the report.
Report run_program(std::span<const std::uint8_t> input);

}  // namespace simtime::fuzz

// The model and the oracles of the loop fuzzer: what a run must look like (see
// interpreter.hpp for the list), checked as the interpreter's ops go. Internal to fuzz/.
#pragma once

#include <fmt/format.h>

#include <array>
#include <chrono>
#include <compare>
#include <cstdint>
#include <deque>
#include <exception>
#include <optional>
#include <set>
#include <stdexcept>
#include <utility>
#include <vector>

#include "fuzz/interpreter.hpp"
#include "fuzz/program.hpp"
#include "simtime/clock.hpp"
#include "simtime/coro.hpp"
#include "simtime/loop.hpp"
#include "simtime/sync/barrier.hpp"
#include "simtime/sync/condition.hpp"
#include "simtime/sync/event.hpp"
#include "simtime/sync/lock.hpp"
#include "simtime/sync/queue.hpp"
#include "simtime/sync/semaphore.hpp"
#include "simtime/task.hpp"

namespace simtime::fuzz {

/// What a `raise` op throws: the only error a program makes on purpose.
class FuzzError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct TaskInfo {
  TimePoint created;
  int value = 0;  // what its coroutine returns
  bool started = false;
  bool cancelled_before_start = false;  // a cancel op was accepted before its first step
};

// An item of a queue op: who put it, and what became of it.
struct QueueItem {
  enum class State : std::uint8_t {
    putting,    // its put is waiting for room
    put,        // in the queue
    got,        // taken out by a get
    withdrawn,  // its put failed (timed out, was cancelled, the queue shut down)
    dropped,    // in the queue when shutdown(immediate = true) emptied it
  };
  int queue = 0;
  int producer = 0;  // the body invocation that put it
  int priority = 0;  // in the PriorityQueue
  State state = State::putting;
};

// What the PriorityQueue holds: ordered by priority alone, so that items of equal priority
// come out in the order they were put.
struct Prioritized {
  int priority = 0;
  int item = 0;
};
struct ByPriority {
  bool operator()(const Prioritized& a, const Prioritized& b) const { return a.priority < b.priority; }
};

// What the model knows of a semaphore.
struct SemaphoreModel {
  explicit SemaphoreModel(std::ptrdiff_t permits) : free(permits) {}
  std::ptrdiff_t free;  // permits no body holds: value() plus those set aside for woken waiters
  int holders = 0;
  int tickets = 0;          // acquires so far: each one's number
  std::deque<int> waiting;  // the acquires that queued, in the order they asked
};

// What the model knows of a condition. The counts bound what it cannot see: which waiters a
// cancellation took out of the condition's queue before they ran.
struct ConditionModel {
  std::size_t waiting = 0;                   // wait()s begun and not ended: no fewer than the real waiters
  std::size_t notified = 0;                  // wait()s that returned, each after a notification
  std::size_t notifications = 0;             // no fewer than the notifications given, passed on included
  std::vector<TimePoint> everyone_notified;  // when a notify reached every waiter there was
};

// What the model knows of a barrier.
struct BarrierModel {
  bool broken = false;         // abort() and no reset() since
  std::uint64_t breaks = 0;    // abort() and reset() calls
  std::uint64_t releases = 0;  // arrivals of a last party, which release the others
};

struct SleepKey {
  TimePoint deadline;
  std::uint64_t armed;  // arm order
  auto operator<=>(const SleepKey&) const = default;
};

// The state of one run and the checks on it: the model of pending sleeps, what each task
// created so far should do, and the violations found.
class Context {
 public:
  Context(const Program& program, Loop& loop, VirtualClock& clock) : program(program), loop(loop), clock(clock) {}

  /// Records a violation unless `holds`.
  template <class... Args>
  void check(bool holds, fmt::format_string<Args...> what, Args&&... args) {
    if (holds || report.violations.size() >= 20) return;
    report.violations.push_back(fmt::format("[{}] ", format_time(last_seen)) +
                                fmt::format(what, std::forward<Args>(args)...));
  }
  /// Checks the clock and the loop's timers wherever a task runs; returns the time.
  TimePoint observe(const char* where);
  /// A task this program created takes its first step.
  void task_started(int index);
  /// An exception an await let out: only what the program can cause.
  void absorb(std::exception_ptr error, bool cancellation_allowed, const char* where);
  /// A task created after task `rank` (-1: any task), for a body of that task to await; -1 if
  /// there is none. Awaiting only later tasks keeps waits acyclic: no program can deadlock.
  [[nodiscard]] int later_task(int rank, std::uint8_t byte) const {
    const int candidates = static_cast<int>(tasks.size()) - (rank + 1);
    return candidates > 0 ? rank + 1 + pick(byte, candidates) : -1;
  }

  const Program& program;
  Loop& loop;
  VirtualClock& clock;
  std::vector<Task<int>> tasks;  // every task a spawn op created, by number
  std::vector<TaskInfo> info;
  std::set<SleepKey> pending_sleeps;  // the model: every plain sleep in progress
  std::uint64_t sleeps_armed = 0;
  TimePoint last_seen{};
  int last_started = -1;
  bool swallowed = false;  // some body swallowed a CancelledError: time limits may overrun
  // A cancelled wait of condition 1 had to take lock 1 back while a lock_hold held it: the
  // CancelledError came late, so time limits may overrun.
  bool cancellation_delayed = false;
  [[nodiscard]] bool limits_may_overrun() const { return swallowed || cancellation_delayed; }
  int live_bodies = 0;
  int invocations = 0;      // body invocations so far: each one's number
  std::uint64_t steps = 0;  // observe() calls: did any other task run meanwhile?
  Report report;

  // The synchronisation objects every body shares, and what the model knows of them.
  static constexpr int kSyncObjects = 2;
  std::array<Event, kSyncObjects> events;
  std::array<std::vector<TimePoint>, kSyncObjects> event_set_times;  // when each set() was called
  std::array<Lock, kSyncObjects> locks;
  std::array<int, kSyncObjects> lock_holders{};          // the holder's invocation + 1; 0: free
  std::array<std::uint64_t, kSyncObjects> lock_holds{};  // how often a lock_hold took each lock
  // Queues 0 and 1 are FIFO Queues, queue 0 unbounded and queue 1 of at most
  // kBoundedQueueSize items; queue 2 is a LifoQueue of at most kBoundedQueueSize items,
  // queue 3 an unbounded PriorityQueue.
  static constexpr int kQueues = 4;
  static constexpr int kLifoQueue = 2;
  static constexpr int kPriorityQueue = 3;
  static constexpr int kBoundedQueueSize = 2;
  std::array<Queue<int>, kSyncObjects> queues{Queue<int>(0), Queue<int>(kBoundedQueueSize)};
  LifoQueue<int> lifo_queue{kBoundedQueueSize};
  PriorityQueue<Prioritized, ByPriority> priority_queue{0};
  std::array<bool, kQueues> queue_shut_down{};
  std::vector<QueueItem> items;  // item i is the int i put into a queue
  // The model of each queue: the items in it, in the order they were put. Every put stores its
  // item and every get takes the next by the queue's order in the step that resumes it, so
  // the model moves in step.
  std::array<std::deque<int>, kQueues> queue_contents;

  // semaphores(0) is a Semaphore, semaphores(1) a BoundedSemaphore, each of kPermits.
  static constexpr std::ptrdiff_t kPermits = 2;
  Semaphore plain_semaphore{kPermits};
  BoundedSemaphore bounded_semaphore{kPermits};
  std::array<SemaphoreModel, kSyncObjects> semaphore_models{SemaphoreModel(kPermits), SemaphoreModel(kPermits)};
  Semaphore& semaphores(int s) { return s == 0 ? plain_semaphore : bounded_semaphore; }
  // Condition 0 has a lock of its own; condition 1 is over locks[1], held by lock_hold too.
  std::array<Condition, kSyncObjects> conditions{Condition("condition 0"), Condition(locks[1], "condition 1")};
  std::array<ConditionModel, kSyncObjects> condition_models;
  // Barrier b is for b + 2 parties.
  std::array<Barrier, kSyncObjects> barriers{Barrier(2, "barrier 0"), Barrier(3, "barrier 1")};
  std::array<BarrierModel, kSyncObjects> barrier_models;

  // The task a body runs in, for cancelling(): an index into `tasks`, the main task, or one
  // the program holds no handle to (a coroutine gathered by gather_coros runs in a task of
  // the gather's own).
  static constexpr int kMainTask = -1;
  static constexpr int kUnknownTask = -2;
  Task<int> main_task;  // runs body 0
  /// The pending cancellation requests of task `self` (Task::cancelling()), if known.
  [[nodiscard]] std::optional<std::uint32_t> cancelling(int self) const {
    if (self == kMainTask) return main_task.cancelling();
    if (self >= 0) return tasks[static_cast<std::size_t>(self)].cancelling();
    return std::nullopt;
  }
};

/// True if `start + d` overflows the clock (d > 0).
inline bool overflows(TimePoint start, Duration d) {
  return d > Duration::zero() && start.time_since_epoch() > Duration::max() - d;
}

/// sleep(d), or sleep_until(*until), checked against the model of when it must end.
Coro<> checked_sleep(Context& ctx, Duration d, std::optional<TimePoint> until = std::nullopt);

/// The outcome of a time limit (wait_for, timeout) that started at `start` with `limit`.
struct LimitCheck {
  Context& ctx;
  TimePoint start;
  Duration limit;
  const char* what;

  [[nodiscard]] bool overflow() const { return overflows(start, limit); }
  /// It returned `value`; its body returns `expected`.
  void completed(int value, int expected) const;
  /// It threw TimeoutError.
  void timed_out() const;
  /// It threw std::invalid_argument.
  void invalid(const std::invalid_argument& e) const;
  /// It threw `error`, not a TimeoutError: std::invalid_argument is checked as above, any
  /// other failure absorbed into the model. Returns false for CancelledError, which the
  /// caller rethrows.
  [[nodiscard]] bool settle(std::exception_ptr error) const;
};

/// Waits for event `e` (an event_wait op's body), checked against the model.
Coro<int> checked_event_wait(Context& ctx, int e);
/// An event_wait op that started at `start` with `sets` set() calls of event `e` behind it
/// timed out at `deadline`: no set() may have come before the deadline.
void check_event_timeout(Context& ctx, int e, std::size_t sets, TimePoint deadline);
/// Takes lock `l` and holds it for sleep(d) (a lock_hold op's body), checking exclusion.
Coro<int> checked_lock_hold(Context& ctx, int l, Duration d, int holder);
/// A new item for queue `q` from `producer`.
int new_item(Context& ctx, int q, int producer, int priority = 0);
/// Puts `item` into its queue; gets one from queue `q`. Checked against the model of the
/// queue: a get takes the oldest item in it, so nothing is lost, duplicated or invented.
Coro<int> checked_put(Context& ctx, int item);
Coro<int> checked_get(Context& ctx, int q);
/// A put of `item` failed (timed out, was cancelled, the queue shut down).
void put_failed(Context& ctx, int item);
/// Queue::shutdown(immediate) of queue `q`, in the model too.
void shut_down_queue(Context& ctx, int q, bool immediate);
/// Each queue holds as many items as the model, and the bounded ones no more than their size.
void check_queue_sizes(Context& ctx);

/// Takes a permit of semaphore `s` and holds it for sleep(d) (a semaphore_hold op's body):
/// permits go to waiters in the order they asked, never to more holders than there are
/// permits, and a free one is taken without suspending.
Coro<int> checked_semaphore_hold(Context& ctx, int s, Duration d);
/// Semaphore::release() of semaphore `s`: a BoundedSemaphore refuses it exactly when its
/// value is at its initial one.
void release_semaphore(Context& ctx, int s);
/// Takes condition `c`'s lock and waits for a notification (a condition_wait op's body); with
/// `without_lock`, wait() without the lock must throw InvalidStateError. `began` gets the
/// number of everyone_notified entries when the wait begins. The wait returns holding the
/// lock, also when cancelled, and returns only after a notification.
Coro<int> checked_condition_wait(Context& ctx, int c, bool without_lock, std::optional<std::size_t>& began);
/// A condition_notify op of condition `c`.
Coro<> checked_condition_notify(Context& ctx, int c, std::uint8_t flags, std::uint8_t n);
/// A wait of condition 0 that began with `began` entries in everyone_notified timed out at
/// `deadline`: no notify may have reached every waiter before it.
void check_condition_timeout(Context& ctx, int c, std::optional<std::size_t> began, TimePoint deadline);
/// Waits at barrier `b` (a barrier_wait op's body): it returns only once the barrier was
/// released since the wait began, and throws BrokenBarrierError only if it is broken or was
/// reset or aborted since.
Coro<int> checked_barrier_wait(Context& ctx, int b);
/// Barrier::reset() or abort() of barrier `b`, in the model too.
void break_barrier(Context& ctx, int b, bool reset);

/// The checks once run() has returned, before the loop closes.
void check_after_run(Context& ctx);

// An open bug the oracles would report on nearly every run hides everything else: while it
// is open, the interpreter tolerates it through a `tolerate_<what_broke>()` that returns
// this, so that SIMTIME_FUZZ_STRICT=1 turns every tolerance off to check a fix
// (`SIMTIME_FUZZ_STRICT=1 fuzz/run.sh --repro fuzz/crashes/*`). When it is fixed, delete the
// tolerance and move its reproducer from fuzz/crashes/ into fuzz/corpus/. None is open now.
bool tolerate_open_bugs();

}  // namespace simtime::fuzz

// The non-template core of a task, shared by every coroutine frame.
//
// Every `Coro<T>` promise derives from TaskState, so the coroutine handed to `create_task`
// becomes a task in place: one allocation per task, no wrapper frame. For a nested Coro (one
// awaited by another coroutine) only the continuation and the exception are used.
//
// Ownership of a task's frame: `refs` counts the loop (one reference from creation until the
// task finishes) and every `Task<T>` handle. When it drops to zero the frame is destroyed.
#pragma once

#include <coroutine>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "simtime/clock.hpp"
#include "simtime/detail/process_tables.hpp"
#include "simtime/detail/tagged_pointer.hpp"
#include "simtime/live_objects.hpp"
#include "simtime/source_location.hpp"

namespace simtime {
class Loop;
}

namespace simtime::detail {

class TaskState;
struct CallbackTimer;
class SleepAwaiter;
struct LoopAccess;

/// What a suspended task waits on. The loop asks it to give up the wait when the task is
/// cancelled, and to describe itself when diagnosing a deadlock.
class Blocker {
 public:
  /// Gives up the wait because `waiter` was cancelled. Returns true if the cancellation was
  /// handed on to something that will wake `waiter` later (an awaited task); returns false
  /// after scheduling `waiter` itself, which then resumes with CancelledError.
  virtual bool cancel_wait(TaskState& waiter) = 0;
  /// Appends what is waited on, e.g. "sleep until 10s" or "task 'Task-3'".
  virtual void describe(std::string& out) const = 0;

 protected:
  Blocker() = default;
  Blocker(const Blocker&) = default;
  Blocker& operator=(const Blocker&) = default;
  ~Blocker() = default;
};

/// An intrusive node in a task's list of completion callbacks; it lives in the awaiter that
/// waits, so registering costs no allocation. Callbacks run in registration order.
struct JoinWaiter;
struct CompletionWaiter {
  CompletionWaiter* prev = nullptr;
  CompletionWaiter* next = nullptr;
  TaskState* target = nullptr;  // the task whose list holds this node; null when unlinked
  void (*on_done)(CompletionWaiter& self, TaskState& finished) = nullptr;
  // On the list's first node only: a JoinWaiter that joined the task before any node came.
  // It runs before the nodes, as it came first.
  JoinWaiter* join_first = nullptr;

  CompletionWaiter() = default;
  CompletionWaiter(const CompletionWaiter&) = delete;
  CompletionWaiter& operator=(const CompletionWaiter&) = delete;
  // A frame destroyed while waiting (loop teardown) must not leave a dangling node behind.
  ~CompletionWaiter() { unlink(); }

  void link(TaskState& task, void (*callback)(CompletionWaiter&, TaskState&)) noexcept;
  void unlink() noexcept;
};

/// A waiter on many tasks at once (gather, wait). It needs no node in a task's list of
/// completion callbacks when it is the task's first waiter: it then takes the task's waiter
/// slot itself (see TaskState::try_join), and finish() calls it before any node that came
/// later, so registration order holds. A gather of a million fresh tasks links no node.
struct JoinWaiter {
  void (*on_done)(JoinWaiter& self, TaskState& finished) = nullptr;
};

/// Whether a coroutine's result of type T is kept in TaskState's result slot rather than
/// beside it in the promise.
template <class T>
inline constexpr bool fits_in_result_slot = std::is_trivially_copyable_v<T> && sizeof(T) <= 8 && alignof(T) <= 8;

enum class TaskPhase : std::uint8_t { nested, pending, running, done };

class TaskState {
 public:
  // The fields every step, finish and wait touch come first, within 64 bytes of the frame's
  // start (where the resume pointer is): a pass over a million tasks misses the cache once
  // per task, not twice. The flags are bits, the number 36 bits, and the loop and the
  // creation site 16-bit numbers kept in process-wide tables (detail/process_tables.hpp), so
  // that a frame is as small as it can be (a million of them are read several times over).
  std::uint32_t refs = 0;
  std::uint16_t cancel_requests = 0;     // asyncio's Task.cancelling(), saturating at 65535
  std::uint16_t loop_id = 0;             // its loop's number (see loop()); 0 once that loop has closed
  std::uint64_t number : 36 = 0;         // Task-N (N wraps after 2^36 tasks on one loop)
  std::uint64_t creation_site : 16 = 0;  // its number in creation_sites() (see created_at())
  TaskPhase phase : 2 = TaskPhase::nested;
  bool must_cancel : 1 = false;  // throw CancelledError at the next resumption
  // The wait it was blocked on was given up because of a cancellation: the resumption throws
  // CancelledError even if uncancel() withdrew the request since (the awaited thing was
  // cancelled, as an asyncio future would be).
  bool wait_abandoned : 1 = false;
  bool cancelled : 1 = false;  // finished because CancelledError escaped
  bool exception_retrieved : 1 = false;
  bool handing_on_cancel : 1 = false;  // breaks cycles of tasks awaiting each other
  bool has_value : 1 = false;          // Promise<T> holds a returned value (T not void or a reference)
  bool queued : 1 = false;             // in the runnable queue: the slot below is next_runnable
  bool named : 1 = false;              // has a name of its own, kept in a table (see name())
  bool has_exception : 1 = false;      // the body ended by an exception: see exception()

  TaskState() noexcept {}  // not defaulted: g++ 12 deletes it for the exception_ptr in a union
  TaskState(const TaskState&) = delete;
  TaskState& operator=(const TaskState&) = delete;
  // Inline for the usual frame, which has no name and nobody waiting on it; the rest is
  // out of line.
  ~TaskState() {
    if (phase != TaskPhase::nested) --live_counts.tasks;
    if (named || !waiters_.empty()) forget_name_and_waiters();
    if (has_exception) exception_.~exception_ptr();
  }

  // -- identity and place --
  [[nodiscard]] bool done() const noexcept { return phase == TaskPhase::done; }
  /// Where create_task was called.
  [[nodiscard]] SourceLocation created_at() const noexcept;
  /// The loop that runs the task; null once it has closed.
  [[nodiscard]] Loop* loop() const noexcept { return loops_by_id[loop_id]; }
  /// The name given to create_task, or "Task-N".
  [[nodiscard]] std::string name() const;
  /// Gives the task a name of its own. Throws std::bad_alloc, leaving it unnamed.
  void give_name(std::string_view name);

  // -- where it resumes, and how its body ended --
  /// Task only, until its body ends: the innermost frame, where it is suspended.
  [[nodiscard]] std::coroutine_handle<> resume_point() const noexcept { return resume_point_; }
  void set_resume_point(std::coroutine_handle<> frame) noexcept { resume_point_ = frame; }
  /// Nested Coro only: the awaiting frame.
  [[nodiscard]] std::coroutine_handle<> continuation() const noexcept {
    return std::coroutine_handle<>::from_address(continuation_address_);
  }
  void set_continuation(std::coroutine_handle<> awaiting) noexcept { continuation_address_ = awaiting.address(); }
  /// The exception the body ended with, or null.
  [[nodiscard]] const std::exception_ptr& exception() const noexcept {
    static const std::exception_ptr none;
    return has_exception ? exception_ : none;
  }
  /// Sets the exception the task ends with. Only once its body has ended, or it never resumes
  /// again: the resume point is gone.
  void set_exception(std::exception_ptr error) noexcept {
    if (has_exception) {
      exception_ = std::move(error);
    } else {
      std::construct_at(&exception_, std::move(error));
      has_exception = true;
    }
  }
  /// Storage for a value that fits_in_result_slot, written once the body has ended (it
  /// returns). An exception stored afterwards (a cancellation arriving as the body returns)
  /// takes its place, and is what the task ends with.
  [[nodiscard]] void* result_slot() noexcept { return small_result_; }
  /// Stores the exception escaping the coroutine body; notes whether it is a cancellation.
  void store_exception() noexcept;
  /// Rethrows the stored exception, if any, marking it retrieved.
  void rethrow_if_failed() {
    if (has_exception) rethrow_stored();
  }

  // -- what it waits on --
  /// Whether the task waits on something: false while it runs or is runnable.
  [[nodiscard]] bool blocked() const noexcept { return !queued && !blocked_on_.empty(); }
  /// Whether the task waits on `blocker`.
  [[nodiscard]] bool waits_on(const Blocker& blocker) const noexcept {
    return !queued && blocked_on_.points_to(&blocker);
  }
  /// The running task begins to wait on `blocker` (null: it stays runnable, e.g. it yields).
  void block_on(Blocker* blocker) noexcept { blocked_on_ = Wait(blocker); }
  /// The running task begins to wait for the end of `sleep`, armed on its loop.
  void block_on(SleepAwaiter& sleep) noexcept { blocked_on_ = Wait(&sleep); }
  /// Gives up what the task waits on (it is blocked) because it was cancelled: as
  /// Blocker::cancel_wait, true if the cancellation was handed on.
  bool give_up_wait();
  /// Appends what the task waits on, as Blocker::describe; false if it waits on nothing
  /// simtime knows.
  bool describe_wait(std::string& out) const;

  // -- the runnable queue --
  /// The next task in the runnable queue; only while `queued`.
  [[nodiscard]] TaskState* next_runnable() const noexcept { return next_runnable_; }
  void set_next_runnable(TaskState* next) noexcept { next_runnable_ = next; }
  /// Taken out of the runnable queue to run: neither queued nor blocked.
  void leave_queue() noexcept {
    queued = false;
    blocked_on_ = Wait();
  }

  // -- who waits for it to finish --
  /// Registers `join` as the task's waiter if the task is unfinished and nobody waits on it
  /// yet; false otherwise (the caller links a CompletionWaiter instead).
  bool try_join(JoinWaiter& join) noexcept {
    if (done() || !waiters_.empty()) return false;
    waiters_ = Waiters(&join);
    return true;
  }
  /// The first CompletionWaiter, or null.
  [[nodiscard]] CompletionWaiter* first_waiter() const noexcept { return waiters_.plain(); }
  /// Takes the JoinWaiter out, if one joined the task (finishing calls it first).
  JoinWaiter* take_join() noexcept {
    if (JoinWaiter* const join = waiters_.tagged()) {
      waiters_ = Waiters();
      return join;
    }
    if (waiters_.empty()) return nullptr;
    return std::exchange(first_waiter()->join_first, nullptr);
  }
  /// Forgets `join` if it joined the task.
  void leave_join(const JoinWaiter& join) noexcept {
    if (waiters_.points_to(&join)) {
      waiters_ = Waiters();
    } else if (CompletionWaiter* const first = first_waiter(); first != nullptr && first->join_first == &join) {
      first->join_first = nullptr;
    }
  }
  /// Forgets every waiter without calling any (a frame being destroyed, a callback that threw).
  /// Inline for the usual case, a task that has none left: every finish() asks.
  void drop_waiters() noexcept {
    if (!waiters_.empty()) drop_remaining_waiters();
  }

  // -- cancellation --
  /// asyncio's Task.cancel(): false if already done.
  bool cancel();
  /// asyncio's Task.uncancel(): withdraws one cancellation request; returns those left.
  /// With none left, a cancellation not yet delivered is dropped (Python 3.13).
  std::uint32_t uncancel() noexcept;
  /// Throws CancelledError if a cancellation is pending for this task, consuming it.
  void throw_if_cancel_requested() {
    if (must_cancel || wait_abandoned) throw_cancelled();
  }

  // -- ownership --
  void add_ref() noexcept { ++refs; }
  /// Drops one reference; destroys the frame when none is left.
  void release() noexcept;

 private:
  friend struct CompletionWaiter;  // links itself into waiters_
  friend class simtime::Loop;      // keeps its list of task frames in live_prev/live_next
  friend struct LoopAccess;

  using Wait = TaggedPointer<Blocker, SleepAwaiter>;
  using Waiters = TaggedPointer<CompletionWaiter, JoinWaiter>;

  // The sleep the task waits on, if its wait is one.
  [[nodiscard]] SleepAwaiter* sleep_waited_on() const noexcept { return blocked_on_.tagged(); }
  [[noreturn]] void throw_cancelled();
  [[noreturn]] void rethrow_stored();
  void forget_name_and_waiters() noexcept;
  void drop_remaining_waiters() noexcept;

  // One slot for three roles that never meet, so that every frame is sixteen bytes smaller:
  // a nested Coro's continuation, and a task's place in the runnable queue while `queued`,
  // or else what it is blocked on.
  union {
    void* continuation_address_ = nullptr;  // nested Coro: the frame that resumes when it finishes
    TaskState* next_runnable_;              // task, queued: the loop's intrusive runnable queue
    // Task, not queued: what it waits on (empty: runnable). A sleep, the wait nearly every
    // task makes, is told apart by the tag rather than through a Blocker's table pointer,
    // which keeps eight bytes out of every sleeping frame.
    Wait blocked_on_;
  };
  // Where a task resumes is never needed again once its body has ended, and only then may it
  // hold a result: an exception, or a value of a word or less that needs no destructor (a
  // nested Coro has no resume point). One slot for all, and a frame returning an int is eight
  // bytes smaller.
  union {
    std::coroutine_handle<> resume_point_{};    // task: the innermost frame, where it is suspended
    std::exception_ptr exception_;              // while has_exception
    alignas(8) unsigned char small_result_[8];  // Promise<T>'s value, for a T that fits_in_result_slot
  };
  // Who waits for the task to finish, in one word: nothing; a JoinWaiter (tagged), the usual
  // case of a gathered task; or the first of the CompletionWaiters in registration order,
  // whose `prev` is the last one (no tail pointer here), carrying in `join_first` a
  // JoinWaiter that came before it. Whoever joins keeps the task alive (holds a handle) for
  // as long as it is joined.
  Waiters waiters_;
  TaskState* live_prev_ = nullptr;  // the loop's list of the task frames it knows
  TaskState* live_next_ = nullptr;
};

/// A loop's runnable tasks, in the order they run: an intrusive FIFO through next_runnable.
struct RunQueue {
  TaskState* head = nullptr;
  TaskState* tail = nullptr;

  void push_back(TaskState& task) noexcept {
    task.queued = true;
    task.set_next_runnable(nullptr);
    if (tail != nullptr) {
      tail->set_next_runnable(&task);
    } else {
      head = &task;
    }
    tail = &task;
  }
};

/// Per-thread state of the running loop: which loop, its runnable queue, which task it is
/// stepping, and the frame to resume next (the trampoline slot, see `resume_next`).
struct ThreadContext {
  Loop* loop = nullptr;
  std::uint16_t loop_id = 0;  // the same loop's number: schedule() compares it with a task's
  RunQueue* runnable = nullptr;
  TaskState* task = nullptr;
  std::coroutine_handle<> next;
};
inline thread_local ThreadContext this_thread;

/// Coroutine-to-coroutine transfers (starting a nested Coro, returning to the awaiter) go
/// through the loop's trampoline instead of symmetric transfer: the suspending frame stores
/// the handle here and returns, and the loop resumes it. g++ turns symmetric transfer into a
/// tail call only when optimising, so this keeps the stack flat at -O0 too.
inline void resume_next(std::coroutine_handle<> handle) noexcept { this_thread.next = handle; }

[[noreturn]] void throw_no_running_task(const char* caller);
[[noreturn]] void throw_no_running_loop(const char* caller);

/// The task the running loop is stepping. Throws std::runtime_error naming `caller` when
/// called outside a running loop.
inline TaskState& current_task(const char* caller) {
  if (this_thread.task == nullptr) throw_no_running_task(caller);
  return *this_thread.task;
}
/// The running loop. Throws std::runtime_error naming `caller` when there is none.
inline Loop& running_loop(const char* caller) {
  if (this_thread.loop == nullptr) throw_no_running_loop(caller);
  return *this_thread.loop;
}

/// Makes the current task wait on `blocker`: it resumes at `handle` once something schedules
/// it. Returns the task.
inline TaskState& suspend_current(std::coroutine_handle<> handle, Blocker* blocker) noexcept {
  TaskState& task = *this_thread.task;
  task.set_resume_point(handle);
  task.block_on(blocker);
  return task;
}
/// As above, waiting for the end of `sleep`, armed on the task's loop.
inline TaskState& suspend_current(std::coroutine_handle<> handle, SleepAwaiter& sleep) noexcept {
  TaskState& task = *this_thread.task;
  task.set_resume_point(handle);
  task.block_on(sleep);
  return task;
}

void schedule_outside_run(TaskState& task) noexcept;

/// Puts `task` at the back of its loop's runnable queue: it runs on the next turn (rule 13).
/// A task whose loop has closed is left alone: it can never run again, and its frame is
/// being destroyed with the loop (a LockGuard in a straggler's frame releases the lock as
/// the loop tears down). Inline for the usual case, a task of the loop running here.
inline void schedule(TaskState& task) noexcept {
  if (task.loop_id != 0 && task.loop_id == this_thread.loop_id) {
    this_thread.runnable->push_back(task);
  } else {
    schedule_outside_run(task);
  }
}

/// Arms a timer on the loop of `task` that wakes it at `deadline` (a sleep); returns the
/// slot that names the timer.
std::uint32_t arm_sleep(TaskState& task, TimePoint deadline);
/// Removes the sleep armed in `slot` for `task`, which still waits on it.
void disarm_sleep(TaskState& task, std::uint32_t slot) noexcept;
/// Arms `timer` on the loop of `timer.task`; it fires at `deadline`.
void arm_timer(CallbackTimer& timer, TimePoint deadline);
/// Removes `timer` from its loop's timers if it is armed.
void disarm_timer(CallbackTimer& timer) noexcept;

/// Runs `job` on a worker thread of the running loop, counted as outside work until `report`
/// has been posted back to the loop's thread (where it runs at the start of a turn).
void run_outside(std::function<void()> job, std::function<void()> report);

/// Registers a coroutine frame as a new task on the running loop; it starts on a later turn.
void start_task(TaskState& task, std::coroutine_handle<> frame, std::string_view name, SourceLocation where,
                const char* caller);

}  // namespace simtime::detail

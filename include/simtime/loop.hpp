// The event loop and `run`, simtime's asyncio.run.
//
// A loop runs in turns, as asyncio's does (rule 13): a turn first moves every timer whose
// deadline has been reached onto the runnable queue (deadline order, then arm order), then
// steps the tasks that were runnable when the turn began; a task made runnable during a turn
// runs in the next one. When nothing is runnable the loop asks its clock to wait until the
// earliest deadline: the virtual clock jumps there at once, the real clock sleeps (rule 4).
// When nothing is runnable and no timer is armed but the main coroutine has not finished,
// nothing can ever run again and `run` throws DeadlockError (rule 11).
//
// `run(main)` makes `main` a task ("Task-1"), runs the loop until it finishes, then cancels
// every task still pending and runs them until they finish cancelling (rule 10), and returns
// main's value or rethrows its exception.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "simtime/clock.hpp"
#include "simtime/coro.hpp"
#include "simtime/detail/outside_work.hpp"
#include "simtime/detail/task_state.hpp"
#include "simtime/detail/timer_queue.hpp"
#include "simtime/detail/trace_sink.hpp"
#include "simtime/errors.hpp"
#include "simtime/schedule_policy.hpp"
#include "simtime/source_location.hpp"
#include "simtime/task.hpp"

namespace simtime {

namespace detail {
struct Instrumentation;
}  // namespace detail

/// What the loop knows about a task exception that nobody retrieved.
struct UnretrievedException {
  std::string task_name;
  SourceLocation created_at;
  std::exception_ptr exception;
};

/// Receives unretrieved task exceptions (rule 17). Runs on the loop's thread.
using ExceptionHandler = std::function<void(const UnretrievedException&)>;

/// One step of a task, as seen by a step observer: the task ran from one suspension point to
/// the next (or to its end).
struct StepEvent {
  std::uint64_t task_id;  // Task::id()
  bool finished;          // the step ended the task
};

/// Watches every step the loop runs, on the loop's thread (tests, tracing). The observer may
/// cancel tasks; it must not run coroutines.
using StepObserver = std::function<void(const StepEvent&)>;

/// Budgets for a loop's runs; a zero or empty one is no limit. A run that exceeds one ends in
/// BudgetExceededError, after its tasks are cancelled and cleaned up (see Loop::set_limits).
struct RunLimits {
  /// How far the clock may move from where it stood when the run began: a timer beyond it
  /// is never waited for (a runaway: a timer loop that never ends).
  std::optional<Duration> max_virtual_time = std::nullopt;
  /// How many steps the run may take in all.
  std::uint64_t max_steps = 0;
  /// How many steps may be taken while the clock stands at one instant (a livelock: tasks
  /// that yield to each other forever freeze virtual time).
  std::uint64_t max_steps_at_one_instant = 0;

  [[nodiscard]] bool any() const noexcept {
    return max_virtual_time.has_value() || max_steps != 0 || max_steps_at_one_instant != 0;
  }
};

class Loop {
 public:
  /// A loop on `clock`, which must outlive it.
  explicit Loop(Clock& clock);
  /// Cancels nothing: tasks still suspended (only possible after a failed run) are
  /// destroyed, their frames freed.
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  /// Runs `main` as a task until it finishes, then cancels and finishes every other task
  /// (rule 10). Returns main's value or rethrows its exception; throws DeadlockError when
  /// nothing can ever run again (rule 11), std::runtime_error if a loop is already running
  /// on this thread.
  template <class T>
  T run(Coro<T> main, SourceLocation where = SourceLocation::current());

  /// The loop's clock time.
  [[nodiscard]] TimePoint now() const { return clock_->now(); }
  [[nodiscard]] Clock& clock() const noexcept { return *clock_; }
  /// The earliest armed deadline, if any timer is armed.
  [[nodiscard]] std::optional<TimePoint> next_deadline() const noexcept { return timers_.peek_next_deadline(); }
  /// How many timers are armed (sleeps in progress, time limits running).
  [[nodiscard]] std::size_t pending_timer_count() const noexcept { return timers_.size(); }
  /// The unfinished tasks, oldest first (asyncio.all_tasks(loop)).
  [[nodiscard]] std::vector<TaskHandle> all_tasks() const;
  /// How many tasks have been created and not yet finished.
  [[nodiscard]] std::size_t unfinished_task_count() const noexcept { return unfinished_tasks_; }
  /// How many jobs are running on worker threads (to_thread) and have not reported back.
  /// While there are any, the virtual clock stands still.
  [[nodiscard]] std::size_t outside_work_count() const { return outside_.in_flight(); }

  /// Runs `callback` on the loop's thread at the start of a coming turn, waking the loop if it
  /// is waiting (asyncio's call_soon_threadsafe). Callable from any thread. The loop does not
  /// know that a thread will call this later: work that must hold the virtual clock and keep
  /// deadlock detection off belongs in to_thread.
  void call_soon_threadsafe(std::function<void()> callback);

  /// Replaces the handler for unretrieved task exceptions; an empty one restores the
  /// default, which prints the task's name, where it was created and the exception to stderr.
  void set_exception_handler(ExceptionHandler handler);

  /// Installs (or, when empty, removes) the step observer.
  void set_step_observer(StepObserver observer);
  static void default_exception_handler(const UnretrievedException& report);
  /// The handler of every loop that has none of its own (set_exception_handler); empty:
  /// default_exception_handler. Set it before loops are made (a test main does).
  static void set_default_exception_handler(ExceptionHandler handler);
  [[nodiscard]] static ExceptionHandler get_default_exception_handler();

  /// Budgets for the runs of this loop. Exceeding one stops stepping, cancels every task and
  /// runs them until they finish cancelling (within the same budgets again, afterwards the
  /// stragglers are destroyed), then `run` throws BudgetExceededError naming the budget, the
  /// time, the steps taken and the tasks that kept running.
  void set_limits(const RunLimits& limits);
  [[nodiscard]] const RunLimits& limits() const noexcept;
  /// The limits every loop starts with (none unless set; //:testing_main sets a livelock
  /// guard). Set them before loops are made.
  static void set_default_limits(const RunLimits& limits);
  static RunLimits default_limits();
  /// Steps taken by the runs of this loop while budgets, a trace, a schedule policy or a step
  /// observer were installed.
  [[nodiscard]] std::uint64_t observed_step_count() const noexcept;

  /// Where the exception that the last `run` on this thread rethrew came from: "task 'worker'
  /// (created at worker.cc:12) ended with it at virtual time 5s", the task it first escaped.
  /// Known only for an observed run (budgets, a trace, a policy or an observer installed;
  /// //:testing_main gives every loop a budget); empty otherwise, and after a run that
  /// returned. A test main prints it beside the exception GoogleTest reports.
  [[nodiscard]] static std::string origin_of_last_exception();

  /// Installs a schedule policy (rule 18); null removes it. `policy` must outlive the runs it
  /// serves. Throws std::logic_error while this loop runs.
  void set_schedule(SchedulePolicy* policy);
  /// The decisions taken under the schedule policy so far: for each, the index chosen.
  [[nodiscard]] const std::vector<std::uint32_t>& schedule_decisions() const noexcept;

  /// Installs a trace recorder (simtime::testing::Trace); null removes it. Throws
  /// std::logic_error while this loop runs. A recorder serves one loop at a time.
  void set_trace(detail::TraceSink* trace);

 private:
  friend struct detail::LoopAccess;

  detail::TaskState& begin_run(detail::TaskState& main, std::coroutine_handle<> frame, SourceLocation where);
  void run_main(detail::TaskState& main);
  enum class RunEnd : unsigned char { done, stuck, over_budget };
  RunEnd run_until_done_or_stuck(detail::TaskState* main);
  bool wait_for_work();
  template <bool observed>
  void run_turn();
  template <bool observed>
  void step(detail::TaskState& task);
  void finish(detail::TaskState& task);
  // The observed path (budgets, trace, schedule policy, step observer): src/instrumentation.cc.
  detail::Instrumentation& instrumentation();
  void run_batch_observed(detail::TaskState* batch);
  void requeue_unstepped(std::size_t from) noexcept;
  void step_observed(detail::TaskState& task);
  void step_began(detail::TaskState& task);
  void step_ended(std::uint64_t task_id, detail::TaskState* unfinished, bool body_ran);
  void task_finishing(detail::TaskState& task);
  void note_origin_of(const detail::TaskState& main);
  void timer_fired(const detail::TimerQueue::Fired& fired);
  [[nodiscard]] bool over_budget() const noexcept;
  [[nodiscard]] bool beyond_time_budget(TimePoint deadline);
  void start_observed_run();
  void end_observed_run();
  void cancel_all_pending();
  void destroy_unfinished() noexcept;
  void close() noexcept;
  [[nodiscard]] std::string describe_deadlock() const;
  void report_unretrieved(detail::TaskState& task) noexcept;

  Clock* clock_;
  const bool clock_is_virtual_;  // clock_->is_virtual(), asked once: only the idle step needs it
  detail::TimerQueue timers_;
  detail::RunQueue runnable_;
  detail::TaskState* live_head_ = nullptr;  // every task frame this loop knows of
  std::size_t unfinished_tasks_ = 0;
  std::uint64_t next_task_number_ = 1;
  ExceptionHandler exception_handler_;
  std::unique_ptr<detail::Instrumentation> instrumentation_;  // null: the turn loop observes nothing
  std::exception_ptr closed_before_finishing_;
  detail::OutsideQueue outside_;
  std::unique_ptr<detail::WorkerPool> workers_;  // started by the first to_thread
  std::uint16_t id_;                             // in loops_by_id; taken last, so that nothing after it can fail
};

/// Runs `main` on a fresh loop over `clock` and returns its value (asyncio.run).
template <class T>
T run(Coro<T> main, Clock& clock, SourceLocation where = SourceLocation::current()) {
  Loop loop(clock);
  return loop.run(std::move(main), where);
}

/// Runs `main` on a fresh loop over a fresh RealClock.
template <class T>
T run(Coro<T> main, SourceLocation where = SourceLocation::current()) {
  RealClock clock;
  return run(std::move(main), clock, where);
}

/// The running loop's clock time (asyncio's loop.time()). Throws std::runtime_error
/// outside a running loop.
[[nodiscard]] TimePoint now();

/// The loop running on this thread (asyncio.get_running_loop()). Throws std::runtime_error
/// if there is none.
[[nodiscard]] Loop& get_running_loop();

// ---------------------------------------------------------------------------------------
// Implementation details
// ---------------------------------------------------------------------------------------

template <class T>
T Loop::run(Coro<T> main, SourceLocation where) {
  auto frame = detail::CoroAccess::frame(main);
  if (!frame) throw InvalidStateError("run: the main Coro is empty (moved from or already a task)");
  begin_run(frame.promise(), frame, where);
  detail::CoroAccess::release(main);  // the loop owns the frame now
  Task<T> task = detail::TaskAccess::adopt(frame);
  run_main(frame.promise());
  if constexpr (std::is_void_v<T> || std::is_reference_v<T>) {
    return task.result();
  } else {
    return T(std::move(task.result()));
  }
}

}  // namespace simtime

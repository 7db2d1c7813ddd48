#include "simtime/loop.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "instrumentation.hpp"
#include "loop_access.hpp"
#include "simtime/detail/process_tables.hpp"
#include "simtime/errors.hpp"
#include "simtime/live_objects.hpp"

namespace simtime {
namespace detail {

void throw_no_running_task(const char* caller) {
  throw std::runtime_error(fmt::format("{}: no running task (call it from a coroutine run by simtime::run)", caller));
}

void throw_no_running_loop(const char* caller) {
  throw std::runtime_error(
      fmt::format("{}: no running event loop (call it from a coroutine run by simtime::run)", caller));
}

void schedule_outside_run(TaskState& task) noexcept {
  // A task of a closed loop is being destroyed: something its frame held (a lock guard,
  // say) may still try to wake it or a fellow waiter on the way out.
  if (Loop* const loop = task.loop()) LoopAccess::schedule(*loop, task);
}

std::uint32_t arm_sleep(TaskState& task, TimePoint deadline) {
  Loop& loop = *task.loop();
  if (LoopAccess::observed(loop)) [[unlikely]]
    deadline = LoopAccess::timer_armed(loop, &task, deadline, true);
  return LoopAccess::timers(loop).push(task, deadline);
}

void disarm_sleep(TaskState& task, std::uint32_t slot) noexcept {
  if (Loop* const loop = task.loop()) LoopAccess::timers(*loop).remove(slot);
}

void arm_timer(CallbackTimer& timer, TimePoint deadline) {
  Loop& loop = *timer.task->loop();
  if (LoopAccess::observed(loop)) [[unlikely]]
    deadline = LoopAccess::timer_armed(loop, timer.task, deadline, false);
  LoopAccess::timers(loop).push(timer, deadline);
}

void disarm_timer(CallbackTimer& timer) noexcept {
  if (!timer.armed()) return;
  if (Loop* const loop = timer.task->loop()) LoopAccess::timers(*loop).remove(timer);
}

void run_outside(std::function<void()> job, std::function<void()> report) {
  LoopAccess::run_outside(running_loop("to_thread"), std::move(job), std::move(report));
}

void start_task(TaskState& task, std::coroutine_handle<> frame, std::string_view name, SourceLocation where,
                const char* caller) {
  LoopAccess::register_task(running_loop(caller), task, frame, name, where);
}

}  // namespace detail

using detail::TaskPhase;
using detail::TaskState;
using detail::this_thread;

Loop::Loop(Clock& clock)
    : clock_(&clock),
      clock_is_virtual_(clock.is_virtual()),
      // Made up front: tasks destroyed in ~Loop get it without allocating.
      closed_before_finishing_(std::make_exception_ptr(CancelledError("the loop closed before the task finished"))),
      id_(detail::take_loop_id(*this)) {
  if (const RunLimits limits = default_limits(); limits.any()) instrumentation().limits = limits;
}

Loop::~Loop() {
  close();
  if (instrumentation_ != nullptr && instrumentation_->trace != nullptr) instrumentation_->trace->on_loop_closed(*this);
  workers_.reset();  // waits for jobs still running; their reports are dropped with outside_
  detail::give_back_loop_id(id_);
}

void Loop::call_soon_threadsafe(std::function<void()> callback) { outside_.post(std::move(callback)); }

void Loop::set_exception_handler(ExceptionHandler handler) { exception_handler_ = std::move(handler); }

void Loop::default_exception_handler(const UnretrievedException& report) {
  fmt::print(stderr, "simtime: Task exception was never retrieved: task '{}' created at {}:{}: {}\n", report.task_name,
             report.created_at.file_name(), report.created_at.line(), exception_message(report.exception));
}

void Loop::report_unretrieved(TaskState& task) noexcept {
  task.exception_retrieved = true;
  try {
    const UnretrievedException report{task.name(), task.created_at(), task.exception()};
    try {
      if (exception_handler_) {
        exception_handler_(report);
      } else if (const ExceptionHandler& fallback = detail::default_exception_handler_of_loops(); fallback) {
        fallback(report);
      } else {
        default_exception_handler(report);
      }
    } catch (const std::exception& error) {
      fmt::print(stderr, "simtime: the exception handler threw while reporting task '{}': {}\n", report.task_name,
                 error.what());
    } catch (const BaseException& error) {
      fmt::print(stderr, "simtime: the exception handler threw while reporting task '{}': {}\n", report.task_name,
                 error.what());
    }
  } catch (...) {
    // Out of memory while reporting (a report is made in ~Loop too): drop the report.
  }
}

TaskState& Loop::begin_run(TaskState& main, std::coroutine_handle<> frame, SourceLocation where) {
  if (this_thread.loop != nullptr) {
    throw std::runtime_error("run: a loop is already running on this thread (simtime::run cannot be nested)");
  }
  this_thread.loop = this;
  this_thread.loop_id = id_;
  this_thread.runnable = &runnable_;
  detail::LoopAccess::register_task(*this, main, frame, {}, where);
  return main;
}

void Loop::run_main(TaskState& main) {
  struct LeaveThread {
    Loop& loop;
    ~LeaveThread() {
      this_thread = {};
      if (loop.instrumentation_ != nullptr) loop.end_observed_run();
    }
  } leave{*this};
  if (instrumentation_ != nullptr) start_observed_run();
  std::string failure;
  const RunEnd end = run_until_done_or_stuck(&main);
  note_origin_of(main);
  if (end == RunEnd::stuck) failure = describe_deadlock();
  if (end == RunEnd::over_budget) failure = instrumentation_->over_budget;
  // asyncio.run: whatever is still pending is cancelled and allowed to finish cancelling
  // (within the budgets again, if it was a budget that ended the run).
  if (end == RunEnd::over_budget) start_observed_run();
  cancel_all_pending();
  if (run_until_done_or_stuck(nullptr) != RunEnd::done) {
    // Some task swallowed the cancellation and blocked again, or kept running: one more
    // round, then the stragglers are destroyed so that nothing hangs.
    if (instrumentation_ != nullptr) start_observed_run();
    cancel_all_pending();
    run_until_done_or_stuck(nullptr);
    destroy_unfinished();
  }
  if (end == RunEnd::stuck) throw DeadlockError(failure);
  if (end == RunEnd::over_budget) throw BudgetExceededError(failure);
}

// Inlined into the run loop, with step: a turn of a busy loop (one task handing a token to
// another) is then a few dozen instructions, without calls of its own. The observed turn is
// the same code with the instrumentation's calls compiled in.
template <bool observed>
[[gnu::always_inline]] inline void Loop::run_turn() {
  if (outside_.has_calls()) {
    for (auto& call : outside_.take_calls()) call();
  }
  // The clock is read only when a timer could be due: a turn of a program without timers
  // makes no call through the Clock interface.
  if (!timers_.empty()) {
    const TimePoint current = now();
    while (const detail::TimerQueue::Fired fired = timers_.pop_due(current)) {
      if constexpr (observed) timer_fired(fired);
      if (fired.callback != nullptr) {
        fired.callback->on_fire(*fired.callback);
      } else {
        detail::LoopAccess::schedule(*this, *fired.task);
      }
    }
  }
  // Only the tasks runnable at the start of the turn run in it (rule 13).
  TaskState* batch = std::exchange(runnable_.head, nullptr);
  runnable_.tail = nullptr;
  if constexpr (observed) {
    run_batch_observed(batch);  // in the order the schedule policy chooses, if there is one
  } else {
    while (batch != nullptr) {
      TaskState& task = *batch;
      batch = task.next_runnable();
      task.leave_queue();
      step<false>(task);
    }
  }
}

namespace {
// Out of line and cold: the exception it builds would otherwise give every step a stack
// canary and a frame to match.
[[gnu::noinline, gnu::cold]] void end_cancelled(TaskState& task) noexcept {
  task.set_exception(std::make_exception_ptr(CancelledError()));
  task.cancelled = true;
}
}  // namespace

template <bool observed>
[[gnu::always_inline]] inline void Loop::step(TaskState& task) {
  if constexpr (observed) step_began(task);
  if (task.phase == TaskPhase::pending) {
    if (task.must_cancel) {  // cancelled before its first step: the body never runs
      end_cancelled(task);
      if constexpr (observed) task_finishing(task);
      const std::uint64_t id = task.number;
      finish(task);
      if constexpr (observed) step_ended(id, nullptr, /*body_ran=*/false);
      return;
    }
    task.phase = TaskPhase::running;
  }
  this_thread.task = &task;
  std::coroutine_handle<> next = task.resume_point();
  do {
    next.resume();
    next = std::exchange(this_thread.next, nullptr);
  } while (next);
  this_thread.task = nullptr;

  const std::uint64_t id = task.number;
  if (detail::frame_of(task).done()) {
    if (task.must_cancel && !task.has_exception) {
      // Cancelled right before its coroutine returned (asyncio's Task.__step): a request
      // made while it ran must not be lost because it never suspended again.
      task.must_cancel = false;
      end_cancelled(task);
    }
    if constexpr (observed) task_finishing(task);
    finish(task);  // may destroy the task
    if constexpr (observed) step_ended(id, nullptr, /*body_ran=*/true);
    return;
  }
  if (task.must_cancel && task.blocked()) {
    // Cancelled while running (e.g. by itself): the wait it just began takes the
    // cancellation, as asyncio's Task.__step does with _must_cancel.
    if (task.give_up_wait()) {
      task.must_cancel = false;
    } else {
      task.wait_abandoned = true;
    }
  }
  if constexpr (observed) step_ended(id, &task, /*body_ran=*/true);
}

// The observed turn's step (src/instrumentation.cc), compiled here where step is.
void Loop::step_observed(TaskState& task) { step<true>(task); }

Loop::RunEnd Loop::run_until_done_or_stuck(TaskState* main) {
  // At the end of a run, jobs on worker threads and the calls they post back are waited for
  // too (asyncio.run shuts its default executor down).
  while (main != nullptr ? !main->done() : unfinished_tasks_ > 0 || outside_.in_flight() > 0 || outside_.has_calls()) {
    if (runnable_.head == nullptr && !wait_for_work()) return RunEnd::stuck;
    if (instrumentation_ == nullptr) [[likely]] {
      run_turn<false>();
      continue;
    }
    if (over_budget()) return RunEnd::over_budget;  // the idle step found the next timer beyond it
    run_turn<true>();
    if (over_budget()) return RunEnd::over_budget;
  }
  return RunEnd::done;
}

// The idle step, and the one place where the kind of clock matters: nothing is runnable.
// Returns once there may be work for a turn; false when nothing can ever wake a task again.
bool Loop::wait_for_work() {
  // Calls posted from other threads: they run, in the coming turn, before time moves.
  if (outside_.has_calls()) return true;
  const bool work_outside = outside_.in_flight() > 0;
  // A job's report is posted in the same step that ends the job (OutsideQueue::post), so a
  // job seen finished has its report visible now.
  if (!work_outside && outside_.has_calls()) return true;
  const std::optional<TimePoint> deadline = timers_.next_deadline();
  // A time budget is not waited past: the run ends instead (see run_until_done_or_stuck).
  if (deadline && instrumentation_ != nullptr && beyond_time_budget(*deadline)) return true;
  // Work out on other threads, and a virtual clock or no timer: time stands still until the
  // work reports back, and nothing is a deadlock meanwhile.
  if (work_outside && (clock_is_virtual_ || !deadline)) {
    outside_.wakeup().wait();
    return true;
  }
  // A timer armed: a virtual clock jumps to it, a real one waits for it or for a report.
  if (deadline) {
    clock_->wait_until(*deadline, outside_.wakeup());
    return true;
  }
  return false;
}

void Loop::finish(TaskState& task) {
  task.phase = TaskPhase::done;
  --unfinished_tasks_;
  // A completion callback that throws (out of memory) leaves run() with the exception; the
  // loop's reference still goes, and the callbacks not yet run are unlinked, so that the
  // frame is freed and nothing points into it.
  struct ReleaseTheLoopsReference {
    TaskState& task;
    ~ReleaseTheLoopsReference() {
      task.drop_waiters();
      task.release();
    }
  } release{task};
  if (detail::JoinWaiter* join = task.take_join()) join->on_done(*join, task);
  while (detail::CompletionWaiter* waiter = task.first_waiter()) {
    waiter->unlink();
    waiter->on_done(*waiter, task);
  }
}

void Loop::cancel_all_pending() {
  std::vector<TaskState*> pending;
  for (TaskState* task = live_head_; task != nullptr; task = task->live_next_) {
    if (!task->done()) pending.push_back(task);
  }
  // Oldest first, so cancellations are delivered in creation order.
  std::reverse(pending.begin(), pending.end());
  for (TaskState* task : pending) task->cancel();
}

void Loop::destroy_unfinished() noexcept {
  timers_.clear();
  runnable_ = {};
  // The unfinished tasks move to a list of their own, linked through live_next (this runs
  // in ~Loop, possibly after running out of memory: nothing here allocates). The loop's
  // reference on each pins it meanwhile: destroying one frame releases the handles it held
  // on others.
  TaskState* doomed = nullptr;
  for (TaskState* task = live_head_; task != nullptr;) {
    TaskState* const next = task->live_next_;
    if (!task->done()) {
      detail::LoopAccess::forget(*this, *task);
      // A handle that outlives this sees a task that was cancelled and can never run again.
      task->phase = TaskPhase::done;
      task->cancelled = true;
      task->set_exception(closed_before_finishing_);
      task->exception_retrieved = true;
      task->leave_queue();
      task->live_next_ = doomed;
      doomed = task;
      --unfinished_tasks_;
    }
    task = next;
  }
  while (doomed != nullptr) {
    TaskState* const task = doomed;
    doomed = std::exchange(task->live_next_, nullptr);
    task->release();  // the loop's reference
  }
}

void Loop::close() noexcept {
  destroy_unfinished();
  // Finished tasks still held by handles: report what nobody retrieved, oldest first, then
  // let the handles own them alone.
  TaskState* oldest = live_head_;
  while (oldest != nullptr && oldest->live_next_ != nullptr) oldest = oldest->live_next_;
  for (TaskState* task = oldest; task != nullptr; task = task->live_prev_) {
    if (task->has_exception && !task->exception_retrieved && !task->cancelled) report_unretrieved(*task);
  }
  while (live_head_ != nullptr) detail::LoopAccess::forget(*this, *live_head_);
}

std::string Loop::describe_deadlock() const {
  std::vector<const TaskState*> blocked;
  for (const TaskState* task = live_head_; task != nullptr; task = task->live_next_) {
    if (!task->done()) blocked.push_back(task);
  }
  std::reverse(blocked.begin(), blocked.end());
  std::string message = fmt::format(
      "deadlock at {}: no task can run, no timer is armed, and the main task has not finished; "
      "{} blocked task{}:",
      format_time(now()), blocked.size(), blocked.size() == 1 ? "" : "s");
  for (const TaskState* task : blocked) {
    fmt::format_to(std::back_inserter(message), "\n  task '{}' (created at {}:{}) waits on ", task->name(),
                   task->created_at().file_name(), task->created_at().line());
    if (!task->describe_wait(message)) message += "an awaitable simtime does not know";
  }
  return message;
}

TimePoint now() { return detail::running_loop("now").now(); }

TaskHandle current_task() { return detail::TaskAccess::handle(detail::current_task("current_task")); }

std::vector<TaskHandle> Loop::all_tasks() const {
  std::vector<TaskHandle> tasks;
  for (TaskState* task = live_head_; task != nullptr; task = task->live_next_) {
    if (!task->done()) tasks.push_back(detail::TaskAccess::handle(*task));
  }
  std::reverse(tasks.begin(), tasks.end());
  return tasks;
}

std::vector<TaskHandle> all_tasks() { return detail::running_loop("all_tasks").all_tasks(); }

Loop& get_running_loop() { return detail::running_loop("get_running_loop"); }

}  // namespace simtime

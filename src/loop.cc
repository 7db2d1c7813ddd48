#include "simtime/loop.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "simtime/detail/creation_sites.hpp"
#include "simtime/errors.hpp"
#include "simtime/live_objects.hpp"

namespace simtime {
namespace detail {

// The loop's internals, reached by the awaiters' non-template code in this file.
struct LoopAccess {
  static void schedule(Loop& loop, TaskState& task) noexcept { loop.runnable_.push_back(task); }

  static void register_task(Loop& loop, TaskState& task, std::coroutine_handle<> frame, std::string_view name,
                            SourceLocation where) {
    if (!name.empty()) task.give_name(name);
    task.set_resume_point(frame);
    task.loop_id = loop.id_;
    task.number = loop.next_task_number_++;
    task.creation_site = creation_site_number(where);
    task.refs = 1;  // the loop's, until the task finishes
    task.phase = TaskPhase::pending;
    ++live_counts.tasks;
    task.live_next = loop.live_head_;
    if (loop.live_head_ != nullptr) loop.live_head_->live_prev = &task;
    loop.live_head_ = &task;
    ++loop.unfinished_tasks_;
    schedule(loop, task);
  }

  static void forget(Loop& loop, TaskState& task) noexcept {
    (task.live_prev != nullptr ? task.live_prev->live_next : loop.live_head_) = task.live_next;
    if (task.live_next != nullptr) task.live_next->live_prev = task.live_prev;
    task.live_prev = task.live_next = nullptr;
    task.loop_id = 0;
  }

  static TimerQueue& timers(Loop& loop) noexcept { return loop.timers_; }

  static void run_outside(Loop& loop, std::function<void()> job, std::function<void()> report) {
    if (!loop.workers_) {
      const std::size_t cores = std::max(1u, std::thread::hardware_concurrency());
      loop.workers_ = std::make_unique<WorkerPool>(std::min<std::size_t>(32, cores + 4));  // asyncio's default
    }
    OutsideQueue& queue = loop.outside_;
    queue.begin_work();
    loop.workers_->submit([&queue, job = std::move(job), report = std::move(report)]() mutable {
      job();
      queue.post(std::move(report), /*finishes_work=*/true);
    });
  }
  static void report_unretrieved(Loop& loop, TaskState& task) { loop.report_unretrieved(task); }
};

namespace {
// The numbers of the loops alive (see loops_by_id). Never destroyed: a loop held by a static
// may outlive a table destroyed at exit.
struct LoopNumbers {
  std::mutex mutex;
  std::vector<std::uint16_t> returned;
  std::uint32_t never_used = 1;
};
LoopNumbers& loop_numbers() {
  static auto* const numbers = new LoopNumbers;
  return *numbers;
}
}  // namespace

std::uint16_t take_loop_id(Loop& loop) {
  LoopNumbers& numbers = loop_numbers();
  const std::lock_guard<std::mutex> lock(numbers.mutex);
  std::uint16_t id = 0;
  if (!numbers.returned.empty()) {
    id = numbers.returned.back();
    numbers.returned.pop_back();
  } else if (numbers.never_used < std::size(loops_by_id)) {
    numbers.returned.reserve(numbers.never_used);  // so that giving the number back cannot fail
    id = static_cast<std::uint16_t>(numbers.never_used++);
  } else {
    throw std::runtime_error(
        fmt::format("Loop: {} loops are alive already, the most there can be at once", std::size(loops_by_id) - 1));
  }
  loops_by_id[id] = &loop;
  return id;
}

void give_back_loop_id(std::uint16_t id) noexcept {
  LoopNumbers& numbers = loop_numbers();
  const std::lock_guard<std::mutex> lock(numbers.mutex);
  loops_by_id[id] = nullptr;
  numbers.returned.push_back(id);
}

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
  return LoopAccess::timers(*task.loop()).push(task, deadline);
}

void disarm_sleep(TaskState& task, std::uint32_t slot) noexcept {
  if (Loop* const loop = task.loop()) LoopAccess::timers(*loop).remove(slot);
}

void arm_timer(CallbackTimer& timer, TimePoint deadline) {
  LoopAccess::timers(*timer.task->loop()).push(timer, deadline);
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

void TaskState::release() noexcept {
  if (--refs != 0) return;
  if (Loop* const owner = loop()) {
    if (done() && has_exception && !exception_retrieved && !cancelled) LoopAccess::report_unretrieved(*owner, *this);
    LoopAccess::forget(*owner, *this);
  }
  frame_of(*this).destroy();
}

}  // namespace detail

using detail::TaskPhase;
using detail::TaskState;
using detail::this_thread;

Loop::Loop(Clock& clock)
    : clock_(&clock),
      virtual_clock_(dynamic_cast<VirtualClock*>(&clock)),
      // Made up front: tasks destroyed in ~Loop get it without allocating.
      closed_before_finishing_(std::make_exception_ptr(CancelledError("the loop closed before the task finished"))),
      id_(detail::take_loop_id(*this)) {}

Loop::~Loop() {
  close();
  workers_.reset();  // waits for jobs still running; their reports are dropped with outside_
  detail::give_back_loop_id(id_);
}

void Loop::call_soon_threadsafe(std::function<void()> callback) { outside_.post(std::move(callback)); }

void Loop::set_exception_handler(ExceptionHandler handler) { exception_handler_ = std::move(handler); }

void Loop::set_step_observer(StepObserver observer) { step_observer_ = std::move(observer); }

// Out of line, so that a step without an observer builds no StepEvent on its stack (for
// the same reason as end_cancelled).
void Loop::notify_step_observer(std::uint64_t task_id, bool finished) { step_observer_(StepEvent{task_id, finished}); }

void Loop::default_exception_handler(const UnretrievedException& report) {
  std::string what = "an exception not derived from std::exception";
  try {
    std::rethrow_exception(report.exception);
  } catch (const std::exception& error) {
    what = error.what();
  } catch (const BaseException& error) {  // a CancelledError
    what = error.what();
  } catch (...) {
  }
  fmt::print(stderr, "simtime: Task exception was never retrieved: task '{}' created at {}:{}: {}\n", report.task_name,
             report.created_at.file_name(), report.created_at.line(), what);
}

void Loop::report_unretrieved(TaskState& task) noexcept {
  task.exception_retrieved = true;
  try {
    const UnretrievedException report{task.name(), task.created_at(), task.exception()};
    try {
      if (exception_handler_) {
        exception_handler_(report);
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
    ~LeaveThread() { this_thread = {}; }
  } leave;
  std::string deadlock;
  if (!run_until_done_or_stuck(&main)) deadlock = describe_deadlock();
  // asyncio.run: whatever is still pending is cancelled and allowed to finish cancelling.
  cancel_all_pending();
  if (!run_until_done_or_stuck(nullptr)) {
    // Some task swallowed the cancellation and blocked again: one more round, then the
    // stragglers are destroyed so that nothing hangs.
    cancel_all_pending();
    run_until_done_or_stuck(nullptr);
    destroy_unfinished();
  }
  if (!deadlock.empty()) throw DeadlockError(deadlock);
}

// Inlined into the run loop, with step: a turn of a busy loop (one task handing a token to
// another) is then a few dozen instructions, without calls of its own.
[[gnu::always_inline]] inline void Loop::run_turn() {
  if (outside_.has_calls()) {
    for (auto& call : outside_.take_calls()) call();
  }
  const TimePoint current = now();
  while (const detail::TimerQueue::Fired fired = timers_.pop_due(current)) {
    if (fired.callback != nullptr) {
      fired.callback->on_fire(*fired.callback);
    } else {
      detail::LoopAccess::schedule(*this, *fired.task);
    }
  }
  // Only the tasks runnable at the start of the turn run in it (rule 13).
  TaskState* batch = std::exchange(runnable_.head, nullptr);
  runnable_.tail = nullptr;
  while (batch != nullptr) {
    TaskState& task = *batch;
    batch = task.next_runnable();
    task.leave_queue();
    step(task);
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

[[gnu::always_inline]] inline void Loop::step(TaskState& task) {
  if (task.phase == TaskPhase::pending) {
    if (task.must_cancel) {  // cancelled before its first step: the body never runs
      end_cancelled(task);
      finish(task);
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
  const bool finished = detail::frame_of(task).done();
  if (finished) {
    if (task.must_cancel && !task.has_exception) {
      // Cancelled right before its coroutine returned (asyncio's Task.__step): a request
      // made while it ran must not be lost because it never suspended again.
      task.must_cancel = false;
      end_cancelled(task);
    }
    finish(task);  // may destroy the task
  } else if (task.must_cancel && task.blocked()) {
    // Cancelled while running (e.g. by itself): the wait it just began takes the
    // cancellation, as asyncio's Task.__step does with _must_cancel.
    if (task.give_up_wait()) {
      task.must_cancel = false;
    } else {
      task.wait_abandoned = true;
    }
  }
  if (step_observer_) notify_step_observer(id, finished);
}

bool Loop::run_until_done_or_stuck(TaskState* main) {
  // At the end of a run, jobs on worker threads are waited for too (asyncio.run shuts its
  // default executor down).
  // A job's report is posted in the same step that ends the job (OutsideQueue::post), so a
  // job seen finished has its report visible: has_calls() is asked again after in_flight().
  while (main != nullptr ? !main->done() : unfinished_tasks_ > 0 || outside_.in_flight() > 0 || outside_.has_calls()) {
    if (runnable_.head == nullptr && !outside_.has_calls()) {
      const auto deadline = timers_.next_deadline();
      if (outside_.in_flight() > 0) {
        // Work is out on other threads: the virtual clock stands still until it reports back,
        // and nothing is a deadlock meanwhile.
        if (deadline && virtual_clock_ == nullptr) {
          clock_->wait_until(*deadline, outside_.wakeup());
        } else {
          outside_.wakeup().wait();
        }
      } else if (outside_.has_calls()) {
        // The last job reported between the two looks: run its report before time moves.
      } else if (deadline) {
        if (virtual_clock_ != nullptr) {
          virtual_clock_->wait_until(*deadline, outside_.wakeup());  // a jump, without a virtual call
        } else {
          clock_->wait_until(*deadline, outside_.wakeup());
        }
      } else {
        return false;  // nothing can ever wake a task again
      }
    }
    run_turn();
  }
  return true;
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
  for (TaskState* task = live_head_; task != nullptr; task = task->live_next) {
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
    TaskState* const next = task->live_next;
    if (!task->done()) {
      detail::LoopAccess::forget(*this, *task);
      // A handle that outlives this sees a task that was cancelled and can never run again.
      task->phase = TaskPhase::done;
      task->cancelled = true;
      task->set_exception(closed_before_finishing_);
      task->exception_retrieved = true;
      task->leave_queue();
      task->live_next = doomed;
      doomed = task;
      --unfinished_tasks_;
    }
    task = next;
  }
  while (doomed != nullptr) {
    TaskState* const task = doomed;
    doomed = std::exchange(task->live_next, nullptr);
    task->release();  // the loop's reference
  }
}

void Loop::close() noexcept {
  destroy_unfinished();
  // Finished tasks still held by handles: report what nobody retrieved, oldest first, then
  // let the handles own them alone.
  TaskState* oldest = live_head_;
  while (oldest != nullptr && oldest->live_next != nullptr) oldest = oldest->live_next;
  for (TaskState* task = oldest; task != nullptr; task = task->live_prev) {
    if (task->has_exception && !task->exception_retrieved && !task->cancelled) report_unretrieved(*task);
  }
  while (live_head_ != nullptr) detail::LoopAccess::forget(*this, *live_head_);
}

std::string Loop::describe_deadlock() const {
  std::vector<const TaskState*> blocked;
  for (const TaskState* task = live_head_; task != nullptr; task = task->live_next) {
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

Loop& get_running_loop() { return detail::running_loop("get_running_loop"); }

}  // namespace simtime

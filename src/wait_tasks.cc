#include "simtime/detail/wait_tasks.hpp"

#include <fmt/format.h>

#include "simtime/errors.hpp"

namespace simtime::detail {

WaitTasks::WaitTasks(TaskList tasks, WaitUntil until, OnCancel on_cancel, std::optional<TimePoint> deadline,
                     InOrderTake in_order)
    : tasks_(tasks), in_order_(in_order), deadline_(deadline), until_(until), on_cancel_(on_cancel) {
  timer_.owner = this;
  timer_.on_fire = &WaitTasks::on_deadline;
  join_.owner = this;
  join_.on_done = &WaitTasks::on_joined_task_done;
}

WaitTasks::~WaitTasks() { stop_waiting(); }

// Inlined, with task_done and take_finished_in_order, into the completion callbacks: a
// gathered task's end is one call from the loop.
[[gnu::always_inline]] inline bool WaitTasks::satisfied_by(TaskState& finished) noexcept {
  switch (until_) {
    case WaitUntil::first_completed:
      return true;
    case WaitUntil::first_exception:
      if (!finished.has_exception || finished.cancelled) return false;
      break;
    case WaitUntil::first_failure:
      if (!finished.has_exception) return false;
      break;
    case WaitUntil::all_completed:
      return false;
  }
  if (first_failure_ == nullptr) first_failure_ = &finished;
  return true;
}

[[gnu::always_inline]] inline void WaitTasks::task_done(TaskState& task) noexcept {
  --remaining_;
  if (satisfied_by(task) || remaining_ == 0) {
    stop_waiting();
    schedule(*waiter_);
  }
  if (in_order_.take != nullptr && taken_ < tasks_.size() && tasks_[taken_] == &task) take_finished_in_order();
}

// Also takes the finished tasks right after it (they finished out of order); stops at the
// first unfinished or failed one, which the waiter deals with.
[[gnu::always_inline]] inline void WaitTasks::take_finished_in_order() noexcept {
  do {
    const TaskState& next = *tasks_[taken_];
    if (!next.done() || next.has_exception) return;
    in_order_.take(in_order_.context, taken_);
    ++taken_;
  } while (taken_ < tasks_.size());
}

// One pass over the tasks both decides whether to wait at all and registers the wait: a
// gather of a million tasks reads each one's frame once here, not twice.
bool WaitTasks::await_suspend(std::coroutine_handle<> awaiting) {
  TaskState& waiter = current_task("wait");
  bool satisfied = false;
  bool every_task_joined = true;
  for (TaskState* task : tasks_) {
    if (task->done()) {
      if (satisfied_by(*task)) satisfied = true;
    } else {
      ++remaining_;
      if (!task->try_join(join_)) every_task_joined = false;
    }
  }
  if (satisfied || remaining_ == 0) {
    leave_joined_tasks();
    return false;  // goes on at once, without suspending
  }
  if (deadline_) {
    timer_.task = &waiter;
    arm_timer(timer_, *deadline_);  // may throw: the destructor leaves the tasks
  }
  if (!every_task_joined) {
    // Some task has a waiter already or is listed twice: a node for every unfinished task
    // keeps the callbacks in registration order.
    leave_joined_tasks();
    nodes_ = std::make_unique<Node[]>(remaining_);  // may throw: nothing to undo but the timer
    node_count_ = remaining_;
    std::size_t next = 0;
    for (TaskState* task : tasks_) {
      if (task->done()) continue;
      nodes_[next].owner = this;
      nodes_[next].link(*task, &WaitTasks::on_task_done);
      ++next;
    }
  }
  // Last: a task handed over may be gone, and nothing above may look at it.
  if (in_order_.take != nullptr) take_finished_in_order();
  waiter_ = &suspend_current(awaiting, this);
  return true;
}

void WaitTasks::on_joined_task_done(JoinWaiter& join, TaskState& task) {
  static_cast<Join&>(join).owner->task_done(task);
}

void WaitTasks::on_task_done(CompletionWaiter& node, TaskState& task) {
  static_cast<Node&>(node).owner->task_done(task);
}

void WaitTasks::leave_joined_tasks() noexcept {
  for (TaskState* task : untaken()) {
    task->leave_join(join_);
  }
}

void WaitTasks::on_deadline(CallbackTimer& timer) {
  WaitTasks& self = *static_cast<Deadline&>(timer).owner;
  self.stop_waiting();
  schedule(*self.waiter_);
}

void WaitTasks::stop_waiting() noexcept {
  disarm_timer(timer_);
  // A task leaves its slot or unlinks its node as it finishes, so once every task has
  // finished (a gather's usual end) there is nothing to walk.
  if (remaining_ == 0) return;
  leave_joined_tasks();
  for (std::size_t i = 0; i < node_count_; ++i) nodes_[i].unlink();
}

TaskState* WaitTasks::await_resume() {
  if (waiter_ != nullptr) waiter_->throw_if_cancel_requested();
  if (first_failure_ == nullptr && cancel_requested_) throw CancelledError();
  return first_failure_;
}

bool WaitTasks::cancel_wait(TaskState& waiter) {
  if (on_cancel_ == OnCancel::leave_tasks) {
    stop_waiting();
    schedule(waiter);
    return false;
  }
  cancel_requested_ = true;
  bool handed_on = false;
  for (TaskState* task : untaken()) {
    if (!task->done()) handed_on = task->cancel() || handed_on;
  }
  return handed_on;
}

void WaitTasks::describe(std::string& out) const {
  fmt::format_to(std::back_inserter(out), "{} of {} tasks, waiting for",
                 on_cancel_ == OnCancel::cancel_tasks ? "gather" : "wait", tasks_.size());
  const char* separator = " ";
  for (const TaskState* task : untaken()) {
    if (task->done()) continue;
    fmt::format_to(std::back_inserter(out), "{}'{}'", separator, task->name());
    separator = ", ";
  }
}

}  // namespace simtime::detail

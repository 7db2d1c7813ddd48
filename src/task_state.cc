#include "simtime/detail/task_state.hpp"

#include <fmt/format.h>

#include <mutex>
#include <stdexcept>
#include <string>
#include <unordered_map>

#include "loop_access.hpp"
#include "simtime/detail/process_tables.hpp"
#include "simtime/errors.hpp"
#include "simtime/live_objects.hpp"
#include "simtime/sleep.hpp"
#include "simtime/task.hpp"

namespace simtime::detail {

// Every task's frame carries one; W1 and W4 of bench/ read a million of them several times.
static_assert(sizeof(TaskState) == 56, "TaskState grew: every frame grows with it");

SourceLocation TaskState::created_at() const noexcept { return creation_sites().site(creation_site); }

void CompletionWaiter::link(TaskState& task, void (*callback)(CompletionWaiter&, TaskState&)) noexcept {
  target = &task;
  on_done = callback;
  next = nullptr;
  CompletionWaiter* const first = task.first_waiter();
  if (first == nullptr) {
    join_first = task.take_join();  // a JoinWaiter alone in the slot rides on the first node
    task.waiters_ = TaskState::Waiters(this);
    prev = this;
  } else {
    CompletionWaiter* const last = first->prev;
    last->next = this;
    prev = last;
    first->prev = this;
  }
}

void CompletionWaiter::unlink() noexcept {
  if (target == nullptr) return;
  CompletionWaiter* const first = target->first_waiter();
  if (this == first) {
    if (next != nullptr) {
      next->prev = prev;  // the last one
      next->join_first = std::exchange(join_first, nullptr);
      target->waiters_ = TaskState::Waiters(next);
    } else if (join_first != nullptr) {
      target->waiters_ = TaskState::Waiters(std::exchange(join_first, nullptr));
    } else {
      target->waiters_ = TaskState::Waiters();
    }
  } else {
    prev->next = next;
    (next != nullptr ? next->prev : first->prev) = prev;
  }
  prev = next = nullptr;
  target = nullptr;
}

void TaskState::release() noexcept {
  if (--refs != 0) return;
  if (Loop* const owner = loop()) {
    if (done() && has_exception && !exception_retrieved && !cancelled) LoopAccess::report_unretrieved(*owner, *this);
    LoopAccess::forget(*owner, *this);
  }
  frame_of(*this).destroy();
}

std::string TaskState::name() const {
  if (named) return task_name(this);
  return fmt::format("Task-{}", std::uint64_t{number});
}

void TaskState::give_name(std::string_view name) {
  set_task_name(this, name);
  named = true;
}

bool TaskState::cancel() {
  if (done()) return false;
  if (Loop* const owner = loop(); owner != nullptr && LoopAccess::observed(*owner)) {
    LoopAccess::cancel_requested(*owner, *this);
  }
  if (cancel_requests != UINT16_MAX) ++cancel_requests;
  // asyncio's Task.cancel: hand the cancellation to what the task awaits if that can take
  // it (an awaited task, a gather); otherwise the task itself throws at its next resumption.
  if (blocked() && !handing_on_cancel) {
    handing_on_cancel = true;
    const bool handed_on = give_up_wait();
    handing_on_cancel = false;
    if (handed_on) return true;
    wait_abandoned = true;
  }
  must_cancel = true;
  return true;
}

bool TaskState::give_up_wait() {
  if (SleepAwaiter* const sleep = sleep_waited_on()) {
    sleep->cancel_wait(*this);
    return false;
  }
  return blocked_on_.plain()->cancel_wait(*this);
}

bool TaskState::describe_wait(std::string& out) const {
  if (!blocked()) return false;
  if (const SleepAwaiter* const sleep = sleep_waited_on()) {
    sleep->describe(out);
  } else {
    blocked_on_.plain()->describe(out);
  }
  return true;
}

std::uint32_t TaskState::uncancel() noexcept {
  if (cancel_requests > 0) --cancel_requests;
  if (cancel_requests == 0) must_cancel = false;
  return cancel_requests;
}

void TaskState::store_exception() noexcept {
  set_exception(std::current_exception());
  try {
    throw;
  } catch (const CancelledError&) {
    cancelled = true;
  } catch (...) {
  }
}

void TaskState::rethrow_stored() {
  exception_retrieved = true;
  std::rethrow_exception(exception());
}

void TaskState::throw_cancelled() {
  must_cancel = false;
  wait_abandoned = false;
  throw CancelledError();
}

void TaskState::forget_name_and_waiters() noexcept {
  if (named) {
    forget_task_name(this);
    named = false;
  }
  // Awaiters of a frame destroyed before it finished (loop teardown) must not keep pointing
  // into it.
  drop_waiters();
}

void TaskState::drop_remaining_waiters() noexcept {
  take_join();
  while (CompletionWaiter* const first = first_waiter()) first->unlink();
}

std::string task_state_error(const TaskState& task, const char* what) {
  return fmt::format("Task::{}: task '{}' has not finished", what, task.name());
}

void TaskAwaiterBase::await_suspend(std::coroutine_handle<> awaiting) {
  TaskState& me = current_task("co_await task");
  if (&me == target_) throw std::invalid_argument(fmt::format("task '{}' cannot await itself", me.name()));
  link(*target_, [](CompletionWaiter& node, TaskState&) { schedule(*static_cast<TaskAwaiterBase&>(node).waiter_); });
  waiter_ = &suspend_current(awaiting, this);
}

bool TaskAwaiterBase::cancel_wait(TaskState&) { return target_->cancel(); }

void TaskAwaiterBase::describe(std::string& out) const {
  fmt::format_to(std::back_inserter(out), "task '{}'", target_->name());
}

std::string describe_task(const TaskState* task) {
  if (task == nullptr) return "Task (empty handle)";
  std::string state;
  switch (task->phase) {
    case TaskPhase::nested:
    case TaskPhase::pending:
      state = "pending";
      break;
    case TaskPhase::running:
      state = this_thread.task == task ? "running" : "suspended";
      break;
    case TaskPhase::done:
      if (task->cancelled) {
        state = "cancelled";
      } else if (task->has_exception) {
        state = "threw: " + exception_message(task->exception());
      } else {
        state = "returned";
      }
      break;
  }
  return fmt::format("Task '{}' ({})", task->name(), state);
}

}  // namespace simtime::detail

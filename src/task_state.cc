#include "simtime/detail/task_state.hpp"

#include <fmt/format.h>

#include <mutex>
#include <stdexcept>
#include <string>
#include <unordered_map>

#include "simtime/detail/creation_sites.hpp"
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
    task.waiters_ = reinterpret_cast<std::uintptr_t>(this);
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
      target->waiters_ = reinterpret_cast<std::uintptr_t>(next);
    } else if (join_first != nullptr) {
      target->waiters_ = reinterpret_cast<std::uintptr_t>(std::exchange(join_first, nullptr)) | 1;
    } else {
      target->waiters_ = 0;
    }
  } else {
    prev->next = next;
    (next != nullptr ? next->prev : first->prev) = prev;
  }
  prev = next = nullptr;
  target = nullptr;
}

namespace {
// Few tasks have a name of their own, so it lives here rather than in every frame. Frames may
// be destroyed on another thread than the one that named them: one table, under a lock.
struct NameTable {
  std::mutex mutex;
  std::unordered_map<const TaskState*, std::string> names;
};
// Never destroyed: a frame held by a static may be destroyed after the table would be.
NameTable& name_table() {
  static auto* const table = new NameTable;
  return *table;
}
}  // namespace

std::string TaskState::name() const {
  if (named) {
    NameTable& table = name_table();
    const std::lock_guard<std::mutex> lock(table.mutex);
    return table.names.at(this);
  }
  return fmt::format("Task-{}", std::uint64_t{number});
}

void TaskState::give_name(std::string_view name) {
  NameTable& table = name_table();
  const std::lock_guard<std::mutex> lock(table.mutex);
  table.names.insert_or_assign(this, std::string(name));
  named = true;
}

bool TaskState::cancel() {
  if (done()) return false;
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

SleepAwaiter* TaskState::sleep_waited_on() const noexcept {
  return (blocked_on_ & 1) != 0 ? reinterpret_cast<SleepAwaiter*>(blocked_on_ & ~std::uintptr_t{1}) : nullptr;
}

bool TaskState::give_up_wait() {
  if (SleepAwaiter* const sleep = sleep_waited_on()) {
    sleep->cancel_wait(*this);
    return false;
  }
  return reinterpret_cast<Blocker*>(blocked_on_)->cancel_wait(*this);
}

bool TaskState::describe_wait(std::string& out) const {
  if (!blocked()) return false;
  if (const SleepAwaiter* const sleep = sleep_waited_on()) {
    sleep->describe(out);
  } else {
    reinterpret_cast<const Blocker*>(blocked_on_)->describe(out);
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
    NameTable& table = name_table();
    const std::lock_guard<std::mutex> lock(table.mutex);
    table.names.erase(this);
    named = false;
  }
  // Awaiters of a frame destroyed before it finished (loop teardown) must not keep pointing
  // into it.
  drop_waiters();
}

}  // namespace simtime::detail

namespace simtime::detail {
void TaskState::drop_remaining_waiters() noexcept {
  take_join();
  while (CompletionWaiter* const first = first_waiter()) first->unlink();
}
}  // namespace simtime::detail

namespace simtime {
LiveObjects live_objects() noexcept { return detail::live_counts; }
}  // namespace simtime

namespace simtime::detail {

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

}  // namespace simtime::detail

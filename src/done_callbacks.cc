// Task::add_done_callback: a callback that waits for a task's end in a task of its own.
#include <fmt/format.h>

#include <functional>
#include <string>
#include <utility>

#include "simtime/task.hpp"

namespace simtime {
namespace detail {
namespace {

// Waits for the end of a task without taking its outcome: the task's exception stays
// unretrieved, and a cancellation of the waiter does not reach the task.
class DoneWaiter final : public TaskAwaiterBase {
 public:
  using TaskAwaiterBase::TaskAwaiterBase;
  void await_resume() const {
    if (waiter_ != nullptr) waiter_->throw_if_cancel_requested();
  }
  bool cancel_wait(TaskState& waiter) override {
    unlink();
    schedule(waiter);
    return false;
  }
  void describe(std::string& out) const override {
    fmt::format_to(std::back_inserter(out), "the end of task '{}' (a done callback)", target_->name());
  }
};

Coro<> call_when_done(TaskHandle task, std::function<void(const TaskHandle&)> callback) {
  co_await DoneWaiter(TaskAccess::state(task));
  callback(task);
}

}  // namespace
}  // namespace detail

void TaskHandle::add_done_callback(std::function<void(const TaskHandle&)> callback, SourceLocation where) {
  (void)checked();
  create_task(detail::call_when_done(*this, std::move(callback)), "done callback", where);
}

}  // namespace simtime

#include "simtime/gather.hpp"

#include <fmt/format.h>

namespace simtime::detail {

WaitAll::WaitAll(std::span<TaskState* const> tasks, bool stop_on_failure)
    : tasks_(tasks), stop_on_failure_(stop_on_failure) {}

WaitAll::~WaitAll() { stop_waiting(); }

bool WaitAll::await_ready() noexcept {
  for (TaskState* task : tasks_) {
    if (!task->done()) {
      ++remaining_;
    } else if (stop_on_failure_ && task->exception && first_failure_ == nullptr) {
      first_failure_ = task;
    }
  }
  return remaining_ == 0 || first_failure_ != nullptr;
}

void WaitAll::await_suspend(std::coroutine_handle<> awaiting) {
  node_count_ = remaining_;
  nodes_ = std::make_unique<Node[]>(node_count_);
  std::size_t next = 0;
  for (TaskState* task : tasks_) {
    if (task->done()) continue;
    nodes_[next].owner = this;
    nodes_[next].link(*task, &WaitAll::on_child_done);
    ++next;
  }
  waiter_ = &suspend_current(awaiting, this);
}

void WaitAll::on_child_done(CompletionWaiter& node, TaskState& child) {
  WaitAll& self = *static_cast<Node&>(node).owner;
  --self.remaining_;
  const bool failed = self.stop_on_failure_ && child.exception;
  if (failed) self.first_failure_ = &child;
  if (failed || self.remaining_ == 0) {
    self.stop_waiting();
    schedule(*self.waiter_);
  }
}

void WaitAll::stop_waiting() noexcept {
  for (std::size_t i = 0; i < node_count_; ++i) nodes_[i].unlink();
}

TaskState* WaitAll::await_resume() {
  if (waiter_ != nullptr) waiter_->throw_if_cancel_requested();
  // Like asyncio's gather, later failures of the other children are consumed here rather
  // than reported as never retrieved.
  for (TaskState* task : tasks_) task->exception_retrieved = true;
  if (first_failure_ == nullptr && cancel_requested_) throw CancelledError();
  return first_failure_;
}

bool WaitAll::cancel_wait(TaskState&) {
  cancel_requested_ = true;
  bool handed_on = false;
  for (TaskState* task : tasks_) {
    if (!task->done()) handed_on = task->cancel() || handed_on;
  }
  return handed_on;
}

void WaitAll::describe(std::string& out) const {
  fmt::format_to(std::back_inserter(out), "gather of {} tasks, waiting for", tasks_.size());
  const char* separator = " ";
  for (const TaskState* task : tasks_) {
    if (task->done()) continue;
    fmt::format_to(std::back_inserter(out), "{}'{}'", separator, task->name());
    separator = ", ";
  }
}

void rethrow_failure(TaskState& failed) {
  failed.exception_retrieved = true;
  std::rethrow_exception(failed.exception);
}

}  // namespace simtime::detail

#include "simtime/wait.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include "simtime/errors.hpp"
#include "simtime/loop.hpp"

namespace simtime::detail {

WaitUntil to_wait_until(ReturnWhen return_when) noexcept {
  switch (return_when) {
    case ReturnWhen::first_completed:
      return WaitUntil::first_completed;
    case ReturnWhen::first_exception:
      return WaitUntil::first_exception;
    case ReturnWhen::all_completed:
      break;
  }
  return WaitUntil::all_completed;
}

std::optional<TimePoint> deadline_in(std::optional<Duration> timeout, const char* caller) {
  if (!timeout) return std::nullopt;
  return checked_deadline(running_loop(caller).now(), *timeout, caller);
}

CompletionQueue::CompletionQueue(TaskList tasks, std::optional<TimePoint> deadline)
    : task_count_(tasks.size()),
      nodes_(std::make_unique<Node[]>(task_count_)),
      remaining_(task_count_),
      deadline_(deadline) {
  timer_.owner = this;
  timer_.on_fire = &CompletionQueue::on_deadline;
  for (std::size_t i = 0; i < task_count_; ++i) {
    if (tasks[i]->done()) {
      finished_.push_back(i);
    } else {
      nodes_[i].owner = this;
      nodes_[i].index = i;
      nodes_[i].link(*tasks[i], &CompletionQueue::on_task_done);
    }
  }
}

CompletionQueue::~CompletionQueue() { disarm_timer(timer_); }

bool CompletionQueue::ready() {
  if (remaining_ == 0) throw InvalidStateError("as_completed: every task has already been handed out");
  if (!finished_.empty()) return true;
  if (deadline_ && *deadline_ <= running_loop("as_completed").now()) {
    throw TimeoutError(fmt::format("as_completed: the deadline {} passed", format_time(*deadline_)));
  }
  return false;
}

void CompletionQueue::suspend(std::coroutine_handle<> awaiting) {
  TaskState& waiter = current_task("as_completed");
  if (deadline_) {
    timer_.task = &waiter;
    arm_timer(timer_, *deadline_);
  }
  waiter_ = &suspend_current(awaiting, this);
  suspended_ = true;
}

std::size_t CompletionQueue::take() {
  if (suspended_) {
    suspended_ = false;
    disarm_timer(timer_);
    waiter_->throw_if_cancel_requested();
    if (finished_.empty()) {
      throw TimeoutError(fmt::format("as_completed: the deadline {} passed", format_time(*deadline_)));
    }
  }
  const std::size_t index = finished_.front();
  finished_.pop_front();
  --remaining_;
  return index;
}

void CompletionQueue::on_task_done(CompletionWaiter& node, TaskState&) {
  auto& self = *static_cast<Node&>(node).owner;
  self.finished_.push_back(static_cast<Node&>(node).index);
  if (self.finished_.size() == 1) self.wake();
}

void CompletionQueue::on_deadline(CallbackTimer& timer) { static_cast<Deadline&>(timer).owner->wake(); }

void CompletionQueue::wake() noexcept {
  if (waiter_ == nullptr || !waiter_->waits_on(*this)) return;
  disarm_timer(timer_);
  schedule(*waiter_);
}

bool CompletionQueue::cancel_wait(TaskState& waiter) {
  disarm_timer(timer_);
  schedule(waiter);
  return false;
}

void CompletionQueue::describe(std::string& out) const {
  fmt::format_to(std::back_inserter(out), "as_completed of {} tasks, {} not handed out", task_count_, remaining_);
}

}  // namespace simtime::detail

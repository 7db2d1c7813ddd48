#include "simtime/task_group.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "simtime/errors.hpp"
#include "simtime/loop.hpp"

namespace simtime {

// Blocks the parent until every task of the group has finished.
class TaskGroup::AllDone final : public detail::Blocker {
 public:
  explicit AllDone(TaskGroup& group) noexcept : group_(group) {}
  bool await_ready() const noexcept { return group_.unfinished_ == 0; }
  void await_suspend(std::coroutine_handle<> awaiting) { group_.waiting_ = &detail::suspend_current(awaiting, this); }
  void await_resume() const {
    if (group_.parent_ != nullptr) group_.parent_->throw_if_cancel_requested();
  }
  bool cancel_wait(detail::TaskState& waiter) override {
    group_.waiting_ = nullptr;
    detail::schedule(waiter);
    return false;
  }
  void describe(std::string& out) const override {
    fmt::format_to(std::back_inserter(out), "a TaskGroup with {} unfinished task{}", group_.unfinished_,
                   group_.unfinished_ == 1 ? "" : "s");
  }

 private:
  TaskGroup& group_;
};

TaskGroup::~TaskGroup() { detail::disarm_timer(abort_timer_); }

void TaskGroup::enter() {
  parent_ = &detail::current_task("task_group");
  entered_ = true;
  abort_timer_.group = this;
  abort_timer_.task = parent_;
  abort_timer_.on_fire = [](detail::CallbackTimer& timer) {
    static_cast<AbortTimer&>(timer).group->abort_after_failure();
  };
}

void TaskGroup::check_can_create() const {
  if (!entered_) throw InvalidStateError("TaskGroup::create_task: the group has not been entered");
  if (exiting_ && unfinished_ == 0) throw InvalidStateError("TaskGroup::create_task: the group has finished");
  if (aborting_) throw InvalidStateError("TaskGroup::create_task: the group is shutting down");
}

std::unique_ptr<TaskGroup::Child> TaskGroup::prepare_child() {
  auto child = std::make_unique<Child>();
  child->group = this;
  if (children_.size() == children_.capacity()) {  // so that adopt() cannot fail
    children_.reserve(std::max<std::size_t>(8, 2 * children_.capacity()));
  }
  return child;
}

void TaskGroup::adopt(std::unique_ptr<Child> child, detail::TaskState& task) noexcept {
  child->link(task, [](detail::CompletionWaiter& node, detail::TaskState& finished) {
    static_cast<Child&>(node).group->on_child_done(finished);
  });
  children_.push_back(std::move(child));
  ++unfinished_;
}

void TaskGroup::abort() {
  aborting_ = true;
  for (const auto& child : children_) {
    if (child->target != nullptr) child->target->cancel();
  }
}

void TaskGroup::cancel() {
  if (!entered_ || (exiting_ && unfinished_ == 0) || aborting_) return;
  abort();
  if (!parent_cancel_requested_) {
    parent_cancel_requested_ = true;
    parent_->cancel();
  }
}

void TaskGroup::on_child_done(detail::TaskState& child) {
  if (--unfinished_ == 0 && waiting_ != nullptr) {
    detail::schedule(*std::exchange(waiting_, nullptr));
  }
  if (child.cancelled || !child.has_exception) return;
  child.exception_retrieved = true;  // the group reports it
  errors_.push_back(child.exception());
  // The group reacts on the next turn, as asyncio's done callbacks run via call_soon: tasks
  // failing at the same instant all count as failures instead of the later ones being
  // cancelled first.
  if (!aborting_ && !parent_cancel_requested_ && !abort_timer_.armed()) {
    detail::arm_timer(abort_timer_, parent_->loop()->now());
  }
}

void TaskGroup::abort_after_failure() {
  if (aborting_ || parent_cancel_requested_) return;
  // Abort whatever the body is doing; exit() withdraws this cancellation again.
  abort();
  parent_cancel_requested_ = true;
  parent_->cancel();
}

namespace {
bool is_cancellation(const std::exception_ptr& error) {
  if (!error) return false;
  try {
    std::rethrow_exception(error);
  } catch (const CancelledError&) {
    return true;
  } catch (...) {
    return false;
  }
}
}  // namespace

Coro<> TaskGroup::exit(std::exception_ptr body_error) {
  exiting_ = true;
  std::exception_ptr propagate_cancellation = is_cancellation(body_error) ? body_error : nullptr;
  if (body_error && !aborting_) abort();  // the body failed or was cancelled

  std::exception_ptr pending_cancellation;
  while (unfinished_ > 0) {
    try {
      co_await AllDone(*this);
    } catch (const CancelledError&) {
      pending_cancellation = std::current_exception();
      if (!aborting_) {  // the parent is being cancelled from outside
        propagate_cancellation = pending_cancellation;
        abort();
      }
    }
  }

  if (parent_cancel_requested_) {
    if (parent_->uncancel() == 0) {
      propagate_cancellation = nullptr;  // the only cancellation was the group's own
    } else if (!propagate_cancellation) {
      propagate_cancellation = pending_cancellation;  // the remaining one is not ours
    }
  }
  if (propagate_cancellation && errors_.empty()) std::rethrow_exception(propagate_cancellation);
  if (body_error && !is_cancellation(body_error)) errors_.push_back(body_error);
  if (errors_.empty()) co_return;
  // The errors win over an outside cancellation, which stays pending for the parent's next
  // suspension (asyncio: uncancel() then cancel(), keeping the count stable).
  if (parent_->cancel_requests > 0) {
    parent_->uncancel();
    parent_->cancel();
  }
  if (errors_.size() == 1) std::rethrow_exception(errors_.front());
  throw ExceptionGroup("unhandled errors in a TaskGroup", std::move(errors_));
}

}  // namespace simtime

#include "simtime/sync/condition.hpp"

#include <fmt/format.h>

#include <iterator>
#include <utility>

#include "simtime/errors.hpp"

namespace simtime {

Condition::Condition(std::string name, SourceLocation where)
    : identity_("Condition", name, where), own_lock_(std::in_place, std::move(name), where), lock_(&*own_lock_) {}

Condition::Condition(Lock& lock, std::string name, SourceLocation where)
    : identity_("Condition", std::move(name), where), lock_(&lock) {}

void Condition::require_locked(const char* operation) const {
  if (!lock_->locked()) {
    throw InvalidStateError(fmt::format("{}: {}() needs the lock held, and it is not", identity_.str(), operation));
  }
}

void Condition::notify(std::size_t n) {
  require_locked("notify");
  wake(n);
}

void Condition::notify_all() {
  require_locked("notify_all");
  wake(waiters_.size());
}

void Condition::wake(std::size_t n) noexcept {
  for (std::size_t i = 0; i < n; ++i) {
    detail::WaitNode* node = waiters_.front();
    if (node == nullptr) break;
    auto& waiter = *static_cast<detail::ConditionWaiter::Node*>(node)->owner;
    waiter.notified_ = true;
    waiter.start_reacquire();
  }
}

void Condition::describe(std::string& out) const {
  identity_.append_to(out);
  out += lock_->locked() ? " [locked" : " [unlocked";
  if (!waiters_.empty()) fmt::format_to(std::back_inserter(out), ", waiters:{}", waiters_.size());
  out += ']';
}

namespace detail {

void ConditionWaiter::await_suspend(std::coroutine_handle<> awaiting) {
  node_.task = &suspend_current(awaiting, this);
  lock_ = condition_->lock_;
  lock_->release();  // held: await_ready checked
  condition_->waiters_.push_back(node_);
}

void ConditionWaiter::start_reacquire() noexcept {
  phase_ = Phase::reacquire;
  condition_->reacquiring_.push_back(reacquire_node_);
  lock_->enqueue(node_);  // wakes us at once if the lock is free and nobody queues for it
}

void ConditionWaiter::await_resume() {
  TaskState& task = *node_.task;
  // Still queued on the lock and woken by it: the lock is ours again.
  const bool reacquired = phase_ == Phase::reacquire && node_.linked() && node_.woken;
  node_.unlink();
  const bool condition_alive = reacquire_node_.linked();
  reacquire_node_.unlink();
  if (reacquired) {
    lock_->locked_ = true;
    lock_->holder_ = task.number;
  }
  if (cancel_requested_ || cancel_pending(task)) {
    // asyncio's Condition.wait: an error after a notification wakes another waiter instead,
    // so the notification is not lost.
    if (notified_ && condition_alive) condition_->wake(1);
    task.must_cancel = false;
    task.wait_abandoned = false;
    throw CancelledError();
  }
  if (!reacquired) throw_destroyed(condition_alive ? "Lock" : "Condition", "Condition::wait");
}

bool ConditionWaiter::cancel_wait(TaskState& waiter) {
  if (!node_.linked()) {  // the condition (or its lock) was destroyed: nothing to take back
    schedule(waiter);
    return false;
  }
  // The lock must be taken back before CancelledError may leave wait() (asyncio), so the
  // cancellation is kept here and thrown once the lock wakes us.
  cancel_requested_ = true;
  if (phase_ == Phase::notification) {
    node_.unlink();
    start_reacquire();
  }
  return true;
}

void ConditionWaiter::describe(std::string& out) const {
  if (!node_.linked()) return append_destroyed(out, phase_ == Phase::notification ? "Condition" : "Lock", where_);
  if (phase_ == Phase::notification) {
    condition_->describe(out);
  } else {
    SyncAccess::describe(*lock_, out);
    out += ", to take it back for ";
    if (reacquire_node_.linked()) {
      condition_->identity_.append_to(out);
    } else {
      out += "a destroyed Condition";
    }
  }
  append_awaited_at(out, where_);
}

}  // namespace detail
}  // namespace simtime

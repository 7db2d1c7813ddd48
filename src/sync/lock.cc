#include "simtime/sync/lock.hpp"

#include <fmt/format.h>

#include <iterator>
#include <utility>

#include "../loop_access.hpp"
#include "simtime/errors.hpp"

namespace simtime {

Lock::Lock(std::string name, SourceLocation where) : identity_("Lock", std::move(name), where) {}

void Lock::release() {
  if (!locked_) {
    throw InvalidStateError(fmt::format("{}: release() of a lock that is not acquired", identity_.str()));
  }
  locked_ = false;
  holder_ = 0;
  wake_up_first();
}

void Lock::wake_up_first() noexcept {
  detail::WaitNode* first = waiters_.front();
  if (first != nullptr && !first->woken) {
    first->woken = true;
    detail::schedule(*first->task);
  }
}

void Lock::enqueue(detail::WaitNode& node) noexcept {
  node.woken = false;
  waiters_.push_back(node);
  if (!locked_) wake_up_first();
}

void Lock::describe(std::string& out) const {
  identity_.append_to(out);
  out += locked_ ? " [locked" : " [unlocked";
  if (!waiters_.empty()) fmt::format_to(std::back_inserter(out), ", waiters:{}", waiters_.size());
  out += ']';
}

namespace detail {

void LockAcquire::await_suspend(std::coroutine_handle<> awaiting) noexcept {
  node_.task = &suspend_current(awaiting, this);
  node_.woken = false;
  lock_->waiters_.push_back(node_);
}

void LockAcquire::await_resume() {
  TaskState* task = node_.task;
  if (task == nullptr) return;  // took a free lock without suspending
  // Still queued means the lock woke us; a cancellation before the wake unlinked the node.
  const bool woken = node_.linked() && node_.woken;
  node_.unlink();
  if (cancel_pending(*task)) {
    // Woken, then cancelled before running: the wake is not lost but passed on (asyncio's
    // Lock.acquire calls _wake_up_first when cancelled).
    if (woken && !lock_->locked_) lock_->wake_up_first();
    task->throw_if_cancel_requested();
  }
  if (!woken) throw_destroyed("Lock", "Lock::acquire");
  lock_->locked_ = true;
  lock_->holder_ = task->number;
}

void LockAcquire::describe(std::string& out) const {
  if (!node_.linked()) return append_destroyed(out, "Lock", where_);
  lock_->describe(out);
  append_awaited_at(out, where_);
  // Who holds it, for the deadlock report's hold/wait cycle (not in the repr, as asyncio's).
  if (lock_->locked_ && lock_->holder_ != 0) LoopAccess::append_holder(out, lock_->holder_, "held by");
}

}  // namespace detail
}  // namespace simtime

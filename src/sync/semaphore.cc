#include "simtime/sync/semaphore.hpp"

#include <fmt/format.h>

#include <iterator>
#include <stdexcept>
#include <utility>

#include "../loop_access.hpp"
#include "simtime/errors.hpp"

namespace simtime {

Semaphore::Semaphore(std::ptrdiff_t value, std::string name, SourceLocation where)
    : Semaphore(value, false, "Semaphore", std::move(name), where) {}

Semaphore::Semaphore(std::ptrdiff_t value, bool bounded, const char* kind, std::string name, SourceLocation where)
    : identity_(kind, std::move(name), where), value_(value), bound_(bounded ? value : -1) {
  if (value < 0) {
    throw std::invalid_argument(fmt::format("{}: initial value {} must be >= 0", identity_.str(), value));
  }
}

bool Semaphore::locked() const noexcept {
  // asyncio 3.11.1+: also locked while others wait, so that a newcomer cannot overtake them.
  return value_ == 0 || !waiting_.empty() || !woken_.empty();
}

void Semaphore::release() {
  if (bound_ >= 0 && value_ >= bound_) {
    throw std::invalid_argument(fmt::format("{} released too many times: its value {} is already its initial value {}",
                                            identity_.str(), value_, bound_));
  }
  ++value_;
  wake_up_next();
}

bool Semaphore::wake_up_next() noexcept {
  if (waiting_.empty()) return false;
  --value_;  // set aside for the woken waiter, so nobody else can take it meanwhile
  detail::wake_first(waiting_, woken_);
  return true;
}

void Semaphore::wake_while_free() noexcept {
  while (value_ > 0 && wake_up_next()) {
  }
}

void Semaphore::describe(std::string& out) const {
  identity_.append_to(out);
  auto it = std::back_inserter(out);
  if (locked()) {
    out += " [locked";
  } else {
    fmt::format_to(it, " [unlocked, value:{}", value_);
  }
  if (const std::size_t waiters = waiting_.size() + woken_.size(); waiters != 0) {
    fmt::format_to(it, ", waiters:{}", waiters);
  }
  out += ']';
}

namespace detail {

SemaphoreAcquire::~SemaphoreAcquire() {
  // Only at loop teardown is an awaiter destroyed while still queued; a permit set aside for
  // it goes back to the count (nobody is woken: no task can run any more).
  if (node_.linked() && node_.in(semaphore_->woken_)) ++semaphore_->value_;
}

void SemaphoreAcquire::await_suspend(std::coroutine_handle<> awaiting) noexcept {
  node_.task = &suspend_current(awaiting, this);
  semaphore_->waiting_.push_back(node_);
}

void SemaphoreAcquire::await_resume() {
  TaskState* task = node_.task;
  if (task == nullptr) return;  // took a free permit without suspending
  // Still queued means release() woke us with a permit set aside; a cancellation before the
  // wake unlinked the node.
  const bool woken = node_.linked();
  node_.unlink();
  if (cancel_pending(*task)) {
    if (woken) {
      // asyncio's Semaphore.acquire: the permit we were given goes back, to the next waiter.
      ++semaphore_->value_;
      semaphore_->wake_while_free();
    }
    task->throw_if_cancel_requested();
  }
  if (!woken) throw_destroyed("Semaphore", "Semaphore::acquire");
  semaphore_->holder_ = task->number;
  // Waiters that queued behind us while permits were free get them now (asyncio's finally).
  semaphore_->wake_while_free();
}

void SemaphoreAcquire::describe(std::string& out) const {
  if (!node_.linked()) return append_destroyed(out, "Semaphore", where_);
  semaphore_->describe(out);
  append_awaited_at(out, where_);
  if (semaphore_->value_ == 0 && semaphore_->holder_ != 0) {
    LoopAccess::append_holder(out, semaphore_->holder_, "its last permit taken by");
  }
}

}  // namespace detail
}  // namespace simtime

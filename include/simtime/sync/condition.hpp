// Condition: wait, with a lock held, until another task says something changed
// (asyncio.Condition).
//
//   simtime::Condition changed("changed");
//   // a consumer
//   simtime::LockGuard guard = co_await changed.lock();
//   co_await changed.wait_for([&] { return !items.empty(); });
//   use(items.front());
//   // a producer
//   simtime::LockGuard guard = co_await changed.lock();
//   items.push_back(item);
//   changed.notify();
//
// A Condition uses its own Lock, or one given at construction (shared by several conditions).
// `wait()` must be called with the lock held: it releases the lock, waits to be notified, and
// takes the lock back before returning, always, even when the wait is cancelled (asyncio).
// `notify(n)` wakes the first n waiters in the order they started waiting; each then queues
// for the lock (behind tasks already queued) and returns from `wait()` once it holds it.
// `notify` and `notify_all` also require the lock held, as in asyncio.
//
// Cancellation-safe: a cancelled `wait()` still takes the lock back before CancelledError
// leaves it, so the caller's LockGuard stays truthful; a waiter cancelled after it was
// notified passes the notification to the next waiter, so no notification is lost. Unlike
// asyncio, a waiter cancelled before any notification does not wake another one (asyncio
// allows such spurious wakeups; simtime does not make them).
//
// Lifetime: neither copyable nor movable; destroy it only once nobody waits (see event.hpp).
// A lock given at construction must outlive the condition.
#pragma once

#include <concepts>
#include <coroutine>
#include <cstddef>
#include <optional>
#include <string>
#include <type_traits>

#include "simtime/coro.hpp"
#include "simtime/detail/task_state.hpp"
#include "simtime/source_location.hpp"
#include "simtime/sync/detail/wait_list.hpp"
#include "simtime/sync/lock.hpp"

namespace simtime {

namespace detail {
class ConditionWaiter;
}

class Condition {
 public:
  /// A condition with a lock of its own. `name` and the construction site appear in
  /// diagnostics (the lock takes the same name).
  explicit Condition(std::string name = {}, SourceLocation where = SourceLocation::current());
  /// A condition over `lock`, which must outlive it.
  explicit Condition(Lock& lock, std::string name = {}, SourceLocation where = SourceLocation::current());
  Condition(const Condition&) = delete;
  Condition& operator=(const Condition&) = delete;
  ~Condition() = default;

  /// True while the underlying lock is held.
  [[nodiscard]] bool locked() const noexcept { return lock_->locked(); }
  /// Takes the underlying lock; yields a LockGuard (asyncio's `async with condition`).
  [[nodiscard]] detail::LockAcquireGuard lock(SourceLocation where = SourceLocation::current()) {
    return lock_->lock(where);
  }
  /// Takes the underlying lock without a guard (pair with `release()`).
  [[nodiscard]] detail::LockAcquire acquire(SourceLocation where = SourceLocation::current()) {
    return lock_->acquire(where);
  }
  /// Releases the underlying lock. Throws InvalidStateError if it is not held.
  void release() { lock_->release(); }

  /// Releases the lock, waits for a notification, then takes the lock back.
  /// Throws: InvalidStateError if the lock is not held (asyncio: RuntimeError).
  /// Cancellation: the lock is taken back first, then CancelledError is thrown; a
  /// notification already received goes to the next waiter.
  [[nodiscard]] detail::ConditionWaiter wait(SourceLocation where = SourceLocation::current());

  /// Waits (as `wait()` does, repeatedly) until `predicate()` is truthy, and yields its last
  /// value. Does not wait, nor need the lock, if it is truthy at once. `predicate` is called
  /// with the lock held, and is stored in the coroutine: references it captures must outlive
  /// the wait. Throws and cancels as `wait()` does, plus whatever `predicate` throws.
  template <class Predicate>
  requires std::invocable<Predicate&> Coro<std::decay_t<std::invoke_result_t<Predicate&>>> wait_for(
      Predicate predicate, SourceLocation where = SourceLocation::current());

  /// Wakes up to `n` waiters, first waiter first (none waiting is fine).
  /// Throws InvalidStateError if the lock is not held (asyncio: RuntimeError).
  void notify(std::size_t n = 1);
  /// Wakes every waiter. Throws InvalidStateError if the lock is not held.
  void notify_all();

  /// The name given at construction (may be empty).
  [[nodiscard]] const std::string& name() const noexcept { return identity_.name(); }
  /// Where the condition was constructed.
  [[nodiscard]] SourceLocation created_at() const noexcept { return identity_.created_at(); }

 private:
  friend class detail::ConditionWaiter;
  friend struct detail::SyncAccess;

  void require_locked(const char* operation) const;
  // asyncio's _notify: wakes up to n waiters without checking the lock.
  void wake(std::size_t n) noexcept;
  void describe(std::string& out) const;

  detail::SyncIdentity identity_;
  std::optional<Lock> own_lock_;
  Lock* lock_;
  detail::WaitList waiters_;      // waiting for a notification, FIFO
  detail::WaitList reacquiring_;  // notified (or cancelled), queued on the lock to take it back
};

// ---------------------------------------------------------------------------------------
// Implementation details
// ---------------------------------------------------------------------------------------
namespace detail {

// One wait() in two phases: first queued on the condition for a notification, then queued
// on the lock to take it back. The same node moves from the condition's queue to the lock's,
// so a notified waiter never has to run just to join the lock's queue.
class ConditionWaiter final : public Blocker {
 public:
  ConditionWaiter(Condition& condition, SourceLocation where) noexcept : condition_(&condition), where_(where) {
    node_.owner = this;
  }
  // Until awaited: the new awaiter starts with nodes of its own (see WaitInList).
  ConditionWaiter(ConditionWaiter&& other) noexcept
      : Blocker(other), condition_(other.condition_), lock_(other.lock_), where_(other.where_) {
    node_.owner = this;
  }
  ConditionWaiter(const ConditionWaiter&) = delete;
  ConditionWaiter& operator=(const ConditionWaiter&) = delete;
  ~ConditionWaiter() = default;

  bool await_ready() const {
    condition_->require_locked("wait");
    return false;  // always yields, as asyncio's wait() does
  }
  void await_suspend(std::coroutine_handle<> awaiting);
  void await_resume();

  bool cancel_wait(TaskState& waiter) override;
  void describe(std::string& out) const override;

 private:
  friend class simtime::Condition;
  struct Node : WaitNode {
    ConditionWaiter* owner = nullptr;
  };
  enum class Phase : unsigned char { notification, reacquire };

  // Leaves the condition's queue for the lock's.
  void start_reacquire() noexcept;

  Condition* condition_;
  Lock* lock_ = nullptr;
  Node node_;                // in the condition's queue, then in the lock's
  WaitNode reacquire_node_;  // in the condition's `reacquiring_` while in the lock's queue
  SourceLocation where_;
  Phase phase_ = Phase::notification;
  bool notified_ = false;
  bool cancel_requested_ = false;  // kept until the lock is taken back, then thrown
};

}  // namespace detail

inline detail::ConditionWaiter Condition::wait(SourceLocation where) { return {*this, where}; }

template <class Predicate>
requires std::invocable<Predicate&> Coro<std::decay_t<std::invoke_result_t<Predicate&>>> Condition::wait_for(
    Predicate predicate, SourceLocation where) {
  auto result = predicate();
  while (!result) {
    co_await wait(where);
    result = predicate();
  }
  co_return result;
}

}  // namespace simtime

/// "Condition 'changed' (created at main.cc:12) [locked, waiters:2]".
template <>
struct fmt::formatter<simtime::Condition> : simtime::detail::SyncFormatter<simtime::Condition> {};

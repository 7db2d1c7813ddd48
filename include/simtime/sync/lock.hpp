// Lock: mutual exclusion between tasks (asyncio.Lock).
//
//   simtime::Lock lock("db");
//   {
//     simtime::LockGuard guard = co_await lock.lock();  // waits while another task holds it
//     co_await write_row();                             // the critical section may suspend
//   }                                                   // the guard releases, also on throw
//
// Fair: tasks get the lock in the order they asked for it. `release()` wakes the first
// waiter, which takes the lock when it runs on the next turn (rule 13); meanwhile `locked()`
// is false, yet a newcomer still queues behind the woken waiter (asyncio). Acquiring a free
// lock that nobody waits for does not suspend (rule 14).
//
// Not owned, as in asyncio: any task may release a held lock, not only the one that took it.
//
// Cancellation-safe: a waiter cancelled before it was woken just leaves the queue; a waiter
// woken and then cancelled before it ran passes the wake to the next waiter (asyncio's
// `_wake_up_first`). A cancellation never leaves the lock held by nobody, nor free while
// waiters sleep.
//
// Lifetime: neither copyable nor movable; destroy it only once nobody waits (see event.hpp).
#pragma once

#include <coroutine>
#include <cstdint>
#include <string>
#include <utility>

#include "simtime/detail/task_state.hpp"
#include "simtime/source_location.hpp"
#include "simtime/sync/detail/wait_list.hpp"

namespace simtime {

class Lock;

namespace detail {
class LockAcquire;
class LockAcquireGuard;
class ConditionWaiter;
}  // namespace detail

/// Holds a Lock taken by `co_await lock.lock()` and releases it when destroyed (asyncio's
/// `async with lock`). Movable, not copyable; a default-constructed guard holds nothing.
class [[nodiscard]] LockGuard {
 public:
  LockGuard() noexcept = default;
  LockGuard(LockGuard&& other) noexcept : lock_(std::exchange(other.lock_, nullptr)) {}
  LockGuard& operator=(LockGuard&& other) noexcept {
    if (this != &other) {
      reset();
      lock_ = std::exchange(other.lock_, nullptr);
    }
    return *this;
  }
  LockGuard(const LockGuard&) = delete;
  LockGuard& operator=(const LockGuard&) = delete;
  /// Releases the lock if the guard still holds it and it is still locked (a lock released
  /// behind the guard's back is left alone).
  ~LockGuard() { reset(); }

  /// True until `unlock()` or a move.
  [[nodiscard]] bool owns_lock() const noexcept { return lock_ != nullptr; }
  /// Releases the lock before the guard goes away. Throws InvalidStateError if the guard no
  /// longer holds it.
  void unlock();

 private:
  friend class detail::LockAcquireGuard;
  explicit LockGuard(Lock& lock) noexcept : lock_(&lock) {}
  void reset() noexcept;

  Lock* lock_ = nullptr;
};

class Lock {
 public:
  /// An unlocked lock. `name` and the construction site appear in diagnostics.
  explicit Lock(std::string name = {}, SourceLocation where = SourceLocation::current());
  Lock(const Lock&) = delete;
  Lock& operator=(const Lock&) = delete;
  ~Lock() = default;

  /// True while some task holds the lock.
  [[nodiscard]] bool locked() const noexcept { return locked_; }
  /// Takes the lock, waiting in FIFO order; yields a LockGuard that releases it.
  /// Throws: nothing of its own. Cancellation: the task leaves the queue (a wake it had
  /// received goes to the next waiter) and CancelledError is thrown; the lock is not taken.
  [[nodiscard]] detail::LockAcquireGuard lock(SourceLocation where = SourceLocation::current());
  /// Takes the lock as `lock()` does, without a guard: pair it with `release()` (asyncio's
  /// `acquire()`). Throws and cancels as `lock()` does.
  [[nodiscard]] detail::LockAcquire acquire(SourceLocation where = SourceLocation::current());
  /// Frees the lock and wakes the first waiter. Throws InvalidStateError if it is not locked
  /// (asyncio raises RuntimeError).
  void release();

  /// The name given at construction (may be empty).
  [[nodiscard]] const std::string& name() const noexcept { return identity_.name(); }
  /// Where the lock was constructed.
  [[nodiscard]] SourceLocation created_at() const noexcept { return identity_.created_at(); }

 private:
  friend class detail::LockAcquire;
  friend class detail::ConditionWaiter;
  friend struct detail::SyncAccess;

  // Wakes the first waiter unless it is already woken (asyncio's _wake_up_first).
  void wake_up_first() noexcept;
  // Queues a Condition waiter that must take the lock back; wakes it if the lock is free.
  void enqueue(detail::WaitNode& node) noexcept;
  void describe(std::string& out) const;

  detail::SyncIdentity identity_;
  // FIFO of waiters. A woken waiter stays at the front until it runs, which keeps newcomers
  // queued behind it while the lock is momentarily free (asyncio's _waiters).
  detail::WaitList waiters_;
  bool locked_ = false;
  std::uint64_t holder_ = 0;  // Task::id() of the task that took it, for the deadlock report
};

// ---------------------------------------------------------------------------------------
// Implementation details
// ---------------------------------------------------------------------------------------
namespace detail {

class LockAcquire : public WaitInList {
 public:
  LockAcquire(Lock& lock, SourceLocation where) noexcept : lock_(&lock), where_(where) {}
  LockAcquire(const LockAcquire&) = delete;
  LockAcquire& operator=(const LockAcquire&) = delete;
  ~LockAcquire() = default;

  bool await_ready() noexcept {
    if (lock_->locked_ || !lock_->waiters_.empty()) return false;
    lock_->locked_ = true;
    lock_->holder_ = this_thread.task != nullptr ? this_thread.task->number : 0;
    return true;
  }
  void await_suspend(std::coroutine_handle<> awaiting) noexcept;
  void await_resume();

  void describe(std::string& out) const override;

 protected:
  Lock* lock_;

 private:
  SourceLocation where_;
};

class LockAcquireGuard final : public LockAcquire {
 public:
  using LockAcquire::LockAcquire;
  LockGuard await_resume() {
    LockAcquire::await_resume();
    return LockGuard(*lock_);
  }
};

}  // namespace detail

inline detail::LockAcquireGuard Lock::lock(SourceLocation where) { return {*this, where}; }
inline detail::LockAcquire Lock::acquire(SourceLocation where) { return {*this, where}; }

inline void LockGuard::reset() noexcept {
  if (lock_ != nullptr && lock_->locked()) lock_->release();
  lock_ = nullptr;
}

}  // namespace simtime

/// "Lock 'db' (created at db.cc:12) [locked, waiters:2]".
template <>
struct fmt::formatter<simtime::Lock> : simtime::detail::SyncFormatter<simtime::Lock> {};

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

#include "simtime/detail/task_state.hpp"
#include "simtime/source_location.hpp"
#include "simtime/sync/detail/guard.hpp"
#include "simtime/sync/detail/wait_list.hpp"

namespace simtime {

class Lock;

namespace detail {
class LockAcquire;
class ConditionWaiter;
}  // namespace detail

/// Holds a Lock taken by `co_await lock.lock()` and releases it when destroyed (asyncio's
/// `async with lock`). Movable, not copyable; a default-constructed guard holds nothing.
/// Destroying it releases the lock if the guard still holds it and it is still locked (a
/// lock released behind the guard's back is left alone).
class [[nodiscard]] LockGuard : private detail::Guard<Lock> {
 public:
  // Made from a Lock& only by the awaiter (detail::Holding); a default one holds nothing.
  using Guard::Guard;

  /// True until `unlock()` or a move.
  [[nodiscard]] bool owns_lock() const noexcept { return holds(); }
  /// Releases the lock before the guard goes away. Throws InvalidStateError if the guard no
  /// longer holds it, or if the lock is no longer locked.
  void unlock() { release("LockGuard::unlock: the guard holds no lock (already unlocked, or moved from)"); }
};

namespace detail {
/// The awaiter of `Lock::lock()`: LockAcquire's, yielding a LockGuard.
using LockAcquireGuard = Holding<LockAcquire, LockGuard>;
}  // namespace detail

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
  friend class detail::Guard<Lock>;
  friend struct detail::SyncAccess;

  // What a LockGuard going away asks: is there a lock to release?
  [[nodiscard]] bool can_release() const noexcept { return locked_; }

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
  LockAcquire(LockAcquire&&) noexcept = default;  // until awaited (see WaitInList)
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
  [[nodiscard]] Lock& primitive() const noexcept { return *lock_; }  // for LockAcquireGuard

 private:
  Lock* lock_;
  SourceLocation where_;
};

}  // namespace detail

inline detail::LockAcquireGuard Lock::lock(SourceLocation where) { return {*this, where}; }
inline detail::LockAcquire Lock::acquire(SourceLocation where) { return {*this, where}; }

}  // namespace simtime

/// "Lock 'db' (created at db.cc:12) [locked, waiters:2]".
template <>
struct fmt::formatter<simtime::Lock> : simtime::detail::SyncFormatter<simtime::Lock> {};

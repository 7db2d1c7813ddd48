// Semaphore and BoundedSemaphore: a counter of permits (asyncio.Semaphore,
// asyncio.BoundedSemaphore).
//
//   simtime::Semaphore connections(3, "connections");  // at most 3 tasks at once
//   {
//     simtime::SemaphoreGuard permit = co_await connections.hold();
//     co_await talk_to_server();
//   }                                                    // the permit goes back here
//
// `acquire()` takes a permit, waiting while there is none; `release()` gives one back and
// wakes the first waiter. Fair, as asyncio since 3.11.1: permits go to waiters in the order
// they asked, and a newcomer queues behind waiters even when a permit is free. The permit of
// a woken waiter is set aside for it at the wake, so it is not counted by `value()` while
// the waiter has not run yet. Acquiring when a permit is free and nobody waits does not
// suspend (rule 14).
//
// A BoundedSemaphore refuses a `release()` that would raise the count above its initial
// value, a sign that some permit was released twice.
//
// Cancellation-safe: a waiter cancelled before it was woken just leaves the queue; one woken
// and cancelled before it ran returns its permit, which goes to the next waiter. No permit
// is ever leaked.
//
// Lifetime: neither copyable nor movable; destroy it only once nobody waits (see event.hpp).
#pragma once

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "simtime/detail/task_state.hpp"
#include "simtime/source_location.hpp"
#include "simtime/sync/detail/guard.hpp"
#include "simtime/sync/detail/wait_list.hpp"

namespace simtime {

class Semaphore;

namespace detail {
class SemaphoreAcquire;
}  // namespace detail

/// Holds one permit taken by `co_await semaphore.hold()` and releases it when destroyed
/// (asyncio's `async with semaphore`). Movable, not copyable. Destroying it releases the
/// permit if the guard still holds it, and never throws: a guard does not raise a
/// BoundedSemaphore past its bound (the permit was then already released by other means).
class [[nodiscard]] SemaphoreGuard : private detail::Guard<Semaphore> {
 public:
  // Made from a Semaphore& only by the awaiter (detail::Holding); a default one holds nothing.
  using Guard::Guard;

  /// True until `release()` or a move.
  [[nodiscard]] bool owns_permit() const noexcept { return holds(); }
  /// Releases the permit before the guard goes away. Throws InvalidStateError if the guard
  /// no longer holds one, and what `Semaphore::release()` throws.
  void release() {
    Guard::release("SemaphoreGuard::release: the guard holds no permit (already released, or moved from)");
  }
};

namespace detail {
/// The awaiter of `Semaphore::hold()`: SemaphoreAcquire's, yielding a SemaphoreGuard.
using SemaphoreHold = Holding<SemaphoreAcquire, SemaphoreGuard>;
}  // namespace detail

class Semaphore {
 public:
  /// A semaphore with `value` permits. `name` and the construction site appear in
  /// diagnostics. Throws std::invalid_argument if `value` is negative.
  explicit Semaphore(std::ptrdiff_t value = 1, std::string name = {}, SourceLocation where = SourceLocation::current());
  Semaphore(const Semaphore&) = delete;
  Semaphore& operator=(const Semaphore&) = delete;
  ~Semaphore() = default;

  /// True if `acquire()` would wait: no permit is free, or other tasks wait already.
  [[nodiscard]] bool locked() const noexcept;
  /// The permits free now (those set aside for woken waiters excluded).
  [[nodiscard]] std::ptrdiff_t value() const noexcept { return value_; }
  /// Takes a permit, waiting in FIFO order while none is free.
  /// Throws: nothing of its own. Cancellation: the task leaves the queue (a permit it had
  /// been given goes to the next waiter) and CancelledError is thrown; no permit is taken.
  [[nodiscard]] detail::SemaphoreAcquire acquire(SourceLocation where = SourceLocation::current());
  /// Takes a permit as `acquire()` does and yields a SemaphoreGuard that gives it back.
  [[nodiscard]] detail::SemaphoreHold hold(SourceLocation where = SourceLocation::current());
  /// Gives a permit back and wakes the first waiter. For a BoundedSemaphore, throws
  /// std::invalid_argument if that would exceed the initial value (asyncio's ValueError).
  void release();

  /// The name given at construction (may be empty).
  [[nodiscard]] const std::string& name() const noexcept { return identity_.name(); }
  /// Where the semaphore was constructed.
  [[nodiscard]] SourceLocation created_at() const noexcept { return identity_.created_at(); }

 protected:
  Semaphore(std::ptrdiff_t value, bool bounded, const char* kind, std::string name, SourceLocation where);

 private:
  friend class detail::SemaphoreAcquire;
  friend class detail::Guard<Semaphore>;
  friend struct detail::SyncAccess;

  // What a SemaphoreGuard going away asks: would release() stay within the bound?
  [[nodiscard]] bool can_release() const noexcept { return bound_ < 0 || value_ < bound_; }

  // asyncio's _wake_up_next: sets a permit aside for the first waiter and wakes it.
  bool wake_up_next() noexcept;
  // Wakes waiters while permits are free (the `finally` of asyncio's acquire).
  void wake_while_free() noexcept;
  void describe(std::string& out) const;

  detail::SyncIdentity identity_;
  std::ptrdiff_t value_;
  std::ptrdiff_t bound_;      // the initial value of a BoundedSemaphore; -1 when unbounded
  detail::WaitList waiting_;  // not woken yet, FIFO
  detail::WaitList woken_;    // woken with a permit set aside, not yet run
  std::uint64_t holder_ = 0;  // Task::id() of the task that took a permit last, for the deadlock report
};

class BoundedSemaphore : public Semaphore {
 public:
  /// A semaphore whose count may never exceed `value`. Throws std::invalid_argument if
  /// `value` is negative.
  explicit BoundedSemaphore(std::ptrdiff_t value = 1, std::string name = {},
                            SourceLocation where = SourceLocation::current())
      : Semaphore(value, true, "BoundedSemaphore", std::move(name), where) {}
};

// ---------------------------------------------------------------------------------------
// Implementation details
// ---------------------------------------------------------------------------------------
namespace detail {

class SemaphoreAcquire : public WaitInList {
 public:
  SemaphoreAcquire(Semaphore& semaphore, SourceLocation where) noexcept : semaphore_(&semaphore), where_(where) {}
  SemaphoreAcquire(SemaphoreAcquire&&) noexcept = default;  // until awaited (see WaitInList)
  SemaphoreAcquire(const SemaphoreAcquire&) = delete;
  SemaphoreAcquire& operator=(const SemaphoreAcquire&) = delete;
  ~SemaphoreAcquire();

  bool await_ready() noexcept {
    if (semaphore_->locked()) return false;
    --semaphore_->value_;
    semaphore_->holder_ = this_thread.task != nullptr ? this_thread.task->number : 0;
    return true;
  }
  void await_suspend(std::coroutine_handle<> awaiting) noexcept;
  void await_resume();

  void describe(std::string& out) const override;

 protected:
  [[nodiscard]] Semaphore& primitive() const noexcept { return *semaphore_; }  // for SemaphoreHold

 private:
  Semaphore* semaphore_;
  SourceLocation where_;
};

}  // namespace detail

inline detail::SemaphoreAcquire Semaphore::acquire(SourceLocation where) { return {*this, where}; }
inline detail::SemaphoreHold Semaphore::hold(SourceLocation where) { return {*this, where}; }

}  // namespace simtime

/// "Semaphore 'db' (created at db.cc:12) [unlocked, value:2]", "[locked, waiters:3]".
template <>
struct fmt::formatter<simtime::Semaphore> : simtime::detail::SyncFormatter<simtime::Semaphore> {};
template <>
struct fmt::formatter<simtime::BoundedSemaphore> : simtime::detail::SyncFormatter<simtime::Semaphore> {};

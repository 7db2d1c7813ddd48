// Barrier: a fixed number of tasks wait for each other (asyncio.Barrier, Python 3.11).
//
//   simtime::Barrier start(3, "start");
//   // in each of 3 tasks
//   std::size_t arrival = co_await start.wait();  // 0, 1 or 2, in order of arrival
//
// The first `parties - 1` tasks to call `wait()` block; the last one releases them all and
// returns at once without suspending. The released tasks run on the next turn (rule 13), in
// arrival order. The barrier can then be used again: while released tasks have not all run
// yet it is "draining", and tasks calling `wait()` meanwhile block until it has drained; they
// are then woken and arrive when they run, as in asyncio.
//
// `abort()` breaks the barrier: every waiting task, and every later `wait()`, throws
// BrokenBarrierError. `reset()` repairs it: tasks waiting at that moment throw
// BrokenBarrierError, later ones wait normally. As in asyncio, a released task that has not
// run yet when `reset()` or `abort()` happens throws BrokenBarrierError too.
//
// Cancellation-safe: a waiting task that is cancelled leaves the barrier (one arrival fewer:
// the barrier is not broken, as in asyncio); one released and cancelled before it ran throws
// CancelledError and still counts as released.
//
// Differences from asyncio: `reset()` and `abort()` are plain functions, not coroutines
// (asyncio's take the internal Condition's lock, which simtime's barrier does not need). A
// cancelled waiter leaves at once rather than on its next turn, so an arrival in between
// cannot release the barrier with it still counted. `wait()` is a coroutine (one frame per
// call): a task that came while the barrier drained must wait again when it is woken.
//
// Lifetime: neither copyable nor movable; destroy it only once nobody waits (see event.hpp).
#pragma once

#include <coroutine>
#include <cstddef>
#include <stdexcept>
#include <string>

#include "simtime/coro.hpp"
#include "simtime/detail/task_state.hpp"
#include "simtime/source_location.hpp"
#include "simtime/sync/detail/wait_list.hpp"

namespace simtime {

/// A Barrier wait failed because the barrier was reset or aborted (asyncio.BrokenBarrierError,
/// a RuntimeError in Python too).
class BrokenBarrierError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {
class BarrierArrival;
class BarrierBlock;
}  // namespace detail

class Barrier {
 public:
  /// A barrier for `parties` tasks. `name` and the construction site appear in diagnostics.
  /// Throws std::invalid_argument if `parties` < 1.
  explicit Barrier(std::ptrdiff_t parties, std::string name = {}, SourceLocation where = SourceLocation::current());
  Barrier(const Barrier&) = delete;
  Barrier& operator=(const Barrier&) = delete;
  ~Barrier() = default;

  /// Waits until `parties` tasks are waiting; yields this task's arrival index, from 0 to
  /// parties - 1. Throws: BrokenBarrierError if the barrier is or gets broken (abort) or
  /// reset while this task waits. Cancellation: the task leaves the barrier (one arrival
  /// fewer) and CancelledError is thrown.
  [[nodiscard]] Coro<std::size_t> wait(SourceLocation where = SourceLocation::current());
  /// Returns the barrier to its initial state; tasks waiting now throw BrokenBarrierError.
  void reset();
  /// Breaks the barrier: waiting tasks and later `wait()`s throw BrokenBarrierError until
  /// `reset()`.
  void abort();

  /// The number of tasks needed to pass the barrier.
  [[nodiscard]] std::size_t parties() const noexcept { return parties_; }
  /// The number of tasks waiting for the barrier to fill (0 while it drains or resets).
  [[nodiscard]] std::size_t n_waiting() const noexcept { return state_ == State::filling ? count_ : 0; }
  /// True once `abort()` was called and `reset()` has not been since.
  [[nodiscard]] bool broken() const noexcept { return state_ == State::broken; }

  /// The name given at construction (may be empty).
  [[nodiscard]] const std::string& name() const noexcept { return identity_.name(); }
  /// Where the barrier was constructed.
  [[nodiscard]] SourceLocation created_at() const noexcept { return identity_.created_at(); }

 private:
  friend class detail::BarrierArrival;
  friend class detail::BarrierBlock;
  friend struct detail::SyncAccess;
  enum class State : unsigned char { filling, draining, resetting, broken };

  // A task arrives: it gets the next index, and the last one releases the others.
  std::size_t arrive() noexcept;
  // Wakes every task waiting for the barrier to fill.
  void release_filling() noexcept;
  // A task that had arrived is done with the barrier (asyncio's `finally: count -= 1; _exit()`).
  void leave() noexcept;
  // Wakes the tasks that came while the barrier drained: they arrive when they run.
  void wake_blocked() noexcept;
  [[noreturn]] void throw_broken(State seen, bool was_waiting) const;
  void describe(std::string& out) const;

  detail::SyncIdentity identity_;
  std::size_t parties_;
  std::size_t count_ = 0;  // tasks that arrived and have not left
  State state_ = State::filling;
  detail::WaitList filling_;   // arrived, waiting for the last party
  detail::WaitList released_;  // woken (released, reset or aborted), not yet run
  detail::WaitList blocked_;   // came while draining or resetting, waiting for it to end
};

// ---------------------------------------------------------------------------------------
// Implementation details
// ---------------------------------------------------------------------------------------
namespace detail {

// One arrival: counted at once; the last party releases the others and does not suspend.
class BarrierArrival final : public Blocker {
 public:
  BarrierArrival(Barrier& barrier, SourceLocation where) noexcept : barrier_(&barrier), where_(where) {}
  // Until awaited: the new awaiter starts with a node of its own (see WaitInList).
  BarrierArrival(BarrierArrival&& other) noexcept
      : Blocker(other), barrier_(other.barrier_), where_(other.where_), index_(other.index_) {}
  BarrierArrival(const BarrierArrival&) = delete;
  BarrierArrival& operator=(const BarrierArrival&) = delete;
  // A waiter whose frame is destroyed before it resumes (its loop gave up on it, or ran out
  // of memory) leaves the barrier, as a cancelled one does.
  ~BarrierArrival();

  bool await_ready();
  void await_suspend(std::coroutine_handle<> awaiting) noexcept;
  std::size_t await_resume();

  bool cancel_wait(TaskState& waiter) override;
  void describe(std::string& out) const override;

 private:
  Barrier* barrier_;
  WaitNode node_;
  SourceLocation where_;
  std::size_t index_ = 0;
};

// Waiting for a draining (or resetting) barrier to fill again (asyncio's `_block`).
class BarrierBlock final : public WaitInList {
 public:
  BarrierBlock(Barrier& barrier, SourceLocation where) noexcept : barrier_(&barrier), where_(where) {}
  BarrierBlock(BarrierBlock&&) noexcept = default;  // until awaited (see WaitInList)
  BarrierBlock(const BarrierBlock&) = delete;
  BarrierBlock& operator=(const BarrierBlock&) = delete;
  ~BarrierBlock() = default;

  [[nodiscard]] bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> awaiting) noexcept;
  void await_resume();

  void describe(std::string& out) const override;

 private:
  Barrier* barrier_;
  SourceLocation where_;
};

}  // namespace detail

inline Coro<std::size_t> Barrier::wait(SourceLocation where) {
  // asyncio's Barrier.wait: block while the barrier drains or resets, then arrive.
  while (state_ == State::draining || state_ == State::resetting) co_await detail::BarrierBlock(*this, where);
  co_return co_await detail::BarrierArrival(*this, where);
}

}  // namespace simtime

/// "Barrier 'start' (created at main.cc:12) [filling, waiters:2/3]".
template <>
struct fmt::formatter<simtime::Barrier> : simtime::detail::SyncFormatter<simtime::Barrier> {};

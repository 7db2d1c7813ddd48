// The non-template core of simtime's queues (see simtime/sync/queue.hpp): who waits, what is
// promised to whom, the counters, shutdown. The templates above it only store the items.
//
// Accounting: `size` counts the items in the store. An item promised to a woken getter stays
// in the store until that getter runs; a free slot promised to a woken putter stays empty
// until it runs. Promises are counted by the length of the lists holding the woken waiters,
// so a waiter leaving such a list (it ran, was cancelled, or its frame was destroyed) gives
// its promise back without any other bookkeeping.
//
// Invariants between operations: getters wait only while no item is free
// (size == promised_getters.size()); putters wait only while no slot is free.
#pragma once

#include <coroutine>
#include <cstddef>
#include <string>

#include "simtime/detail/task_state.hpp"
#include "simtime/source_location.hpp"
#include "simtime/sync/detail/wait_list.hpp"

namespace simtime::detail {

struct QueueCore {
  QueueCore(const char* kind, std::ptrdiff_t max, std::string name, SourceLocation where);
  QueueCore(const QueueCore&) = delete;
  QueueCore& operator=(const QueueCore&) = delete;

  /// An item nobody was promised is in the store.
  [[nodiscard]] bool can_get() const noexcept { return size > promised_getters.size(); }
  /// A slot nobody was promised is free.
  [[nodiscard]] bool can_put() const noexcept {
    return maxsize <= 0 || size + promised_putters.size() < static_cast<std::size_t>(maxsize);
  }

  /// An item went into the store: count it, and promise it to the first waiting getter.
  void added() noexcept;
  /// An item left the store: promise the freed slot to the first waiting putter.
  void removed() noexcept;
  /// A woken getter gives its promised item back (cancelled): the next waiting getter gets it.
  void pass_item_on() noexcept;
  /// A woken putter gives its promised slot back (cancelled): the next waiting putter gets it.
  void pass_slot_on() noexcept;
  /// Python 3.13's Queue.shutdown; `drained` items were dropped from the store if immediate.
  void shut_down(bool immediate, std::size_t drained) noexcept;
  void task_done();

  /// Throws QueueShutDown or QueueFull unless a put may happen at once.
  void require_can_put(const char* operation) const;
  /// QueueShutDown: a put on a shut-down queue.
  [[noreturn]] void throw_shut_down_on_put(const char* operation) const;
  /// QueueShutDown if shut down, else QueueEmpty.
  [[noreturn]] void throw_cannot_get(const char* operation) const;
  void describe(std::string& out) const;

  SyncIdentity identity;
  std::ptrdiff_t maxsize;
  std::size_t size = 0;
  std::size_t unfinished = 0;  // put and not yet task_done()
  bool shutdown = false;
  WaitList getters;           // waiting for an item, FIFO
  WaitList promised_getters;  // woken with an item promised, not yet run
  WaitList released_getters;  // woken by shutdown, not yet run
  WaitList putters;           // waiting for a slot, FIFO
  WaitList promised_putters;  // woken with a slot promised, not yet run
  WaitList released_putters;  // woken by shutdown, not yet run
  WaitList joiners;           // waiting for unfinished == 0
};

/// The part of a queue's get or put awaiter that does not depend on the item type.
class QueueWaiter : public WaitInList {
 public:
  enum class Operation : unsigned char { get, put };

  QueueWaiter(QueueCore& core, Operation operation, SourceLocation where) noexcept
      : core_(&core), where_(where), operation_(operation) {}
  QueueWaiter(QueueWaiter&&) noexcept = default;  // until awaited (see WaitInList)
  QueueWaiter(const QueueWaiter&) = delete;
  QueueWaiter& operator=(const QueueWaiter&) = delete;
  ~QueueWaiter() = default;

  void describe(std::string& out) const override;

 protected:
  [[nodiscard]] bool suspended() const noexcept { return node_.task != nullptr; }
  void suspend(std::coroutine_handle<> awaiting) noexcept;
  /// After a suspended waiter resumes: returns if it may now take (get) or store (put) its
  /// item, else throws CancelledError, QueueShutDown, or InvalidStateError (queue destroyed).
  void resume();

 private:
  QueueCore* core_;
  SourceLocation where_;
  Operation operation_;
};

/// co_await queue.join().
class QueueJoin final : public WaitInList {
 public:
  QueueJoin(QueueCore& core, SourceLocation where) noexcept : core_(&core), where_(where) {}
  QueueJoin(QueueJoin&&) noexcept = default;  // until awaited (see WaitInList)
  QueueJoin(const QueueJoin&) = delete;
  QueueJoin& operator=(const QueueJoin&) = delete;
  ~QueueJoin() = default;

  [[nodiscard]] bool await_ready() const noexcept { return core_->unfinished == 0; }
  void await_suspend(std::coroutine_handle<> awaiting) noexcept;
  void await_resume() const {
    if (node_.task != nullptr) node_.task->throw_if_cancel_requested();
  }

  void describe(std::string& out) const override;

 private:
  QueueCore* core_;
  SourceLocation where_;
};

}  // namespace simtime::detail

// Queue, LifoQueue, PriorityQueue: hand items from producer tasks to consumer tasks
// (asyncio.Queue, asyncio.LifoQueue, asyncio.PriorityQueue, with Python 3.13's shutdown).
//
//   simtime::Queue<Job> jobs(10, "jobs");    // bounded: put() waits while 10 items are queued
//   co_await jobs.put(job);                  // a producer
//   Job job = co_await jobs.get();           // a consumer: waits while the queue is empty
//   jobs.task_done();                        //   ...after handling it
//   co_await jobs.join();                    // waits until every item put was task_done()
//   jobs.shutdown();                         // put() now throws QueueShutDown; get() too once empty
//
// A maxsize <= 0 means unbounded. `get()` on a queue holding an item and `put()` on a queue
// with room do not suspend (rule 14). Items come out in FIFO order (Queue), newest first
// (LifoQueue), or smallest first by `Compare` (PriorityQueue; items that compare equal come
// out in the order they were put, which asyncio's heapq does not promise).
//
// Fair and deterministic: waiting getters and putters are served in the order they started
// waiting, each on the next turn (rule 13). When a put finds a getter waiting, an item is
// promised to that getter: it stays in the queue (counted by qsize() and against maxsize)
// until the getter runs and takes it, but nobody else can take it meanwhile, so a woken
// getter never finds the queue empty and has to queue again (asyncio lets a newcomer take
// it). Likewise a slot freed for a waiting putter is kept for it. `empty()` and `full()`
// say whether `get_nowait()` and `put_nowait()` would fail, promised items and slots
// excluded; `qsize()` counts every item in the queue.
//
// Cancellation-safe: no item is lost or duplicated. A getter woken and then cancelled
// before it ran took nothing; its promised item goes to the next waiting getter, or stays in
// the queue for anyone. A putter woken and then cancelled put nothing; its slot goes to the next putter.
//
// Lifetime: neither copyable nor movable; destroy it only once nobody waits (see event.hpp).
#pragma once

#include <coroutine>
#include <cstddef>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "simtime/detail/task_state.hpp"
#include "simtime/source_location.hpp"
#include "simtime/sync/detail/queue_core.hpp"
#include "simtime/sync/detail/queue_orders.hpp"
#include "simtime/sync/detail/wait_list.hpp"

namespace simtime {

/// `get_nowait()` on a queue with no item to give (asyncio.QueueEmpty).
class QueueEmpty : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// `put_nowait()` on a queue with no free slot (asyncio.QueueFull).
class QueueFull : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Putting into a shut-down queue, or getting from one that is shut down and empty
/// (asyncio.QueueShutDown, Python 3.13).
class QueueShutDown : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {
template <class T, class Order>
class QueueGet;
template <class T, class Order>
class QueuePut;
}  // namespace detail

/// The queue of the three orders; use it through Queue, LifoQueue and PriorityQueue.
template <class T, class Order>
class BasicQueue {
 public:
  using value_type = T;

  /// A queue holding at most `maxsize` items (unbounded if maxsize <= 0). `name` and the
  /// construction site appear in diagnostics.
  explicit BasicQueue(std::ptrdiff_t maxsize = 0, std::string name = {},
                      SourceLocation where = SourceLocation::current())
      : core_(Order::kind, maxsize, std::move(name), where) {}
  BasicQueue(const BasicQueue&) = delete;
  BasicQueue& operator=(const BasicQueue&) = delete;
  ~BasicQueue() = default;

  /// How many items the queue holds, those promised to woken getters included.
  [[nodiscard]] std::size_t qsize() const noexcept { return core_.size; }
  /// The maxsize given at construction (<= 0: unbounded).
  [[nodiscard]] std::ptrdiff_t maxsize() const noexcept { return core_.maxsize; }
  /// True if `get_nowait()` would find nothing to take.
  [[nodiscard]] bool empty() const noexcept { return !core_.can_get(); }
  /// True if `put_nowait()` would find no free slot. Never true for an unbounded queue.
  [[nodiscard]] bool full() const noexcept { return !core_.can_put(); }

  /// Adds `item`, waiting in FIFO order while the queue is full.
  /// Throws: QueueShutDown if the queue is (or gets) shut down before the item is in.
  /// Cancellation: the item is not put; a slot freed for this putter goes to the next one.
  [[nodiscard]] detail::QueuePut<T, Order> put(T item, SourceLocation where = SourceLocation::current());
  /// Adds `item` at once. Throws QueueFull if there is no free slot, QueueShutDown if the
  /// queue is shut down.
  void put_nowait(T item);

  /// Removes and yields an item, waiting in FIFO order while there is none.
  /// Throws: QueueShutDown if the queue is shut down and has no item left for this getter
  /// (at once after `shutdown(true)`). Cancellation: nothing is taken; an item promised to
  /// this getter goes to the next waiting getter, or stays in the queue.
  [[nodiscard]] detail::QueueGet<T, Order> get(SourceLocation where = SourceLocation::current());
  /// Removes and returns an item at once. Throws QueueEmpty if there is none to take,
  /// QueueShutDown if the queue is shut down and empty.
  T get_nowait();

  /// Marks one item taken by a consumer as handled; when every item put has been, `join()`
  /// returns. Throws std::invalid_argument if called more often than items were put
  /// (asyncio's ValueError).
  void task_done() { core_.task_done(); }
  /// Waits until every item put has been marked `task_done()`; does not suspend if so already.
  /// Throws: nothing of its own. Cancellation: CancelledError; the queue is unchanged.
  [[nodiscard]] detail::QueueJoin join(SourceLocation where = SourceLocation::current()) { return {core_, where}; }
  /// Items put and not yet marked `task_done()`.
  [[nodiscard]] std::size_t unfinished_tasks() const noexcept { return core_.unfinished; }

  /// Shuts the queue down (Python 3.13): `put` throws QueueShutDown from now on, and so does
  /// `get` once the queue is empty; blocked putters wake up and throw it, and so do blocked
  /// getters unless an item is still there for them when they run.
  /// With `immediate`, the items still queued are dropped (each counts as task_done) and `get`
  /// throws at once. Shutting down twice is allowed.
  void shutdown(bool immediate = false);
  /// True once `shutdown()` was called.
  [[nodiscard]] bool is_shutdown() const noexcept { return core_.shutdown; }

  /// The name given at construction (may be empty).
  [[nodiscard]] const std::string& name() const noexcept { return core_.identity.name(); }
  /// Where the queue was constructed.
  [[nodiscard]] SourceLocation created_at() const noexcept { return core_.identity.created_at(); }

 private:
  friend class detail::QueueGet<T, Order>;
  friend class detail::QueuePut<T, Order>;
  friend struct detail::SyncAccess;

  T take() {
    T item = store_.pop();
    core_.removed();
    return item;
  }
  void store(T&& item) {
    store_.push(std::move(item));
    core_.added();
  }
  void describe(std::string& out) const { core_.describe(out); }

  detail::QueueCore core_;
  typename Order::template Store<T> store_;
};

/// First in, first out (asyncio.Queue).
template <class T>
using Queue = BasicQueue<T, detail::FifoOrder>;
/// Last in, first out (asyncio.LifoQueue).
template <class T>
using LifoQueue = BasicQueue<T, detail::LifoOrder>;
/// Smallest first by `Compare`; equal items in the order they were put (asyncio.PriorityQueue).
template <class T, class Compare = std::less<T>>
using PriorityQueue = BasicQueue<T, detail::PriorityOrder<Compare>>;

// ---------------------------------------------------------------------------------------
// Implementation details
// ---------------------------------------------------------------------------------------
namespace detail {

template <class T, class Order>
class QueueGet final : public QueueWaiter {
 public:
  QueueGet(BasicQueue<T, Order>& queue, SourceLocation where) noexcept
      : QueueWaiter(queue.core_, Operation::get, where), queue_(&queue) {}

  bool await_ready() {
    if (queue_->core_.can_get()) {
      item_.emplace(queue_->take());
      return true;
    }
    if (queue_->core_.shutdown) queue_->core_.throw_cannot_get("get");
    return false;
  }
  void await_suspend(std::coroutine_handle<> awaiting) noexcept { suspend(awaiting); }
  T await_resume() {
    if (!suspended()) return std::move(*item_);
    resume();  // throws, or an item is there for this getter
    return queue_->take();
  }

 private:
  BasicQueue<T, Order>* queue_;
  std::optional<T> item_;
};

template <class T, class Order>
class QueuePut final : public QueueWaiter {
 public:
  QueuePut(BasicQueue<T, Order>& queue, T&& item, SourceLocation where)
      : QueueWaiter(queue.core_, Operation::put, where), queue_(&queue), item_(std::move(item)) {}

  bool await_ready() {
    if (queue_->core_.shutdown) queue_->core_.throw_shut_down_on_put("put");
    if (!queue_->core_.can_put()) return false;
    queue_->store(std::move(item_));
    return true;
  }
  void await_suspend(std::coroutine_handle<> awaiting) noexcept { suspend(awaiting); }
  void await_resume() {
    if (!suspended()) return;
    resume();  // throws, or a slot is there for this putter
    queue_->store(std::move(item_));
  }

 private:
  BasicQueue<T, Order>* queue_;
  T item_;
};

}  // namespace detail

template <class T, class Order>
detail::QueuePut<T, Order> BasicQueue<T, Order>::put(T item, SourceLocation where) {
  return {*this, std::move(item), where};
}

template <class T, class Order>
void BasicQueue<T, Order>::put_nowait(T item) {
  core_.require_can_put("put_nowait");
  store(std::move(item));
}

template <class T, class Order>
detail::QueueGet<T, Order> BasicQueue<T, Order>::get(SourceLocation where) {
  return {*this, where};
}

template <class T, class Order>
T BasicQueue<T, Order>::get_nowait() {
  if (!core_.can_get()) core_.throw_cannot_get("get_nowait");
  return take();
}

template <class T, class Order>
void BasicQueue<T, Order>::shutdown(bool immediate) {
  std::size_t drained = 0;
  if (immediate) {
    drained = core_.size;
    store_.clear();
  }
  core_.shut_down(immediate, drained);
}

}  // namespace simtime

/// "Queue 'jobs' (created at main.cc:12) [maxsize:10, qsize:3, putters:1, unfinished:4]".
template <class T, class Order>
struct fmt::formatter<simtime::BasicQueue<T, Order>> : simtime::detail::SyncFormatter<simtime::BasicQueue<T, Order>> {};

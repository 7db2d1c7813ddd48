// Event: a flag that tasks wait for (asyncio.Event).
//
//   simtime::Event ready("ready");
//   ...
//   co_await ready.wait();   // in a consumer: suspends until the flag is set
//   ready.set();             // in a producer: wakes every waiting task
//
// `set()` wakes the waiting tasks in the order they started waiting; each runs on the next
// turn of the loop (rule 13). `wait()` on a set event returns at once without suspending
// (rule 14). `clear()` right after `set()` does not un-wake the tasks `set()` woke: they
// return from `wait()` although the flag is down again (asyncio does the same).
//
// Lifetime: an Event is neither copyable nor movable (waiting tasks point into it). Destroy
// it only once nobody waits: a task still waiting on a destroyed Event stays blocked until it
// is cancelled, and a deadlock report names it as destroyed.
#pragma once

#include <coroutine>
#include <string>

#include "simtime/detail/task_state.hpp"
#include "simtime/source_location.hpp"
#include "simtime/sync/detail/wait_list.hpp"

namespace simtime {

namespace detail {
class EventWaiter;
}

class Event {
 public:
  /// An unset event. `name` and the construction site appear in diagnostics.
  explicit Event(std::string name = {}, SourceLocation where = SourceLocation::current());
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  ~Event() = default;

  /// True once `set()` was called and `clear()` has not been since.
  [[nodiscard]] bool is_set() const noexcept { return set_; }
  /// Sets the flag and wakes every waiting task, first waiter first. Setting a set event
  /// does nothing.
  void set() noexcept {
    if (set_) return;
    set_ = true;
    if (!waiters_.empty()) wake_all();
  }
  /// Lowers the flag: tasks that call `wait()` from now on block until the next `set()`.
  void clear() noexcept { set_ = false; }
  /// Waits until the flag is set; does not suspend if it already is.
  /// Throws: nothing of its own. Cancellation: the task leaves the queue of waiters and
  /// CancelledError is thrown, also when `set()` had already woken it; the event is unchanged.
  [[nodiscard]] detail::EventWaiter wait(SourceLocation where = SourceLocation::current());

  /// The name given at construction (may be empty).
  [[nodiscard]] const std::string& name() const noexcept { return identity_.name(); }
  /// Where the event was constructed.
  [[nodiscard]] SourceLocation created_at() const noexcept { return identity_.created_at(); }

 private:
  friend class detail::EventWaiter;
  friend struct detail::SyncAccess;
  void wake_all() noexcept;
  void describe(std::string& out) const;

  detail::SyncIdentity identity_;
  detail::WaitList waiters_;
  bool set_ = false;
};

// ---------------------------------------------------------------------------------------
// Implementation details
// ---------------------------------------------------------------------------------------
namespace detail {

class EventWaiter final : public WaitInList {
 public:
  EventWaiter(Event& event, SourceLocation where) noexcept : event_(&event), where_(where) {}
  EventWaiter(EventWaiter&&) noexcept = default;  // until awaited (see WaitInList)
  EventWaiter(const EventWaiter&) = delete;
  EventWaiter& operator=(const EventWaiter&) = delete;
  ~EventWaiter() = default;

  [[nodiscard]] bool await_ready() const noexcept { return event_->set_; }
  void await_suspend(std::coroutine_handle<> awaiting) noexcept {
    node_.task = &suspend_current(awaiting, this);
    event_->waiters_.push_back(node_);
  }
  void await_resume() const {
    if (node_.task != nullptr) node_.task->throw_if_cancel_requested();
  }

  void describe(std::string& out) const override;

 private:
  Event* event_;
  SourceLocation where_;
};

}  // namespace detail

inline detail::EventWaiter Event::wait(SourceLocation where) { return {*this, where}; }

}  // namespace simtime

/// "Event 'ready' (created at main.cc:12) [unset, waiters:2]".
template <>
struct fmt::formatter<simtime::Event> : simtime::detail::SyncFormatter<simtime::Event> {};

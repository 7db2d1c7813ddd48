// shield: protect a task from the cancellation of whoever awaits it (asyncio.shield).
//
//   int value = co_await shield(task);
//
// If the awaiting task is cancelled, the await throws CancelledError at once but the
// shielded task runs on; its later exception, if any, counts as retrieved (as in asyncio).
// Cancelling the shielded task itself still cancels it.
#pragma once

#include <concepts>
#include <coroutine>
#include <string>
#include <type_traits>
#include <utility>

#include "simtime/coro.hpp"
#include "simtime/detail/task_state.hpp"
#include "simtime/task.hpp"

namespace simtime {

namespace detail {
template <class T>
class Shielded;
}

/// Awaits `task` without letting a cancellation of the awaiter reach it.
/// Throws: the task's exception; CancelledError if the awaiter is cancelled.
/// Cancellation: the awaiter stops waiting; the task is not cancelled.
template <class T>
[[nodiscard]] detail::Shielded<T> shield(Task<T> task);

/// Makes `coro` a task (on the running loop) and shields it.
template <class T>
[[nodiscard]] detail::Shielded<T> shield(Coro<T> coro) {
  return shield(create_task(std::move(coro)));
}

// ---------------------------------------------------------------------------------------
// Implementation details
// ---------------------------------------------------------------------------------------
namespace detail {

/// The awaiter side of a shield: waits like `co_await task`, but a cancellation only ends
/// the wait.
class ShieldBase : public TaskAwaiterBase {
 public:
  using TaskAwaiterBase::TaskAwaiterBase;
  bool cancel_wait(TaskState& waiter) override;
  void describe(std::string& out) const override;
};

template <class T>
class Shielded : public ShieldBase {
 public:
  explicit Shielded(Task<T> task) : ShieldBase(TaskAccess::state(task)), task_(std::move(task)) {}
  decltype(auto) await_resume() const {
    after_resume();
    if constexpr (std::is_void_v<T>) {
      task_.result();
    } else if constexpr (std::is_reference_v<T>) {
      return task_.result();
    } else if constexpr (std::copy_constructible<T>) {
      return T(task_.result());
    } else {
      return T(std::move(task_.result()));
    }
  }

 private:
  Task<T> task_;  // keeps the shielded task alive while it is awaited
};

}  // namespace detail

template <class T>
detail::Shielded<T> shield(Task<T> task) {
  return detail::Shielded<T>(std::move(task));
}

}  // namespace simtime

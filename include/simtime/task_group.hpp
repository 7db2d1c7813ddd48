// TaskGroup: structured concurrency (asyncio.TaskGroup).
//
//   co_await task_group([&](TaskGroup& group) -> Coro<> {
//     group.create_task(fetch("a"));
//     group.create_task(fetch("b"));
//     co_return;
//   });  // both tasks have finished here
//
// `task_group(body)` runs `body` in the awaiting task, then waits until every task created
// in the group has finished. When a task of the group fails (raises anything but
// CancelledError), the group cancels every other task of the group and the body itself, waits
// for them all, and then throws. One failure is rethrown as it is; several come back together
// in an ExceptionGroup holding each std::exception_ptr in the order they happened (asyncio
// always wraps them; C++ has no `except*`, so one error stays catchable by its own type).
// An exception escaping the body counts as a failure too. If the awaiting task is cancelled
// from outside, the group's tasks are cancelled, waited for, and CancelledError propagates.
//
// Lifetime: the body lambda lives in the group's frame while the group runs, so capturing by
// reference (`[&]`) is safe; the tasks' own coroutines follow create_task's rules.
#pragma once

#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "simtime/coro.hpp"
#include "simtime/detail/task_state.hpp"
#include "simtime/detail/timer_queue.hpp"
#include "simtime/source_location.hpp"
#include "simtime/task.hpp"

namespace simtime {

namespace detail {
struct TaskGroupScope;
}  // namespace detail

class TaskGroup {
 public:
  /// Creates a task owned by the group (asyncio's TaskGroup.create_task).
  /// Throws InvalidStateError once the group is shutting down (a task failed or the group was
  /// cancelled) or has finished.
  template <class T>
  Task<T> create_task(Coro<T> coro, std::string_view name = {}, SourceLocation where = SourceLocation::current());

  /// Cancels every unfinished task of the group and the body; the group then ends without
  /// raising CancelledError (asyncio 3.14's TaskGroup.cancel). A body that returns a value
  /// and is interrupted this way has none to give: task_group then rethrows the body's
  /// CancelledError. Does nothing once finished.
  void cancel();

  TaskGroup() = default;
  TaskGroup(const TaskGroup&) = delete;
  TaskGroup& operator=(const TaskGroup&) = delete;
  ~TaskGroup();

 private:
  friend struct detail::TaskGroupScope;  // enters and exits the group around its body
  void enter();
  Coro<> exit(std::exception_ptr body_error);

  struct Child : detail::CompletionWaiter {
    TaskGroup* group = nullptr;
  };
  struct AbortTimer : detail::CallbackTimer {
    TaskGroup* group = nullptr;
  };
  class AllDone;
  void check_can_create() const;
  std::unique_ptr<Child> prepare_child();
  void adopt(std::unique_ptr<Child> child, detail::TaskState& task) noexcept;
  void abort();
  void on_child_done(detail::TaskState& child);
  void abort_after_failure();

  std::vector<std::unique_ptr<Child>> children_;
  std::size_t unfinished_ = 0;
  std::vector<std::exception_ptr> errors_;
  detail::TaskState* parent_ = nullptr;
  detail::TaskState* waiting_ = nullptr;  // the parent, while it waits in exit()
  AbortTimer abort_timer_;
  bool entered_ = false;
  bool exiting_ = false;
  bool aborting_ = false;
  bool parent_cancel_requested_ = false;
};

/// Runs `body(group)` (a callable returning Coro<R>) with a fresh TaskGroup and waits for
/// every task of the group; yields the body's result.
/// Throws: the failure of the group (see above). Cancellation: cancels the group's tasks.
namespace detail {
struct TaskGroupScope {
  static void enter(TaskGroup& group) { group.enter(); }
  static Coro<> exit(TaskGroup& group, std::exception_ptr body_error) { return group.exit(std::move(body_error)); }
};
}  // namespace detail

template <class Body>
auto task_group(Body body) -> Coro<typename std::invoke_result_t<Body&, TaskGroup&>::value_type>;

// ---------------------------------------------------------------------------------------
// Implementation details
// ---------------------------------------------------------------------------------------

template <class T>
Task<T> TaskGroup::create_task(Coro<T> coro, std::string_view name, SourceLocation where) {
  check_can_create();
  // Whatever the group needs is allocated before the task starts: once it has started, the
  // group must own it (a task that ran on outside the group would outlive what the body lent).
  std::unique_ptr<Child> child = prepare_child();
  Task<T> task = simtime::create_task(std::move(coro), name, where);
  adopt(std::move(child), detail::TaskAccess::state(task));
  return task;
}

template <class Body>
auto task_group(Body body) -> Coro<typename std::invoke_result_t<Body&, TaskGroup&>::value_type> {
  using T = typename std::invoke_result_t<Body&, TaskGroup&>::value_type;
  TaskGroup group;
  detail::TaskGroupScope::enter(group);
  std::exception_ptr body_error;
  if constexpr (std::is_void_v<T>) {
    try {
      co_await body(group);
    } catch (...) {
      body_error = std::current_exception();
    }
    co_await detail::TaskGroupScope::exit(group, body_error);
  } else {
    using Stored = std::conditional_t<std::is_reference_v<T>, std::remove_reference_t<T>*, T>;
    std::optional<Stored> result;
    try {
      if constexpr (std::is_reference_v<T>) {
        result.emplace(&co_await body(group));
      } else {
        result.emplace(co_await body(group));
      }
    } catch (...) {
      body_error = std::current_exception();
    }
    co_await detail::TaskGroupScope::exit(group, body_error);
    // exit() returned, so the body either returned its value or was stopped by
    // TaskGroup::cancel(); then there is no value to give, and the cancellation says why.
    if (!result) std::rethrow_exception(body_error);
    if constexpr (std::is_reference_v<T>) {
      co_return **result;
    } else {
      co_return std::move(*result);
    }
  }
}

}  // namespace simtime

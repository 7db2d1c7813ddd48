// Task<T> and create_task: a coroutine scheduled on the running loop (asyncio.Task).
//
// `create_task(coro)` hands the coroutine to the running loop, which starts it on a later
// turn, tasks in creation order (rule 2). The returned Task<T> is a cheap, copyable handle:
// every copy refers to the same task, dropping a handle neither cancels nor destroys the task
// (the loop keeps it until it finishes), and the finished task's result stays readable for as
// long as a handle exists.
//
// Like everything of a loop, a Task handle belongs to the loop's thread: copy, drop and use it
// there (another thread reaches the loop through Loop::call_soon_threadsafe).
//
// Awaiting a task any number of times yields the same result or rethrows the same exception
// (rule 7). Awaiting a finished task does not suspend (rule 14). An exception nobody
// retrieved (by awaiting, `result()` or `exception()`) goes to the loop's exception handler
// when the last handle is dropped or the loop closes (rule 17).
#pragma once

#include <fmt/format.h>

#include <concepts>
#include <coroutine>
#include <cstdint>
#include <exception>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "simtime/coro.hpp"
#include "simtime/detail/task_state.hpp"
#include "simtime/errors.hpp"
#include "simtime/source_location.hpp"

namespace simtime {

namespace detail {
struct TaskAccess;
/// "Task 'name' (running)": see operator<< of TaskHandle.
std::string describe_task(const TaskState* task);
}  // namespace detail

/// A handle to a task whatever its result type, as `current_task()` and `all_tasks()` give
/// (asyncio's Task, without the result): its identity, state and cancellation. Every Task<T>
/// is one. Copies share the task, as Task<T>'s do.
class TaskHandle {
 public:
  /// An empty handle; every operation but assignment, `valid()` and `==` throws
  /// InvalidStateError.
  TaskHandle() noexcept = default;
  TaskHandle(const TaskHandle& other) noexcept : state_(other.state_) {
    if (state_ != nullptr) state_->add_ref();
  }
  TaskHandle(TaskHandle&& other) noexcept : state_(std::exchange(other.state_, nullptr)) {}
  TaskHandle& operator=(TaskHandle other) noexcept {
    std::swap(state_, other.state_);
    return *this;
  }
  ~TaskHandle() {
    if (state_ != nullptr) state_->release();
  }

  [[nodiscard]] bool valid() const noexcept { return state_ != nullptr; }
  /// True once the task finished: returned, threw, or was cancelled.
  [[nodiscard]] bool done() const { return checked().done(); }
  /// True if the task finished because CancelledError escaped it.
  [[nodiscard]] bool cancelled() const { return checked().cancelled; }
  /// Requests cancellation (rule 9): the task's current or next suspension point throws
  /// CancelledError, and what it awaits is cancelled too (rule 15). Returns false if the
  /// task already finished. A task cancelled before its first step never runs its body.
  bool cancel() { return checked().cancel(); }
  /// How many cancellation requests are pending (asyncio's Task.cancelling()); the count
  /// stops at 65535.
  [[nodiscard]] std::uint32_t cancelling() const { return checked().cancel_requests; }
  /// Withdraws one cancellation request and returns how many remain (asyncio's
  /// Task.uncancel()); when none remain, a cancellation not yet delivered is dropped. For
  /// code that turns a cancellation it caused into something else, as `timeout` does.
  std::uint32_t uncancel() { return checked().uncancel(); }
  /// The task's number on its loop, counting from 1 in creation order (the N of "Task-N").
  [[nodiscard]] std::uint64_t id() const { return checked().number; }
  /// The name given to create_task or set_name, or "Task-N" (N counts tasks per loop from 1).
  [[nodiscard]] std::string name() const { return checked().name(); }
  /// asyncio's Task.get_name(): the same as name().
  [[nodiscard]] std::string get_name() const { return name(); }
  /// Names the task (asyncio's Task.set_name), for diagnostics from now on.
  void set_name(std::string_view name) { checked().give_name(name); }
  /// Where create_task was called.
  [[nodiscard]] SourceLocation created_at() const { return checked().created_at(); }
  /// Calls `callback` with this task once it has finished, on a later turn (asyncio's
  /// Task.add_done_callback, whose callbacks run through call_soon): at once on the next turn
  /// if it already has. Callbacks run in the order they were added. The callback does not
  /// retrieve the task's exception. It runs as a small task named "done callback", cancelled
  /// with the others if `run` ends first. Throws std::runtime_error outside a running loop.
  void add_done_callback(std::function<void(const TaskHandle&)> callback,
                         SourceLocation where = SourceLocation::current());

  friend bool operator==(const TaskHandle& a, const TaskHandle& b) noexcept { return a.state_ == b.state_; }
  /// "Task 'fetch' (pending)", "Task 'fetch' (threw: disk full)": its name and state, for
  /// GoogleTest and iostreams (fmt formats it the same way). Retrieves nothing.
  friend std::ostream& operator<<(std::ostream& out, const TaskHandle& task) {
    return out << detail::describe_task(task.state_);
  }

 protected:
  friend struct detail::TaskAccess;
  explicit TaskHandle(detail::TaskState& state) noexcept : state_(&state) { state_->add_ref(); }
  detail::TaskState& checked() const {
    if (state_ == nullptr) throw InvalidStateError("Task: operation on an empty Task handle");
    return *state_;
  }

  // The only member: a wait reads a gather's vector of Tasks as the list of their states
  // (detail::TaskList) instead of building one.
  detail::TaskState* state_ = nullptr;
};

template <class T = void>
class Task : public TaskHandle {
 public:
  using value_type = T;

  /// An empty handle; every operation but assignment and `valid()` throws InvalidStateError.
  Task() noexcept = default;

  /// The task's result. Throws InvalidStateError if it has not finished, CancelledError if
  /// it was cancelled, or the exception that escaped it.
  decltype(auto) result() const {
    require_done("result");
    return promise().stored_result();
  }
  /// The exception that escaped the task, or null. Throws InvalidStateError if it has not
  /// finished and CancelledError if it was cancelled.
  [[nodiscard]] std::exception_ptr exception() const {
    auto& task = require_done("exception");
    if (task.cancelled) std::rethrow_exception(task.exception());
    task.exception_retrieved = true;
    return task.exception();
  }

  /// Waits for the task; yields a reference to its stored result (void for Task<void>).
  /// Throws: the task's exception; CancelledError if it was cancelled.
  /// Cancellation: cancelling the awaiting task cancels this task too (rule 15).
  auto operator co_await() const& { return Awaiter<false>(checked()); }
  /// As above, but yields the result by value: copied if T is copyable, else moved out.
  auto operator co_await() const&& { return Awaiter<true>(checked()); }

  friend bool operator==(const Task& a, const Task& b) noexcept { return a.state_ == b.state_; }

 private:
  friend struct detail::TaskAccess;
  explicit Task(detail::Promise<T>& promise) noexcept : TaskHandle(promise) {}

  detail::Promise<T>& promise() const noexcept { return static_cast<detail::Promise<T>&>(*state_); }
  detail::TaskState& require_done(const char* what) const;

  template <bool ByValue>
  struct Awaiter;
};

/// The task the running loop is stepping (asyncio.current_task()). Throws
/// std::runtime_error outside a running task.
[[nodiscard]] TaskHandle current_task();

/// The unfinished tasks of the running loop, oldest first (asyncio.all_tasks()). Throws
/// std::runtime_error outside a running loop.
[[nodiscard]] std::vector<TaskHandle> all_tasks();

// ---------------------------------------------------------------------------------------
// Implementation details
// ---------------------------------------------------------------------------------------
namespace detail {

std::string task_state_error(const TaskState& task, const char* what);

struct TaskAccess {
  template <class T>
  static Task<T> adopt(std::coroutine_handle<Promise<T>> frame) noexcept {
    return Task<T>(frame.promise());
  }
  template <class T>
  static TaskState& state(const Task<T>& task) {
    return task.checked();
  }
  static TaskHandle handle(TaskState& task) noexcept { return TaskHandle(task); }
  static TaskState& state(const TaskHandle& task) { return task.checked(); }
  /// The task's state, or null for an empty handle.
  static const TaskState* raw(const TaskHandle& task) noexcept { return task.state_; }
  /// The stored result of a task its caller knows has finished without an exception.
  template <class T>
  static decltype(auto) finished_result(const Task<T>& task) {
    return task.promise().stored_result();
  }
};

/// Waits for a task's completion as its CompletionWaiter; blocks the awaiting task on it.
class TaskAwaiterBase : public Blocker, public CompletionWaiter {
 public:
  explicit TaskAwaiterBase(TaskState& target) noexcept : target_(&target) {}
  // Until awaited (wait_for takes it by value), while its node is unlinked.
  TaskAwaiterBase(TaskAwaiterBase&& other) noexcept : Blocker(other), CompletionWaiter(), target_(other.target_) {}
  bool await_ready() const noexcept { return target_->done(); }
  void await_suspend(std::coroutine_handle<> awaiting);
  bool cancel_wait(TaskState& waiter) override;
  void describe(std::string& out) const override;

 protected:
  // Delivers a cancellation that arrived while suspended, then hands over the result.
  void after_resume() const {
    if (waiter_ != nullptr) waiter_->throw_if_cancel_requested();
    target_->exception_retrieved = true;
  }
  TaskState* target_;
  TaskState* waiter_ = nullptr;
};

}  // namespace detail

template <class T>
detail::TaskState& Task<T>::require_done(const char* what) const {
  auto& task = checked();
  if (!task.done()) throw InvalidStateError(detail::task_state_error(task, what));
  return task;
}

template <class T>
template <bool ByValue>
struct Task<T>::Awaiter : detail::TaskAwaiterBase {
  using detail::TaskAwaiterBase::TaskAwaiterBase;
  decltype(auto) await_resume() const {
    after_resume();
    auto& promise = static_cast<detail::Promise<T>&>(*target_);
    if constexpr (!ByValue || std::is_void_v<T> || std::is_reference_v<T>) {
      return promise.stored_result();
    } else if constexpr (std::copy_constructible<T>) {
      return T(promise.stored_result());
    } else {
      return T(std::move(promise.stored_result()));
    }
  }
};

/// Schedules `coro` on the running loop as a task that starts on a later turn (rule 2).
/// `name` is for diagnostics; without one the task is called "Task-N".
/// Throws std::runtime_error outside a running loop, InvalidStateError for an empty Coro.
template <class T>
Task<T> create_task(Coro<T> coro, std::string_view name = {}, SourceLocation where = SourceLocation::current()) {
  detail::running_loop("create_task");
  auto frame = detail::CoroAccess::frame(coro);
  if (!frame) throw InvalidStateError("create_task: the Coro is empty (moved from or already a task)");
  detail::start_task(frame.promise(), frame, name, where, "create_task");
  detail::CoroAccess::release(coro);  // the loop owns the frame now
  return detail::TaskAccess::adopt(frame);
}

namespace detail {
template <class C>
inline constexpr bool is_coro = false;
template <class T>
inline constexpr bool is_coro<Coro<T>> = true;

// The callable lives in this frame for as long as the coroutine it returned runs: a
// capturing lambda's captures are owned by the task, not by a temporary.
template <class T, class F>
Coro<T> run_owned(F callable) {
  co_return co_await callable();
}
}  // namespace detail

/// Schedules `callable()`, a callable returning a Coro<T> (typically a capturing lambda), as
/// a task that owns the callable: `create_task([id, &db]() -> Coro<> { ... })` is safe, where
/// `create_task([id]() -> Coro<> { ... }())` would leave the coroutine reading the captures
/// of a lambda already destroyed. Pass arguments by capturing them by value. Throws as
/// create_task(Coro) does.
template <class F>
requires std::invocable<F&> && detail::is_coro<std::invoke_result_t<F&>>
auto create_task(F callable, std::string_view name = {}, SourceLocation where = SourceLocation::current()) {
  using T = typename std::invoke_result_t<F&>::value_type;
  return create_task(detail::run_owned<T>(std::move(callable)), name, where);
}

}  // namespace simtime

template <>
struct fmt::formatter<simtime::TaskHandle> : fmt::formatter<std::string_view> {
  template <class FormatContext>
  auto format(const simtime::TaskHandle& task, FormatContext& context) const {
    return fmt::formatter<std::string_view>::format(
        simtime::detail::describe_task(simtime::detail::TaskAccess::raw(task)), context);
  }
};
template <class T>
struct fmt::formatter<simtime::Task<T>> : fmt::formatter<simtime::TaskHandle> {};

// wait and as_completed: watch a set of tasks without taking their results
// (asyncio.wait, asyncio.as_completed).
//
//   auto [done, pending] = co_await wait(tasks, FIRST_COMPLETED, 5s);
//   auto completed = as_completed(tasks);
//   while (completed.remaining() > 0) {
//     Task<int> first = co_await completed.next();   // in completion order
//   }
//
// Neither cancels the tasks: on a timeout `wait` returns what is done and what is pending,
// and cancelling the awaiting task only stops it waiting (asyncio's semantics).
#pragma once

#include <chrono>
#include <coroutine>
#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <ranges>
#include <string>
#include <utility>
#include <vector>

#include "simtime/clock.hpp"
#include "simtime/coro.hpp"
#include "simtime/detail/checked_duration.hpp"
#include "simtime/detail/task_state.hpp"
#include "simtime/detail/timer_queue.hpp"
#include "simtime/detail/wait_tasks.hpp"
#include "simtime/task.hpp"

namespace simtime {

/// When `wait` returns (asyncio's return_when).
enum class ReturnWhen : unsigned char {
  first_completed,  // as soon as any task finishes
  first_exception,  // as soon as any task raises (not counting cancellation), else all
  all_completed,    // when every task has finished
};
inline constexpr ReturnWhen FIRST_COMPLETED = ReturnWhen::first_completed;
inline constexpr ReturnWhen FIRST_EXCEPTION = ReturnWhen::first_exception;
inline constexpr ReturnWhen ALL_COMPLETED = ReturnWhen::all_completed;

/// The tasks `wait` saw finish and those still running, each in input order.
template <class T>
struct WaitResult {
  std::vector<Task<T>> done;
  std::vector<Task<T>> pending;
};

/// Waits until `return_when` holds for `tasks` (a range of Task<T>) or `timeout` passes.
/// Throws: std::invalid_argument for an empty range or a timeout past the clock's range.
/// Cancellation: stops waiting; the tasks run on.
template <std::ranges::input_range Range, class T = typename std::ranges::range_value_t<Range>::value_type>
Coro<WaitResult<T>> wait(Range tasks, ReturnWhen return_when = ALL_COMPLETED,
                         std::optional<Duration> timeout = std::nullopt);

namespace detail {
class CompletionQueue;
}

/// Hands out tasks in the order they finish (asyncio.as_completed). It must stay where it
/// was created (it cannot be moved) until it is dropped.
template <class T>
class AsCompleted {
 public:
  /// How many tasks have not been handed out yet.
  [[nodiscard]] std::size_t remaining() const noexcept;
  /// Awaits the next task to finish; a finished one is handed out without suspending.
  /// Throws: TimeoutError once the deadline has passed; InvalidStateError when every task
  /// has been handed out. Cancellation: stops waiting; the tasks run on.
  [[nodiscard]] auto next();

  AsCompleted(std::vector<Task<T>> tasks, std::optional<TimePoint> deadline);

 private:
  std::vector<Task<T>> tasks_;
  std::unique_ptr<detail::CompletionQueue> queue_;
};

/// Watches `tasks` (a range of Task<T>); with a timeout, `next()` throws TimeoutError once
/// `timeout` has passed since this call. Throws std::runtime_error outside a running loop
/// when a timeout is given.
template <std::ranges::input_range Range, class T = typename std::ranges::range_value_t<Range>::value_type>
AsCompleted<T> as_completed(Range tasks, std::optional<Duration> timeout = std::nullopt);

// ---------------------------------------------------------------------------------------
// Implementation details
// ---------------------------------------------------------------------------------------
namespace detail {

WaitUntil to_wait_until(ReturnWhen return_when) noexcept;
std::optional<TimePoint> deadline_in(std::optional<Duration> timeout, const char* caller);

/// Records the order in which a set of tasks finishes; `next()` pops it.
class CompletionQueue final : public Blocker {
 public:
  /// Links a node on each unfinished task of `tasks`, which it reads only here.
  CompletionQueue(TaskList tasks, std::optional<TimePoint> deadline);
  CompletionQueue(const CompletionQueue&) = delete;
  CompletionQueue& operator=(const CompletionQueue&) = delete;
  ~CompletionQueue();

  [[nodiscard]] std::size_t remaining() const noexcept { return remaining_; }

  // The awaiter of next(): yields the index of the next finished task.
  bool ready();
  void suspend(std::coroutine_handle<> awaiting);
  std::size_t take();

  bool cancel_wait(TaskState& waiter) override;
  void describe(std::string& out) const override;

 private:
  struct Node : CompletionWaiter {
    CompletionQueue* owner = nullptr;
    std::size_t index = 0;
  };
  struct Deadline : CallbackTimer {
    CompletionQueue* owner = nullptr;
  };
  static void on_task_done(CompletionWaiter& node, TaskState& task);
  static void on_deadline(CallbackTimer& timer);
  void wake() noexcept;

  std::size_t task_count_;
  std::unique_ptr<Node[]> nodes_;
  std::deque<std::size_t> finished_;
  std::size_t remaining_;
  std::optional<TimePoint> deadline_;
  Deadline timer_;
  TaskState* waiter_ = nullptr;
  bool suspended_ = false;
};

}  // namespace detail

template <std::ranges::input_range Range, class T>
Coro<WaitResult<T>> wait(Range tasks, ReturnWhen return_when, std::optional<Duration> timeout) {
  std::vector<Task<T>> watched(std::ranges::begin(tasks), std::ranges::end(tasks));
  if (watched.empty()) throw std::invalid_argument("wait: no tasks to wait for");
  co_await detail::WaitTasks(detail::task_list_of(watched), detail::to_wait_until(return_when),
                             detail::OnCancel::leave_tasks, detail::deadline_in(timeout, "wait"));
  WaitResult<T> result;
  for (auto& task : watched) (task.done() ? result.done : result.pending).push_back(std::move(task));
  co_return result;
}

template <class T>
AsCompleted<T>::AsCompleted(std::vector<Task<T>> tasks, std::optional<TimePoint> deadline)
    : tasks_(std::move(tasks)),
      queue_(std::make_unique<detail::CompletionQueue>(detail::task_list_of(tasks_), deadline)) {}

template <class T>
std::size_t AsCompleted<T>::remaining() const noexcept {
  return queue_->remaining();
}

template <class T>
auto AsCompleted<T>::next() {
  struct Awaiter {
    AsCompleted* self;
    bool await_ready() { return self->queue_->ready(); }
    void await_suspend(std::coroutine_handle<> awaiting) { self->queue_->suspend(awaiting); }
    Task<T> await_resume() { return self->tasks_[self->queue_->take()]; }
  };
  return Awaiter{this};
}

template <std::ranges::input_range Range, class T>
AsCompleted<T> as_completed(Range tasks, std::optional<Duration> timeout) {
  return AsCompleted<T>(std::vector<Task<T>>(std::ranges::begin(tasks), std::ranges::end(tasks)),
                        detail::deadline_in(timeout, "as_completed"));
}

}  // namespace simtime

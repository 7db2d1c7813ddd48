// Waiting for a set of tasks, the machinery under gather, wait and TaskGroup.
#pragma once

#include <coroutine>
#include <cstddef>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <string>

#include "simtime/clock.hpp"
#include "simtime/detail/task_state.hpp"
#include "simtime/detail/timer_queue.hpp"
#include "simtime/task.hpp"

namespace simtime::detail {

/// When a WaitTasks stops waiting.
enum class WaitUntil : unsigned char {
  first_completed,  // any task finished
  first_exception,  // any task raised (a cancellation does not count: asyncio.wait)
  first_failure,    // any task raised or was cancelled (asyncio.gather)
  all_completed,
};

/// What cancelling the waiting task does to the tasks waited for.
enum class OnCancel : unsigned char {
  cancel_tasks,  // gather: cancel every unfinished task, then report how they ended
  leave_tasks,   // wait, as_completed: stop waiting at once, the tasks run on
};

/// The tasks a wait watches, read where they are: an array of TaskState pointers, or the
/// Task handles a gather holds (a handle is one TaskState pointer), so that a gather of a
/// million tasks builds no list of its own. Every entry must be non-null.
class TaskList {
 public:
  TaskList(std::span<TaskState* const> states) noexcept
      : first_(reinterpret_cast<const std::byte*>(states.data())), size_(states.size()) {}
  template <class T>
  explicit TaskList(std::span<const Task<T>> tasks) noexcept
      : first_(reinterpret_cast<const std::byte*>(tasks.data())), size_(tasks.size()) {
    static_assert(sizeof(Task<T>) == sizeof(TaskState*) && std::is_standard_layout_v<Task<T>>,
                  "a Task is read as its one TaskState pointer");
  }

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  // A Task's one member is pointer-interconvertible with the Task: read in place.
  TaskState* operator[](std::size_t index) const noexcept {
    return *std::launder(reinterpret_cast<TaskState* const*>(first_ + index * sizeof(TaskState*)));
  }
  /// The entries from `index` on.
  [[nodiscard]] TaskList from(std::size_t index) const noexcept {
    return TaskList(first_ + index * sizeof(TaskState*), size_ - index);
  }

  class Iterator {
   public:
    Iterator(const TaskList& list, std::size_t index) noexcept : list_(&list), index_(index) {}
    TaskState* operator*() const noexcept { return (*list_)[index_]; }
    Iterator& operator++() noexcept {
      ++index_;
      return *this;
    }
    friend bool operator==(const Iterator& a, const Iterator& b) noexcept { return a.index_ == b.index_; }

   private:
    const TaskList* list_;
    std::size_t index_;
  };
  [[nodiscard]] Iterator begin() const noexcept { return {*this, 0}; }
  [[nodiscard]] Iterator end() const noexcept { return {*this, size_}; }

 private:
  TaskList(const std::byte* first, std::size_t size) noexcept : first_(first), size_(size) {}
  const std::byte* first_;
  std::size_t size_;
};

/// `tasks` read in place as a wait's list (no copy of a million pointers). Throws
/// InvalidStateError, before anything waits, if a handle in it is empty.
template <class T>
TaskList task_list_of(const std::vector<Task<T>>& tasks) {
  for (const auto& task : tasks) TaskAccess::state(task);
  return TaskList(std::span<const Task<T>>(tasks));
}

/// Hands over the result of `tasks[index]` as soon as it finishes, if every task before it
/// has been handed over: a gather takes its results, in order, while each frame is still in
/// the cache. It may drop the task (its handle): the wait never looks at a task it took.
/// Called only for a task that finished without an exception; it must not throw.
struct InOrderTake {
  void (*take)(void* context, std::size_t index) noexcept = nullptr;
  void* context = nullptr;
};

/// Blocks the awaiting task until `until` holds for `tasks` or `deadline` passes. Yields the
/// task that failed first (first_exception, first_failure), or null. The tasks must outlive
/// it (the caller holds their handles).
class WaitTasks final : public Blocker {
 public:
  WaitTasks(TaskList tasks, WaitUntil until, OnCancel on_cancel, std::optional<TimePoint> deadline = std::nullopt,
            InOrderTake in_order = {});
  WaitTasks(const WaitTasks&) = delete;
  WaitTasks& operator=(const WaitTasks&) = delete;
  ~WaitTasks();

  bool await_ready() const noexcept { return false; }
  /// False (no suspension) if `until` already holds or every task has finished.
  bool await_suspend(std::coroutine_handle<> awaiting);
  TaskState* await_resume();
  /// How many tasks, from the first, were handed to `in_order` (the rest are untouched).
  [[nodiscard]] std::size_t taken() const noexcept { return taken_; }

  bool cancel_wait(TaskState& waiter) override;
  void describe(std::string& out) const override;

 private:
  // How it hears of a task's end: joining the task (TaskState::try_join), or where another waiter came
  // first (or a task is listed twice) a node in the task's list, one per unfinished task.
  struct Join : JoinWaiter {
    WaitTasks* owner = nullptr;
  };
  struct Node : CompletionWaiter {
    WaitTasks* owner = nullptr;
  };
  struct Deadline : CallbackTimer {
    WaitTasks* owner = nullptr;
  };
  bool satisfied_by(TaskState& finished) noexcept;
  void task_done(TaskState& task) noexcept;
  static void on_joined_task_done(JoinWaiter& join, TaskState& task);
  static void on_task_done(CompletionWaiter& node, TaskState& task);
  void leave_joined_tasks() noexcept;
  static void on_deadline(CallbackTimer& timer);
  void stop_waiting() noexcept;
  void take_finished_in_order() noexcept;
  // The tasks not handed over yet: the only ones the wait may still look at.
  [[nodiscard]] TaskList untaken() const noexcept { return tasks_.from(taken_); }

  TaskList tasks_;
  InOrderTake in_order_;
  std::size_t taken_ = 0;
  Join join_;
  std::unique_ptr<Node[]> nodes_;
  std::size_t node_count_ = 0;
  std::size_t remaining_ = 0;
  std::optional<TimePoint> deadline_;
  Deadline timer_;
  TaskState* waiter_ = nullptr;
  TaskState* first_failure_ = nullptr;
  WaitUntil until_;
  OnCancel on_cancel_;
  bool cancel_requested_ = false;
};

}  // namespace simtime::detail

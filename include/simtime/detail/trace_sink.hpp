// What a loop tells a trace recorder (simtime::testing::Trace) while it runs. Users install a
// Trace with `Loop::set_trace`; this interface is how the loop reaches it without depending
// on it.
#pragma once

#include <string_view>

#include "simtime/clock.hpp"

namespace simtime {
class Loop;
}

namespace simtime::detail {

class TaskState;

class TraceSink {
 public:
  /// A task was created (create_task, or run's main).
  virtual void on_task_created(const TaskState& task, TimePoint now) = 0;
  virtual void on_step_began(const TaskState& task, TimePoint now) = 0;
  /// The step suspended the task: `task.describe_wait` says on what.
  virtual void on_step_ended(const TaskState& task, TimePoint now) = 0;
  /// The task's body ended (or it was cancelled before its first step): its exception, if
  /// any, is stored. Called before the loop lets the frame go.
  virtual void on_task_finished(const TaskState& task, TimePoint now) = 0;
  /// A timer was armed for `deadline` by `task` (a sleep, a time limit).
  virtual void on_timer_armed(const TaskState* task, TimePoint deadline, bool is_sleep, TimePoint now) = 0;
  /// A timer of `task` fired.
  virtual void on_timer_fired(const TaskState* task, bool is_sleep, TimePoint now) = 0;
  /// Cancellation of `task` was asked for by `by` (null: not from a task, e.g. a time limit
  /// or the end of run).
  virtual void on_cancel_requested(const TaskState& task, const TaskState* by, TimePoint now) = 0;
  /// `simtime::testing::mark(label)` in `task` (null outside any task).
  virtual void on_mark(const TaskState* task, std::string_view label, TimePoint now) = 0;
  /// The loop is being destroyed: the sink is no longer installed.
  virtual void on_loop_closed(const Loop& loop) noexcept = 0;
  /// `Loop::set_trace` installs the sink on `loop`. It may refuse by throwing (a recorder
  /// that serves one loop at a time throws std::logic_error); the loop then keeps its old one.
  virtual void on_installed(const Loop& loop) { (void)loop; }
  /// `Loop::set_trace` replaced or removed the sink on `loop`.
  virtual void on_removed(const Loop& loop) noexcept { (void)loop; }

 protected:
  TraceSink() = default;
  TraceSink(const TraceSink&) = default;
  TraceSink& operator=(const TraceSink&) = default;
  ~TraceSink() = default;
};

/// Tells the running loop's trace, if it has one, of a user mark. Throws std::runtime_error
/// outside a running loop.
void trace_mark(std::string_view label);

}  // namespace simtime::detail

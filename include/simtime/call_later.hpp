// Plain callbacks on the running loop: call_soon, call_later, call_at (asyncio's
// loop.call_soon, loop.call_later, loop.call_at).
//
//   simtime::TimerHandle retry = simtime::call_later(5s, [&] { reconnect(); });
//   retry.cancel();  // before it runs: it never will
//
// A callback runs on the loop's thread, in a turn of its own choosing like a task's first
// step: call_soon's on the next turn, call_later's and call_at's in the turn its timer
// fires (rule 13), in the order they were scheduled when they fall due together. Each runs
// as a small task named "call_soon", "call_later" or "call_at" (it appears in all_tasks()
// and in diagnostics until it has run); an exception escaping it is reported as any task's
// unretrieved exception is (rule 17). A callback still pending when `run` ends is cancelled
// with the other tasks: it never runs. A pending timer keeps the loop from a deadlock, as
// asyncio's does.
#pragma once

#include <chrono>
#include <functional>

#include "simtime/clock.hpp"
#include "simtime/source_location.hpp"
#include "simtime/task.hpp"

namespace simtime {

class TimerHandle;
namespace detail {
TimerHandle schedule_callback(const char* caller, TimePoint when, std::function<void()> callback, SourceLocation where);
}  // namespace detail

/// A scheduled callback (asyncio.TimerHandle): it can be cancelled until it runs.
class TimerHandle {
 public:
  TimerHandle() = default;
  /// Keeps the callback from running; false if it already ran (or was cancelled).
  bool cancel() { return task_.valid() && task_.cancel(); }
  /// True once cancel() kept the callback from running.
  [[nodiscard]] bool cancelled() const { return task_.valid() && task_.cancelled(); }
  /// When the callback is due: the loop's time it was scheduled for.
  [[nodiscard]] TimePoint when() const noexcept { return when_; }

 private:
  friend TimerHandle detail::schedule_callback(const char*, TimePoint, std::function<void()>, SourceLocation);
  TimerHandle(TaskHandle task, TimePoint when) : task_(std::move(task)), when_(when) {}
  TaskHandle task_;
  TimePoint when_{};
};

/// Runs `callback` on the next turn of the running loop. Throws std::runtime_error outside
/// a running loop.
TimerHandle call_soon(std::function<void()> callback, SourceLocation where = SourceLocation::current());

/// Runs `callback` at `when` on the running loop's clock (at once, on the next turn, if
/// `when` has passed). Throws std::runtime_error outside a running loop.
TimerHandle call_at(TimePoint when, std::function<void()> callback, SourceLocation where = SourceLocation::current());

/// Runs `callback` `delay` from now. Throws std::invalid_argument if now + delay overflows
/// the clock, std::runtime_error outside a running loop.
TimerHandle call_later(Duration delay, std::function<void()> callback,
                       SourceLocation where = SourceLocation::current());

}  // namespace simtime

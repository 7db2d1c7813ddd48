// sleep and sleep_until: suspend the current task until the loop's clock reaches a time.
//
// Timers fire in deadline order, same deadlines in the order they were armed (rule 3).
// `sleep(0)`, a negative duration, or a deadline not in the future yield instead: the task
// goes to the back of the runnable queue and the clock does not move (rule 5, asyncio's
// sleep(0)). The deadline is computed when the sleep is awaited, not when it is created.
//
// Durations are integer std::chrono durations; floating-point ones are refused at compile
// time (convert with std::chrono::duration_cast). A duration or deadline past the clock's
// range throws std::invalid_argument (rule 6); only negative durations too large for
// nanoseconds saturate, since they all mean "yield".
#pragma once

#include <chrono>
#include <coroutine>
#include <string>
#include <type_traits>

#include "simtime/clock.hpp"
#include "simtime/detail/checked_duration.hpp"
#include "simtime/detail/task_state.hpp"
#include "simtime/detail/timer_queue.hpp"

namespace simtime {

namespace detail {
class SleepFor;
class SleepUntil;
}  // namespace detail

/// Suspends the current task for `delay`.
/// Throws: std::invalid_argument if now + delay overflows the clock; std::runtime_error
/// outside a running loop. Cancellation: the timer is removed and CancelledError is thrown.
template <class Rep, class Period>
[[nodiscard]] detail::SleepFor sleep(const std::chrono::duration<Rep, Period>& delay);

/// Suspends the current task until the loop's clock reads `deadline` (yields if it already
/// has). Throws std::runtime_error outside a running loop; cancels as `sleep` does.
[[nodiscard]] detail::SleepUntil sleep_until(const TimePoint& deadline);

// ---------------------------------------------------------------------------------------
// Implementation details
// ---------------------------------------------------------------------------------------
namespace detail {

// What sleep and sleep_until share. Every sleeping task's frame holds one, so it is kept to
// 16 bytes: the delay or deadline and the number of the timer's slot. It is no Blocker: the
// task marks its wait as a sleep (TaskState::block_on), and the timer's slot names the task.
class SleepAwaiter {
 public:
  SleepAwaiter(SleepAwaiter&&) noexcept = default;  // until awaited (wait_for takes it by value)
  SleepAwaiter(const SleepAwaiter&) = delete;
  SleepAwaiter& operator=(const SleepAwaiter&) = delete;
  bool await_ready() const noexcept { return false; }
  void await_resume() const { this_thread.task->throw_if_cancel_requested(); }
  /// `waiter`, waiting on this sleep, was cancelled: removes the timer and schedules it.
  void cancel_wait(TaskState& waiter) noexcept;
  void describe(std::string& out) const;

 protected:
  SleepAwaiter(Duration::rep when, bool is_deadline) noexcept : when_(when), has_deadline_(is_deadline) {}
  // Nothing to disarm: while the sleep is armed its task waits on it, and a waiting task's
  // frame is destroyed only as its loop closes, once the loop's timers are cleared.
  ~SleepAwaiter() = default;
  // Everything happens in await_suspend, one call: reading the clock, the deadline's
  // overflow check, and arming the timer or yielding.
  void suspend(std::coroutine_handle<> awaiting, const char* caller);

 private:
  [[nodiscard]] TimePoint deadline() const noexcept { return TimePoint{Duration{when_}}; }

  Duration::rep when_;      // nanoseconds: a sleep's delay until it is first awaited, then the deadline
  std::uint32_t slot_ = 0;  // the armed timer's, while the task waits on this sleep
  bool has_deadline_;
};

class SleepFor final : public SleepAwaiter {
 public:
  explicit SleepFor(Duration delay) noexcept : SleepAwaiter(delay.count(), false) {}
  void await_suspend(std::coroutine_handle<> awaiting) { suspend(awaiting, "sleep"); }
};

class SleepUntil final : public SleepAwaiter {
 public:
  explicit SleepUntil(TimePoint deadline) noexcept : SleepAwaiter(deadline.time_since_epoch().count(), true) {}
  void await_suspend(std::coroutine_handle<> awaiting) { suspend(awaiting, "sleep_until"); }
};

}  // namespace detail

// `delay` by reference: a copy made for the call would be kept in every sleeping coroutine's
// frame, g++ keeping a co_await's temporaries there.
template <class Rep, class Period>
detail::SleepFor sleep(const std::chrono::duration<Rep, Period>& delay) {
  return detail::SleepFor(detail::checked_nanoseconds(delay, "sleep"));
}

inline detail::SleepUntil sleep_until(const TimePoint& deadline) { return detail::SleepUntil(deadline); }

}  // namespace simtime

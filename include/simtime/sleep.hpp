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
class SleepAwaiter;
}  // namespace detail

/// Suspends the current task for `delay`.
/// Throws: std::invalid_argument if now + delay overflows the clock; std::runtime_error
/// outside a running loop. Cancellation: the timer is removed and CancelledError is thrown.
template <class Rep, class Period>
[[nodiscard]] detail::SleepAwaiter sleep(std::chrono::duration<Rep, Period> delay);

/// Suspends the current task until the loop's clock reads `deadline` (yields if it already
/// has). Throws std::runtime_error outside a running loop; cancels as `sleep` does.
[[nodiscard]] detail::SleepAwaiter sleep_until(TimePoint deadline);

// ---------------------------------------------------------------------------------------
// Implementation details
// ---------------------------------------------------------------------------------------
namespace detail {

class SleepAwaiter final : public Blocker {
 public:
  enum class Kind : unsigned char { delay, deadline };
  SleepAwaiter(Kind kind, Duration delay, TimePoint deadline) noexcept
      : kind_(kind), when_(kind == Kind::delay ? delay.count() : deadline.time_since_epoch().count()) {}
  SleepAwaiter(const SleepAwaiter&) = delete;
  SleepAwaiter& operator=(const SleepAwaiter&) = delete;
  ~SleepAwaiter();

  // Everything happens in await_suspend, one call: reading the clock, the deadline's
  // overflow check, and arming the timer or yielding.
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> awaiting);
  void await_resume() const { timer_.task->throw_if_cancel_requested(); }

  bool cancel_wait(TaskState& waiter) override;
  void describe(std::string& out) const override;

 private:
  [[nodiscard]] TimePoint deadline() const noexcept { return TimePoint{Duration{when_}}; }
  Kind kind_;  // until await_suspend, `when_` holds the delay for Kind::delay
  Duration::rep when_;  // nanoseconds: the delay, then the deadline (one field: a smaller frame)
  TimerNode timer_;
};

}  // namespace detail

template <class Rep, class Period>
detail::SleepAwaiter sleep(std::chrono::duration<Rep, Period> delay) {
  return {detail::SleepAwaiter::Kind::delay, detail::checked_nanoseconds(delay, "sleep"), TimePoint{}};
}

inline detail::SleepAwaiter sleep_until(TimePoint deadline) {
  return {detail::SleepAwaiter::Kind::deadline, Duration{}, deadline};
}

}  // namespace simtime

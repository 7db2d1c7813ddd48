#include "simtime/sleep.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include "simtime/loop.hpp"

namespace simtime::detail {

void throw_duration_overflow(const char* caller, std::string amount) {
  throw std::invalid_argument(fmt::format("{}: duration {} does not fit the clock's signed 64-bit nanoseconds", caller,
                                          amount));
}

SleepAwaiter::~SleepAwaiter() { disarm_timer(timer_); }

bool SleepAwaiter::await_ready() {
  const TimePoint now = running_loop(kind_ == Kind::delay ? "sleep" : "sleep_until").now();
  if (kind_ == Kind::delay) {
    if (delay_ > Duration::zero() && now.time_since_epoch() > Duration::max() - delay_) {
      throw std::invalid_argument(fmt::format("sleep: now {} + {} overflows the clock", format_time(now),
                                              format_duration(delay_)));
    }
    deadline_ = now + delay_;
  }
  // A deadline not in the future yields rather than waits (asyncio's sleep(0)).
  yields_ = deadline_ <= now;
  return false;
}

void SleepAwaiter::await_suspend(std::coroutine_handle<> awaiting) {
  timer_.task = &current_task("sleep");
  if (yields_) {
    suspend_current(awaiting, nullptr);
    schedule(*timer_.task);
    return;
  }
  timer_.deadline = deadline_;
  arm_timer(timer_);  // may throw bad_alloc, before the task is marked waiting
  suspend_current(awaiting, this);
}

bool SleepAwaiter::cancel_wait(TaskState& waiter) {
  disarm_timer(timer_);
  schedule(waiter);
  return false;
}

void SleepAwaiter::describe(std::string& out) const {
  fmt::format_to(std::back_inserter(out), "sleep until {}", format_time(deadline_));
}

}  // namespace simtime::detail

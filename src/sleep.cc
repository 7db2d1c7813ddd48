#include "simtime/sleep.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include "simtime/loop.hpp"

namespace simtime::detail {

SleepAwaiter::~SleepAwaiter() { disarm_timer(timer_); }

bool SleepAwaiter::await_ready() {
  const TimePoint now = running_loop(kind_ == Kind::delay ? "sleep" : "sleep_until").now();
  if (kind_ == Kind::delay) {
    when_ = checked_deadline(now, Duration{when_}, "sleep").time_since_epoch().count();
    kind_ = Kind::deadline;
  }
  // A deadline not in the future yields rather than waits (asyncio's sleep(0)).
  yields_ = deadline() <= now;
  return false;
}

void SleepAwaiter::await_suspend(std::coroutine_handle<> awaiting) {
  timer_.task = &current_task("sleep");
  if (yields_) {
    suspend_current(awaiting, nullptr);
    schedule(*timer_.task);
    return;
  }
  arm_timer(timer_, deadline());  // may throw bad_alloc, before the task is marked waiting
  suspend_current(awaiting, this);
}

bool SleepAwaiter::cancel_wait(TaskState& waiter) {
  disarm_timer(timer_);
  schedule(waiter);
  return false;
}

void SleepAwaiter::describe(std::string& out) const {
  fmt::format_to(std::back_inserter(out), "sleep until {}", format_time(deadline()));
}

}  // namespace simtime::detail

#include "simtime/sleep.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include "simtime/loop.hpp"

namespace simtime::detail {

SleepAwaiter::~SleepAwaiter() { disarm_timer(timer_); }

void SleepAwaiter::suspend(std::coroutine_handle<> awaiting, bool delay, const char* caller) {
  const TimePoint now = running_loop(caller).now();
  // Awaited again, a sleep keeps the deadline its first await computed (and yields).
  const bool first_await = timer_.task == nullptr;
  if (delay && first_await) when_ = checked_deadline(now, Duration{when_}, caller).time_since_epoch().count();
  TaskState& task = current_task(caller);
  timer_.task = &task;
  if (deadline() <= now) {  // not in the future: yield rather than wait (asyncio's sleep(0))
    suspend_current(awaiting, nullptr);
    schedule(task);
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

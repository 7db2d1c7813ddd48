#include "simtime/sleep.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include "simtime/loop.hpp"

namespace simtime::detail {

// Every sleeping task's frame holds one; W1 of bench/ holds a million.
static_assert(sizeof(SleepFor) == 16 && sizeof(SleepUntil) == 16,
              "a sleep's awaiter grew: every sleeping frame grows with it");
// A task's wait tells a sleep from a Blocker by the low bit of the pointer (TaggedPointer).
static_assert(alignof(SleepAwaiter) >= 2);

void SleepAwaiter::suspend(std::coroutine_handle<> awaiting, const char* caller) {
  const TimePoint now = running_loop(caller).now();
  // Awaited again, a sleep keeps the deadline its first await computed (and yields).
  if (!has_deadline_) {
    when_ = checked_deadline(now, Duration{when_}, caller).time_since_epoch().count();
    has_deadline_ = true;
  }
  TaskState& task = current_task(caller);
  if (deadline() <= now) {  // not in the future: yield rather than wait (asyncio's sleep(0))
    suspend_current(awaiting, nullptr);
    schedule(task);
    return;
  }
  slot_ = arm_sleep(task, deadline());  // may throw bad_alloc, before the task is marked waiting
  suspend_current(awaiting, *this);
}

void SleepAwaiter::cancel_wait(TaskState& waiter) noexcept {
  disarm_sleep(waiter, slot_);
  schedule(waiter);
}

void SleepAwaiter::describe(std::string& out) const {
  fmt::format_to(std::back_inserter(out), "sleep until {}", format_time(deadline()));
}

}  // namespace simtime::detail

#include "simtime/call_later.hpp"

#include <utility>

#include "simtime/detail/checked_duration.hpp"
#include "simtime/loop.hpp"
#include "simtime/sleep.hpp"

namespace simtime {
namespace detail {
namespace {

// Its first step is on the next turn: a callback already due runs there, without waiting.
Coro<> call_when_due(TimePoint when, std::function<void()> callback) {
  if (when > now()) co_await sleep_until(when);
  callback();
}

}  // namespace

TimerHandle schedule_callback(const char* caller, TimePoint when, std::function<void()> callback,
                              SourceLocation where) {
  return TimerHandle(create_task(call_when_due(when, std::move(callback)), caller, where), when);
}

}  // namespace detail

TimerHandle call_soon(std::function<void()> callback, SourceLocation where) {
  const TimePoint current = detail::running_loop("call_soon").now();
  return detail::schedule_callback("call_soon", current, std::move(callback), where);
}

TimerHandle call_at(TimePoint when, std::function<void()> callback, SourceLocation where) {
  detail::running_loop("call_at");
  return detail::schedule_callback("call_at", when, std::move(callback), where);
}

TimerHandle call_later(Duration delay, std::function<void()> callback, SourceLocation where) {
  const TimePoint when = detail::checked_deadline(detail::running_loop("call_later").now(), delay, "call_later");
  return detail::schedule_callback("call_later", when, std::move(callback), where);
}

}  // namespace simtime

#include "simtime/testing/timer_jitter.hpp"

#include <fmt/format.h>

#include <limits>
#include <stdexcept>

namespace simtime::testing {

TimerJitter::TimerJitter(SchedulePolicy& inner, Jitter jitter)
    : inner_(&inner), bound_(jitter.bound), random_(jitter.seed) {
  if (jitter.bound < Duration{0}) {
    throw std::invalid_argument(fmt::format("TimerJitter: bound {} is negative (a timer can be made late, not early)",
                                            format_duration(jitter.bound)));
  }
}

TimePoint TimerJitter::deadline_for(TimePoint requested, TimePoint now) {
  const TimePoint base = requested < now ? now : requested;
  if (bound_ == Duration{0}) return base;
  const auto delay = static_cast<std::int64_t>(random_.below(static_cast<std::uint64_t>(bound_.count()) + 1));
  const std::int64_t room = std::numeric_limits<std::int64_t>::max() - base.time_since_epoch().count();
  return base + Duration{delay < room ? delay : room};  // saturates at the clock's end
}

}  // namespace simtime::testing

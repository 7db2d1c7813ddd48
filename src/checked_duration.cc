#include "simtime/detail/checked_duration.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace simtime::detail {

void throw_duration_overflow(const char* caller, std::string amount) {
  throw std::invalid_argument(
      fmt::format("{}: duration {} does not fit the clock's signed 64-bit nanoseconds", caller, amount));
}

TimePoint checked_deadline(TimePoint now, Duration delay, const char* caller) {
  if (delay > Duration::zero() && now.time_since_epoch() > Duration::max() - delay) {
    throw std::invalid_argument(
        fmt::format("{}: now {} + {} overflows the clock", caller, format_time(now), format_duration(delay)));
  }
  // A negative delay from a negative time could underflow as well.
  if (delay < Duration::zero() && now.time_since_epoch() < Duration::min() - delay) {
    throw std::invalid_argument(
        fmt::format("{}: now {} + {} underflows the clock", caller, format_time(now), format_duration(delay)));
  }
  return now + delay;
}

}  // namespace simtime::detail

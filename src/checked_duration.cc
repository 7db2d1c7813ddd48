#include "simtime/detail/checked_duration.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace simtime::detail {

void throw_duration_overflow(const char* caller, std::string amount) {
  throw std::invalid_argument(
      fmt::format("{}: duration {} does not fit the clock's signed 64-bit nanoseconds", caller, amount));
}

void throw_deadline_overflow(TimePoint now, Duration delay, const char* caller) {
  // A negative delay from a negative time underflows.
  throw std::invalid_argument(fmt::format("{}: now {} + {} {} the clock", caller, format_time(now),
                                          format_duration(delay),
                                          delay > Duration::zero() ? "overflows" : "underflows"));
}

}  // namespace simtime::detail

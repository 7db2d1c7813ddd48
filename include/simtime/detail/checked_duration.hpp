// Converting a user's std::chrono duration to simtime's nanoseconds without overflow.
#pragma once

#include <chrono>
#include <optional>
#include <ratio>
#include <string>

#include "simtime/clock.hpp"

namespace simtime::detail {

[[noreturn]] void throw_duration_overflow(const char* caller, std::string amount);
[[noreturn]] void throw_deadline_overflow(TimePoint now, Duration delay, const char* caller);

// Out of line and cold: building the message would otherwise weigh on every sleep.
template <class Rep, class Period>
[[noreturn, gnu::noinline, gnu::cold]] void throw_nanoseconds_overflow(std::chrono::duration<Rep, Period> d,
                                                                       const char* caller) {
  throw_duration_overflow(caller, std::to_string(d.count()) + " x " + std::to_string(Period::num) + "/" +
                                      std::to_string(Period::den) + "s");
}

template <class Rep, class Period>
Duration checked_nanoseconds(std::chrono::duration<Rep, Period> d, const char* caller) {
  static_assert(!std::chrono::treat_as_floating_point_v<Rep>,
                "simtime time is integer nanoseconds: convert floating-point durations with "
                "std::chrono::duration_cast");
  using Source = std::chrono::duration<Rep, Period>;
  if constexpr (std::ratio_less_equal_v<Period, std::nano>) {
    return std::chrono::duration_cast<Duration>(d);  // a division: cannot overflow
  } else {
    // Compare in the coarser source unit, where the clock's limits are exact enough.
    constexpr auto max = std::chrono::duration_cast<Source>(Duration::max());
    constexpr auto min = std::chrono::duration_cast<Source>(Duration::min());
    if (d > max) [[unlikely]]
      throw_nanoseconds_overflow(d, caller);
    // Every negative duration means "not in the future"; the most negative ones saturate.
    if (d < min) return Duration::min();
    return std::chrono::duration_cast<Duration>(d);
  }
}

/// `now + delay`, or std::invalid_argument naming `caller` if it overflows the clock.
inline TimePoint checked_deadline(TimePoint now, Duration delay, const char* caller) {
  Duration::rep deadline;
  if (__builtin_add_overflow(now.time_since_epoch().count(), delay.count(), &deadline)) [[unlikely]] {
    throw_deadline_overflow(now, delay, caller);
  }
  return TimePoint{Duration{deadline}};
}

}  // namespace simtime::detail

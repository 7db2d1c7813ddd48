#include "simtime/clock.hpp"

#include <fmt/format.h>

#include <condition_variable>
#include <limits>
#include <mutex>
#include <ostream>
#include <stdexcept>
#include <thread>

namespace simtime {

void VirtualClock::wait_until(TimePoint deadline) {
  if (deadline > now_) now_ = deadline;
}

void VirtualClock::advance_to(TimePoint when) {
  if (when < now_) {
    throw std::invalid_argument(fmt::format("VirtualClock::advance_to: {} is earlier than now ({}); time never goes backwards",
                                            format_time(when), format_time(now_)));
  }
  now_ = when;
}

void VirtualClock::advance(Duration delta) {
  if (delta < Duration::zero()) {
    throw std::invalid_argument(fmt::format("VirtualClock::advance: negative delta {}", format_duration(delta)));
  }
  if (now_.time_since_epoch() > Duration::max() - delta) {
    throw std::invalid_argument(fmt::format("VirtualClock::advance: now {} + {} overflows the clock",
                                            format_time(now_), format_duration(delta)));
  }
  now_ += delta;
}

RealClock::RealClock() : zero_(std::chrono::steady_clock::now()) {}

TimePoint RealClock::now() const {
  return TimePoint{std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now() - zero_)};
}

void RealClock::wait_until(TimePoint deadline) {
  // sleep_until on steady_clock: no spinning, and spurious early returns are re-checked by
  // the loop, which only fires timers whose deadline has really been reached.
  const auto steady_deadline = zero_ + deadline.time_since_epoch();
  while (std::chrono::steady_clock::now() < steady_deadline) std::this_thread::sleep_until(steady_deadline);
}

std::string format_duration(Duration d) {
  const auto count = d.count();
  if (count == 0) return "0s";
  if (count % 1'000'000'000 == 0) return fmt::format("{}s", count / 1'000'000'000);
  if (count % 1'000'000 == 0) return fmt::format("{}ms", count / 1'000'000);
  if (count % 1'000 == 0) return fmt::format("{}us", count / 1'000);
  return fmt::format("{}ns", count);
}

std::string format_time(TimePoint t) { return format_duration(t.time_since_epoch()); }

std::ostream& operator<<(std::ostream& out, TimePoint t) { return out << format_time(t); }

}  // namespace simtime

#include "simtime/clock.hpp"

#include <fmt/format.h>

#include <ostream>
#include <stdexcept>

namespace simtime {

void Wakeup::notify() {
  // Notified under the lock: once the waiter sees the flag it may finish and destroy this
  // Wakeup, so the notifying thread must be done with the condition variable by then.
  const std::lock_guard<std::mutex> lock(mutex_);
  notified_ = true;
  notified_condition_.notify_one();
}

bool Wakeup::wait_until(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mutex_);
  const bool notified = notified_condition_.wait_until(lock, deadline, [this] { return notified_; });
  notified_ = false;
  return notified;
}

void Wakeup::wait() {
  std::unique_lock<std::mutex> lock(mutex_);
  notified_condition_.wait(lock, [this] { return notified_; });
  notified_ = false;
}

void VirtualClock::advance_to(TimePoint when) {
  if (when < now_) {
    throw std::invalid_argument(
        fmt::format("VirtualClock::advance_to: {} is earlier than now ({}); time never goes backwards",
                    format_time(when), format_time(now_)));
  }
  now_ = when;
}

void VirtualClock::advance(Duration delta) {
  if (delta < Duration::zero()) {
    throw std::invalid_argument(fmt::format("VirtualClock::advance: negative delta {}", format_duration(delta)));
  }
  if (now_.time_since_epoch() > Duration::max() - delta) {
    throw std::invalid_argument(fmt::format("VirtualClock::advance: now {} + {} overflows the clock", format_time(now_),
                                            format_duration(delta)));
  }
  now_ += delta;
}

RealClock::RealClock() : zero_(std::chrono::steady_clock::now()) {}

TimePoint RealClock::now() const {
  return TimePoint{std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now() - zero_)};
}

void RealClock::wait_until(TimePoint deadline, Wakeup& wakeup) {
  // A condition-variable wait on steady_clock: no spinning. An early return is harmless: the
  // loop only fires timers whose deadline has really been reached.
  wakeup.wait_until(zero_ + deadline.time_since_epoch());
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

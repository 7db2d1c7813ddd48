// Clocks: where a loop's time comes from.
//
// simtime time is integer nanoseconds end to end: `Duration` is a signed 64-bit count of
// nanoseconds and `TimePoint` counts them from the clock's zero. A loop reads its clock
// through one small interface, and only the loop's idle step (nothing runnable) cares which
// kind of clock it has, asked once through `is_virtual()` when the loop is built:
//
//   * `VirtualClock` starts at zero and never moves on its own; when nothing is runnable the
//     loop jumps it straight to the next deadline, so no wall-clock time is ever spent
//     waiting. Its time stays readable after `run` returns.
//   * `RealClock` reads `std::chrono::steady_clock` (zero is the moment it was constructed)
//     and the idle step really waits, without spinning, until the next deadline.
//
// A clock of your own derives from `Clock` and says which kind it is (see `Clock`).
// Clocks are ordinary objects owned by the caller; a loop holds a reference to its clock for
// as long as it runs. A clock serves one loop at a time.
#pragma once

#include <fmt/format.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <iosfwd>
#include <mutex>
#include <string>
#include <string_view>

namespace simtime {

/// Signed 64-bit nanoseconds: the only duration type simtime computes with.
using Duration = std::chrono::nanoseconds;

class Clock;

/// A point on a loop's clock: exact nanoseconds since the clock's zero.
using TimePoint = std::chrono::time_point<Clock, Duration>;

/// Ends a loop's idle wait early from another thread (work finished on a worker thread, a
/// call_soon_threadsafe). A notification that arrives before the wait is not lost.
class Wakeup {
 public:
  /// Any thread.
  void notify();
  /// Waits until notified or until `deadline` on the steady clock; true if notified.
  bool wait_until(std::chrono::steady_clock::time_point deadline);
  /// Waits until notified.
  void wait();

 private:
  std::mutex mutex_;
  std::condition_variable notified_condition_;
  bool notified_ = false;
};

/// The interface between a loop and its time source. To write a clock of your own:
///
///   * `now()` returns the current time, never less than before;
///   * `wait_until(deadline, wakeup)` is called when nothing is runnable and `deadline` is
///     the earliest armed timer; it returns once `now() >= deadline`, or earlier if
///     `wakeup` is notified (an early return is harmless: the loop fires only timers whose
///     deadline has been reached, then asks again);
///   * `is_virtual()` says whether time moves only inside `wait_until`. The loop asks once,
///     when it is built. A virtual clock's `wait_until` jumps to the deadline at once, and
///     while work runs on worker threads (`to_thread`) the loop waits for that work without
///     calling `wait_until`, so the clock stands still. Any other clock is waited on,
///     timers and worker threads alike.
class Clock {
 public:
  // What std::chrono needs to use Clock as the epoch of TimePoint.
  using duration = Duration;
  using rep = Duration::rep;
  using period = Duration::period;
  using time_point = TimePoint;
  static constexpr bool is_steady = true;

  Clock() = default;
  Clock(const Clock&) = delete;
  Clock& operator=(const Clock&) = delete;
  virtual ~Clock() = default;

  /// The current time. Never decreases.
  [[nodiscard]] virtual TimePoint now() const = 0;

  /// Returns once `now() >= deadline`, or earlier if `wakeup` is notified.
  virtual void wait_until(TimePoint deadline, Wakeup& wakeup) = 0;

  /// True for a clock whose time moves only when the loop calls `wait_until`.
  [[nodiscard]] virtual bool is_virtual() const noexcept = 0;
};

/// Simulated time: starts at zero and jumps to the next deadline whenever the loop is idle.
class VirtualClock final : public Clock {
 public:
  VirtualClock() = default;

  [[nodiscard]] TimePoint now() const override { return now_; }
  void wait_until(TimePoint deadline, Wakeup&) override {
    if (deadline > now_) now_ = deadline;
  }
  [[nodiscard]] bool is_virtual() const noexcept override { return true; }

  /// Moves time forward to `when`, as the loop does when idle. Throws
  /// `std::invalid_argument` if `when` is earlier than `now()`: time never goes backwards.
  void advance_to(TimePoint when);

  /// Moves time forward by `delta` (>= 0). Throws `std::invalid_argument` on a negative
  /// delta or one that overflows the clock.
  void advance(Duration delta);

 private:
  TimePoint now_{};
};

/// Wall-clock time from `std::chrono::steady_clock`, measured from construction.
class RealClock final : public Clock {
 public:
  RealClock();

  [[nodiscard]] TimePoint now() const override;
  void wait_until(TimePoint deadline, Wakeup& wakeup) override;
  [[nodiscard]] bool is_virtual() const noexcept override { return false; }

 private:
  std::chrono::steady_clock::time_point zero_;
};

/// "5s", "1500ms", "250us", "7ns": the largest unit that represents `d` exactly.
[[nodiscard]] std::string format_duration(Duration d);

/// A time point printed as its offset from the clock's zero, e.g. "10s".
[[nodiscard]] std::string format_time(TimePoint t);

/// Lets GoogleTest and iostreams print time points readably.
std::ostream& operator<<(std::ostream& out, TimePoint t);

}  // namespace simtime

// `fmt::format("{}", 1500ms)` is "1500ms" and a TimePoint prints as its offset, "10s": the
// same words as format_duration, format_time and operator<< (one source of truth). GoogleTest
// prints a TimePoint through operator<<; a Duration is a std::chrono type, which it prints
// as a count only through the types of <chrono> (print `format_duration(d)` for a message).
template <>
struct fmt::formatter<simtime::Duration> : fmt::formatter<std::string_view> {
  template <class FormatContext>
  auto format(simtime::Duration d, FormatContext& context) const {
    return fmt::formatter<std::string_view>::format(simtime::format_duration(d), context);
  }
};
template <>
struct fmt::formatter<simtime::TimePoint> : fmt::formatter<std::string_view> {
  template <class FormatContext>
  auto format(simtime::TimePoint t, FormatContext& context) const {
    return fmt::formatter<std::string_view>::format(simtime::format_time(t), context);
  }
};

// Test support: a record of what happened when, on the running loop's clock.
#pragma once

#include <simtime/simtime.hpp>
#include <string>
#include <vector>

namespace simtime::test {

/// Lines "<time> <what>", in the order they were noted: comparing them with an expected
/// vector shows order and exact virtual times at once.
class Timeline {
 public:
  void note(const std::string& what) { lines_.push_back(format_time(simtime::now()) + " " + what); }
  [[nodiscard]] const std::vector<std::string>& lines() const { return lines_; }

 private:
  std::vector<std::string> lines_;
};

/// Sleeps for `delay`, then returns `value`: the work most tests await.
inline Coro<int> value_after(Duration delay, int value) {
  co_await sleep(delay);
  co_return value;
}

/// Sleeps for `delay`, then notes "<what> finished"; notes "<what> cancelled" if the sleep is
/// cancelled (and lets the cancellation go on).
inline Coro<> note_how_sleep_ends(Duration delay, Timeline& timeline, std::string what) {
  try {
    co_await sleep(delay);
  } catch (const CancelledError&) {
    timeline.note(what + " cancelled");
    throw;
  }
  timeline.note(what + " finished");
}

/// An exception handler that notes each report as "<task name>: <what()>".
inline ExceptionHandler note_reports(std::vector<std::string>& reports) {
  return [&reports](const UnretrievedException& report) {
    try {
      std::rethrow_exception(report.exception);
    } catch (const std::exception& error) {
      reports.push_back(report.task_name + ": " + error.what());
    } catch (const BaseException& error) {
      reports.push_back(report.task_name + ": " + error.what());
    }
  };
}

/// Counts live instances, to show that frames (and what they hold) are destroyed.
struct LiveCounter {
  static inline int live = 0;
  LiveCounter() { ++live; }
  LiveCounter(const LiveCounter&) { ++live; }
  LiveCounter& operator=(const LiveCounter&) = default;
  ~LiveCounter() { --live; }
};

}  // namespace simtime::test

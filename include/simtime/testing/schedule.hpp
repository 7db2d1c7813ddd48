// A schedule is data (issue 20, item 3; rule 21): the decisions of one run, a printable
// token for them, and Replay, the policy that re-runs them exactly.
//
// A run under any policy yields its decisions (Loop::schedule_decisions): the index chosen
// at each point where two or more tasks could step, 0 being FIFO's choice. Most are 0, so
// a token spells out only the others:
//
//     s1:41:7=1,19=2          41 decisions; decision 7 chose index 1, decision 19 index 2
//     s1:41                   41 decisions, all FIFO
//     s1:41:7=1:j1000000@42   the same, with timers made up to 1 ms late, jitter seed 42
//
// "s1" is the format's version. A token that is malformed, or that does not fit the
// program replaying it (it runs out, or names a task that is not there), is an error at
// the decision where it goes wrong, never a silently different schedule.
#pragma once

#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "simtime/schedule_policy.hpp"
#include "simtime/testing/timer_jitter.hpp"

namespace simtime::testing {

/// A malformed or foreign token; the message names the token and what is wrong with it.
class ScheduleTokenError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// A replayed schedule that does not fit the program: it ran out, chose a task that is not
/// there, or was not used up. The message names the decision.
class ScheduleMismatch : public std::runtime_error {
 public:
  ScheduleMismatch(std::uint64_t decision, const std::string& what) : std::runtime_error(what), decision_(decision) {}
  /// The decision (counting from 0) where the program and the schedule parted.
  [[nodiscard]] std::uint64_t decision() const noexcept { return decision_; }

 private:
  std::uint64_t decision_;
};

/// The decisions of one run, and the jitter it ran with, if any.
struct Schedule {
  std::vector<std::uint32_t> decisions;
  std::optional<Jitter> jitter;

  /// The token: "s1:<decisions>[:<decision>=<index>,...][:j<bound ns>@<seed>]".
  [[nodiscard]] std::string token() const;
  /// The schedule a token spells. Throws ScheduleTokenError naming the token and the fault.
  static Schedule parse(std::string_view token);
  /// How many decisions are not FIFO's.
  [[nodiscard]] std::size_t deviations() const noexcept;

  friend bool operator==(const Schedule&, const Schedule&) = default;
};

/// Takes exactly the decisions of `schedule`, and throws ScheduleMismatch at the first one
/// that does not fit: the program asks for more decisions than the schedule has, or the
/// index it names is not among the runnable tasks. After the run, `finish()` checks that
/// every decision was used.
class Replay final : public SchedulePolicy {
 public:
  explicit Replay(std::vector<std::uint32_t> decisions) : decisions_(std::move(decisions)) {}
  explicit Replay(const Schedule& schedule) : decisions_(schedule.decisions) {}
  std::size_t choose(const ScheduleChoice& choice) override;
  /// Throws ScheduleMismatch if the run took fewer decisions than the schedule has.
  void finish() const;

 private:
  std::vector<std::uint32_t> decisions_;
  std::uint64_t taken_ = 0;
};

}  // namespace simtime::testing

template <>
struct fmt::formatter<simtime::testing::Schedule> : fmt::formatter<std::string_view> {
  auto format(const simtime::testing::Schedule& schedule, fmt::format_context& context) const {
    return fmt::formatter<std::string_view>::format(schedule.token(), context);
  }
};

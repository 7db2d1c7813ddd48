// Timer jitter: a seeded fault-injection knob that makes timers late (issue 20, item 6).
//
// Real timers fire late, by varying amounts, and a program whose correctness rests on two
// sleeps of nearly the same length ending in their nominal order is wrong in production.
// TimerJitter wraps a schedule policy and delays each timer the program arms by a random
// amount in [0, bound]. A timer is only ever delayed: never earlier than asked (rule 18:
// a policy never fires a timer early), never earlier than now (the loop clamps), and a
// deadline at the clock's end stays there instead of overflowing. Off unless installed;
// explore installs it when ExploreOptions::jitter is above zero.
#pragma once

#include <cstddef>
#include <cstdint>

#include "simtime/clock.hpp"
#include "simtime/schedule_policy.hpp"
#include "simtime/testing/splitmix.hpp"

namespace simtime::testing {

/// A jitter setting: how late a timer may be, and the seed of the delays.
struct Jitter {
  Duration bound{0};
  std::uint64_t seed = 0;
  friend bool operator==(const Jitter&, const Jitter&) = default;
};

/// Delays every timer by up to `jitter.bound`; task order is `inner`'s.
class TimerJitter final : public SchedulePolicy {
 public:
  /// `inner` must outlive this. Throws std::invalid_argument when the bound is negative.
  TimerJitter(SchedulePolicy& inner, Jitter jitter);
  std::size_t choose(const ScheduleChoice& choice) override { return inner_->choose(choice); }
  TimePoint deadline_for(TimePoint requested, TimePoint now) override;

 private:
  SchedulePolicy* inner_;
  Duration bound_;
  SplitMix64 random_;
};

}  // namespace simtime::testing

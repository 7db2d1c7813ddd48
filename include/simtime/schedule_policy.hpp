// Schedule policies: who decides the order in which a turn's tasks step (rule 18).
//
// A loop steps the tasks that were runnable when a turn began in FIFO order (rule 13). A
// schedule policy, installed with `Loop::set_schedule`, chooses instead which of them steps
// next, every time two or more are left; that is all it may change. It never runs a task
// that is not runnable, never fires a timer early and never moves time. Timers due at one
// instant all fire before any task of the turn steps, so the order of the tasks they wake
// is the policy's choice too. Without a policy, or with one that always chooses 0, a run is
// the same as FIFO's, event for event.
//
// The policies that explore schedules (Fifo, RandomSchedule, Pct, Replay) live in
// simtime::testing; this is the interface they implement, and that a policy of one's own
// implements (priorities, say).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "simtime/clock.hpp"

namespace simtime {

/// One decision of a run: which of `candidates` steps next.
struct ScheduleChoice {
  /// `Task::id()` of each task still to step in this turn, in FIFO order (at least two).
  std::span<const std::uint64_t> candidates;
  /// The loop's time.
  TimePoint now;
  /// This decision's number in the run, counting from 0.
  std::uint64_t decision = 0;
};

/// Decides the order of a turn's tasks. Called on the loop's thread.
class SchedulePolicy {
 public:
  SchedulePolicy() = default;
  SchedulePolicy(const SchedulePolicy&) = delete;
  SchedulePolicy& operator=(const SchedulePolicy&) = delete;
  virtual ~SchedulePolicy() = default;

  /// The index, below `choice.candidates.size()`, of the task that steps next; 0 is the one
  /// FIFO order would take. An index out of range ends the run with std::out_of_range. It may
  /// throw, which ends the run the same way.
  virtual std::size_t choose(const ScheduleChoice& choice) = 0;

  /// The deadline a timer asked for `requested` gets (timer jitter); `requested` unless a
  /// policy overrides it. The loop never arms a timer earlier than `now`, whatever this says.
  virtual TimePoint deadline_for(TimePoint requested, TimePoint now) {
    (void)now;
    return requested;
  }
};

}  // namespace simtime

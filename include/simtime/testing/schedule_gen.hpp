// rapidcheck integration (issue 20, item 4): schedules as generated data, so that a failing
// property shrinks its schedule toward FIFO.
//
//     RC_GTEST_PROP(Bank, NoAccountIsOverdrawn, ()) {
//       const auto script = *simtime::testing::gen::schedule();
//       simtime::testing::check_schedule([] { return bank_day(); }, script);
//     }
//
// A ScheduleScript is a list of choices followed by FIFO (the Guided policy): every list
// fits every program, so rapidcheck can shrink it freely. Shrinking removes choices (fewer
// and earlier deviations) and lowers them toward 0 (FIFO's choice), so the counterexample
// it ends with is a small change to the default order. The failure message carries the
// exact token of the failing run: SIMTIME_SCHEDULE=<token> replays it in an exploring test.
#pragma once

#include <fmt/format.h>
#include <rapidcheck.h>

#include <cstdint>
#include <optional>
#include <ostream>
#include <utility>
#include <vector>

#include "simtime/loop.hpp"
#include "simtime/testing/explore.hpp"
#include "simtime/testing/policies.hpp"
#include "simtime/testing/schedule.hpp"

namespace simtime::testing {

/// The choices of a Guided run: decision k takes `choices[k]` modulo the runnable tasks.
struct ScheduleScript {
  std::vector<std::uint32_t> choices;
};

/// rapidcheck's printer (found by argument-dependent lookup): the deviations only.
inline void showValue(const ScheduleScript& script, std::ostream& out) {
  out << "ScheduleScript{";
  bool first = true;
  for (std::size_t i = 0; i < script.choices.size(); ++i) {
    if (script.choices[i] == 0) continue;
    out << (first ? "" : ", ") << i << "=" << script.choices[i];
    first = false;
  }
  out << "} (" << script.choices.size() << (script.choices.size() == 1 ? " choice" : " choices") << ", the rest FIFO)";
}

namespace gen {

/// Schedules that deviate from FIFO at about one decision in four, by an index below
/// `widest`; they shrink toward fewer, earlier and smaller deviations.
inline rc::Gen<ScheduleScript> schedule(std::uint32_t widest = 8) {
  // A deviation is a (kind, index) pair: kind 3 deviates, 0-2 keep FIFO. Shrinking the kind
  // toward 0 removes the deviation; shrinking the index moves it toward index 1.
  auto choice = rc::gen::map(
      rc::gen::pair(rc::gen::inRange<std::uint32_t>(0, 4), rc::gen::inRange<std::uint32_t>(1, widest < 2 ? 2 : widest)),
      [](const std::pair<std::uint32_t, std::uint32_t>& kind_index) {
        return kind_index.first == 3 ? kind_index.second : 0u;
      });
  return rc::gen::map(rc::gen::container<std::vector<std::uint32_t>>(std::move(choice)),
                      [](std::vector<std::uint32_t> choices) { return ScheduleScript{std::move(choices)}; });
}

}  // namespace gen

/// Runs `program` once under `script`; a run that fails fails the property (RC_FAIL) with
/// what it threw and the replay token of the exact schedule. Returns the schedule run.
inline Schedule check_schedule(const Program& program, const ScheduleScript& script,
                               const std::optional<RunLimits>& limits = {}) {
  Guided guided(script.choices);
  RunOutcome outcome = run_once(program, guided, {}, limits);
  if (outcome.failure) {
    RC_FAIL(fmt::format("{}\n  replay: SIMTIME_SCHEDULE={}", *outcome.failure, outcome.schedule.token()));
  }
  return std::move(outcome.schedule);
}

}  // namespace simtime::testing

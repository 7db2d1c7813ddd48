// gMock matchers over a Trace: what happened, in which order, at which virtual time.
//
//   EXPECT_THAT(trace, WokeInOrder("sleep 2", "sleep 5", "sleep 10"));
//   EXPECT_THAT(trace, HappenedBefore("request sent", "reply received"));
//   EXPECT_THAT(trace, HappenedAt("retry 2", 3s));
//   EXPECT_THAT(trace, ElapsedIs(10s));
//   EXPECT_THAT(trace, Events(marks_named("retry"), SizeIs(3)));
//
// A name is a mark's label (`mark("label")`) or, when no mark has it, a task's name:
//   * WokeInOrder takes a mark's first occurrence, or a task's first wake-up (the step after
//     its first wait ended);
//   * HappenedBefore and HappenedAt take a mark's first occurrence, or the end of a task.
// A name that is neither fails the match and says so, listing the marks and tasks seen.
// On a mismatch a matcher explains itself with the events concerned; GoogleTest prints the
// trace's timeline as the actual value.
#pragma once

#include <gmock/gmock.h>

#include <string>
#include <vector>

#include "simtime/clock.hpp"
#include "simtime/testing/trace.hpp"

namespace simtime::testing {

/// The named tasks woke up (or the named marks happened) in this order, each strictly after
/// the one before.
template <class... Names>
::testing::Matcher<const Trace&> WokeInOrder(const Names&... names);

/// `first` happened strictly before `second` (earlier in the trace's order: at an earlier
/// time, or at the same time but earlier in the turn).
::testing::Matcher<const Trace&> HappenedBefore(std::string first, std::string second);

/// `name` happened at virtual time `at` (measured from the clock's zero), exactly.
::testing::Matcher<const Trace&> HappenedAt(std::string name, Duration at);

/// The trace spans `elapsed` of virtual time, from its first event to its last, exactly.
::testing::Matcher<const Trace&> ElapsedIs(Duration elapsed);

/// The events `filter` selects match `events`, a matcher of std::vector<TraceEvent>.
::testing::Matcher<const Trace&> Events(EventFilter filter, ::testing::Matcher<const std::vector<TraceEvent>&> events);

// ---------------------------------------------------------------------------------------
// Implementation details
// ---------------------------------------------------------------------------------------
namespace detail {
::testing::Matcher<const Trace&> woke_in_order(std::vector<std::string> names);
}  // namespace detail

template <class... Names>
::testing::Matcher<const Trace&> WokeInOrder(const Names&... names) {
  return detail::woke_in_order(std::vector<std::string>{std::string(names)...});
}

}  // namespace simtime::testing

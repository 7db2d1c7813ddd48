// The gMock matchers over a Trace: each matches, explains a mismatch, and describes itself
// and its negation.
#include "simtime/testing/matchers.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <simtime/simtime.hpp>
#include <string>
#include <vector>

#include "simtime/testing/trace.hpp"

namespace {

using namespace std::chrono_literals;
using simtime::Coro;
using simtime::testing::ElapsedIs;
using simtime::testing::EventKind;
using simtime::testing::Events;
using simtime::testing::HappenedAt;
using simtime::testing::HappenedBefore;
using simtime::testing::Trace;
using simtime::testing::WokeInOrder;
using ::testing::Not;
using ::testing::SizeIs;

Coro<> sleeper(simtime::Duration delay) {
  co_await simtime::sleep(delay);
  simtime::testing::mark(fmt::format("awake {}", simtime::format_duration(delay)));
}

Coro<> tutorial() {
  auto two = simtime::create_task(sleeper(2s), "sleep 2");
  auto ten = simtime::create_task(sleeper(10s), "sleep 10");
  auto five = simtime::create_task(sleeper(5s), "sleep 5");
  co_await simtime::gather(two, ten, five);
}

class TraceMatchers : public ::testing::Test {
 protected:
  void SetUp() override {
    simtime::Loop loop(clock_);
    loop.set_trace(&trace_);
    loop.run(tutorial());
  }
  std::string explain(const ::testing::Matcher<const Trace&>& matcher) const {
    ::testing::StringMatchResultListener listener;
    matcher.MatchAndExplain(trace_, &listener);
    return listener.str();
  }
  static std::string describe(const ::testing::Matcher<const Trace&>& matcher, bool negation = false) {
    return ::testing::DescribeMatcher<const Trace&>(matcher, negation);
  }

  simtime::VirtualClock clock_;
  Trace trace_;
};

TEST_F(TraceMatchers, WokeInOrderMatchesTasksAndMarksInTheOrderTheyWoke) {
  EXPECT_THAT(trace_, WokeInOrder("sleep 2", "sleep 5", "sleep 10"));
  EXPECT_THAT(trace_, WokeInOrder("awake 2s", "sleep 5", "awake 10s"));
  EXPECT_THAT(trace_, Not(WokeInOrder("sleep 2", "sleep 10", "sleep 5")));
}

TEST_F(TraceMatchers, WokeInOrderExplainsWhichCameFirst) {
  EXPECT_EQ(explain(WokeInOrder("sleep 2", "sleep 10", "sleep 5")),
            "'sleep 5' came before 'sleep 10':\n"
            "  task 'sleep 2' woke at 2s (event 16)\n"
            "  task 'sleep 10' woke at 10s (event 24)\n"
            "  task 'sleep 5' woke at 5s (event 20)");
}

TEST_F(TraceMatchers, WokeInOrderDescribesItself) {
  EXPECT_EQ(describe(WokeInOrder("a", "b")), "woke in the order 'a', 'b'");
}

TEST_F(TraceMatchers, WokeInOrderDescribesItsNegation) {
  EXPECT_EQ(describe(WokeInOrder("a", "b"), true), "did not wake in the order 'a', 'b'");
}

TEST_F(TraceMatchers, NameTheMarksAndTasksSeenForANameThatNeverOccurs) {
  EXPECT_THAT(trace_, Not(WokeInOrder("sleep 2", "sleep 3")));
  EXPECT_EQ(explain(WokeInOrder("sleep 2", "sleep 3")),
            "no event named 'sleep 3'; marks seen: 'awake 2s', 'awake 5s', 'awake 10s'; tasks: 'Task-1', 'sleep 2', "
            "'sleep 10', 'sleep 5'");
  EXPECT_EQ(explain(HappenedAt("x", 1s)).substr(0, 20), "no event named 'x'; ");
}

TEST_F(TraceMatchers, HappenedBeforeComparesMarksAndTaskEnds) {
  EXPECT_THAT(trace_, HappenedBefore("awake 2s", "awake 5s"));
  EXPECT_THAT(trace_, HappenedBefore("sleep 10", "Task-1"));
  EXPECT_THAT(trace_, Not(HappenedBefore("awake 10s", "sleep 5")));
}

TEST_F(TraceMatchers, HappenedBeforeExplainsBothTimes) {
  EXPECT_EQ(explain(HappenedBefore("awake 10s", "sleep 5")),
            "mark 'awake 10s' at 10s (event 25), not before task 'sleep 5' ended at 5s (event 22)");
}

TEST_F(TraceMatchers, HappenedBeforeDescribesItself) {
  EXPECT_EQ(describe(HappenedBefore("a", "b")), "has 'a' happen before 'b'");
}

TEST_F(TraceMatchers, HappenedBeforeDescribesItsNegation) {
  EXPECT_EQ(describe(HappenedBefore("a", "b"), true), "does not have 'a' happen before 'b'");
}

TEST_F(TraceMatchers, HappenedAtMatchesTheExactVirtualTime) {
  EXPECT_THAT(trace_, HappenedAt("awake 5s", 5s));
  EXPECT_THAT(trace_, HappenedAt("sleep 10", 10s));
  EXPECT_THAT(trace_, Not(HappenedAt("awake 5s", 5s + 1ns)));
}

TEST_F(TraceMatchers, HappenedAtExplainsHowFarOffItWas) {
  EXPECT_EQ(explain(HappenedAt("awake 5s", 5500ms)), "mark 'awake 5s' at 5s (event 21), 500ms earlier than expected");
  EXPECT_EQ(explain(HappenedAt("sleep 2", 1s)), "task 'sleep 2' ended at 2s (event 18), 1s later than expected");
}

TEST_F(TraceMatchers, HappenedAtDescribesItself) {
  EXPECT_EQ(describe(HappenedAt("retry", 1500ms)), "has 'retry' happen at 1500ms");
}

TEST_F(TraceMatchers, HappenedAtDescribesItsNegation) {
  EXPECT_EQ(describe(HappenedAt("retry", 1500ms), true), "does not have 'retry' happen at 1500ms");
}

TEST_F(TraceMatchers, ElapsedIsMatchesTheSpanExactly) {
  EXPECT_THAT(trace_, ElapsedIs(10s));
  EXPECT_THAT(trace_, Not(ElapsedIs(10s - 1ns)));
}

TEST_F(TraceMatchers, ElapsedIsExplainsTheSpan) { EXPECT_EQ(explain(ElapsedIs(17s)), "it spans 10s, from 0s to 10s"); }

TEST_F(TraceMatchers, ElapsedIsDescribesItself) { EXPECT_EQ(describe(ElapsedIs(10s)), "spans exactly 10s"); }

TEST_F(TraceMatchers, ElapsedIsDescribesItsNegation) {
  EXPECT_EQ(describe(ElapsedIs(10s), true), "does not span exactly 10s");
}

TEST_F(TraceMatchers, EventsSelectsByTaskMarkAndKind) {
  EXPECT_THAT(trace_, Events(simtime::testing::marks_named("awake 5s"), SizeIs(1)));
  EXPECT_THAT(trace_, Events(simtime::testing::of_kind(EventKind::task_finished), SizeIs(4)));
  EXPECT_THAT(trace_, Events(simtime::testing::of_task("sleep 5"), SizeIs(8)));
  EXPECT_THAT(trace_, Not(Events(simtime::testing::of_task("nobody"), SizeIs(0))));
}

TEST_F(TraceMatchers, EventsExplainsWithTheSelectedEvents) {
  EXPECT_EQ(explain(Events(simtime::testing::marks_named("awake 5s"), SizeIs(2))),
            "selects 1 event\n  [21] 5s 'sleep 5' mark 'awake 5s'\nwhose size 1 doesn't match");
  EXPECT_EQ(explain(Events(simtime::testing::of_task("nobody"), SizeIs(0))).substr(0, 25), "no event named 'nobody'; ");
}

TEST_F(TraceMatchers, EventsDescribesItself) {
  EXPECT_EQ(describe(Events(simtime::testing::of_task("worker"), SizeIs(3))),
            "has events of task 'worker' matching: size is equal to 3");
}

TEST_F(TraceMatchers, EventsDescribesItsNegation) {
  EXPECT_EQ(describe(Events(simtime::testing::of_kind(EventKind::mark), SizeIs(3)), true),
            "has events of kind mark matching: size isn't equal to 3");
}

}  // namespace

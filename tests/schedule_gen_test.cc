// gen::schedule: rapidcheck explores schedules and shrinks a failing one toward FIFO.
#include "simtime/testing/schedule_gen.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <memory>
#include <simtime/simtime.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace simtime::testing {
namespace {

using ::testing::HasSubstr;

struct Counter {
  int value = 0;
};

// Four tasks increment a counter; the one made `racy` reads, yields, then writes, which
// loses an update if another task's write falls in between. It is created last, so in FIFO
// order every other write comes before its read: only a deviation from FIFO breaks it.
Coro<> increment(std::shared_ptr<Counter> counter, bool racy) {
  co_await sleep(Duration{0});
  if (racy) {
    const int read = counter->value;
    co_await sleep(Duration{0});
    counter->value = read + 1;
  } else {
    ++counter->value;
  }
}

Coro<> increments(bool racy) {
  auto counter = std::make_shared<Counter>();
  std::vector<Task<>> tasks;
  for (int i = 0; i < 3; ++i) tasks.push_back(create_task(increment(counter, false)));
  tasks.push_back(create_task(increment(counter, racy)));
  co_await gather(std::move(tasks));
  if (counter->value != 4) throw std::logic_error(fmt::format("lost an update: counter is {}", counter->value));
}

RC_GTEST_PROP(ScheduleGen, ACorrectProgramPassesEveryGeneratedSchedule, ()) {
  const ScheduleScript script = *gen::schedule();
  check_schedule([] { return increments(false); }, script);
}

TEST(ScheduleGen, ShrinksAFailureToOneDeviationAndPrintsItsToken) {
  rc::detail::TestParams params;
  params.seed = 1;
  params.maxSuccess = 200;
  const rc::detail::TestResult result = rc::detail::checkTestable(
      [] {
        const ScheduleScript script = *gen::schedule();
        check_schedule([] { return increments(true); }, script);
      },
      rc::detail::TestMetadata{}, params);
  rc::detail::FailureResult failure;
  ASSERT_TRUE(result.match(failure)) << "the race was not found";
  // The counterexample is a script whose only deviation is the one that breaks the program.
  ASSERT_EQ(failure.counterExample.size(), 1u);
  // Decision 0 chooses among the four increments; index 3 steps the racy one first.
  EXPECT_EQ(failure.counterExample[0].second, "ScheduleScript{0=3} (1 choice, the rest FIFO)");
  const std::string& text = failure.description;
  const std::size_t message = text.find("lost an update: counter is ");
  const std::size_t token = text.find("\n  replay: SIMTIME_SCHEDULE=");
  ASSERT_NE(message, std::string::npos) << text;
  ASSERT_NE(token, std::string::npos) << text;
  // The printed token replays the same failure, 100 times of 100, with one deviation from FIFO.
  const Schedule schedule =
      Schedule::parse(text.substr(token + std::string_view("\n  replay: SIMTIME_SCHEDULE=").size()));
  EXPECT_EQ(schedule.deviations(), 1u) << text;
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(replay([] { return increments(true); }, schedule).failure, text.substr(message, token - message))
        << "replay " << i;
  }
}

TEST(ScheduleGen, ShowsAScriptAsItsDeviations) {
  std::ostringstream out;
  showValue(ScheduleScript{{0, 2, 0, 1}}, out);
  EXPECT_EQ(out.str(), "ScheduleScript{1=2, 3=1} (4 choices, the rest FIFO)");
}

TEST(ScheduleGen, AnEmptyScriptIsFifo) {
  const Schedule schedule = check_schedule([] { return increments(true); }, ScheduleScript{});
  EXPECT_EQ(schedule.deviations(), 0u);
}

}  // namespace
}  // namespace simtime::testing

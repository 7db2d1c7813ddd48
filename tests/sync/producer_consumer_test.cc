// The producer/consumer example (examples/producer_consumer) on both clocks.
#include "examples/producer_consumer.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <simtime/simtime.hpp>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::StartsWith;

// What the kitchen prints, each line after the time it was printed at.
struct Printed {
  std::vector<std::string> lines;
  std::vector<simtime::TimePoint> times;
};

Printed run_kitchen(simtime::Clock& clock, simtime::Duration minute) {
  Printed printed;
  simtime::run(demo::kitchen(
                   [&](const std::string& line) {
                     printed.lines.push_back(line);
                     printed.times.push_back(simtime::now());
                   },
                   minute),
               clock);
  return printed;
}

const std::vector<std::string> kEvents = {
    "waiter takes order #1: soup",
    "waiter puts order #1 on the pass",
    "cook-1 cooks order #1: soup",
    "waiter takes order #2: steak",
    "waiter puts order #2 on the pass",
    "cook-2 cooks order #2: steak",
    "waiter takes order #3: salad",
    "waiter puts order #3 on the pass",
    "waiter takes order #4: pasta",  // the pass holds order #3: the waiter waits
    "cook-1 serves order #1: soup",
    "cook-1 cooks order #3: salad",
    "waiter puts order #4 on the pass",
    "waiter takes order #5: cake",
    "cook-2 serves order #2: steak",
    "cook-2 cooks order #4: pasta",
    "waiter puts order #5 on the pass",
    "cook-1 serves order #3: salad",
    "cook-1 cooks order #5: cake",
    "waiter takes order #6: tea",
    "waiter puts order #6 on the pass",
    "cook-2 serves order #4: pasta",
    "cook-2 cooks order #6: tea",
    "cook-1 serves order #5: cake",
    "cook-2 serves order #6: tea",
    "all 6 orders served",
    "cook-1 goes home",
    "cook-2 goes home",
};

TEST(ProducerConsumer, OnTheVirtualClockPrintsEveryEventAtItsExactTime) {
  simtime::VirtualClock clock;
  const Printed printed = run_kitchen(clock, 1s);
  std::vector<std::string> expected = kEvents;
  expected.push_back("kitchen closed after 8.3 minutes");
  EXPECT_THAT(printed.lines, ElementsAreArray(expected));
  ASSERT_EQ(printed.times.size(), expected.size());
  EXPECT_EQ(printed.times[8], simtime::TimePoint{4s});       // takes order #4...
  EXPECT_EQ(printed.times[11], simtime::TimePoint{4300ms});  // ...puts it once a cook took #3
  EXPECT_EQ(printed.times.back(), simtime::TimePoint{8300ms});
  EXPECT_EQ(clock.now(), simtime::TimePoint{8300ms});
}

TEST(ProducerConsumer, OnTheRealClockPrintsTheSameLines) {
  // A kitchen minute of 100 ms keeps the test under a second; events are at least 30 ms apart.
  simtime::RealClock clock;
  const Printed printed = run_kitchen(clock, 100ms);
  ASSERT_EQ(printed.lines.size(), kEvents.size() + 1);
  EXPECT_THAT(std::vector<std::string>(printed.lines.begin(), printed.lines.end() - 1), ElementsAreArray(kEvents));
  EXPECT_THAT(printed.lines.back(), StartsWith("kitchen closed after "));
  EXPECT_GE(clock.now(), simtime::TimePoint{830ms});
}

}  // namespace

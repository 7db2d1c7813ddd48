#include "simtime/schedule_policy.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <simtime/simtime.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace simtime {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;

// Chooses the last candidate every time, and remembers what it was asked.
class LastFirst final : public SchedulePolicy {
 public:
  std::size_t choose(const ScheduleChoice& choice) override {
    asked.push_back(
        fmt::format("#{} at {}: {}", choice.decision, format_time(choice.now), fmt::join(choice.candidates, ",")));
    return choice.candidates.size() - 1;
  }
  std::vector<std::string> asked;
};

class AlwaysFirst final : public SchedulePolicy {
 public:
  std::size_t choose(const ScheduleChoice&) override { return 0; }
};

// Notes its name when it starts, and again when it wakes at 1s.
Coro<> note(std::vector<std::string>& order, std::string name) {
  order.push_back(name);
  co_await sleep(1s);
  order.push_back(name);
}

Coro<> three_at_once(std::vector<std::string>& order) {
  co_await gather(create_task(note(order, "a")), create_task(note(order, "b")), create_task(note(order, "c")));
}

TEST(SchedulePolicy, ChoosesTheOrderOfATurnsTasksAndTheLoopRecordsEachDecision) {
  VirtualClock clock;
  Loop loop(clock);
  LastFirst policy;
  loop.set_schedule(&policy);
  std::vector<std::string> order;
  loop.run(three_at_once(order));
  // Tasks 2, 3 and 4 start in one turn, in the order c, b, a (two decisions: a single task
  // left is no choice), so their timers are armed, and fire at 1s, in that order; the
  // policy then reverses it again.
  EXPECT_THAT(order, ElementsAre("c", "b", "a", "a", "b", "c"));
  EXPECT_THAT(policy.asked, ElementsAre("#0 at 0s: 2,3,4", "#1 at 0s: 2,3", "#2 at 1s: 4,3,2", "#3 at 1s: 4,3"));
  EXPECT_THAT(loop.schedule_decisions(), ElementsAre(2, 1, 2, 1));
}

// The sequence of steps a run takes, as "task:finished" pairs.
std::vector<std::string> steps_of(SchedulePolicy* policy) {
  VirtualClock clock;
  Loop loop(clock);
  if (policy != nullptr) loop.set_schedule(policy);
  std::vector<std::string> steps;
  loop.set_step_observer(
      [&](const StepEvent& step) { steps.push_back(fmt::format("{}:{}", step.task_id, step.finished)); });
  std::vector<std::string> order;
  loop.run(three_at_once(order));
  steps.push_back(fmt::format("{}", fmt::join(order, ",")));
  return steps;
}

TEST(SchedulePolicy, AlwaysChoosingTheFirstIsTheRunWithoutAPolicyStepForStep) {
  AlwaysFirst fifo;
  const std::vector<std::string> without = steps_of(nullptr);
  EXPECT_EQ(steps_of(&fifo), without);
  EXPECT_EQ(without.back(), "a,b,c,a,b,c");
}

class OutOfRange final : public SchedulePolicy {
 public:
  std::size_t choose(const ScheduleChoice& choice) override { return choice.candidates.size() + 2; }
};

TEST(SchedulePolicy, AnIndexOutOfRangeEndsTheRunWithAClearErrorAndLeaksNothing) {
  const LiveObjects before = live_objects();
  {
    VirtualClock clock;
    Loop loop(clock);
    OutOfRange policy;
    loop.set_schedule(&policy);
    std::vector<std::string> order;
    try {
      loop.run(three_at_once(order));
      ADD_FAILURE() << "no error";
    } catch (const std::out_of_range& error) {
      EXPECT_STREQ(error.what(),
                   "schedule policy: decision 0 chose index 5, but 3 tasks were runnable (indexes 0 to 2)");
    }
  }
  EXPECT_EQ(live_objects(), before);
}

class LateByOneSecond final : public SchedulePolicy {
 public:
  std::size_t choose(const ScheduleChoice&) override { return 0; }
  TimePoint deadline_for(TimePoint requested, TimePoint) override { return requested + 1s; }
};

class InThePast final : public SchedulePolicy {
 public:
  std::size_t choose(const ScheduleChoice&) override { return 0; }
  TimePoint deadline_for(TimePoint, TimePoint) override { return TimePoint{-5s}; }
};

Coro<std::vector<TimePoint>> wake_times() {
  std::vector<TimePoint> woke;
  co_await sleep(2s);
  woke.push_back(now());
  co_await sleep(3s);
  woke.push_back(now());
  co_return woke;
}

TEST(SchedulePolicy, MayMoveADeadlineButNeverBeforeNow) {
  {
    VirtualClock clock;
    Loop loop(clock);
    LateByOneSecond policy;
    loop.set_schedule(&policy);
    EXPECT_THAT(loop.run(wake_times()), ElementsAre(TimePoint{3s}, TimePoint{7s}));
  }
  {
    VirtualClock clock;
    clock.advance_to(TimePoint{1s});
    Loop loop(clock);
    InThePast policy;
    loop.set_schedule(&policy);
    EXPECT_THAT(loop.run(wake_times()), ElementsAre(TimePoint{1s}, TimePoint{1s}));
  }
}

TEST(SchedulePolicy, CannotBeInstalledOnARunningLoop) {
  VirtualClock clock;
  AlwaysFirst policy;
  const std::string message = run(
      [](SchedulePolicy& p) -> Coro<std::string> {
        try {
          get_running_loop().set_schedule(&p);
        } catch (const std::logic_error& error) {
          co_return error.what();
        }
        co_return "no error";
      }(policy),
      clock);
  EXPECT_EQ(message, "Loop::set_schedule: the loop is running; install a schedule policy before run");
}

TEST(SchedulePolicy, ATraceCannotBeInstalledOnARunningLoopEither) {
  VirtualClock clock;
  const std::string message = run(
      []() -> Coro<std::string> {
        try {
          get_running_loop().set_trace(nullptr);
        } catch (const std::logic_error& error) {
          co_return error.what();
        }
        co_return "no error";
      }(),
      clock);
  EXPECT_EQ(message, "Loop::set_trace: the loop is running; install a trace before run");
}

}  // namespace
}  // namespace simtime

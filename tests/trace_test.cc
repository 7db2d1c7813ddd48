// simtime::testing::Trace: what a loop records into it, and how it reads back.
#include "simtime/testing/trace.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <simtime/simtime.hpp>
#include <sstream>
#include <stdexcept>
#include <streambuf>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
using simtime::Coro;
using simtime::TimePoint;
using simtime::testing::EventKind;
using simtime::testing::Outcome;
using simtime::testing::Trace;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

Coro<> sleeper(simtime::Duration delay, std::vector<std::string>* lines) {
  co_await simtime::sleep(delay);
  simtime::testing::mark(fmt::format("awake {}", simtime::format_duration(delay)));
  if (lines != nullptr) lines->push_back(fmt::format("{} at {}", simtime::format_duration(delay), simtime::now()));
}

Coro<> tutorial(std::vector<std::string>* lines = nullptr) {
  auto two = simtime::create_task(sleeper(2s, lines), "sleep 2");
  auto ten = simtime::create_task(sleeper(10s, lines), "sleep 10");
  auto five = simtime::create_task(sleeper(5s, lines), "sleep 5");
  co_await simtime::gather(two, ten, five);
}

std::vector<std::string> kinds_and_times(const Trace& trace, std::string_view task) {
  std::vector<std::string> out;
  for (const auto& event : trace.select(simtime::testing::of_task(task))) {
    out.push_back(fmt::format("{} {}", event.time, simtime::testing::to_string(event.kind)));
  }
  return out;
}

TEST(Trace, RecordsEveryEventOfATaskWithItsExactTime) {
  simtime::VirtualClock clock;
  simtime::Loop loop(clock);
  Trace trace;
  loop.set_trace(&trace);
  loop.run(tutorial());
  EXPECT_THAT(kinds_and_times(trace, "sleep 5"),
              ElementsAre("0s task_created", "0s step_began", "0s timer_armed", "0s step_ended", "5s timer_fired",
                          "5s step_began", "5s mark", "5s task_finished"));
  EXPECT_EQ(trace.end_time(), TimePoint{10s});
  EXPECT_EQ(trace.elapsed(), 10s);
}

TEST(Trace, NumbersEventsInOrderFromZero) {
  simtime::VirtualClock clock;
  simtime::Loop loop(clock);
  Trace trace;
  loop.set_trace(&trace);
  loop.run(tutorial());
  const auto events = trace.events();
  ASSERT_FALSE(events.empty());
  for (std::size_t i = 0; i < events.size(); ++i) EXPECT_EQ(events[i].sequence, i);
  EXPECT_THROW((void)trace.event(events.size()), std::out_of_range);
}

TEST(Trace, KeepsASleepAsItsDeadline) {
  simtime::VirtualClock clock;
  simtime::Loop loop(clock);
  Trace trace;
  loop.set_trace(&trace);
  loop.run(tutorial());
  const auto ended = trace.select({EventKind::step_ended, "sleep 10", {}});
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].deadline, TimePoint{10s});
  EXPECT_TRUE(ended[0].text.empty());
  EXPECT_EQ(ended[0].wait_reason(), "sleep until 10s");
}

TEST(Trace, SaysWhatATaskWaitsOnInTheWordsOfTheDeadlockReport) {
  simtime::VirtualClock clock;
  simtime::Loop loop(clock);
  Trace trace;
  loop.set_trace(&trace);
  loop.run(tutorial());
  const auto ended = trace.select({EventKind::step_ended, "Task-1", {}});
  ASSERT_FALSE(ended.empty());
  EXPECT_THAT(ended[0].wait_reason(), HasSubstr("gather of 3 tasks, waiting for 'sleep 2', 'sleep 10', 'sleep 5'"));
}

TEST(Trace, ChangesNothingInTheRun) {
  std::vector<std::string> without;
  std::vector<std::string> with;
  simtime::VirtualClock plain_clock;
  simtime::run(tutorial(&without), plain_clock);
  simtime::VirtualClock clock;
  simtime::Loop loop(clock);
  Trace trace;
  loop.set_trace(&trace);
  loop.run(tutorial(&with));
  EXPECT_EQ(with, without);
  EXPECT_EQ(clock.now(), plain_clock.now());
}

Coro<> fails() {
  co_await simtime::sleep(1s);
  throw std::runtime_error("disk full");
}

Coro<> waits_forever() { co_await simtime::sleep(1h); }

Coro<> ends_three_ways() {
  auto failing = simtime::create_task(fails(), "failing");
  auto cancelled = simtime::create_task(waits_forever(), "cancelled");
  co_await simtime::sleep(2s);
  cancelled.cancel();
  try {
    co_await failing;
  } catch (const std::runtime_error&) {
  }
  try {
    co_await cancelled;
  } catch (const simtime::CancelledError&) {
  }
}

TEST(Trace, RecordsHowEachTaskEnded) {
  simtime::VirtualClock clock;
  simtime::Loop loop(clock);
  Trace trace;
  loop.set_trace(&trace);
  loop.run(ends_three_ways());
  std::vector<std::string> ends;
  for (const auto& event : trace.select(simtime::testing::of_kind(EventKind::task_finished))) {
    ends.push_back(fmt::format("{} {} {} {}", event.task_name, event.time, simtime::testing::to_string(event.outcome),
                               event.text));
  }
  EXPECT_THAT(ends, ElementsAre("failing 1s threw disk full", "cancelled 2s cancelled ", "Task-1 2s returned "));
  const auto cancels = trace.select(simtime::testing::of_kind(EventKind::cancel_requested));
  ASSERT_EQ(cancels.size(), 1u);
  EXPECT_EQ(cancels[0].task_name, "cancelled");
  EXPECT_EQ(cancels[0].by_task, 1u);
}

TEST(Trace, RefusesASecondLoopWhileInstalledOnOne) {
  simtime::VirtualClock clock;
  simtime::Loop first(clock);
  simtime::VirtualClock other_clock;
  simtime::Loop second(other_clock);
  Trace trace;
  first.set_trace(&trace);
  try {
    second.set_trace(&trace);
    FAIL() << "installed on two loops";
  } catch (const std::logic_error& error) {
    EXPECT_STREQ(error.what(),
                 "Loop::set_trace: this trace is installed on another loop; a trace serves one loop at a time "
                 "(remove it there with set_trace(nullptr) first)");
  }
  first.set_trace(nullptr);
  second.set_trace(&trace);  // free again
}

TEST(Trace, CanServeAnotherLoopOnceTheFirstIsGone) {
  Trace trace;
  {
    simtime::VirtualClock clock;
    simtime::Loop loop(clock);
    loop.set_trace(&trace);
    loop.run(waits_forever());
  }
  simtime::VirtualClock clock;
  simtime::Loop loop(clock);
  loop.set_trace(&trace);
  loop.run(waits_forever());
  EXPECT_EQ(trace.end_time(), TimePoint{1h});
}

Coro<> installs_a_trace(simtime::Loop& loop, Trace& trace) {
  loop.set_trace(&trace);
  co_return;
}

TEST(Trace, CannotBeInstalledWhileTheLoopRuns) {
  simtime::VirtualClock clock;
  simtime::Loop loop(clock);
  Trace trace;
  EXPECT_THROW(loop.run(installs_a_trace(loop, trace)), std::logic_error);
}

TEST(Trace, MarkOutsideARunningLoopIsAnError) { EXPECT_THROW(simtime::testing::mark("nowhere"), std::runtime_error); }

TEST(Trace, MarkWithoutATraceDoesNothing) {
  simtime::VirtualClock clock;
  simtime::run(tutorial(), clock);
  EXPECT_EQ(clock.now(), TimePoint{10s});
}

Coro<> sleeps_often(int times) {
  for (int i = 0; i < times; ++i) co_await simtime::sleep(1ms);
}

TEST(Trace, HoldsFewBytesPerEventInALongRun) {
  simtime::VirtualClock clock;
  simtime::Loop loop(clock);
  Trace trace;
  loop.set_trace(&trace);
  loop.run(sleeps_often(10'000));
  EXPECT_GT(trace.size(), 40'000u);
  EXPECT_LT(trace.bytes_per_event(), 36.0);
}

TEST(TraceTimeline, ShowsOneRowPerTaskWithinOneHundredColumns) {
  simtime::VirtualClock clock;
  simtime::Loop loop(clock);
  Trace trace;
  loop.set_trace(&trace);
  loop.run(tutorial());
  const std::string timeline = trace.timeline();
  std::istringstream lines(timeline);
  std::vector<std::string> rows;
  for (std::string line; std::getline(lines, line);) {
    EXPECT_LE(line.size(), 100u) << line;
    rows.push_back(line);
  }
  ASSERT_GE(rows.size(), 6u);
  EXPECT_THAT(rows[0], HasSubstr("timeline 0s .. 10s, 4 tasks"));
  EXPECT_THAT(rows[2], ::testing::StartsWith("Task-1"));
  EXPECT_THAT(rows[2], ::testing::EndsWith("R  returned at 10s"));
  EXPECT_THAT(rows[3], ::testing::StartsWith("sleep 2  *------------R "));
  EXPECT_THAT(rows[3], ::testing::EndsWith(" returned at 2s"));
  EXPECT_THAT(timeline, HasSubstr("marks: 'awake 2s' at 2s in 'sleep 2', 'awake 5s' at 5s in 'sleep 5'"));
}

Coro<> twenty_tasks() {
  std::vector<simtime::Task<>> tasks;
  for (int i = 1; i <= 20; ++i) {
    tasks.push_back(simtime::create_task(sleeper(i * 100ms, nullptr), fmt::format("worker number {}", i)));
  }
  co_await simtime::gather(tasks);
}

TEST(TraceTimeline, FitsTwentyTasksInOneHundredColumns) {
  simtime::VirtualClock clock;
  simtime::Loop loop(clock);
  Trace trace;
  loop.set_trace(&trace);
  loop.run(twenty_tasks());
  const std::string timeline = fmt::format("{}", trace);
  EXPECT_EQ(timeline, trace.timeline());
  std::istringstream lines(timeline);
  int rows = 0;
  for (std::string line; std::getline(lines, line); ++rows) EXPECT_LE(line.size(), 100u) << line;
  EXPECT_GE(rows, 23);
  EXPECT_THAT(timeline, HasSubstr("worker number 20"));
}

TEST(TraceTimeline, IsWhatGoogleTestPrints) {
  simtime::VirtualClock clock;
  simtime::Loop loop(clock);
  Trace trace;
  loop.set_trace(&trace);
  loop.run(tutorial());
  EXPECT_EQ(::testing::PrintToString(trace), "\n" + trace.timeline());
}

TEST(TraceEvent, PrintsAsOneLine) {
  simtime::VirtualClock clock;
  simtime::Loop loop(clock);
  Trace trace;
  loop.set_trace(&trace);
  loop.run(tutorial());
  const auto ended = trace.select({EventKind::step_ended, "sleep 10", {}});
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(fmt::format("{}", ended[0]),
            fmt::format("[{}] 0s 'sleep 10' step_ended: sleep until 10s", ended[0].sequence));
  EXPECT_EQ(::testing::PrintToString(ended[0]), fmt::format("{}", ended[0]));
}

TEST(TraceChromeJson, NamesThePathAndTheErrorWhenItCannotWrite) {
  Trace trace;
  try {
    trace.write_chrome_json("/nonexistent-directory/run.json");
    FAIL() << "wrote into a directory that does not exist";
  } catch (const std::runtime_error& error) {
    EXPECT_STREQ(error.what(),
                 "Trace::write_chrome_json: cannot open '/nonexistent-directory/run.json' for writing: No such file "
                 "or directory");
  }
}

TEST(TraceChromeJson, StreamsWhatToChromeJsonReturns) {
  simtime::VirtualClock clock;
  simtime::Loop loop(clock);
  Trace trace;
  loop.set_trace(&trace);
  loop.run(twenty_tasks());
  std::ostringstream out;
  trace.write_chrome_json(out);
  EXPECT_EQ(out.str(), trace.to_chrome_json());
  EXPECT_THAT(out.str(),
              HasSubstr(R"({"ph":"M","pid":1,"tid":21,"name":"thread_name","args":{"name":"worker number 20"}})"));
  EXPECT_THAT(out.str(), HasSubstr(R"("tid":2,"ts":0.000,"dur":100000.000,"name":"sleep until 100ms","cat":"wait")"));
}

// Counts what is written, and the largest single write.
class CountingBuffer : public std::streambuf {
 public:
  std::size_t total = 0;
  std::size_t largest_write = 0;

 protected:
  std::streamsize xsputn(const char*, std::streamsize count) override {
    total += static_cast<std::size_t>(count);
    largest_write = std::max(largest_write, static_cast<std::size_t>(count));
    return count;
  }
  int_type overflow(int_type c) override {
    ++total;
    return c;
  }
};

TEST(TraceChromeJson, StreamsAMillionEventsInSmallWrites) {
  simtime::VirtualClock clock;
  simtime::Loop loop(clock);
  Trace trace;
  loop.set_trace(&trace);
  loop.run(sleeps_often(250'000));
  ASSERT_GE(trace.size(), 1'000'000u);
  EXPECT_LT(trace.bytes_per_event(), 33.0);
  CountingBuffer buffer;
  std::ostream out(&buffer);
  trace.write_chrome_json(out);
  EXPECT_GT(buffer.total, 10'000'000u);
  EXPECT_LT(buffer.largest_write, 100'000u) << "the writer holds one small buffer, not the whole text";
}

}  // namespace

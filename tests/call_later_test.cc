#include "simtime/call_later.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <simtime/simtime.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/timeline.hpp"

namespace simtime {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;

Coro<std::vector<std::string>> schedule_callbacks() {
  std::vector<std::string> seen;
  auto note = [&seen](std::string what) {
    return [&seen, what] { seen.push_back(what + " at " + format_time(now())); };
  };
  call_later(2s, note("later 2s"));
  call_at(TimePoint{1s}, note("at 1s"));
  call_later(2s, note("later 2s, second"));
  TimerHandle dropped = call_later(1500ms, note("cancelled"));
  call_soon(note("soon"));
  seen.push_back("scheduled");
  EXPECT_EQ(dropped.when(), TimePoint{1500ms});
  EXPECT_TRUE(dropped.cancel());
  co_await sleep(0s);
  seen.push_back("after one turn");
  co_await sleep(3s);
  EXPECT_TRUE(dropped.cancelled());
  EXPECT_FALSE(dropped.cancel()) << "cancelling twice";
  co_return seen;
}

TEST(CallLater, RunsEachCallbackAtItsTimeInTheOrderScheduled) {
  VirtualClock clock;
  EXPECT_THAT(run(schedule_callbacks(), clock), ElementsAre("scheduled", "soon at 0s", "after one turn", "at 1s at 1s",
                                                            "later 2s at 2s", "later 2s, second at 2s"));
}

TEST(CallLater, APendingCallbackKeepsTheLoopFromADeadlock) {
  VirtualClock clock;
  const std::string seen = run(
      []() -> Coro<std::string> {
        Event ready;
        call_later(5s, [&ready] { ready.set(); });
        co_await ready.wait();
        co_return "woken at " + format_time(now());
      }(),
      clock);
  EXPECT_EQ(seen, "woken at 5s");
}

TEST(CallLater, AnExceptionFromACallbackGoesToTheExceptionHandler) {
  VirtualClock clock;
  Loop loop(clock);
  std::vector<std::string> reports;
  loop.set_exception_handler(test::note_reports(reports));
  loop.run([]() -> Coro<> {
    call_later(1s, [] { throw std::runtime_error("callback failed"); });
    co_await sleep(2s);
  }());
  EXPECT_THAT(reports, ElementsAre("call_later: callback failed"));
}

TEST(CallLater, SaysWhatWasWrong) {
  EXPECT_THROW(call_soon([] {}), std::runtime_error);
  try {
    call_later(1s, [] {});
    ADD_FAILURE() << "no error";
  } catch (const std::runtime_error& error) {
    EXPECT_STREQ(error.what(), "call_later: no running event loop (call it from a coroutine run by simtime::run)");
  }
  VirtualClock clock;
  clock.advance_to(TimePoint{5s});
  const std::string message = run(
      []() -> Coro<std::string> {
        try {
          call_later(Duration::max(), [] {});
        } catch (const std::invalid_argument& error) {
          co_return error.what();
        }
        co_return "no error";
      }(),
      clock);
  EXPECT_EQ(message, "call_later: now 5s + 9223372036854775807ns overflows the clock");
}

}  // namespace
}  // namespace simtime

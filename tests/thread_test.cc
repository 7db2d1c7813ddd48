#include "simtime/thread.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <simtime/simtime.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "tests/timeline.hpp"

namespace simtime {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;

int blocking_add(int a, int b, std::chrono::milliseconds wall_time) {
  std::this_thread::sleep_for(wall_time);
  return a + b;
}

TEST(ToThread, ReturnsTheFunctionsResultWithoutMovingVirtualTime) {
  VirtualClock clock;
  auto body = []() -> Coro<int> { co_return co_await to_thread(blocking_add, 2, 3, 1ms); };
  EXPECT_EQ(run(body(), clock), 5);
  EXPECT_EQ(clock.now(), TimePoint{});
}

TEST(ToThread, RethrowsTheFunctionsException) {
  VirtualClock clock;
  auto body = []() -> Coro<std::string> {
    try {
      co_await to_thread([] { throw std::out_of_range("from the worker"); });
    } catch (const std::out_of_range& error) {
      co_return error.what();
    }
    co_return "no error";
  };
  EXPECT_EQ(run(body(), clock), "from the worker");
}

TEST(ToThread, RunsOnAnotherThreadAndMovesMoveOnlyArguments) {
  VirtualClock clock;
  const auto loop_thread = std::this_thread::get_id();
  auto body = [loop_thread]() -> Coro<bool> {
    auto box = std::make_unique<int>(7);
    const bool elsewhere = co_await to_thread(
        [loop_thread](std::unique_ptr<int> value) { return *value == 7 && std::this_thread::get_id() != loop_thread; },
        std::move(box));
    co_return elsewhere;
  };
  EXPECT_TRUE(run(body(), clock));
}

TEST(ToThread, KeepsWhatTheFunctionCapturesAliveExactlyAsLongAsNeeded) {
  VirtualClock clock;
  auto shared = std::make_shared<int>(5);
  long users_inside_the_job = 0;
  {
    auto body = [shared]() -> Coro<long> {
      // Named first: g++ 12 releases a capture twice when a capturing lambda is written
      // inside a co_await expression (a compiler bug, see thread.hpp).
      auto count_users = [shared] { return shared.use_count(); };
      co_return co_await to_thread(count_users);
    };
    users_inside_the_job = run(body(), clock);
  }
  EXPECT_GE(users_inside_the_job, 3);  // here, the body's capture, the job's copy
  EXPECT_EQ(shared.use_count(), 1) << "every copy made for the job is gone, none released twice";
}

// The example: virtual time does not advance while work is out on a thread.
TEST(ToThread, ABlockingJobUnderATimeLimitNeverTimesOutOnTheVirtualClock) {
  VirtualClock clock;
  auto body = []() -> Coro<int> { co_return co_await wait_for(to_thread(blocking_add, 1, 1, 50ms), 100ms); };
  EXPECT_EQ(run(body(), clock), 2);
  EXPECT_EQ(clock.now(), TimePoint{});
}

Coro<> note_after(Duration delay, test::Timeline& timeline, std::string what) {
  co_await sleep(delay);
  timeline.note(what);
}

TEST(ToThread, DueTimersWaitUntilTheJobReportsBack) {
  VirtualClock clock;
  test::Timeline timeline;
  auto body = [&]() -> Coro<> {
    auto sleeper = create_task(note_after(10ms, timeline, "sleeper woke"));
    const int value = co_await to_thread(blocking_add, 20, 22, 30ms);
    timeline.note("job gave " + std::to_string(value));
    co_await sleeper;
  };
  run(body(), clock);
  EXPECT_THAT(timeline.lines(), ElementsAre("0s job gave 42", "10ms sleeper woke"));
}

TEST(ToThread, OutsideWorkIsNotADeadlock) {
  VirtualClock clock;
  auto body = []() -> Coro<std::size_t> {
    auto& loop = get_running_loop();
    auto job = create_task(to_thread(blocking_add, 0, 0, 20ms));
    co_await sleep(0s);  // the job has started: it is counted
    const std::size_t out = loop.outside_work_count();
    co_await job;  // nothing runnable, no timer: only the job can wake us
    co_return out * 10 + loop.outside_work_count();
  };
  EXPECT_EQ(run(body(), clock), 10u);
}

TEST(ToThread, CancellingTheAwaiterStopsWaitingAndRunWaitsForTheJob) {
  VirtualClock clock;
  auto finished = std::make_shared<std::atomic<bool>>(false);
  auto body = [finished]() -> Coro<std::string> {
    auto waiting = create_task(to_thread([finished] {
      std::this_thread::sleep_for(30ms);
      finished->store(true);
    }));
    co_await sleep(0s);
    waiting.cancel();
    try {
      co_await waiting;
    } catch (const CancelledError&) {
      co_return std::string("cancelled, job finished: ") + (finished->load() ? "yes" : "no");
    }
    co_return "not cancelled";
  };
  EXPECT_EQ(run(body(), clock), "cancelled, job finished: no");
  EXPECT_TRUE(finished->load()) << "run returns only once the job has ended";
}

TEST(CallSoonThreadsafe, RunsTheCallbackOnTheLoopThreadAndWakesTheLoop) {
  RealClock clock;
  std::thread poster;
  std::thread::id ran_on;
  auto body = [&]() -> Coro<std::string> {
    auto& loop = get_running_loop();
    auto sleeper = create_task([]() -> Coro<> { co_await sleep(1h); }());
    // Task handles belong to the loop's thread: the other thread only carries a pointer.
    Task<>* target = &sleeper;
    poster = std::thread([&loop, &ran_on, target] {
      std::this_thread::sleep_for(10ms);
      loop.call_soon_threadsafe([&ran_on, target] {
        ran_on = std::this_thread::get_id();
        target->cancel();
      });
    });
    try {
      co_await sleeper;
    } catch (const CancelledError&) {
      co_return "woken";
    }
    co_return "slept an hour";
  };
  EXPECT_EQ(run(body(), clock), "woken");
  poster.join();
  EXPECT_EQ(ran_on, std::this_thread::get_id());
  EXPECT_LT(clock.now(), TimePoint{10s});
}

}  // namespace
}  // namespace simtime

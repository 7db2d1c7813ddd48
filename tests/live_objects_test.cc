#include "simtime/live_objects.hpp"

#include <gtest/gtest.h>

#include <simtime/simtime.hpp>

namespace simtime {
namespace {

using namespace std::chrono_literals;

Coro<> wait_on(Task<>* other) { co_await *other; }

TEST(LiveObjects, CountsFramesTasksAndTimersWhileTheyLive) {
  const LiveObjects before = live_objects();
  VirtualClock clock;
  LiveObjects during;
  auto body = [&]() -> Coro<> {
    auto sleeper = create_task([]() -> Coro<> { co_await sleep(5s); }());
    co_await sleep(1s);
    during = live_objects();
    co_await sleeper;
  };
  run(body(), clock);
  EXPECT_EQ(during.tasks - before.tasks, 2u);    // main and the sleeper
  EXPECT_EQ(during.timers - before.timers, 1u);  // the sleeper's
  EXPECT_GE(during.frames - before.frames, 2u);
  EXPECT_EQ(live_objects(), before);
}

TEST(LiveObjects, AHundredThousandTasksThatCanNeverFinishAreDestroyedWithEveryFrame) {
  const LiveObjects before = live_objects();
  VirtualClock clock;
  auto body = []() -> Coro<std::size_t> {
    // Two tasks waiting on each other, and a hundred thousand waiting on them: cancelling
    // them at the end of run can never finish them, so run destroys them.
    Task<> first, second;
    first = create_task(wait_on(&second));
    second = create_task(wait_on(&first));
    for (int i = 0; i < 100'000; ++i) create_task(wait_on(&first));
    co_await sleep(1s);
    co_return get_running_loop().unfinished_task_count();
  };
  EXPECT_EQ(run(body(), clock), 100'003u);
  EXPECT_EQ(live_objects(), before);
}

}  // namespace
}  // namespace simtime

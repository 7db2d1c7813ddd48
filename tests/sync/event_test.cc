#include "simtime/sync/event.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <simtime/simtime.hpp>
#include <string>
#include <vector>

#include "tests/sync/scenarios.hpp"
#include "tests/timeline.hpp"

namespace simtime {
namespace {

using namespace std::chrono_literals;
using test::state_of;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

Coro<> wait_and_note(Event& event, test::Timeline& timeline, std::string who) {
  co_await event.wait();
  timeline.note(who + " woke");
}

// CPython test_locks.py EventTests.test_wait.
Coro<> set_wakes_every_waiter(test::Timeline& timeline) {
  Event event;
  auto first = create_task(wait_and_note(event, timeline, "1"));
  auto second = create_task(wait_and_note(event, timeline, "2"));
  co_await sleep(0s);
  timeline.note("both waiting");
  auto third = create_task(wait_and_note(event, timeline, "3"));  // starts after set(): no wait
  event.set();
  co_await gather(first, second, third);
}

TEST(Event, SetWakesEveryWaiterInTheOrderTheyStartedWaiting) {
  VirtualClock clock;
  test::Timeline timeline;
  run(set_wakes_every_waiter(timeline), clock);
  // The third task was scheduled (by create_task) before set() scheduled the two waiters.
  EXPECT_THAT(timeline.lines(), ElementsAre("0s both waiting", "0s 3 woke", "0s 1 woke", "0s 2 woke"));
}

Coro<> set_later(Event& event, Duration delay) {
  co_await sleep(delay);
  event.set();
}

Coro<> woken_at_the_instant_of_set(test::Timeline& timeline) {
  Event event("ready");
  auto waiter = create_task(wait_and_note(event, timeline, "waiter"));
  auto setter = create_task(set_later(event, 5s));
  co_await gather(waiter, setter);
}

TEST(Event, AWaiterWakesAtTheVirtualInstantOfSet) {
  VirtualClock clock;
  test::Timeline timeline;
  run(woken_at_the_instant_of_set(timeline), clock);
  EXPECT_THAT(timeline.lines(), ElementsAre("5s waiter woke"));
  EXPECT_EQ(clock.now(), TimePoint{5s});
}

// CPython EventTests.test_wait_on_set; rule 14.
Coro<std::string> wait_on_a_set_event() {
  Event event;
  event.set();
  co_await event.wait();  // must not give the other task a turn
  co_return "after waiting on a set event";
}

TEST(Event, WaitingOnASetEventDoesNotSuspend) {
  EXPECT_THAT(test::run_ahead_of_another_task(wait_on_a_set_event()),
              ElementsAre("0s after waiting on a set event", "0s other task ran"));
}

// CPython EventTests.test_clear.
TEST(Event, IsSetFollowsSetAndClear) {
  Event event;
  EXPECT_FALSE(event.is_set());
  event.set();
  EXPECT_TRUE(event.is_set());
  event.set();
  EXPECT_TRUE(event.is_set());
  event.clear();
  EXPECT_FALSE(event.is_set());
}

// CPython EventTests.test_clear_with_waiters.
Coro<std::vector<std::string>> clear_right_after_set(test::Timeline& timeline) {
  Event event;
  auto waiter = create_task(wait_and_note(event, timeline, "waiter"));
  co_await sleep(0s);
  event.set();
  event.clear();
  std::vector<std::string> seen{event.is_set() ? "set" : "clear", fmt::format("{}", event)};
  co_await sleep(0s);
  seen.push_back(waiter.done() ? "waiter done" : "waiter blocked");
  co_return seen;
}

TEST(Event, ClearRightAfterSetDoesNotUnwakeTheWokenWaiters) {
  VirtualClock clock;
  test::Timeline timeline;
  const auto seen = run(clear_right_after_set(timeline), clock);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0], "clear");
  EXPECT_THAT(seen[1], HasSubstr("[unset]"));  // the woken waiter no longer counts as waiting
  EXPECT_EQ(seen[2], "waiter done");
  EXPECT_THAT(timeline.lines(), ElementsAre("0s waiter woke"));
}

// Cancellation at each point around the wake: before set(), after set() in the same turn,
// and after the waiter ran.
enum class CancelPoint { before_set, after_set_same_turn, after_it_ran };

Coro<std::string> cancel_event_waiter(CancelPoint point, test::Timeline& timeline) {
  Event event("flag");
  auto victim = create_task(wait_and_note(event, timeline, "victim"));
  auto other = create_task(wait_and_note(event, timeline, "other"));
  co_await sleep(1s);
  if (point == CancelPoint::before_set) victim.cancel();
  event.set();
  if (point == CancelPoint::after_set_same_turn) victim.cancel();
  co_await sleep(1s);
  if (point == CancelPoint::after_it_ran) victim.cancel();
  co_await other;
  const std::string victim_ended = co_await test::how_it_ends(victim);
  co_return fmt::format("victim {}, {}", victim_ended, state_of(event));
}

TEST(Event, AWaiterCancelledBeforeSetLeavesTheQueueAndThrowsCancelledError) {
  VirtualClock clock;
  test::Timeline timeline;
  EXPECT_EQ(run(cancel_event_waiter(CancelPoint::before_set, timeline), clock), "victim cancelled, [set]");
  EXPECT_THAT(timeline.lines(), ElementsAre("1s other woke"));
}

TEST(Event, AWaiterCancelledAfterSetButBeforeItRanThrowsCancelledError) {
  VirtualClock clock;
  test::Timeline timeline;
  EXPECT_EQ(run(cancel_event_waiter(CancelPoint::after_set_same_turn, timeline), clock), "victim cancelled, [set]");
  EXPECT_THAT(timeline.lines(), ElementsAre("1s other woke"));
}

TEST(Event, AWaiterCancelledAfterItRanIsNotAffected) {
  VirtualClock clock;
  test::Timeline timeline;
  EXPECT_EQ(run(cancel_event_waiter(CancelPoint::after_it_ran, timeline), clock), "victim returned, [set]");
  EXPECT_THAT(timeline.lines(), ElementsAre("1s victim woke", "1s other woke"));
}

int deadlock_event_line = 0;
int deadlock_wait_line = 0;

Coro<> wait_for_a_set_nobody_makes() {
  deadlock_event_line = __LINE__ + 1;
  Event ready("ready");
  deadlock_wait_line = __LINE__ + 1;
  co_await ready.wait();
}

TEST(Event, ADeadlockNamesTheEventAndWhereItWasAwaited) {
  const std::string message = test::deadlock_message(wait_for_a_set_nobody_makes());
  EXPECT_THAT(message, HasSubstr(fmt::format("task 'Task-1' (created at tests/sync/event_test.cc:")));
  EXPECT_THAT(message, HasSubstr(fmt::format(") waits on Event 'ready' (created at tests/sync/event_test.cc:{}) "
                                             "[unset, waiters:1], awaited at tests/sync/event_test.cc:{}",
                                             deadlock_event_line, deadlock_wait_line)));
}

Coro<> wait_forever(Event& event) { co_await event.wait(); }

Coro<std::string> destroy_the_event_under_a_waiter(bool cancel) {
  Task<> waiter = co_await test::a_waiter_of_a_destroyed([] { return Event("short-lived"); }, wait_forever);
  co_await sleep(1s);
  if (cancel) waiter.cancel();
  co_return co_await test::how_it_ends(waiter);
}

TEST(Event, AWaiterOfADestroyedEventCanStillBeCancelled) {
  VirtualClock clock;
  EXPECT_EQ(run(destroy_the_event_under_a_waiter(true), clock), "cancelled");
}

TEST(Event, ADeadlockOnADestroyedEventSaysSo) {
  const std::string message = test::deadlock_message(destroy_the_event_under_a_waiter(false));
  EXPECT_THAT(message, HasSubstr("waits on Event (destroyed while the task waited on it), awaited at "
                                 "tests/sync/event_test.cc:"));
}

TEST(Event, FormatsLikeAsyncioRepr) {
  const int line = __LINE__ + 1;
  Event unnamed;
  Event named("ready");
  EXPECT_EQ(fmt::format("{}", unnamed), fmt::format("Event (created at tests/sync/event_test.cc:{}) [unset]", line));
  named.set();
  EXPECT_EQ(fmt::format("{}", named),
            fmt::format("Event 'ready' (created at tests/sync/event_test.cc:{}) [set]", line + 1));
}

TEST(Event, KnowsItsNameAndWhereItWasCreated) {
  const int line = __LINE__ + 1;
  Event event("ready");
  EXPECT_EQ(event.name(), "ready");
  EXPECT_STREQ(event.created_at().file_name(), "tests/sync/event_test.cc");
  EXPECT_EQ(event.created_at().line(), static_cast<unsigned>(line));
  EXPECT_EQ(Event().name(), "");
}

Coro<std::string> woke(Event& event) {
  co_await event.wait();
  co_return "woke";
}

Coro<std::string> withdraw_an_event_waiters_cancellation() {
  Event event;
  co_return co_await test::withdraw_a_cancellation(test::wait_then_sleep(woke(event)), [&event] { event.set(); });
}

TEST(Event, AWithdrawnCancellationStillEndsTheWaitWithCancelledError) {
  VirtualClock clock;
  EXPECT_EQ(run(withdraw_an_event_waiters_cancellation(), clock), "CancelledError, then slept");
}

}  // namespace
}  // namespace simtime

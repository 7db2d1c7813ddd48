#include "simtime/sync/queue.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <simtime/simtime.hpp>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "tests/sync/scenarios.hpp"
#include "tests/timeline.hpp"

namespace simtime {
namespace {

using namespace std::chrono_literals;
using test::state_of;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

template <class Q>
std::vector<typename Q::value_type> drain(Q& queue) {
  std::vector<typename Q::value_type> items;
  while (!queue.empty()) items.push_back(queue.get_nowait());
  return items;
}

template <class Q>
Coro<> get_and_note(Q& queue, test::Timeline& timeline, std::string who) {
  auto item = co_await queue.get();
  timeline.note(fmt::format("{} got {}", who, item));
}

template <class Q>
Coro<> put_and_note(Q& queue, typename Q::value_type item, test::Timeline& timeline) {
  co_await queue.put(item);
  timeline.note(fmt::format("put {}", item));
}

// CPython test_queues.py QueueBasicTests.test_empty and test_full.
Coro<std::vector<std::string>> empty_and_full() {
  Queue<int> unbounded;
  Queue<int> bounded(1);
  std::vector<std::string> seen{fmt::format("{} {}", unbounded.empty(), unbounded.full())};
  co_await unbounded.put(1);
  co_await bounded.put(1);
  seen.push_back(fmt::format("{} {} {}", unbounded.empty(), unbounded.full(), bounded.full()));
  seen.push_back(fmt::format("{}", co_await unbounded.get()));
  seen.push_back(fmt::format("{} {}", unbounded.empty(), unbounded.qsize()));
  co_return seen;
}

TEST(Queue, ReportsEmptyAndFull) {
  VirtualClock clock;
  EXPECT_THAT(run(empty_and_full(), clock), ElementsAre("true false", "false false true", "1", "true 0"));
  EXPECT_EQ(Queue<int>(3).maxsize(), 3);
  EXPECT_EQ(Queue<int>().maxsize(), 0);
}

template <class Q>
Coro<std::vector<int>> put_then_get(std::vector<int> values) {
  Q queue;
  for (int value : values) co_await queue.put(value);
  std::vector<int> items;
  for (std::size_t i = 0; i < values.size(); ++i) items.push_back(co_await queue.get());
  co_return items;
}

// CPython QueueBasicTests.test_order, LifoQueueTests.test_order, PriorityQueueTests.test_order.
TEST(Queue, ItemsComeOutInTheQueuesOrder) {
  VirtualClock clock;
  EXPECT_THAT(run(put_then_get<Queue<int>>({1, 3, 2}), clock), ElementsAre(1, 3, 2));
  EXPECT_THAT(run(put_then_get<LifoQueue<int>>({1, 3, 2}), clock), ElementsAre(2, 3, 1));
  EXPECT_THAT(run(put_then_get<PriorityQueue<int>>({1, 3, 2}), clock), ElementsAre(1, 2, 3));
  EXPECT_THAT(run(put_then_get<PriorityQueue<int, std::greater<int>>>({1, 3, 2}), clock), ElementsAre(3, 2, 1));
}

struct Job {
  int priority;
  std::string name;
};
struct ByPriority {
  bool operator()(const Job& a, const Job& b) const { return a.priority < b.priority; }
};

TEST(PriorityQueue, GivesOutEqualPrioritiesInTheOrderTheyWerePut) {
  PriorityQueue<Job, ByPriority> queue;
  for (const char* name : {"b1", "a1", "b2", "c1", "a2", "b3"}) queue.put_nowait(Job{name[0] - 'a', name});
  std::vector<std::string> names;
  while (!queue.empty()) names.push_back(queue.get_nowait().name);
  EXPECT_THAT(names, ElementsAre("a1", "a2", "b1", "b2", "b3", "c1"));
}

// CPython QueueBasicTests.test_maxsize.
Coro<std::vector<std::string>> putter_blocks_at_maxsize() {
  Queue<int> queue(2);
  std::vector<int> have_been_put;
  auto putter = create_task([](Queue<int>& q, std::vector<int>& out) -> Coro<> {
    for (int i = 0; i < 3; ++i) {
      co_await q.put(i);
      out.push_back(i);
    }
  }(queue, have_been_put));
  co_await sleep(0s);
  co_await sleep(0s);
  std::vector<std::string> seen{fmt::format("{}", fmt::join(have_been_put, ","))};
  seen.push_back(fmt::format("{}", co_await queue.get()));
  co_await sleep(0s);
  seen.push_back(fmt::format("{}", fmt::join(have_been_put, ",")));
  seen.push_back(fmt::format("{}", co_await queue.get()));
  seen.push_back(fmt::format("{}", co_await queue.get()));
  co_await putter;
  co_return seen;
}

TEST(Queue, APutterWaitsWhileTheQueueHoldsMaxsizeItems) {
  VirtualClock clock;
  EXPECT_THAT(run(putter_blocks_at_maxsize(), clock), ElementsAre("0,1", "0", "0,1,2", "1", "2"));
}

// Rule 14: neither a get from a queue holding an item nor a put into one with room suspends.
Coro<std::string> get_and_put_without_suspending() {
  Queue<int> queue(1);
  queue.put_nowait(7);
  const int item = co_await queue.get();
  co_await queue.put(item + 1);
  co_return fmt::format("got {}, put {}", item, queue.get_nowait());
}

TEST(Queue, GetWithAnItemAndPutWithRoomDoNotSuspend) {
  EXPECT_THAT(test::run_ahead_of_another_task(get_and_put_without_suspending()),
              ElementsAre("0s got 7, put 8", "0s other task ran"));
}

// CPython QueueGetTests.test_blocking_get_wait and QueuePutTests.test_put_with_waiting_getters.
Coro<> put_later(Queue<std::string>& queue, Duration delay, std::string item) {
  co_await sleep(delay);
  queue.put_nowait(item);
}

Coro<> getter_waits_for_a_put(test::Timeline& timeline) {
  Queue<std::string> queue;
  auto getter = create_task(get_and_note(queue, timeline, "getter"));
  auto putter = create_task(put_later(queue, 10ms, "a"));
  co_await gather(getter, putter);
}

TEST(Queue, AWaitingGetterGetsTheItemAtTheInstantOfThePut) {
  VirtualClock clock;
  test::Timeline timeline;
  run(getter_waits_for_a_put(timeline), clock);
  EXPECT_THAT(timeline.lines(), ElementsAre("10ms getter got a"));
}

// CPython QueuePutTests.test_blocking_put_wait.
Coro<> putter_waits_for_a_get(test::Timeline& timeline) {
  Queue<std::string> queue(1);
  auto putter = create_task([](Queue<std::string>& q, test::Timeline& out) -> Coro<> {
    co_await q.put("1");
    co_await q.put("2");
    out.note("both put");
  }(queue, timeline));
  co_await sleep(10ms);
  timeline.note("taking " + queue.get_nowait());
  co_await putter;
}

TEST(Queue, AWaitingPutterPutsAtTheInstantOfTheGet) {
  VirtualClock clock;
  test::Timeline timeline;
  run(putter_waits_for_a_get(timeline), clock);
  EXPECT_THAT(timeline.lines(), ElementsAre("10ms taking 1", "10ms both put"));
}

// CPython QueueGetTests.test_get_cancelled_race.
Coro<std::string> cancelled_getter_does_not_take_the_item() {
  Queue<std::string> queue;
  auto t1 = create_task([](Queue<std::string>& q) -> Coro<std::string> { co_return co_await q.get(); }(queue));
  auto t2 = create_task([](Queue<std::string>& q) -> Coro<std::string> { co_return co_await q.get(); }(queue));
  co_await sleep(0s);
  t1.cancel();
  co_await sleep(0s);
  co_await queue.put("a");
  co_return co_await t2;
}

TEST(Queue, AGetterCancelledWhileWaitingLeavesTheItemToTheNext) {
  VirtualClock clock;
  EXPECT_EQ(run(cancelled_getter_does_not_take_the_item(), clock), "a");
}

// CPython QueueGetTests.test_get_with_waiting_putters.
Coro<std::vector<std::string>> get_with_waiting_putters() {
  Queue<std::string> queue(1);
  create_task([](Queue<std::string>& q) -> Coro<> { co_await q.put("a"); }(queue));
  create_task([](Queue<std::string>& q) -> Coro<> { co_await q.put("b"); }(queue));
  std::vector<std::string> items;
  items.push_back(co_await queue.get());
  items.push_back(co_await queue.get());
  co_return items;
}

TEST(Queue, WaitingPuttersFillTheQueueInOrder) {
  VirtualClock clock;
  EXPECT_THAT(run(get_with_waiting_putters(), clock), ElementsAre("a", "b"));
}

// CPython QueueGetTests.test_why_are_getters_waiting and QueuePutTests.test_why_are_putters_waiting.
Coro<std::vector<int>> producer_and_consumer_through_one_slot() {
  Queue<int> queue(1);
  std::vector<int> consumed;
  auto producer = create_task([](Queue<int>& q) -> Coro<> {
    for (int i = 0; i < 5; ++i) co_await q.put(i);
  }(queue));
  auto consumer = create_task([](Queue<int>& q, std::vector<int>& out) -> Coro<> {
    for (int i = 0; i < 5; ++i) out.push_back(co_await q.get());
  }(queue, consumed));
  co_await gather(producer, consumer);
  co_return consumed;
}

TEST(Queue, AProducerAndAConsumerPassEveryItemThroughOneSlot) {
  VirtualClock clock;
  EXPECT_THAT(run(producer_and_consumer_through_one_slot(), clock), ElementsAre(0, 1, 2, 3, 4));
  EXPECT_EQ(clock.now(), TimePoint{});
}

Coro<std::vector<int>> putters_outnumber_the_slots() {
  Queue<int> queue(2);
  std::vector<int> taken;
  auto getter = create_task([](Queue<int>& q, std::vector<int>& out) -> Coro<> {
    co_await sleep(0s);
    const std::size_t count = q.qsize();
    for (std::size_t i = 0; i < count; ++i) out.push_back(q.get_nowait());
  }(queue, taken));
  std::vector<Task<>> putters;
  for (int i = 0; i < 4; ++i)
    putters.push_back(create_task([](Queue<int>& q, int item) -> Coro<> { co_await q.put(item); }(queue, i)));
  co_await getter;
  co_await gather(std::move(putters));
  while (!queue.empty()) taken.push_back(queue.get_nowait());
  co_return taken;
}

TEST(Queue, PuttersBeyondMaxsizeWaitTheirTurn) {
  VirtualClock clock;
  EXPECT_THAT(run(putters_outnumber_the_slots(), clock), ElementsAre(0, 1, 2, 3));
}

// CPython QueuePutTests.test_get_cancel_drop_one_pending_reader.
Coro<int> cancel_a_reader_after_two_puts() {
  Queue<int> queue;
  auto reader = create_task([](Queue<int>& q) -> Coro<int> { co_return co_await q.get(); }(queue));
  co_await sleep(0s);
  queue.put_nowait(1);
  queue.put_nowait(2);
  reader.cancel();
  try {
    co_return co_await reader;
  } catch (const CancelledError&) {
  }
  co_return co_await queue.get();  // 1, or 1 was lost
}

TEST(Queue, AReaderCancelledAfterItsItemWasPromisedDropsNothing) {
  VirtualClock clock;
  EXPECT_EQ(run(cancel_a_reader_after_two_puts(), clock), 1);
}

// CPython QueuePutTests.test_get_cancel_drop_many_pending_readers.
Coro<std::vector<int>> cancel_one_of_three_readers() {
  Queue<int> queue;
  auto read = [](Queue<int>& q) -> Coro<int> { co_return co_await q.get(); };
  auto reader1 = create_task(read(queue));
  auto reader2 = create_task(read(queue));
  auto reader3 = create_task(read(queue));
  co_await sleep(0s);
  queue.put_nowait(1);
  queue.put_nowait(2);
  reader1.cancel();
  try {
    co_await reader1;
  } catch (const CancelledError&) {
  }
  const int second = co_await reader2;
  const int third = co_await reader3;
  co_return std::vector<int>{second, third};
}

TEST(Queue, AnItemPromisedToACancelledReaderGoesToTheNextWaitingReader) {
  VirtualClock clock;
  EXPECT_THAT(run(cancel_one_of_three_readers(), clock), ElementsAre(1, 2));
}

// CPython QueuePutTests.test_put_cancel_drop.
Coro<std::vector<std::string>> cancel_a_writer_after_its_slot_freed() {
  Queue<int> queue(1);
  queue.put_nowait(1);
  auto writer = create_task([](Queue<int>& q) -> Coro<> { co_await q.put(2); }(queue));
  co_await sleep(0s);
  std::vector<std::string> seen{fmt::format("{}", queue.get_nowait())};
  writer.cancel();
  bool cancelled = false;
  try {
    co_await writer;
  } catch (const CancelledError&) {
    cancelled = true;  // co_await is not allowed in a handler
  }
  if (cancelled) {
    seen.push_back("cancelled: put again");
    co_await queue.put(2);
  }
  seen.push_back(fmt::format("{}", queue.get_nowait()));
  seen.push_back(fmt::format("qsize {}", queue.qsize()));
  co_return seen;
}

TEST(Queue, AWriterCancelledAfterItsSlotFreedPutsNothing) {
  VirtualClock clock;
  EXPECT_THAT(run(cancel_a_writer_after_its_slot_freed(), clock),
              ElementsAre("1", "cancelled: put again", "2", "qsize 0"));
}

// CPython QueuePutTests.test_put_cancelled_race.
Coro<std::vector<std::string>> cancel_the_last_of_three_putters() {
  Queue<std::string> queue(1);
  auto put = [](Queue<std::string>& q, std::string item) -> Coro<> { co_await q.put(item); };
  auto put_a = create_task(put(queue, "a"));
  auto put_b = create_task(put(queue, "b"));
  auto put_c = create_task(put(queue, "X"));
  co_await sleep(0s);
  std::vector<std::string> seen{fmt::format("{} {}", put_a.done(), put_b.done())};
  put_c.cancel();
  co_await sleep(0s);
  seen.push_back(fmt::format("{}", put_c.done()));
  seen.push_back(queue.get_nowait());
  co_await sleep(0s);
  seen.push_back(queue.get_nowait());
  co_await put_b;
  seen.push_back(state_of(queue));
  co_return seen;
}

TEST(Queue, ACancelledPutterNeverPuts) {
  VirtualClock clock;
  EXPECT_THAT(run(cancel_the_last_of_three_putters(), clock),
              ElementsAre("true false", "true", "a", "b", "[maxsize:1, qsize:0, unfinished:2]"));
}

// CPython QueuePutTests.test_cancelled_puts_not_being_held_in_self_putters and
// test_cancelled_put_silence_value_error_exception.
Coro<std::vector<std::string>> cancelled_putters_leave() {
  Queue<int> queue(1);
  queue.put_nowait(1);
  auto put_task = create_task([](Queue<int>& q) -> Coro<> { co_await q.put(1); }(queue));
  co_await sleep(0s);
  std::vector<std::string> seen{state_of(queue)};
  put_task.cancel();
  seen.push_back(co_await test::how_it_ends(put_task));
  seen.push_back(state_of(queue));
  put_task = create_task([](Queue<int>& q) -> Coro<> { co_await q.put(1); }(queue));
  co_await sleep(0s);
  (void)queue.get_nowait();  // frees the slot for put_task, which is then cancelled
  put_task.cancel();
  seen.push_back(co_await test::how_it_ends(put_task));
  seen.push_back(state_of(queue));
  co_return seen;
}

TEST(Queue, CancelledPuttersAreNotHeldInTheQueue) {
  VirtualClock clock;
  EXPECT_THAT(run(cancelled_putters_leave(), clock),
              ElementsAre("[maxsize:1, qsize:1, putters:1, unfinished:1]", "cancelled",
                          "[maxsize:1, qsize:1, unfinished:1]", "cancelled", "[maxsize:1, qsize:0, unfinished:1]"));
}

Coro<std::string> get_with_a_time_limit() {
  Queue<int> queue(5);
  try {
    co_await wait_for([](Queue<int>& q) -> Coro<int> { co_return co_await q.get(); }(queue), 100ms);
  } catch (const TimeoutError&) {
  }
  co_return state_of(queue);
}

// CPython QueueGetTests.test_cancelled_getters_not_being_held_in_self_getters.
TEST(Queue, AGetterTimedOutIsNotHeldInTheQueue) {
  VirtualClock clock;
  EXPECT_EQ(run(get_with_a_time_limit(), clock), "[maxsize:5, qsize:0]");
  EXPECT_EQ(clock.now(), TimePoint{100ms});
}

// Cancellation of a getter at each point around the put that wakes it.
enum class CancelPoint { before_wake, after_wake_same_turn, after_it_ran };

Coro<std::string> cancel_getter(CancelPoint point, test::Timeline& timeline) {
  Queue<std::string> queue(0, "jobs");
  auto victim = create_task(get_and_note(queue, timeline, "victim"));
  auto other = create_task(get_and_note(queue, timeline, "other"));
  co_await sleep(1s);
  if (point == CancelPoint::before_wake) victim.cancel();
  queue.put_nowait("a");
  if (point == CancelPoint::after_wake_same_turn) victim.cancel();
  co_await sleep(1s);
  if (point == CancelPoint::after_it_ran) victim.cancel();
  queue.put_nowait("b");
  co_await other;
  const std::string victim_ended = co_await test::how_it_ends(victim, "finished");
  co_return fmt::format("victim {}, left [{}]", victim_ended, fmt::join(drain(queue), ","));
}

TEST(Queue, AGetterCancelledBeforeAnyPutJustLeaves) {
  VirtualClock clock;
  test::Timeline timeline;
  EXPECT_EQ(run(cancel_getter(CancelPoint::before_wake, timeline), clock), "victim cancelled, left [b]");
  EXPECT_THAT(timeline.lines(), ElementsAre("1s other got a"));
}

TEST(Queue, AGetterCancelledAfterItsItemWasPromisedPassesTheItemOn) {
  VirtualClock clock;
  test::Timeline timeline;
  EXPECT_EQ(run(cancel_getter(CancelPoint::after_wake_same_turn, timeline), clock), "victim cancelled, left [b]");
  EXPECT_THAT(timeline.lines(), ElementsAre("1s other got a"));
}

TEST(Queue, AGetterCancelledAfterItRanKeepsItsItem) {
  VirtualClock clock;
  test::Timeline timeline;
  EXPECT_EQ(run(cancel_getter(CancelPoint::after_it_ran, timeline), clock), "victim finished, left []");
  EXPECT_THAT(timeline.lines(), ElementsAre("1s victim got a", "2s other got b"));
}

// Cancellation of a putter at each point around the get that frees its slot.
Coro<std::string> cancel_putter(CancelPoint point, test::Timeline& timeline) {
  Queue<std::string> queue(1, "jobs");
  queue.put_nowait("first");
  auto victim = create_task(put_and_note(queue, std::string("v"), timeline));
  auto other = create_task(put_and_note(queue, std::string("o"), timeline));
  co_await sleep(1s);
  if (point == CancelPoint::before_wake) victim.cancel();
  std::vector<std::string> items{queue.get_nowait()};
  if (point == CancelPoint::after_wake_same_turn) victim.cancel();
  co_await sleep(1s);
  if (point == CancelPoint::after_it_ran) victim.cancel();
  while (!other.done() || !queue.empty()) {
    items.push_back(co_await queue.get());
    co_await sleep(1s);
  }
  const std::string victim_ended = co_await test::how_it_ends(victim, "finished");
  co_return fmt::format("victim {}, got [{}]", victim_ended, fmt::join(items, ","));
}

TEST(Queue, APutterCancelledBeforeAnyGetJustLeaves) {
  VirtualClock clock;
  test::Timeline timeline;
  EXPECT_EQ(run(cancel_putter(CancelPoint::before_wake, timeline), clock), "victim cancelled, got [first,o]");
  EXPECT_THAT(timeline.lines(), ElementsAre("1s put o"));
}

TEST(Queue, APutterCancelledAfterItsSlotWasFreedPassesTheSlotOn) {
  VirtualClock clock;
  test::Timeline timeline;
  EXPECT_EQ(run(cancel_putter(CancelPoint::after_wake_same_turn, timeline), clock), "victim cancelled, got [first,o]");
  EXPECT_THAT(timeline.lines(), ElementsAre("1s put o"));
}

TEST(Queue, APutterCancelledAfterItRanHasPut) {
  VirtualClock clock;
  test::Timeline timeline;
  EXPECT_EQ(run(cancel_putter(CancelPoint::after_it_ran, timeline), clock), "victim finished, got [first,v,o]");
  EXPECT_THAT(timeline.lines(), ElementsAre("1s put v", "2s put o"));
}

// A woken getter's item is kept for it: nobody may take it in between (asyncio would let
// get_nowait take it and make the woken getter wait again at the back of the queue).
Coro<std::vector<std::string>> promised_item_is_kept() {
  const int line = __LINE__ + 1;
  Queue<int> queue(0, "jobs");
  auto getter = create_task([](Queue<int>& q) -> Coro<int> { co_return co_await q.get(); }(queue));
  co_await sleep(0s);
  queue.put_nowait(5);
  std::vector<std::string> seen{fmt::format("qsize {} empty {}", queue.qsize(), queue.empty())};
  try {
    (void)queue.get_nowait();
  } catch (const QueueEmpty& error) {
    seen.push_back(error.what());
  }
  seen.push_back(fmt::format("{}", co_await getter));
  seen.push_back(fmt::format("line {}", line));
  co_return seen;
}

TEST(Queue, AnItemPromisedToAWokenGetterIsKeptForIt) {
  VirtualClock clock;
  const auto seen = run(promised_item_is_kept(), clock);
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[0], "qsize 1 empty true");
  EXPECT_EQ(seen[1], fmt::format("Queue 'jobs' (created at tests/sync/queue_test.cc:{}): get_nowait on an empty queue "
                                 "(its 1 item(s) are promised to getters woken earlier)",
                                 seen[3].substr(5)));
  EXPECT_EQ(seen[2], "5");
}

Coro<std::vector<std::string>> promised_slot_is_kept() {
  Queue<int> queue(1, "jobs");
  queue.put_nowait(1);
  auto putter = create_task([](Queue<int>& q) -> Coro<> { co_await q.put(2); }(queue));
  co_await sleep(0s);
  (void)queue.get_nowait();
  std::vector<std::string> seen{fmt::format("qsize {} full {}", queue.qsize(), queue.full())};
  try {
    queue.put_nowait(3);
  } catch (const QueueFull& error) {
    seen.push_back(error.what());
  }
  co_await putter;
  seen.push_back(fmt::format("{}", queue.get_nowait()));
  co_return seen;
}

TEST(Queue, ASlotFreedForAWokenPutterIsKeptForIt) {
  VirtualClock clock;
  const auto seen = run(promised_slot_is_kept(), clock);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0], "qsize 0 full true");
  EXPECT_THAT(seen[1], HasSubstr("): put_nowait on a full queue (maxsize 1, qsize 0, 1 free slot(s) kept for "
                                 "putters woken earlier)"));
  EXPECT_EQ(seen[2], "2");
}

TEST(Queue, NowaitErrorsSayWhatWasWrong) {
  const int line = __LINE__ + 1;
  Queue<int> queue(1, "jobs");
  const std::string where = fmt::format("Queue 'jobs' (created at tests/sync/queue_test.cc:{})", line);
  try {
    (void)queue.get_nowait();
    FAIL() << "no QueueEmpty";
  } catch (const QueueEmpty& error) {
    EXPECT_EQ(std::string(error.what()), where + ": get_nowait on an empty queue");
  }
  queue.put_nowait(1);
  try {
    queue.put_nowait(2);
    FAIL() << "no QueueFull";
  } catch (const QueueFull& error) {
    EXPECT_EQ(std::string(error.what()), where + ": put_nowait on a full queue (maxsize 1, qsize 1)");
  }
}

TEST(Queue, TaskDoneCalledTooOftenIsAnInvalidArgument) {
  const int line = __LINE__ + 1;
  LifoQueue<int> queue(0, "stack");
  queue.put_nowait(1);
  queue.task_done();
  try {
    queue.task_done();
    FAIL() << "no error";
  } catch (const std::invalid_argument& error) {
    EXPECT_EQ(std::string(error.what()),
              fmt::format("LifoQueue 'stack' (created at tests/sync/queue_test.cc:{}): task_done() called more times "
                          "than items were put (no item is waiting for it)",
                          line));
  }
}

Coro<std::unique_ptr<int>> move_only_items() {
  Queue<std::unique_ptr<int>> queue(1);
  auto getter = create_task(
      [](Queue<std::unique_ptr<int>>& q) -> Coro<std::unique_ptr<int>> { co_return co_await q.get(); }(queue));
  co_await queue.put(std::make_unique<int>(41));
  auto item = co_await std::move(getter);
  ++*item;
  queue.put_nowait(std::move(item));
  co_return queue.get_nowait();
}

TEST(Queue, CarriesMoveOnlyItems) {
  VirtualClock clock;
  EXPECT_EQ(*run(move_only_items(), clock), 42);
}

int deadlock_queue_line = 0;
int deadlock_get_line = 0;

Coro<> get_from_a_queue_nobody_fills() {
  deadlock_queue_line = __LINE__ + 1;
  Queue<int> queue(2, "jobs");
  deadlock_get_line = __LINE__ + 1;
  (void)co_await queue.get();
}

TEST(Queue, ADeadlockNamesTheQueueTheOperationAndWhereItWasAwaited) {
  const std::string message = test::deadlock_message(get_from_a_queue_nobody_fills());
  EXPECT_THAT(message, HasSubstr(fmt::format("waits on get from Queue 'jobs' (created at "
                                             "tests/sync/queue_test.cc:{}) [maxsize:2, qsize:0, getters:1], "
                                             "awaited at tests/sync/queue_test.cc:{}",
                                             deadlock_queue_line, deadlock_get_line)));
}

Coro<> put_into_a_full_queue_and_join() {
  Queue<int> queue(1, "jobs");
  queue.put_nowait(1);
  auto joiner = create_task([](Queue<int>& q) -> Coro<> { co_await q.join(); }(queue), "joiner");
  co_await queue.put(2);
}

TEST(Queue, ADeadlockNamesWaitingPuttersAndJoiners) {
  const std::string message = test::deadlock_message(put_into_a_full_queue_and_join());
  EXPECT_THAT(message, HasSubstr("waits on put to Queue 'jobs' (created at tests/sync/queue_test.cc:"));
  EXPECT_THAT(message, HasSubstr(") [maxsize:1, qsize:1, putters:1, unfinished:1], awaited at"));
  EXPECT_THAT(message, HasSubstr("task 'joiner' (created at tests/sync/queue_test.cc:"));
  EXPECT_THAT(message, HasSubstr(") waits on join of Queue 'jobs' (created at tests/sync/queue_test.cc:"));
}

Coro<> get_forever(Queue<int>& queue) { (void)co_await queue.get(); }

TEST(Queue, AGetterOfADestroyedQueueCanStillBeCancelled) {
  VirtualClock clock;
  EXPECT_EQ(run(test::cancel_a_waiter_of_a_destroyed([] { return Queue<int>(); }, get_forever), clock), "cancelled");
}

TEST(Queue, FormatsLikeAsyncioRepr) {
  const int line = __LINE__ + 1;
  PriorityQueue<int> queue(3, "jobs");
  queue.put_nowait(1);
  queue.shutdown();
  EXPECT_EQ(fmt::format("{}", queue),
            fmt::format("PriorityQueue 'jobs' (created at tests/sync/queue_test.cc:{}) [maxsize:3, qsize:1, "
                        "unfinished:1, shut down]",
                        line));
}

TEST(Queue, KnowsItsNameAndWhereItWasCreated) {
  const int line = __LINE__ + 1;
  Queue<int> queue(0, "jobs");
  EXPECT_EQ(queue.name(), "jobs");
  EXPECT_STREQ(queue.created_at().file_name(), "tests/sync/queue_test.cc");
  EXPECT_EQ(queue.created_at().line(), static_cast<unsigned>(line));
}

// -- join, task_done and shutdown: the same for the three orders (CPython's mixins) -------

template <class Q>
class EveryQueue : public ::testing::Test {};
using QueueKinds = ::testing::Types<Queue<std::string>, LifoQueue<std::string>, PriorityQueue<std::string>>;
TYPED_TEST_SUITE(EveryQueue, QueueKinds);

// CPython _QueueJoinTestMixin.test_task_done_underflow.
TYPED_TEST(EveryQueue, RefusesTaskDoneWithoutAnItem) {
  TypeParam queue;
  EXPECT_THROW(queue.task_done(), std::invalid_argument);
}

template <class Q>
Coro<std::vector<std::string>> two_workers_and_join() {
  Q queue;
  for (int i = 0; i < 100; ++i) queue.put_nowait(fmt::format("{:03}", i));
  int handled = 0;
  auto worker = [](Q& q, int& count) -> Coro<> {
    for (;;) {
      (void)co_await q.get();
      co_await sleep(1ms);
      ++count;
      q.task_done();
    }
  };
  auto first = create_task(worker(queue, handled));
  auto second = create_task(worker(queue, handled));
  co_await queue.join();
  std::vector<std::string> seen{
      fmt::format("{} handled at {}, unfinished {}", handled, format_time(now()), queue.unfinished_tasks())};
  first.cancel();
  second.cancel();
  co_await sleep(0s);
  co_return seen;
}

// CPython _QueueJoinTestMixin.test_task_done.
TYPED_TEST(EveryQueue, JoinReturnsOnceEveryItemIsDone) {
  VirtualClock clock;
  EXPECT_THAT(run(two_workers_and_join<TypeParam>(), clock), ElementsAre("100 handled at 50ms, unfinished 0"));
}

template <class Q>
Coro<std::string> join_an_empty_queue() {
  Q queue;
  co_await queue.join();
  co_await queue.join();
  co_return "joined";
}

// CPython _QueueJoinTestMixin.test_join_empty_queue; rule 14.
TYPED_TEST(EveryQueue, JoinOfAQueueWithNothingUnfinishedDoesNotSuspend) {
  EXPECT_THAT(test::run_ahead_of_another_task(join_an_empty_queue<TypeParam>()),
              ElementsAre("0s joined", "0s other task ran"));
}

template <class Q>
Coro<std::vector<std::string>> cancel_a_joiner() {
  Q queue;
  queue.put_nowait("x");
  auto joiner = create_task([](Q& q) -> Coro<> { co_await q.join(); }(queue));
  co_await sleep(0s);
  joiner.cancel();
  const std::string joiner_ended = co_await test::how_it_ends(joiner);
  co_return std::vector<std::string>{joiner_ended, state_of(queue)};
}

TYPED_TEST(EveryQueue, ACancelledJoinLeavesTheQueueUnchanged) {
  VirtualClock clock;
  EXPECT_THAT(run(cancel_a_joiner<TypeParam>(), clock), ElementsAre("cancelled", "[maxsize:0, qsize:1, unfinished:1]"));
}

template <class Q>
Coro<std::vector<std::string>> shutdown_empty() {
  Q queue(0, "q");
  auto getter = create_task([](Q& q) -> Coro<> { (void)co_await q.get(); }(queue));
  co_await sleep(0s);
  queue.shutdown();
  std::vector<std::string> seen{fmt::format("qsize {} shutdown {}", queue.qsize(), queue.is_shutdown())};
  co_await queue.join();
  co_await sleep(0s);
  auto attempt = [&seen](auto&& action) {
    try {
      action();
      seen.push_back("no error");
    } catch (const QueueShutDown& error) {
      const std::string what = error.what();
      seen.push_back(what.substr(what.find("): ") + 3));
    }
  };
  attempt([&] { getter.result(); });
  attempt([&] { queue.put_nowait("data"); });
  attempt([&] { (void)queue.get_nowait(); });
  try {
    co_await queue.put("data");
  } catch (const QueueShutDown& error) {
    seen.push_back(std::string(error.what()).substr(std::string(error.what()).find("): ") + 3));
  }
  try {
    (void)co_await queue.get();
  } catch (const QueueShutDown& error) {
    seen.push_back(std::string(error.what()).substr(std::string(error.what()).find("): ") + 3));
  }
  co_return seen;
}

// CPython _QueueShutdownTestMixin.test_shutdown_empty.
TYPED_TEST(EveryQueue, ShutdownWakesWaitingGettersWithQueueShutDown) {
  VirtualClock clock;
  EXPECT_THAT(run(shutdown_empty<TypeParam>(), clock),
              ElementsAre("qsize 0 shutdown true", "get on a shut-down queue with no item left",
                          "put_nowait on a shut-down queue", "get_nowait on a shut-down queue with no item left",
                          "put on a shut-down queue", "get on a shut-down queue with no item left"));
}

template <class Q>
Coro<std::vector<std::string>> shutdown_nonempty() {
  Q queue(1);
  queue.put_nowait("data");
  auto joiner = create_task([](Q& q) -> Coro<> { co_await q.join(); }(queue));
  auto putter = create_task([](Q& q) -> Coro<> { co_await q.put("data2"); }(queue));
  co_await sleep(0s);
  std::vector<std::string> seen{fmt::format("putter done {}", putter.done())};
  queue.shutdown(false);
  seen.push_back(fmt::format("qsize {}", queue.qsize()));
  co_await sleep(0s);
  try {
    co_await putter;
  } catch (const QueueShutDown&) {
    seen.push_back("putter: QueueShutDown");
  }
  seen.push_back(co_await queue.get());  // what is left can still be taken
  co_await sleep(0s);
  seen.push_back(fmt::format("joiner done {}", joiner.done()));
  queue.task_done();
  co_await sleep(0s);
  seen.push_back(fmt::format("joiner done {}", joiner.done()));
  try {
    queue.task_done();
  } catch (const std::invalid_argument&) {
    seen.push_back("task_done refused");
  }
  co_return seen;
}

// CPython _QueueShutdownTestMixin.test_shutdown_nonempty.
TYPED_TEST(EveryQueue, AfterShutdownTheItemsLeftCanStillBeTaken) {
  VirtualClock clock;
  EXPECT_THAT(run(shutdown_nonempty<TypeParam>(), clock),
              ElementsAre("putter done false", "qsize 1", "putter: QueueShutDown", "data", "joiner done false",
                          "joiner done true", "task_done refused"));
}

template <class Q>
Coro<std::vector<std::string>> shutdown_immediate(int taken_before) {
  Q queue;
  queue.put_nowait("data");
  queue.put_nowait("data");
  auto joiner = create_task([](Q& q) -> Coro<> { co_await q.join(); }(queue));
  for (int i = 0; i < taken_before; ++i) (void)co_await queue.get();
  queue.shutdown(true);
  std::vector<std::string> seen{fmt::format("qsize {} unfinished {}", queue.qsize(), queue.unfinished_tasks())};
  co_await sleep(0s);
  seen.push_back(fmt::format("joiner done {}", joiner.done()));
  try {
    (void)queue.get_nowait();
  } catch (const QueueShutDown&) {
    seen.push_back("get_nowait: QueueShutDown");
  }
  for (int i = 0; i < taken_before; ++i) queue.task_done();
  co_await sleep(0s);
  seen.push_back(fmt::format("joiner done {}", joiner.done()));
  co_return seen;
}

// CPython _QueueShutdownTestMixin.test_shutdown_immediate.
TYPED_TEST(EveryQueue, AnImmediateShutdownDropsTheItemsAsDone) {
  VirtualClock clock;
  EXPECT_THAT(run(shutdown_immediate<TypeParam>(0), clock),
              ElementsAre("qsize 0 unfinished 0", "joiner done true", "get_nowait: QueueShutDown", "joiner done true"));
}

// CPython _QueueShutdownTestMixin.test_shutdown_immediate_with_unfinished.
TYPED_TEST(EveryQueue, AnImmediateShutdownLeavesItemsAlreadyTakenUnfinished) {
  VirtualClock clock;
  EXPECT_THAT(
      run(shutdown_immediate<TypeParam>(1), clock),
      ElementsAre("qsize 0 unfinished 1", "joiner done false", "get_nowait: QueueShutDown", "joiner done true"));
}

template <class Q>
Coro<std::vector<std::string>> shutdown_with_a_promised_item(bool immediate) {
  Q queue;
  auto getter = create_task([](Q& q) -> Coro<std::string> { co_return co_await q.get(); }(queue));
  co_await sleep(0s);
  queue.put_nowait("promised");  // woken, has not run yet
  queue.shutdown(immediate);
  std::vector<std::string> seen;
  try {
    seen.push_back(co_await getter);
  } catch (const QueueShutDown&) {
    seen.push_back("QueueShutDown");
  }
  seen.push_back(fmt::format("qsize {}", queue.qsize()));
  co_return seen;
}

TYPED_TEST(EveryQueue, ShutdownKeepsAPromisedItemUnlessImmediate) {
  VirtualClock clock;
  EXPECT_THAT(run(shutdown_with_a_promised_item<TypeParam>(false), clock), ElementsAre("promised", "qsize 0"));
  EXPECT_THAT(run(shutdown_with_a_promised_item<TypeParam>(true), clock), ElementsAre("QueueShutDown", "qsize 0"));
}

Coro<std::string> got(Queue<int>& queue) { co_return fmt::format("got {}", co_await queue.get()); }

Coro<std::string> put(Queue<int>& queue, int item) {
  co_await queue.put(item);
  co_return "put";
}

// Nothing is taken, put or lost.
Coro<std::string> withdraw_queue_cancellations() {
  Queue<int> queue(1, "jobs");
  const std::string got_1 =
      co_await test::withdraw_a_cancellation(test::wait_then_sleep(got(queue)), [&queue] { queue.put_nowait(1); });
  const std::string put_2 = co_await test::withdraw_a_cancellation(test::wait_then_sleep(put(queue, 2)));
  co_return fmt::format("{}; {}; left [{}]", got_1, put_2, fmt::join(drain(queue), ","));
}

TEST(Queue, AWithdrawnCancellationStillEndsTheWaitWithCancelledError) {
  VirtualClock clock;
  EXPECT_EQ(run(withdraw_queue_cancellations(), clock),
            "CancelledError, then slept; CancelledError, then slept; left [1]");
}

}  // namespace
}  // namespace simtime

// Properties of the queues and the semaphore under random producers, consumers and
// cancellations (rapidcheck). A failing case prints its seed; RC_PARAMS="seed=N" replays it.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <map>
#include <simtime/simtime.hpp>
#include <string>
#include <utility>
#include <vector>

namespace simtime {
namespace {

using namespace std::chrono_literals;

// An item says who produced it and its rank among that producer's items.
using Item = std::pair<int, int>;

// Cancels a task at an instant, after letting `turns` turns of that instant go by first, so
// that the cancellation lands before, between or after the wakes happening at that instant.
struct Cancellation {
  int instant = 0;
  int turns = 0;
  std::size_t target = 0;  // producers first, then consumers
};

Cancellation random_cancellation(std::size_t tasks) {
  return Cancellation{*rc::gen::inRange(0, 12), *rc::gen::inRange(0, 3), *rc::gen::inRange<std::size_t>(0, tasks)};
}

// A random program: a few producers putting items after random pauses, a few consumers
// taking items and spending random time on each, and cancellations of random tasks at
// random instants. Times are small whole milliseconds, so that puts, gets, wakes and
// cancellations often fall on the same instant, in every order.
struct Script {
  std::ptrdiff_t maxsize = 0;
  std::vector<std::vector<int>> producers;  // pause before each put
  std::vector<std::vector<int>> consumers;  // time spent on each item, cycled
  std::vector<Cancellation> cancellations;
};

Script random_script() {
  // Biased towards contention: small bounded queues, bursts of puts, many cancellations.
  Script script;
  script.maxsize = *rc::gen::element<std::ptrdiff_t>(0, 1, 1, 2, 3);
  const auto producer_count = *rc::gen::inRange<std::size_t>(1, 5);
  for (std::size_t i = 0; i < producer_count; ++i) {
    const auto items = *rc::gen::inRange<std::size_t>(0, 9);
    script.producers.push_back(*rc::gen::container<std::vector<int>>(items, rc::gen::inRange(0, 3)));
  }
  const auto consumer_count = *rc::gen::inRange<std::size_t>(1, 4);
  for (std::size_t i = 0; i < consumer_count; ++i) {
    const auto costs = *rc::gen::inRange<std::size_t>(1, 4);
    script.consumers.push_back(*rc::gen::container<std::vector<int>>(costs, rc::gen::inRange(0, 5)));
  }
  const auto cancellation_count = *rc::gen::inRange<std::size_t>(0, 9);
  for (std::size_t i = 0; i < cancellation_count; ++i) {
    script.cancellations.push_back(random_cancellation(producer_count + consumer_count));
  }
  return script;
}

struct Record {
  std::vector<Item> put;  // in the order the puts completed
  std::vector<Item> got;  // in the order the gets completed, leftovers drained last
  std::size_t done = 0;   // task_done() calls
  std::size_t unfinished_at_end = 0;
  std::size_t qsize_at_end = 0;
  int blocked_getters = 0;
  int blocked_putters = 0;
  std::vector<std::string> stuck;  // instants where a waiter slept although it could go on
};

template <class Q>
Coro<> producer(Q& queue, int id, std::vector<int> pauses, Record& record) {
  for (std::size_t rank = 0; rank < pauses.size(); ++rank) {
    co_await sleep(std::chrono::milliseconds(pauses[rank]));
    const Item item{id, static_cast<int>(rank)};
    ++record.blocked_putters;
    try {
      co_await queue.put(item);
    } catch (...) {
      --record.blocked_putters;
      throw;
    }
    --record.blocked_putters;
    record.put.push_back(item);
  }
}

template <class Q>
Coro<> consumer(Q& queue, std::vector<int> costs, Record& record) {
  for (std::size_t n = 0;; ++n) {
    Item item;
    ++record.blocked_getters;
    try {
      item = co_await queue.get();
    } catch (const QueueShutDown&) {
      --record.blocked_getters;
      co_return;
    } catch (...) {
      --record.blocked_getters;
      throw;
    }
    --record.blocked_getters;
    record.got.push_back(item);
    co_await sleep(std::chrono::milliseconds(costs[n % costs.size()]));
    queue.task_done();
    ++record.done;
  }
}

Coro<> cancel_at(Cancellation when, Task<> task) {
  co_await sleep_until(TimePoint{std::chrono::milliseconds(when.instant)});
  for (int i = 0; i < when.turns; ++i) co_await sleep(0s);
  task.cancel();
}

Coro<> settle(Task<> task) {
  try {
    co_await task;
  } catch (const CancelledError&) {
  }
}

// Between instants (everything due at an instant has run), nobody may wait for what is there:
// a blocked getter means no item is free, a blocked putter means no slot is free.
template <class Q>
Coro<> watch(const Q& queue, const bool& stop, Record& record) {
  // Bounded, so that a bug leaving a task blocked forever ends in DeadlockError, not a hang.
  for (TimePoint at = TimePoint{500us}; !stop && at < TimePoint{10s}; at += 1ms) {
    co_await sleep_until(at);
    if (record.blocked_getters > 0 && !queue.empty()) record.stuck.push_back(fmt::format("{} getter", format_time(at)));
    if (record.blocked_putters > 0 && !queue.full()) record.stuck.push_back(fmt::format("{} putter", format_time(at)));
  }
}

template <class Q>
Coro<> play(const Script& script, Record& record) {
  Q queue(script.maxsize);
  std::vector<Task<>> producers;
  std::vector<Task<>> consumers;
  for (std::size_t i = 0; i < script.producers.size(); ++i) {
    producers.push_back(create_task(producer(queue, static_cast<int>(i), script.producers[i], record)));
  }
  for (const auto& costs : script.consumers) consumers.push_back(create_task(consumer(queue, costs, record)));
  std::vector<Task<>> cancellers;
  for (const Cancellation& cancellation : script.cancellations) {
    const std::size_t target = cancellation.target;
    Task<> task = target < producers.size() ? producers[target] : consumers[target - producers.size()];
    cancellers.push_back(create_task(cancel_at(cancellation, task)));
  }
  bool stop = false;
  auto watcher = create_task(watch(queue, stop, record));
  for (Task<>& task : cancellers) co_await task;
  // Cancellations may have taken every consumer: one more, never cancelled, lets the
  // producers finish.
  consumers.push_back(create_task(consumer(queue, std::vector<int>{1}, record)));
  for (Task<>& task : producers) co_await settle(task);
  stop = true;
  co_await watcher;
  // Every item is in; the consumers still running take what is left, then stop.
  queue.shutdown();
  for (Task<>& task : consumers) co_await settle(task);
  record.unfinished_at_end = queue.unfinished_tasks();
  while (!queue.empty()) record.got.push_back(queue.get_nowait());  // all consumers cancelled
  record.qsize_at_end = queue.qsize();
}

template <class Q>
Record play_randomly(const Script& script) {
  VirtualClock clock;
  Record record;
  run(play<Q>(script, record), clock);
  return record;
}

// Each property case plays several scripts: a run costs about a millisecond, and the bugs
// these properties are for need rare coincidences of instants.
constexpr int scripts_per_case = 8;

template <class Q>
void no_item_is_lost_or_duplicated() {
  for (int i = 0; i < scripts_per_case; ++i) {
    const Script script = random_script();
    const Record record = play_randomly<Q>(script);
    std::vector<Item> put = record.put;
    std::vector<Item> got = record.got;
    std::sort(put.begin(), put.end());
    std::sort(got.begin(), got.end());
    RC_ASSERT(std::adjacent_find(got.begin(), got.end()) == got.end());
    RC_ASSERT(got == put);
    RC_ASSERT(record.qsize_at_end == 0u);
    RC_ASSERT(record.unfinished_at_end == record.put.size() - record.done);
  }
}

template <class Q>
void nobody_waits_for_what_is_there() {
  for (int i = 0; i < scripts_per_case; ++i) {
    const Record record = play_randomly<Q>(random_script());
    RC_ASSERT(record.stuck.empty());
  }
}

RC_GTEST_PROP(QueueProperties, NobodyWaitsForAnItemOrSlotThatIsFree, ()) {
  nobody_waits_for_what_is_there<Queue<Item>>();
}

RC_GTEST_PROP(PriorityQueueProperties, NobodyWaitsForAnItemOrSlotThatIsFree, ()) {
  nobody_waits_for_what_is_there<PriorityQueue<Item>>();
}

RC_GTEST_PROP(QueueProperties, NoItemIsLostOrDuplicatedWhateverIsCancelled, ()) {
  no_item_is_lost_or_duplicated<Queue<Item>>();
}

RC_GTEST_PROP(LifoQueueProperties, NoItemIsLostOrDuplicatedWhateverIsCancelled, ()) {
  no_item_is_lost_or_duplicated<LifoQueue<Item>>();
}

RC_GTEST_PROP(PriorityQueueProperties, NoItemIsLostOrDuplicatedWhateverIsCancelled, ()) {
  no_item_is_lost_or_duplicated<PriorityQueue<Item>>();
}

RC_GTEST_PROP(QueueProperties, ItemsOfOneProducerAreTakenInTheOrderTheyWerePut, ()) {
  for (int i = 0; i < scripts_per_case; ++i) {
    const Record record = play_randomly<Queue<Item>>(random_script());
    std::map<int, int> next_rank;
    for (const auto& [producer_id, rank] : record.got) {
      RC_ASSERT(rank == next_rank[producer_id]);
      ++next_rank[producer_id];
    }
  }
}

RC_GTEST_PROP(QueueProperties, TheSameScriptGivesTheSameTrace, ()) {
  const Script script = random_script();
  const Record first = play_randomly<Queue<Item>>(script);
  const Record second = play_randomly<Queue<Item>>(script);
  RC_ASSERT(first.put == second.put);
  RC_ASSERT(first.got == second.got);
}

// -- Semaphore: permits are never leaked nor exceeded -------------------------------------

struct Usage {
  int holding = 0;
  int most = 0;
};

Coro<> hold_a_permit(Semaphore& semaphore, int pause, int hold, Usage& usage) {
  co_await sleep(std::chrono::milliseconds(pause));
  SemaphoreGuard permit = co_await semaphore.hold();
  usage.most = std::max(usage.most, ++usage.holding);
  try {
    co_await sleep(std::chrono::milliseconds(hold));
  } catch (...) {
    --usage.holding;
    throw;
  }
  --usage.holding;
}

Coro<> contend(std::ptrdiff_t permits, std::vector<std::pair<int, int>> users, std::vector<Cancellation> cancellations,
               Usage& usage, std::ptrdiff_t& value_at_end) {
  Semaphore semaphore(permits);
  std::vector<Task<>> tasks;
  for (const auto& [pause, hold] : users) tasks.push_back(create_task(hold_a_permit(semaphore, pause, hold, usage)));
  std::vector<Task<>> cancellers;
  for (const Cancellation& cancellation : cancellations) {
    if (cancellation.target < tasks.size())
      cancellers.push_back(create_task(cancel_at(cancellation, tasks[cancellation.target])));
  }
  for (Task<>& task : cancellers) co_await task;
  for (Task<>& task : tasks) co_await settle(task);
  value_at_end = semaphore.value();
}

RC_GTEST_PROP(SemaphoreProperties, PermitsAreNeverLeakedNorExceededWhateverIsCancelled, ()) {
  for (int i = 0; i < scripts_per_case; ++i) {
    const auto permits = *rc::gen::inRange<std::ptrdiff_t>(1, 4);
    const auto users = *rc::gen::container<std::vector<std::pair<int, int>>>(
        rc::gen::pair(rc::gen::inRange(0, 4), rc::gen::inRange(0, 4)));
    std::vector<Cancellation> cancellations;
    const auto cancellation_count = *rc::gen::inRange<std::size_t>(0, 6);
    for (std::size_t i = 0; i < cancellation_count; ++i) cancellations.push_back(random_cancellation(users.size() + 1));
    VirtualClock clock;
    Usage usage;
    std::ptrdiff_t value_at_end = -1;
    run(contend(permits, users, cancellations, usage, value_at_end), clock);
    RC_ASSERT(usage.most <= permits);
    RC_ASSERT(usage.holding == 0);
    RC_ASSERT(value_at_end == permits);
  }
}

}  // namespace
}  // namespace simtime

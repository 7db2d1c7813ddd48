#include "fuzz/oracles.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdlib>
#include <string>

#include "simtime/errors.hpp"
#include "simtime/sleep.hpp"

namespace simtime::fuzz {

using namespace std::chrono_literals;

TimePoint Context::observe(const char* where) {
  ++steps;
  const TimePoint t = loop.now();
  check(t >= last_seen, "{}: time went back from {} to {}", where, format_time(last_seen), format_time(t));
  check(simtime::now() == t && clock.now() == t, "{}: now() {}, loop {} and clock {} disagree", where,
        format_time(simtime::now()), format_time(t), format_time(clock.now()));
  last_seen = std::max(last_seen, t);
  if (!pending_sleeps.empty()) {
    check(pending_sleeps.begin()->deadline >= t, "{}: a sleep due at {} has not woken at {}", where,
          format_time(pending_sleeps.begin()->deadline), format_time(t));
  }
  if (const auto next = loop.next_deadline()) {
    check(*next >= t, "{}: the next deadline {} is in the past", where, format_time(*next));
  }
  return t;
}

void Context::task_started(int index) {
  const TimePoint t = observe("task start");
  TaskInfo& task = info[static_cast<std::size_t>(index)];
  check(t == task.created, "task {} created at {} started at {}", index, format_time(task.created), format_time(t));
  check(!task.cancelled_before_start && tasks[static_cast<std::size_t>(index)].cancelling() == 0,
        "task {} ran its body although cancelled before its first step", index);
  check(index > last_started, "task {} started after task {}, which was created later", index, last_started);
  last_started = std::max(last_started, index);
  task.started = true;
}

void Context::absorb(std::exception_ptr error, bool cancellation_allowed, const char* where) {
  try {
    std::rethrow_exception(error);
  } catch (const FuzzError&) {
  } catch (const ExceptionGroup& group) {
    check(group.exceptions().size() >= 2, "{}: an ExceptionGroup of {}", where, group.exceptions().size());
    for (const auto& inner : group.exceptions()) absorb(inner, false, "in an ExceptionGroup");
  } catch (const CancelledError&) {
    check(cancellation_allowed, "{}: unexpected CancelledError", where);
  } catch (const std::exception& e) {
    check(false, "{}: unexpected exception: {}", where, e.what());
  } catch (...) {
    check(false, "{}: unexpected exception of unknown type", where);
  }
}

// sleep(d), or sleep_until(*until), against the model of when it must end.
Coro<> checked_sleep(Context& ctx, Duration d, std::optional<TimePoint> until) {
  const TimePoint start = ctx.observe("sleep");
  const bool overflow = !until && overflows(start, d);
  const TimePoint deadline = until ? std::max(*until, start) : (d > 0ns && !overflow ? start + d : start);
  const SleepKey key{deadline, ctx.sleeps_armed++};
  if (deadline > start) ctx.pending_sleeps.insert(key);
  try {
    if (until) {
      co_await sleep_until(*until);
    } else {
      co_await sleep(d);
    }
  } catch (const std::invalid_argument& e) {
    ctx.observe("sleep failed");
    ctx.check(overflow, "sleep({}ns) at {} threw: {}", d.count(), format_time(start), e.what());
    co_return;
  } catch (const CancelledError&) {
    ctx.pending_sleeps.erase(key);
    const TimePoint t = ctx.observe("sleep cancelled");
    ctx.check(t <= deadline, "a sleep due at {} was cancelled only at {}", format_time(deadline), format_time(t));
    throw;
  }
  ctx.pending_sleeps.erase(key);
  const TimePoint t = ctx.observe("sleep woke");
  ctx.check(!overflow, "sleep({}ns) at {} overflows the clock but did not throw", d.count(), format_time(start));
  ctx.check(t == deadline, "a sleep from {} due at {} woke at {}", format_time(start), format_time(deadline),
            format_time(t));
  if (!ctx.pending_sleeps.empty() && ctx.pending_sleeps.begin()->deadline == t) {
    ctx.check(ctx.pending_sleeps.begin()->armed > key.armed, "sleeps due at {} woke out of arm order", format_time(t));
  }
}

void LimitCheck::completed(int value, int expected) const {
  const TimePoint t = ctx.observe(what);
  ctx.check(!overflow(), "{}: limit {}ns at {} overflows but did not throw", what, limit.count(), format_time(start));
  ctx.check(value == expected, "{}: returned {}, expected {}", what, value, expected);
  if (limit > 0ns && !overflow() && !ctx.swallowed) {
    ctx.check(t < start + limit, "{}: completed at {}, at or after its deadline {}", what, format_time(t),
              format_time(start + limit));
  }
}

void LimitCheck::timed_out() const {
  const TimePoint t = ctx.observe(what);
  ctx.check(!overflow(), "{}: limit {}ns at {} overflows but did not throw", what, limit.count(), format_time(start));
  if (overflow()) return;
  const TimePoint deadline = start + std::max(limit, Duration::zero());
  ctx.check(t >= deadline, "{}: TimeoutError at {}, before its deadline {}", what, format_time(t),
            format_time(deadline));
  ctx.check(ctx.swallowed || t == deadline, "{}: TimeoutError at {}, after its deadline {}", what, format_time(t),
            format_time(deadline));
}

void LimitCheck::invalid(const std::invalid_argument& e) const {
  ctx.observe(what);
  ctx.check(overflow(), "{}: limit {}ns at {} threw: {}", what, limit.count(), format_time(start), e.what());
}

bool LimitCheck::settle(std::exception_ptr error) const {
  try {
    std::rethrow_exception(error);
  } catch (const std::invalid_argument& e) {
    invalid(e);
  } catch (const CancelledError&) {
    ctx.observe(what);
    return false;
  } catch (...) {
    ctx.observe(what);
    ctx.absorb(std::current_exception(), false, what);
  }
  return true;
}

Coro<int> checked_event_wait(Context& ctx, int e) {
  const auto index = static_cast<std::size_t>(e);
  const bool was_set = ctx.events[index].is_set();
  const std::uint64_t steps = ctx.steps;
  const std::size_t sets = ctx.event_set_times[index].size();
  co_await ctx.events[index].wait();
  ctx.check(!was_set || ctx.steps == steps, "waiting for event {}, which was set, suspended", e);
  ctx.check(was_set || ctx.event_set_times[index].size() > sets, "a wait for event {} ended without set()", e);
  ctx.observe("event wait");
  co_return 0;
}

void check_event_timeout(Context& ctx, int e, std::size_t sets, TimePoint deadline) {
  const auto& set_times = ctx.event_set_times[static_cast<std::size_t>(e)];
  // set() wakes every waiter on the next turn, at the same instant: a set() before the
  // deadline ends the wait before the deadline's timer can fire.
  if (set_times.size() > sets) {
    ctx.check(set_times[sets] >= deadline, "a wait for event {} timed out at {}, although set() came at {}", e,
              format_time(deadline), format_time(set_times[sets]));
  }
}

Coro<int> checked_lock_hold(Context& ctx, int l, Duration d, int holder) {
  const auto index = static_cast<std::size_t>(l);
  LockGuard guard = co_await ctx.locks[index].lock();
  ctx.observe("lock taken");
  ctx.check(ctx.lock_holders[index] == 0, "lock {} taken while body {} holds it", l, ctx.lock_holders[index] - 1);
  ctx.check(ctx.locks[index].locked(), "lock {} taken but not locked()", l);
  ctx.lock_holders[index] = holder + 1;
  try {
    co_await checked_sleep(ctx, d);
  } catch (...) {
    ctx.lock_holders[index] = 0;  // the guard releases the lock as the exception leaves
    throw;
  }
  ctx.check(ctx.locks[index].locked(), "lock {} held but not locked()", l);
  ctx.lock_holders[index] = 0;
  co_return 0;
}

int new_item(Context& ctx, int q, int producer) {
  const int item = static_cast<int>(ctx.items.size());
  ctx.items.push_back(QueueItem{q, producer});
  return item;
}

void put_failed(Context& ctx, int item) {
  QueueItem& it = ctx.items[static_cast<std::size_t>(item)];
  ctx.check(it.state == QueueItem::State::putting, "the put of item {} failed, but the item went into queue {}", item,
            it.queue);
  it.state = QueueItem::State::withdrawn;
}

Coro<int> checked_put(Context& ctx, int item) {
  const int q = ctx.items[static_cast<std::size_t>(item)].queue;
  co_await ctx.queues[static_cast<std::size_t>(q)].put(item);
  ctx.observe("queue put");
  QueueItem& it = ctx.items[static_cast<std::size_t>(item)];
  ctx.check(it.state == QueueItem::State::putting, "item {} left queue {} before its put returned", item, q);
  it.state = QueueItem::State::put;
  ctx.queue_contents[static_cast<std::size_t>(q)].push_back(item);
  check_queue_sizes(ctx);
  co_return 0;
}

Coro<int> checked_get(Context& ctx, int q) {
  const int item = co_await ctx.queues[static_cast<std::size_t>(q)].get();
  ctx.observe("queue get");
  std::deque<int>& contents = ctx.queue_contents[static_cast<std::size_t>(q)];
  if (item < 0 || item >= static_cast<int>(ctx.items.size())) {
    ctx.check(false, "queue {} gave item {}, which was never put", q, item);
    co_return 0;
  }
  QueueItem& it = ctx.items[static_cast<std::size_t>(item)];
  ctx.check(it.queue == q, "queue {} gave item {}, put into queue {}", q, item, it.queue);
  ctx.check(it.state == QueueItem::State::put, "queue {} gave item {}, which is not in it (state {})", q, item,
            static_cast<int>(it.state));
  ctx.check(!contents.empty() && contents.front() == item, "queue {} gave item {}, but its oldest item is {}", q, item,
            contents.empty() ? -1 : contents.front());
  if (const auto at = std::find(contents.begin(), contents.end(), item); at != contents.end()) contents.erase(at);
  it.state = QueueItem::State::got;
  check_queue_sizes(ctx);
  co_return 0;
}

void shut_down_queue(Context& ctx, int q, bool immediate) {
  const auto index = static_cast<std::size_t>(q);
  ctx.queues[index].shutdown(immediate);
  ctx.queue_shut_down[index] = true;
  if (immediate) {
    for (int item : ctx.queue_contents[index]) {
      ctx.items[static_cast<std::size_t>(item)].state = QueueItem::State::dropped;
    }
    ctx.queue_contents[index].clear();
  }
  check_queue_sizes(ctx);
}

void check_queue_sizes(Context& ctx) {
  for (std::size_t q = 0; q < Context::kSyncObjects; ++q) {
    ctx.check(ctx.queues[q].qsize() == ctx.queue_contents[q].size(), "queue {} holds {} items, the model {}", q,
              ctx.queues[q].qsize(), ctx.queue_contents[q].size());
  }
  ctx.check(ctx.queues[1].qsize() <= Context::kBoundedQueueSize, "the bounded queue holds {} items",
            ctx.queues[1].qsize());
}

void check_after_run(Context& ctx) {
  ctx.check(ctx.clock.now() == ctx.last_seen, "the clock ended at {}, after the last task ran",
            format_time(ctx.clock.now()));
  ctx.check(ctx.loop.pending_timer_count() == 0, "{} timers still armed after run", ctx.loop.pending_timer_count());
  ctx.check(!ctx.loop.next_deadline(), "a next deadline after run");
  ctx.check(ctx.loop.unfinished_task_count() == 0, "{} tasks unfinished after run", ctx.loop.unfinished_task_count());
  for (std::size_t i = 0; i < ctx.tasks.size(); ++i) {
    ctx.check(ctx.tasks[i].done(), "task {} not done after run", i);
    if (ctx.info[i].cancelled_before_start) {
      ctx.check(ctx.tasks[i].done() && ctx.tasks[i].cancelled(),
                "task {}, cancelled before it started, did not end cancelled", i);
    }
  }
  ctx.check(ctx.pending_sleeps.empty(), "{} sleeps never ended", ctx.pending_sleeps.size());
  ctx.check(ctx.live_bodies == 0, "{} bodies started and never ended", ctx.live_bodies);
  for (const QueueItem& it : ctx.items) {
    ctx.check(it.state != QueueItem::State::putting, "a put into queue {} never ended", it.queue);
  }
  for (std::size_t i = 0; i < Context::kSyncObjects; ++i) {
    ctx.check(!ctx.locks[i].locked() && ctx.lock_holders[i] == 0, "lock {} still held after run", i);
    // What is left in a queue is exactly the items put and not got, oldest first.
    std::vector<int> left;
    while (!ctx.queues[i].empty()) left.push_back(ctx.queues[i].get_nowait());
    const std::vector<int> expected(ctx.queue_contents[i].begin(), ctx.queue_contents[i].end());
    ctx.check(left == expected, "queue {} ended holding items [{}], the model [{}]", i, fmt::join(left, ", "),
              fmt::join(expected, ", "));
    ctx.check(ctx.queues[i].qsize() == 0, "queue {} holds {} items that get_nowait() cannot take after run", i,
              ctx.queues[i].qsize());
  }
}

bool tolerate_open_bugs() {
  static const bool tolerate = std::getenv("SIMTIME_FUZZ_STRICT") == nullptr;
  return tolerate;
}

}  // namespace simtime::fuzz

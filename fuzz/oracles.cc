#include "fuzz/oracles.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdlib>
#include <iterator>
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
  if (limit > 0ns && !overflow() && !ctx.limits_may_overrun()) {
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
  ctx.check(ctx.limits_may_overrun() || t == deadline, "{}: TimeoutError at {}, after its deadline {}", what,
            format_time(t), format_time(deadline));
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
  ++ctx.lock_holds[index];
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

int new_item(Context& ctx, int q, int producer, int priority) {
  const int item = static_cast<int>(ctx.items.size());
  ctx.items.push_back(QueueItem{q, producer, priority});
  return item;
}

void put_failed(Context& ctx, int item) {
  QueueItem& it = ctx.items[static_cast<std::size_t>(item)];
  ctx.check(it.state == QueueItem::State::putting, "the put of item {} failed, but the item went into queue {}", item,
            it.queue);
  it.state = QueueItem::State::withdrawn;
}

namespace {

std::size_t queue_size(const Context& ctx, int q) {
  if (q == Context::kLifoQueue) return ctx.lifo_queue.qsize();
  if (q == Context::kPriorityQueue) return ctx.priority_queue.qsize();
  return ctx.queues[static_cast<std::size_t>(q)].qsize();
}

// Where in `contents` (queue q's model, in put order) the item the queue must give next is.
std::deque<int>::const_iterator next_by_order(const Context& ctx, int q, const std::deque<int>& contents) {
  if (contents.empty()) return contents.end();
  if (q == Context::kLifoQueue) return std::prev(contents.end());
  if (q != Context::kPriorityQueue) return contents.begin();
  // The smallest priority; of equal ones, the first put.
  return std::min_element(contents.begin(), contents.end(), [&](int a, int b) {
    return ctx.items[static_cast<std::size_t>(a)].priority < ctx.items[static_cast<std::size_t>(b)].priority;
  });
}

}  // namespace

Coro<int> checked_put(Context& ctx, int item) {
  const QueueItem& put = ctx.items[static_cast<std::size_t>(item)];
  const int q = put.queue;
  if (q == Context::kLifoQueue) {
    co_await ctx.lifo_queue.put(item);
  } else if (q == Context::kPriorityQueue) {
    co_await ctx.priority_queue.put(Prioritized{put.priority, item});
  } else {
    co_await ctx.queues[static_cast<std::size_t>(q)].put(item);
  }
  ctx.observe("queue put");
  QueueItem& it = ctx.items[static_cast<std::size_t>(item)];
  ctx.check(it.state == QueueItem::State::putting, "item {} left queue {} before its put returned", item, q);
  it.state = QueueItem::State::put;
  ctx.queue_contents[static_cast<std::size_t>(q)].push_back(item);
  check_queue_sizes(ctx);
  co_return 0;
}

Coro<int> checked_get(Context& ctx, int q) {
  int item = 0;
  if (q == Context::kLifoQueue) {
    item = co_await ctx.lifo_queue.get();
  } else if (q == Context::kPriorityQueue) {
    item = (co_await ctx.priority_queue.get()).item;
  } else {
    item = co_await ctx.queues[static_cast<std::size_t>(q)].get();
  }
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
  const auto next = next_by_order(ctx, q, contents);
  ctx.check(next != contents.end() && *next == item, "queue {} gave item {}, but the next by its order is {}", q, item,
            next == contents.end() ? -1 : *next);
  if (const auto at = std::find(contents.begin(), contents.end(), item); at != contents.end()) contents.erase(at);
  it.state = QueueItem::State::got;
  check_queue_sizes(ctx);
  co_return 0;
}

void shut_down_queue(Context& ctx, int q, bool immediate) {
  const auto index = static_cast<std::size_t>(q);
  if (q == Context::kLifoQueue) {
    ctx.lifo_queue.shutdown(immediate);
  } else if (q == Context::kPriorityQueue) {
    ctx.priority_queue.shutdown(immediate);
  } else {
    ctx.queues[index].shutdown(immediate);
  }
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
  for (int q = 0; q < Context::kQueues; ++q) {
    const std::size_t size = queue_size(ctx, q);
    ctx.check(size == ctx.queue_contents[static_cast<std::size_t>(q)].size(), "queue {} holds {} items, the model {}",
              q, size, ctx.queue_contents[static_cast<std::size_t>(q)].size());
    if (q == 1 || q == Context::kLifoQueue) {
      ctx.check(size <= Context::kBoundedQueueSize, "the bounded queue {} holds {} items", q, size);
    }
  }
}

namespace {

void check_semaphore(Context& ctx, int s) {
  const Semaphore& semaphore = ctx.semaphores(s);
  const SemaphoreModel& model = ctx.semaphore_models[static_cast<std::size_t>(s)];
  ctx.check(semaphore.value() >= 0 && semaphore.value() <= model.free,
            "semaphore {} has value {}, but {} permits are not held", s, semaphore.value(), model.free);
  ctx.check(s == 0 || semaphore.value() <= Context::kPermits, "the BoundedSemaphore has value {}, past its bound {}",
            semaphore.value(), Context::kPermits);
}

// A holder gives its permit back by destroying `permit`; a BoundedSemaphore at its bound
// stays there (the guard never raises it past its bound).
void give_back(Context& ctx, int s, SemaphoreGuard& permit) {
  SemaphoreModel& model = ctx.semaphore_models[static_cast<std::size_t>(s)];
  if (s == 0 || ctx.semaphores(s).value() < Context::kPermits) ++model.free;
  --model.holders;
  { const SemaphoreGuard released = std::move(permit); }
  check_semaphore(ctx, s);
}

}  // namespace

Coro<int> checked_semaphore_hold(Context& ctx, int s, Duration d) {
  Semaphore& semaphore = ctx.semaphores(s);
  SemaphoreModel& model = ctx.semaphore_models[static_cast<std::size_t>(s)];
  const bool free = !semaphore.locked();
  const std::uint64_t steps = ctx.steps;
  const int ticket = model.tickets++;
  if (!free) model.waiting.push_back(ticket);  // it queues behind those waiting already
  const auto leave_queue = [&] {
    if (const auto at = std::find(model.waiting.begin(), model.waiting.end(), ticket); at != model.waiting.end()) {
      model.waiting.erase(at);
    }
  };
  SemaphoreGuard permit;
  try {
    permit = co_await semaphore.hold();
  } catch (...) {
    leave_queue();
    throw;
  }
  ctx.check(!free || ctx.steps == steps, "taking a free permit of semaphore {} suspended", s);
  ctx.observe("semaphore acquired");
  ctx.check(free || (!model.waiting.empty() && model.waiting.front() == ticket),
            "semaphore {} gave a permit to acquire {}, but acquire {} asked first", s, ticket,
            model.waiting.empty() ? -1 : model.waiting.front());
  leave_queue();
  ctx.check(model.free > 0, "semaphore {} gave a permit to a holder beyond its {} holders", s, model.holders);
  --model.free;
  ++model.holders;
  ctx.check(permit.owns_permit(), "the guard of a permit of semaphore {} does not own it", s);
  check_semaphore(ctx, s);
  try {
    co_await checked_sleep(ctx, d);
  } catch (...) {
    give_back(ctx, s, permit);
    throw;
  }
  give_back(ctx, s, permit);
  co_return 0;
}

void release_semaphore(Context& ctx, int s) {
  ctx.observe("semaphore release");
  Semaphore& semaphore = ctx.semaphores(s);
  const std::ptrdiff_t before = semaphore.value();
  bool refused = false;
  try {
    semaphore.release();
  } catch (const std::invalid_argument&) {
    refused = true;
  }
  const bool at_bound = s == 1 && before >= Context::kPermits;
  ctx.check(refused == at_bound, "release() of semaphore {} at value {} was {}", s, before,
            refused ? "refused" : "accepted");
  if (!refused) ++ctx.semaphore_models[static_cast<std::size_t>(s)].free;
  check_semaphore(ctx, s);
}

namespace {

// Condition `c`'s lock was just taken by a body (no body holds a condition's lock across a
// suspension but lock_hold, which takes condition 1's).
void check_condition_lock_taken(Context& ctx, int c, const char* how) {
  ctx.check(ctx.conditions[static_cast<std::size_t>(c)].locked(), "condition {}: {} without the lock", c, how);
  if (c == 1) {
    ctx.check(ctx.lock_holders[1] == 0, "condition 1: {} while body {} holds lock 1", how, ctx.lock_holders[1] - 1);
  }
}

// A wait of condition `c` ended, with the lock taken back: returned after a notification,
// or threw CancelledError.
void wait_ended(Context& ctx, int c, bool notified) {
  ctx.observe(notified ? "condition wait" : "condition wait cancelled");
  ConditionModel& model = ctx.condition_models[static_cast<std::size_t>(c)];
  check_condition_lock_taken(ctx, c, notified ? "wait() returned" : "wait() threw CancelledError");
  --model.waiting;
  if (notified) {
    ++model.notified;
    ctx.check(model.notified <= model.notifications,
              "condition {}: {} waits returned, but at most {} notifications were given", c, model.notified,
              model.notifications);
  } else {
    ++model.notifications;  // it may pass a notification it got to the next waiter
  }
}

void notify_condition(Context& ctx, int c, bool all, std::size_t n) {
  Condition& condition = ctx.conditions[static_cast<std::size_t>(c)];
  ConditionModel& model = ctx.condition_models[static_cast<std::size_t>(c)];
  if (all) {
    condition.notify_all();
  } else {
    condition.notify(n);
  }
  if (all || n >= model.waiting) {
    model.notifications += model.waiting;
    model.everyone_notified.push_back(ctx.observe("condition notify"));
  } else {
    model.notifications += n;
  }
}

}  // namespace

Coro<int> checked_condition_wait(Context& ctx, int c, bool without_lock, std::optional<std::size_t>& began) {
  Condition& condition = ctx.conditions[static_cast<std::size_t>(c)];
  if (without_lock) {
    // Held by a lock_hold of lock 1: wait() would release that holder's lock.
    if (condition.locked()) co_return 0;
    bool refused = false;
    try {
      co_await condition.wait();
    } catch (const InvalidStateError&) {
      refused = true;
    }
    ctx.observe("condition wait without the lock");
    ctx.check(refused, "condition {}: wait() without the lock did not throw InvalidStateError", c);
    co_return 0;
  }
  LockGuard guard = co_await condition.lock();
  ctx.observe("condition lock taken");
  check_condition_lock_taken(ctx, c, "lock() returned");
  ConditionModel& model = ctx.condition_models[static_cast<std::size_t>(c)];
  began = model.everyone_notified.size();
  ++model.waiting;
  const std::uint64_t lock_holds = ctx.lock_holds[1];
  try {
    co_await condition.wait();
  } catch (const CancelledError&) {
    if (c == 1 && ctx.lock_holds[1] != lock_holds) ctx.cancellation_delayed = true;
    wait_ended(ctx, c, false);
    throw;
  }
  wait_ended(ctx, c, true);
  co_return 0;
}

Coro<> checked_condition_notify(Context& ctx, int c, std::uint8_t flags, std::uint8_t n) {
  Condition& condition = ctx.conditions[static_cast<std::size_t>(c)];
  const bool all = (flags & 0x80) != 0;
  const std::size_t count = n % 4;
  if ((flags & 0x40) != 0) {
    const bool locked = condition.locked();  // by a lock_hold of lock 1: notify is allowed
    bool refused = false;
    try {
      notify_condition(ctx, c, all, count);
    } catch (const InvalidStateError&) {
      refused = true;
    }
    ctx.observe("condition notify without the lock");
    ctx.check(refused == !locked, "condition {}: notify without the lock {} while locked() is {}", c,
              refused ? "refused" : "accepted", locked);
    co_return;
  }
  LockGuard guard = co_await condition.lock();
  ctx.observe("condition lock taken");
  check_condition_lock_taken(ctx, c, "lock() returned");
  notify_condition(ctx, c, all, count);
}

void check_condition_timeout(Context& ctx, int c, std::optional<std::size_t> began, TimePoint deadline) {
  // Only condition 0: a notified waiter of condition 1 may wait for lock 1 past its deadline.
  if (c != 0 || !began) return;
  const auto& everyone = ctx.condition_models[0].everyone_notified;
  if (everyone.size() > *began) {
    ctx.check(everyone[*began] >= deadline, "a wait of condition 0 timed out at {}, although it was notified at {}",
              format_time(deadline), format_time(everyone[*began]));
  }
}

Coro<int> checked_barrier_wait(Context& ctx, int b) {
  Barrier& barrier = ctx.barriers[static_cast<std::size_t>(b)];
  BarrierModel& model = ctx.barrier_models[static_cast<std::size_t>(b)];
  const BarrierModel start = model;
  const std::uint64_t steps = ctx.steps;
  std::size_t index = 0;
  try {
    index = co_await barrier.wait();
  } catch (const BrokenBarrierError&) {
    ctx.check(!start.broken || ctx.steps == steps, "a wait at the broken barrier {} suspended", b);
    ctx.observe("barrier broken");
    ctx.check(start.broken || model.breaks > start.breaks,
              "a wait at barrier {} threw BrokenBarrierError, but it was neither broken nor reset since it began", b);
    co_return 0;
  }
  ctx.observe("barrier passed");
  ctx.check(!start.broken, "a wait at the broken barrier {} returned index {}", b, index);
  ctx.check(index < barrier.parties(), "a wait at barrier {} of {} parties returned index {}", b, barrier.parties(),
            index);
  if (index + 1 == barrier.parties()) {
    ++model.releases;  // the last party: it released the others
  } else {
    ctx.check(model.releases > start.releases, "a wait at barrier {} returned index {}, but no last party came", b,
              index);
  }
  co_return 0;
}

void break_barrier(Context& ctx, int b, bool reset) {
  ctx.observe(reset ? "barrier reset" : "barrier abort");
  Barrier& barrier = ctx.barriers[static_cast<std::size_t>(b)];
  BarrierModel& model = ctx.barrier_models[static_cast<std::size_t>(b)];
  if (reset) {
    barrier.reset();
  } else {
    barrier.abort();
  }
  model.broken = !reset;
  ++model.breaks;
  ctx.check(barrier.broken() == model.broken, "barrier {} broken() is {} after {}", b, barrier.broken(),
            reset ? "reset()" : "abort()");
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
  }
  for (int q = 0; q < Context::kQueues; ++q) {
    // What is left in a queue is exactly the items put and not got, in the queue's order.
    std::vector<int> left;
    if (q == Context::kLifoQueue) {
      while (!ctx.lifo_queue.empty()) left.push_back(ctx.lifo_queue.get_nowait());
    } else if (q == Context::kPriorityQueue) {
      while (!ctx.priority_queue.empty()) left.push_back(ctx.priority_queue.get_nowait().item);
    } else {
      while (!ctx.queues[static_cast<std::size_t>(q)].empty()) {
        left.push_back(ctx.queues[static_cast<std::size_t>(q)].get_nowait());
      }
    }
    std::deque<int> contents = ctx.queue_contents[static_cast<std::size_t>(q)];
    std::vector<int> expected;
    while (!contents.empty()) {
      const auto next = next_by_order(ctx, q, contents);
      expected.push_back(*next);
      contents.erase(next);
    }
    ctx.check(left == expected, "queue {} ended holding items [{}], the model [{}]", q, fmt::join(left, ", "),
              fmt::join(expected, ", "));
    ctx.check(queue_size(ctx, q) == 0, "queue {} holds {} items that get_nowait() cannot take after run", q,
              queue_size(ctx, q));
  }
  for (int s = 0; s < Context::kSyncObjects; ++s) {
    const SemaphoreModel& model = ctx.semaphore_models[static_cast<std::size_t>(s)];
    ctx.check(model.holders == 0 && model.waiting.empty(), "semaphore {} has {} holders and {} waiters after run", s,
              model.holders, model.waiting.size());
    ctx.check(ctx.semaphores(s).value() == model.free, "semaphore {} ended with value {}, but {} permits are free", s,
              ctx.semaphores(s).value(), model.free);
  }
  for (std::size_t c = 0; c < Context::kSyncObjects; ++c) {
    ctx.check(ctx.condition_models[c].waiting == 0, "{} waits of condition {} never ended",
              ctx.condition_models[c].waiting, c);
    ctx.check(!ctx.conditions[c].locked(), "condition {}'s lock still held after run", c);
  }
  for (std::size_t b = 0; b < Context::kSyncObjects; ++b) {
    ctx.check(ctx.barriers[b].n_waiting() == 0, "{} tasks still wait at barrier {} after run",
              ctx.barriers[b].n_waiting(), b);
    ctx.check(ctx.barriers[b].broken() == ctx.barrier_models[b].broken, "barrier {} ended with broken() {}", b,
              ctx.barriers[b].broken());
  }
}

bool tolerate_open_bugs() {
  static const bool tolerate = std::getenv("SIMTIME_FUZZ_STRICT") == nullptr;
  return tolerate;
}

}  // namespace simtime::fuzz

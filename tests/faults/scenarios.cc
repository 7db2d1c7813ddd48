#include "tests/faults/scenarios.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <deque>
#include <memory>
#include <simtime/simtime.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace simtime::faults {
namespace {

using namespace std::chrono_literals;

Coro<int> value_after(Duration delay, int value) {
  co_await sleep(delay);
  co_return value;
}

// Three suspension points: a sleep, a yield, a sleep.
Coro<int> three_steps(int value) {
  co_await sleep(1s);
  co_await sleep(0s);
  co_await sleep(1s);
  co_return value;
}

Coro<int> fail_after(Duration delay) {
  co_await sleep(delay);
  throw std::runtime_error("planned failure");
}

// A vector of task handles. (g++ 12 rejects braced initializer lists inside coroutines:
// "array used as initializer".)
template <class T, class... More>
std::vector<Task<T>> tasks_of(const Task<T>& first, const More&... more) {
  std::vector<Task<T>> tasks;
  tasks.reserve(1 + sizeof...(more));
  tasks.push_back(first);
  (tasks.push_back(more), ...);
  return tasks;
}

// A scenario whose clean run must reach its end.
class FinishingScenario : public Scenario {
 public:
  void check(bool clean, std::vector<std::string>& problems) override {
    if (clean && !finished_) problems.push_back("the clean run did not do all its work");
    check_state(problems);
  }

 protected:
  virtual void check_state(std::vector<std::string>&) {}
  bool finished_ = false;
};

// Counts the tasks inside a critical section.
struct Occupancy {
  int inside = 0;
  int most_inside = 0;
  int sections = 0;  // sections completed
};

class Inside {
 public:
  explicit Inside(Occupancy& occupancy) : occupancy_(occupancy) {
    occupancy_.most_inside = std::max(occupancy_.most_inside, ++occupancy_.inside);
  }
  ~Inside() { --occupancy_.inside; }
  Inside(const Inside&) = delete;
  Inside& operator=(const Inside&) = delete;

 private:
  Occupancy& occupancy_;
};

// The primitive's diagnostic state, "[unlocked]".
template <class Primitive>
std::string state_of(const Primitive& primitive) {
  const std::string text = fmt::format("{}", primitive);
  return text.substr(text.find('['));
}

// ---- sleep ------------------------------------------------------------------------------

class SleepScenario final : public FinishingScenario {
 public:
  Coro<> main(Faults&) override {
    co_await sleep(1s);
    co_await sleep(0s);
    co_await sleep_until(now() + 2s);
    co_await sleep(-1s);
    co_await sleep_until(now() - 1s);
    co_await sleep(3s);
    finished_ = now() == TimePoint(6s);
  }
};

// ---- awaiting a Task --------------------------------------------------------------------

class AwaitTaskScenario final : public FinishingScenario {
 public:
  Coro<> main(Faults& faults) override {
    Task<int> child = faults.spawn("child", three_steps(7));
    kept_ = child;  // a handle that outlives the loop, as tests often keep one
    int value = co_await child;
    value += co_await child;  // finished: does not suspend
    Task<int> failing = faults.spawn("failing", fail_after(1s));
    try {
      co_await failing;
    } catch (const CancelledError&) {
      throw;
    } catch (const std::runtime_error&) {
      ++value;
    }
    // A named task (the name is an allocation of its own) that fails with nobody retrieving
    // its exception: dropping the last handle reports it, with its name, to the handler.
    co_await wait(tasks_of(create_task(fail_after(1s), "a task with a name longer than fifteen")));
    value += co_await create_task(three_steps(1), "named");
    finished_ = value == 16;
  }

 private:
  void check_state(std::vector<std::string>& problems) override {
    if (kept_.valid() && !kept_.done()) problems.push_back("a task outlived its loop unfinished");
    kept_ = Task<int>();
  }

  Task<int> kept_;
};

// ---- gather -----------------------------------------------------------------------------

class GatherScenario final : public FinishingScenario {
 public:
  Coro<> main(Faults& faults) override {
    Task<int> a = faults.spawn("a", value_after(1s, 1));
    Task<int> b = faults.spawn("b", three_steps(2));
    auto [x, y, z] = co_await gather(a, b, value_after(3s, 3));
    bool failed = false;
    try {
      co_await gather(faults.spawn("failing", fail_after(1s)), value_after(2s, 0));
    } catch (const CancelledError&) {
      throw;
    } catch (const std::runtime_error&) {
      failed = true;
    }
    std::vector<Coro<int>> coros;
    coros.push_back(value_after(1s, 4));
    coros.push_back(value_after(0s, 5));
    const std::vector<int> more = co_await gather(std::move(coros));
    finished_ = failed && x + y + z + more.at(0) + more.at(1) == 15;
  }
};

class GatherReturnExceptionsScenario final : public FinishingScenario {
 public:
  Coro<> main(Faults& faults) override {
    Task<int> a = faults.spawn("a", value_after(1s, 1));
    Task<int> failing = faults.spawn("failing", fail_after(2s));
    auto [x, y, z] = co_await gather(return_exceptions, a, failing, value_after(3s, 3));
    Task<int> c = faults.spawn("c", three_steps(4));
    Task<int> d = faults.spawn("d", fail_after(1s));
    const std::vector<Task<int>> tasks = tasks_of(c, d);
    const auto outcomes = co_await gather(return_exceptions, tasks);
    finished_ = x.index() == 0 && y.index() == 1 && z.index() == 0 && outcomes.at(0).index() == 0 &&
                outcomes.at(1).index() == 1;
  }
};

// ---- wait_for and timeout ---------------------------------------------------------------

class WaitForScenario final : public FinishingScenario {
 public:
  Coro<> main(Faults& faults) override {
    int timeouts = 0;
    try {
      co_await wait_for(value_after(5s, 1), 2s);
    } catch (const TimeoutError&) {
      ++timeouts;
    }
    Task<int> task = faults.spawn("task", three_steps(2));
    int value = co_await wait_for(task, 5s);
    Task<int> slow = faults.spawn("slow", value_after(10s, 3));
    try {
      co_await wait_for(slow, 1s);  // cancels `slow`
    } catch (const TimeoutError&) {
      ++timeouts;
    }
    try {
      co_await wait_for(value_after(1s, 4), 0s);  // never runs the coroutine
    } catch (const TimeoutError&) {
      ++timeouts;
    }
    value += co_await wait_for(value_after(1s, 5), 2s);
    finished_ = timeouts == 3 && value == 7 && slow.cancelled();
  }
};

class TimeoutScenario final : public FinishingScenario {
 public:
  Coro<> main(Faults& faults) override {
    int timeouts = 0;
    try {
      co_await timeout(3s, [](Timeout&) -> Coro<> {
        co_await sleep(1s);
        co_await sleep(5s);
      });
    } catch (const TimeoutError&) {
      ++timeouts;
    }
    Task<int> worker = faults.spawn("worker", value_after(10s, 1));
    try {
      co_await timeout(2s, [&worker](Timeout&) -> Coro<> { co_await worker; });  // cancels `worker`
    } catch (const TimeoutError&) {
      ++timeouts;
    }
    co_await timeout(1s, [](Timeout& scope) -> Coro<> {
      scope.reschedule(now() + 5s);
      co_await sleep(3s);
    });
    const int value = co_await timeout_at(std::nullopt, value_after(1s, 2));
    finished_ = timeouts == 2 && value == 2 && worker.cancelled();
  }
};

// ---- shield -----------------------------------------------------------------------------

class ShieldScenario final : public FinishingScenario {
 public:
  Coro<> main(Faults& faults) override {
    Task<int> inner = faults.spawn("inner", three_steps(5));
    Task<int> waiter = faults.spawn("waiter", await_shielded(inner));
    int value = co_await shield(inner);
    co_await wait(tasks_of(inner, waiter));
    value += co_await shield(value_after(1s, 6));
    finished_ = value == 11;
  }

 private:
  static Coro<int> await_shielded(Task<int> task) { co_return co_await shield(task); }
};

// ---- wait and as_completed --------------------------------------------------------------

class WaitScenario final : public FinishingScenario {
 public:
  Coro<> main(Faults& faults) override {
    Task<int> a = faults.spawn("a", value_after(1s, 1));
    Task<int> b = faults.spawn("b", three_steps(2));
    const auto first = co_await wait(tasks_of(a, b), FIRST_COMPLETED);
    const auto limited = co_await wait(tasks_of(a, b), ALL_COMPLETED, Duration(500ms));
    const auto all = co_await wait(tasks_of(a, b));
    Task<int> c = faults.spawn("c", value_after(2s, 3));
    Task<int> d = faults.spawn("d", fail_after(1s));
    auto completed = as_completed(tasks_of(c, d), Duration(10s));
    int handed_out = 0;
    while (completed.remaining() > 0) {
      const Task<int> next = co_await completed.next();
      if (!next.cancelled()) (void)next.exception();
      ++handed_out;
    }
    finished_ = first.done.size() == 1 && limited.pending.size() == 1 && all.pending.empty() && handed_out == 2;
  }
};

// ---- task_group -------------------------------------------------------------------------

class TaskGroupScenario final : public FinishingScenario {
 public:
  Coro<> main(Faults& faults) override {
    bool failed = false;
    try {
      co_await task_group([this, &faults](TaskGroup& group) -> Coro<> {
        faults.watch("a", group.create_task(member(*this, 1s, false)));
        faults.watch("failing", group.create_task(member(*this, 2s, true)));
        faults.watch("c", group.create_task(member(*this, 5s, false)));
        co_await sleep(10s);
      });
    } catch (const CancelledError&) {
      throw;
    } catch (const std::exception&) {  // the planned failure, or a bad_alloc
      failed = true;
    }
    first_group_done_ = true;
    const int value = co_await task_group([&faults](TaskGroup& group) -> Coro<int> {
      const Task<int> d = faults.watch("d", group.create_task(three_steps(4)));
      co_return 1 + co_await d;
    });
    co_await sleep(10s);  // time for a task of the first group to show it outlived it
    finished_ = failed && value == 5;
  }

 private:
  // A task of the first group: it must never run once the group has finished.
  static Coro<int> member(TaskGroupScenario& self, Duration delay, bool fail) {
    co_await sleep(delay);
    if (self.first_group_done_) self.outlived_group_ = true;
    if (fail) throw std::runtime_error("planned failure");
    co_return 1;
  }
  void check_state(std::vector<std::string>& problems) override {
    if (outlived_group_) problems.push_back("a task created in a TaskGroup ran after the group had finished");
  }

  bool first_group_done_ = false;
  bool outlived_group_ = false;
};

// ---- Event ------------------------------------------------------------------------------

class EventScenario final : public FinishingScenario {
 public:
  Coro<> main(Faults& faults) override {
    Task<> waiter1 = faults.spawn("waiter1", waiter(ready_));
    Task<> waiter2 = faults.spawn("waiter2", waiter(ready_));
    Task<> setter = faults.spawn("setter", set_twice(ready_));
    co_await wait(tasks_of(setter));
    ready_.set();  // in case the setter did not get there
    co_await wait(tasks_of(waiter1, waiter2));
    finished_ = !waiter1.cancelled() && !waiter2.cancelled() && !setter.cancelled();
  }

 private:
  static Coro<> waiter(Event& ready) {
    co_await ready.wait();
    co_await ready.wait();  // cleared in between: waits for the second set()
  }
  static Coro<> set_twice(Event& ready) {
    co_await sleep(1s);
    ready.set();
    ready.clear();
    co_await sleep(1s);
    ready.set();
  }
  void check_state(std::vector<std::string>& problems) override {
    if (state_of(ready_).find("waiters") != std::string::npos) {
      problems.push_back("the event still has waiters: " + state_of(ready_));
    }
  }

  Event ready_{"ready"};
};

// ---- Lock -------------------------------------------------------------------------------

class LockScenario final : public FinishingScenario {
 public:
  Coro<> main(Faults& faults) override {
    Task<> worker1 = faults.spawn("worker1", guarded(*this));
    Task<> worker2 = faults.spawn("worker2", guarded(*this));
    Task<> worker3 = faults.spawn("worker3", manual(*this));
    co_await wait(tasks_of(worker1, worker2, worker3));
    finished_ = occupancy_.sections == 5;
  }

 private:
  static Coro<> guarded(LockScenario& self) {
    for (int i = 0; i < 2; ++i) {
      LockGuard guard = co_await self.lock_.lock();
      const Inside inside(self.occupancy_);
      co_await sleep(1s);
      ++self.occupancy_.sections;
    }
  }
  // acquire() and release() by hand, asyncio's try/finally.
  static Coro<> manual(LockScenario& self) {
    co_await self.lock_.acquire();
    try {
      const Inside inside(self.occupancy_);
      co_await sleep(1s);
      ++self.occupancy_.sections;
    } catch (...) {
      self.lock_.release();
      throw;
    }
    self.lock_.release();
  }
  void check_state(std::vector<std::string>& problems) override {
    if (lock_.locked()) problems.push_back("the lock is still held");
    if (state_of(lock_) != "[unlocked]") problems.push_back("the lock is left " + state_of(lock_));
    if (occupancy_.inside != 0) problems.push_back(fmt::format("{} task(s) still inside", occupancy_.inside));
    if (occupancy_.most_inside > 1) {
      problems.push_back(fmt::format("{} tasks held the lock at once", occupancy_.most_inside));
    }
  }

  Lock lock_{"db"};
  Occupancy occupancy_;
};

// ---- Semaphore --------------------------------------------------------------------------

class SemaphoreScenario final : public FinishingScenario {
 public:
  Coro<> main(Faults& faults) override {
    Task<> worker1 = faults.spawn("worker1", holder(*this));
    Task<> worker2 = faults.spawn("worker2", holder(*this));
    Task<> worker3 = faults.spawn("worker3", holder(*this));
    Task<> worker4 = faults.spawn("worker4", manual(*this));
    co_await wait(tasks_of(worker1, worker2, worker3, worker4));
    finished_ = occupancy_.sections == 7;
  }

 private:
  static constexpr std::ptrdiff_t permits = 2;

  static Coro<> holder(SemaphoreScenario& self) {
    for (int i = 0; i < 2; ++i) {
      SemaphoreGuard permit = co_await self.semaphore_.hold();
      const Inside inside(self.occupancy_);
      co_await sleep(1s);
      ++self.occupancy_.sections;
    }
  }
  static Coro<> manual(SemaphoreScenario& self) {
    co_await self.semaphore_.acquire();
    try {
      const Inside inside(self.occupancy_);
      co_await sleep(1s);
      ++self.occupancy_.sections;
    } catch (...) {
      self.semaphore_.release();
      throw;
    }
    self.semaphore_.release();
  }
  void check_state(std::vector<std::string>& problems) override {
    if (semaphore_.value() != permits || semaphore_.locked()) {
      problems.push_back(fmt::format("the semaphore is left {} (value {}, expected {})", state_of(semaphore_),
                                     semaphore_.value(), permits));
    }
    if (occupancy_.inside != 0) problems.push_back(fmt::format("{} task(s) still inside", occupancy_.inside));
    if (occupancy_.most_inside > permits) {
      problems.push_back(fmt::format("{} tasks held a permit at once", occupancy_.most_inside));
    }
  }

  BoundedSemaphore semaphore_{permits, "pool"};
  Occupancy occupancy_;
};

// ---- Condition --------------------------------------------------------------------------

class ConditionScenario final : public FinishingScenario {
 public:
  Coro<> main(Faults& faults) override {
    Task<> producer = faults.spawn("producer", produce(*this));
    Task<> consumer1 = faults.spawn("consumer1", consume_with_wait_for(*this));
    Task<> consumer2 = faults.spawn("consumer2", consume_with_wait(*this));
    Task<> consumer3 = faults.spawn("consumer3", consume_within_limits(*this));
    co_await wait(tasks_of(producer));
    {
      LockGuard guard = co_await changed_.lock();
      closed_ = true;
      changed_.notify_all();
    }
    co_await wait(tasks_of(consumer1, consumer2, consumer3));
    int consumed = 0;
    for (const int count : consumed_) consumed += count;
    finished_ = consumed == items;
  }

 private:
  static constexpr int items = 4;

  [[nodiscard]] bool ready() const { return !store_.empty() || closed_; }

  static Coro<> produce(ConditionScenario& self) {
    for (int item = 1; item <= items; ++item) {
      co_await sleep(1s);
      LockGuard guard = co_await self.changed_.lock();
      self.store_.push_back(item);
      ++self.produced_[item];
      self.changed_.notify();
    }
  }
  // Takes one item with the lock held; false once the producer is done and nothing is left.
  bool take_one() {
    if (store_.empty()) return false;
    ++consumed_[store_.front()];
    store_.pop_front();
    return true;
  }
  static Coro<> consume_with_wait_for(ConditionScenario& self) {
    while (true) {
      LockGuard guard = co_await self.changed_.lock();
      co_await self.changed_.wait_for([&self] { return self.ready(); });
      if (!self.take_one()) break;
      guard.unlock();
      co_await sleep(500ms);
    }
  }
  static Coro<> consume_with_wait(ConditionScenario& self) {
    while (true) {
      LockGuard guard = co_await self.changed_.lock();
      while (!self.ready()) co_await self.changed_.wait();
      if (!self.take_one()) break;
      guard.unlock();
      co_await sleep(500ms);
    }
  }
  // Waits under a time limit that expires while it is notified, or queued for the lock: a
  // notification it received must go to another waiter.
  static Coro<> consume_within_limits(ConditionScenario& self) {
    for (int attempt = 0; attempt < 6; ++attempt) {
      LockGuard guard = co_await self.changed_.lock();
      try {
        co_await timeout(
            700ms, [&self](Timeout&) -> Coro<> { co_await self.changed_.wait_for([&self] { return self.ready(); }); });
      } catch (const TimeoutError&) {
        continue;
      }
      if (!self.take_one()) break;
      guard.unlock();
      co_await sleep(300ms);
    }
  }
  void check_state(std::vector<std::string>& problems) override {
    if (changed_.locked()) problems.push_back("the condition's lock is still held");
    if (state_of(changed_) != "[unlocked]") problems.push_back("the condition is left " + state_of(changed_));
    std::array<int, items + 1> left{};
    for (const int item : store_) ++left.at(item);
    for (int item = 1; item <= items; ++item) {
      if (produced_[item] > 1 || consumed_[item] > 1 || produced_[item] != consumed_[item] + left[item]) {
        problems.push_back(fmt::format("item {}: produced {}, consumed {}, left {}", item, produced_[item],
                                       consumed_[item], left[item]));
      }
    }
  }

  Condition changed_{"changed"};
  std::deque<int> store_;
  bool closed_ = false;
  std::array<int, items + 1> produced_{};
  std::array<int, items + 1> consumed_{};
};

// ---- Queue ------------------------------------------------------------------------------

class QueueScenario final : public FinishingScenario {
 public:
  Coro<> main(Faults& faults) override {
    Task<> producer1 = faults.spawn("producer1", produce(*this, 1, 3));
    Task<> producer2 = faults.spawn("producer2", produce(*this, 4, items));
    Task<> consumer1 = faults.spawn("consumer1", consume(*this));
    Task<> consumer2 = faults.spawn("consumer2", consume(*this));
    Task<> consumer3 = faults.spawn("consumer3", consume_within_limits(*this));
    const auto producers = co_await wait(tasks_of(producer1, producer2), ALL_COMPLETED, Duration(100s));
    // Items take 1 s each to handle: after 100 s a producer may only still be blocked on a
    // full queue if every consumer has gone.
    if (!producers.pending.empty() && !(consumer1.done() && consumer2.done() && consumer3.done())) stalled_ = true;
    queue_.shutdown();
    co_await wait(tasks_of(producer1, producer2, consumer1, consumer2, consumer3));
    int got = 0;
    for (const int count : got_) got += count;
    finished_ = got == items;
  }

 private:
  static constexpr int items = 6;

  // A producer still blocked when the queue shuts down (every consumer gone) gets
  // QueueShutDown.
  [[nodiscard]] bool allowed(const std::string& role, const std::string& outcome) const override {
    return Scenario::allowed(role, outcome) ||
           (role.rfind("producer", 0) == 0 && outcome.rfind("simtime::QueueShutDown", 0) == 0);
  }

  static Coro<> produce(QueueScenario& self, int first, int last) {
    for (int item = first; item <= last; ++item) {
      co_await self.queue_.put(item);
      ++self.put_[item];
    }
  }
  void got(int item) {
    ++got_.at(item);
    queue_.task_done();
    ++task_dones_;
  }
  static Coro<> consume(QueueScenario& self) {
    while (true) {
      int item = 0;
      try {
        item = co_await self.queue_.get();
      } catch (const QueueShutDown&) {
        break;
      }
      self.got(item);
      co_await sleep(1s);
    }
  }
  static Coro<int> get_one(Queue<int>& queue) { co_return co_await queue.get(); }
  // A getter under a time limit that expires at the very instants items arrive: its wait is
  // cancelled after it may have been promised an item.
  static Coro<> consume_within_limits(QueueScenario& self) {
    for (int attempt = 0; attempt < 4; ++attempt) {
      int item = 0;
      try {
        item = co_await wait_for(get_one(self.queue_), 1s);
      } catch (const TimeoutError&) {
        continue;
      } catch (const QueueShutDown&) {
        break;
      }
      self.got(item);
    }
  }
  void check_state(std::vector<std::string>& problems) override {
    if (stalled_) problems.push_back("a producer stayed blocked for 100 s while a consumer was still there");
    const std::string state = state_of(queue_);
    if (state.find("getters") != std::string::npos || state.find("putters") != std::string::npos) {
      problems.push_back("the queue still has waiters: " + state);
    }
    const std::size_t unfinished = queue_.unfinished_tasks();
    std::array<int, items + 1> left{};
    while (!queue_.empty()) ++left.at(queue_.get_nowait());
    int put = 0;
    for (int item = 1; item <= items; ++item) {
      put += put_[item];
      if (put_[item] > 1 || got_[item] > 1 || put_[item] != got_[item] + left[item]) {
        problems.push_back(
            fmt::format("item {}: put {}, got {}, left in the queue {}", item, put_[item], got_[item], left[item]));
      }
    }
    if (unfinished != static_cast<std::size_t>(put - task_dones_)) {
      problems.push_back(fmt::format("unfinished_tasks() is {}, but {} items were put and {} task_done() called",
                                     unfinished, put, task_dones_));
    }
  }

  Queue<int> queue_{2, "jobs"};
  std::array<int, items + 1> put_{};
  std::array<int, items + 1> got_{};
  int task_dones_ = 0;
  bool stalled_ = false;
};

// ---- Queue: join and shutdown ----------------------------------------------------------

class QueueShutdownScenario final : public FinishingScenario {
 public:
  Coro<> main(Faults& faults) override {
    Task<> producer = faults.spawn("producer", produce(*this));
    Task<> consumer = faults.spawn("consumer", consume(*this));
    Task<> joiner = faults.spawn("joiner", join(*this));
    co_await sleep(2500ms);
    dropped_ = static_cast<int>(queue_.qsize());
    queue_.shutdown(/*immediate=*/true);
    shut_down_ = true;
    co_await wait(tasks_of(producer, consumer, joiner));
    finished_ = joined_;
  }

 private:
  static constexpr int items = 5;

  // The producer may be blocked on a full queue when it shuts down.
  [[nodiscard]] bool allowed(const std::string& role, const std::string& outcome) const override {
    return Scenario::allowed(role, outcome) || (role == "producer" && outcome.rfind("simtime::QueueShutDown", 0) == 0);
  }

  static Coro<> produce(QueueShutdownScenario& self) {
    for (int item = 1; item <= items; ++item) {
      co_await self.queue_.put(item);
      ++self.put_;
    }
  }
  static Coro<> consume(QueueShutdownScenario& self) {
    while (true) {
      try {
        (void)co_await self.queue_.get();
      } catch (const QueueShutDown&) {
        break;
      }
      ++self.got_;
      try {
        co_await sleep(1s);  // handling it
      } catch (...) {
        self.done_with_item();  // asyncio's try/finally: join() must not wait for it forever
        throw;
      }
      self.done_with_item();
    }
  }
  void done_with_item() {
    queue_.task_done();
    ++task_dones_;
  }
  // join() returns once every item put was handled, or dropped by the immediate shutdown.
  static Coro<> join(QueueShutdownScenario& self) {
    co_await sleep(500ms);
    co_await self.queue_.join();
    self.joined_ = true;
  }
  void check_state(std::vector<std::string>& problems) override {
    // Without the shutdown (the main task was cancelled first), items may be left in the queue.
    const int left = static_cast<int>(queue_.qsize());
    if (put_ != got_ + dropped_ + left) {
      problems.push_back(
          fmt::format("{} items put, {} got, {} dropped by shutdown, {} left", put_, got_, dropped_, left));
    }
    const std::string state = state_of(queue_);
    if (state.find("getters") != std::string::npos || state.find("putters") != std::string::npos) {
      problems.push_back("the queue still has waiters: " + state);
    }
    if (shut_down_ && left != 0) problems.push_back("items left in a queue shut down at once: " + state);
    // The items got but never marked done (their consumer was cancelled while handling them)
    // stay unfinished; the dropped ones count as done.
    const int expected_unfinished = put_ - task_dones_ - dropped_;
    if (queue_.unfinished_tasks() != static_cast<std::size_t>(expected_unfinished)) {
      problems.push_back(fmt::format("unfinished_tasks() is {}; {} put, {} task_done(), {} dropped",
                                     queue_.unfinished_tasks(), put_, task_dones_, dropped_));
    }
  }

  PriorityQueue<int> queue_{1, "jobs"};
  int put_ = 0;
  int got_ = 0;
  int task_dones_ = 0;
  int dropped_ = 0;
  bool shut_down_ = false;
  bool joined_ = false;
};

// ---- Barrier ----------------------------------------------------------------------------

class BarrierScenario final : public FinishingScenario {
 public:
  Coro<> main(Faults& faults) override {
    std::vector<Task<>> parties;
    for (int id = 0; id < parties_count; ++id)
      parties.push_back(faults.spawn(fmt::format("party{}", id + 1), party(*this, id)));
    const auto result = co_await wait(parties, ALL_COMPLETED, Duration(100s));
    if (!result.pending.empty()) {
      // Legitimate only if a party has gone: the others wait for it forever.
      if (result.done.empty()) stalled_ = true;
      barrier_.abort();
      co_await wait(parties);
    }
    finished_ = all_passed();
  }

 private:
  static constexpr int parties_count = 3;
  static constexpr int rounds = 2;

  // Parties left waiting for one that has gone are released by abort().
  [[nodiscard]] bool allowed(const std::string& role, const std::string& outcome) const override {
    return Scenario::allowed(role, outcome) || outcome.rfind("simtime::BrokenBarrierError", 0) == 0;
  }

  [[nodiscard]] bool all_passed() const {
    for (const auto& round : arrivals_) {
      for (const int count : round) {
        if (count != 1) return false;
      }
    }
    return true;
  }
  static Coro<> party(BarrierScenario& self, int id) {
    for (int round = 0; round < rounds; ++round) {
      co_await sleep(std::chrono::seconds(id));
      const std::size_t index = co_await self.barrier_.wait();
      ++self.arrivals_.at(round).at(index);
    }
  }
  static Coro<std::size_t> fresh_party(Barrier& barrier) { co_return co_await barrier.wait(); }
  static Coro<std::vector<std::size_t>> fresh_round(Barrier& barrier) {
    std::vector<Task<std::size_t>> tasks;
    for (int i = 0; i < parties_count; ++i) tasks.push_back(create_task(fresh_party(barrier)));
    std::vector<std::size_t> indices = co_await gather(tasks);
    std::sort(indices.begin(), indices.end());
    co_return indices;
  }
  void check_state(std::vector<std::string>& problems) override {
    if (stalled_) problems.push_back("every party was still waiting at the barrier after 100 s");
    for (int round = 0; round < rounds; ++round) {
      for (int index = 0; index < parties_count; ++index) {
        if (arrivals_[round][index] > 1) {
          problems.push_back(
              fmt::format("round {}: arrival index {} given {} times", round, index, arrivals_[round][index]));
        }
      }
    }
    if (barrier_.n_waiting() != 0)
      problems.push_back(fmt::format("{} task(s) still counted as waiting", barrier_.n_waiting()));
    // The barrier must still work once reset: a fresh round passes with indices 0, 1, 2.
    barrier_.reset();
    VirtualClock clock;
    try {
      const auto indices = run(fresh_round(barrier_), clock);
      if (indices != std::vector<std::size_t>{0, 1, 2}) {
        problems.push_back(fmt::format("a fresh round after reset() got indices {}", fmt::join(indices, ",")));
      }
    } catch (const std::exception& error) {
      problems.push_back(fmt::format("a fresh round after reset() failed: {}", error.what()));
    }
  }

  Barrier barrier_{parties_count, "rendezvous"};
  std::array<std::array<int, parties_count>, rounds> arrivals_{};
  bool stalled_ = false;
};

// ---- Barrier reset while parties wait ----------------------------------------------------

class BarrierResetScenario final : public FinishingScenario {
 public:
  Coro<> main(Faults& faults) override {
    Task<> party1 = faults.spawn("party1", party(*this, 0s));
    Task<> party2 = faults.spawn("party2", party(*this, 1s));
    Task<> party3 = faults.spawn("party3", party(*this, 3s));
    co_await sleep(1500ms);
    barrier_.reset();  // the two waiting parties get BrokenBarrierError and wait again
    const auto result = co_await wait(tasks_of(party1, party2, party3), ALL_COMPLETED, Duration(100s));
    if (!result.pending.empty()) {
      if (result.done.empty()) stalled_ = true;  // only legitimate if a party has gone
      barrier_.abort();
      co_await wait(tasks_of(party1, party2, party3));
    }
    finished_ = passed_ == 3 && broken_ == 2;
  }

 private:
  [[nodiscard]] bool allowed(const std::string& role, const std::string& outcome) const override {
    return Scenario::allowed(role, outcome) || outcome.rfind("simtime::BrokenBarrierError", 0) == 0;
  }

  static Coro<> party(BarrierResetScenario& self, Duration arrival) {
    co_await sleep(arrival);
    for (int attempt = 0; attempt < 3; ++attempt) {
      try {
        (void)co_await self.barrier_.wait();
        ++self.passed_;
        co_return;
      } catch (const BrokenBarrierError&) {
        ++self.broken_;
        if (self.barrier_.broken()) throw;  // aborted: it stays broken
      }
    }
  }
  void check_state(std::vector<std::string>& problems) override {
    if (stalled_) problems.push_back("every party was still at the barrier after 100 s");
    // Fewer than 3 may pass: a party released and cancelled before it ran throws
    // CancelledError, yet counts as released (barrier.hpp).
    if (passed_ > 3) problems.push_back(fmt::format("{} parties passed a barrier of 3", passed_));
    if (barrier_.n_waiting() != 0)
      problems.push_back(fmt::format("{} task(s) still counted as waiting", barrier_.n_waiting()));
  }

  Barrier barrier_{3, "reset"};
  int passed_ = 0;
  int broken_ = 0;
  bool stalled_ = false;
};

// ---- tasks left when the main task ends (rule 10) ----------------------------------------

// The main task returns while a task holds a lock and another waits for it: run() cancels
// both and lets them finish (Loop::cancel_all_pending, which allocates), or, if that fails,
// the loop destroys them.
class LeftoversScenario final : public FinishingScenario {
 public:
  Coro<> main(Faults& faults) override {
    faults.spawn("holder", hold(*this));
    faults.spawn("waiter", wait_for_lock(*this));
    co_await sleep(1s);
    finished_ = lock_.locked();
  }

 private:
  static Coro<> hold(LeftoversScenario& self) {
    LockGuard guard = co_await self.lock_.lock();
    co_await sleep(1h);
  }
  static Coro<> wait_for_lock(LeftoversScenario& self) {
    co_await sleep(0s);  // the holder takes the lock first
    LockGuard guard = co_await self.lock_.lock();
  }
  void check_state(std::vector<std::string>& problems) override {
    if (lock_.locked()) problems.push_back("the lock is still held");
    if (state_of(lock_) != "[unlocked]") problems.push_back("the lock is left " + state_of(lock_));
  }

  Lock lock_{"left"};
};

template <class S>
ScenarioSpec spec(std::string name) {
  return ScenarioSpec{std::move(name), [] { return std::make_unique<S>(); }};
}

}  // namespace

const std::vector<ScenarioSpec>& all_scenarios() {
  static const std::vector<ScenarioSpec> scenarios{
      spec<SleepScenario>("Sleep"),
      spec<AwaitTaskScenario>("AwaitTask"),
      spec<GatherScenario>("Gather"),
      spec<GatherReturnExceptionsScenario>("GatherReturnExceptions"),
      spec<WaitForScenario>("WaitFor"),
      spec<TimeoutScenario>("Timeout"),
      spec<ShieldScenario>("Shield"),
      spec<WaitScenario>("Wait"),
      spec<TaskGroupScenario>("TaskGroup"),
      spec<EventScenario>("Event"),
      spec<LockScenario>("Lock"),
      spec<SemaphoreScenario>("Semaphore"),
      spec<ConditionScenario>("Condition"),
      spec<QueueScenario>("Queue"),
      spec<QueueShutdownScenario>("QueueShutdown"),
      spec<BarrierScenario>("Barrier"),
      spec<BarrierResetScenario>("BarrierReset"),
      spec<LeftoversScenario>("Leftovers"),
  };
  return scenarios;
}

const ScenarioSpec& scenario_named(const std::string& name) {
  for (const ScenarioSpec& scenario : all_scenarios()) {
    if (scenario.name == name) return scenario;
  }
  throw std::invalid_argument("no fault scenario named " + name);
}

}  // namespace simtime::faults

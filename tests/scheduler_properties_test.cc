// simtime's own scheduler, property-tested under every schedule policy (rule 18): whatever
// the order of a turn's tasks and however late timers are made, no timer fires early, time
// never goes backwards, every task created runs to an end, and the cancellation and
// synchronisation rules whose outcome does not depend on tie order still hold.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <simtime/simtime.hpp>
#include <string>
#include <vector>

#include "simtime/testing/policies.hpp"
#include "simtime/testing/schedule_gen.hpp"
#include "simtime/testing/timer_jitter.hpp"

namespace simtime::testing {
namespace {

using namespace std::chrono_literals;

// A policy drawn by rapidcheck: which one, its seed, and whether timers are made late.
struct PolicyChoice {
  int kind = 0;  // 0 Fifo, 1 RandomSchedule, 2 Pct, 3 Guided
  std::uint64_t seed = 0;
  int depth = 1;
  ScheduleScript script;
  Duration jitter{0};
};

void showValue(const PolicyChoice& choice, std::ostream& out) {
  static constexpr const char* names[] = {"Fifo", "RandomSchedule", "Pct", "Guided"};
  out << names[choice.kind] << " seed " << choice.seed << " depth " << choice.depth << " jitter "
      << choice.jitter.count() << "ns ";
  showValue(choice.script, out);
}

rc::Gen<PolicyChoice> policies() {
  return rc::gen::build<PolicyChoice>(
      rc::gen::set(&PolicyChoice::kind, rc::gen::inRange(0, 4)),
      rc::gen::set(&PolicyChoice::seed, rc::gen::arbitrary<std::uint64_t>()),
      rc::gen::set(&PolicyChoice::depth, rc::gen::inRange(1, 5)), rc::gen::set(&PolicyChoice::script, gen::schedule()),
      rc::gen::set(&PolicyChoice::jitter, rc::gen::map(rc::gen::element<std::int64_t>(0, 0, 1'000, 500'000),
                                                       [](std::int64_t ns) { return Duration{ns}; })));
}

// Owns the policy of one run, and the loop it is installed on.
class Harness {
 public:
  explicit Harness(const PolicyChoice& choice) : loop_(clock_) {
    switch (choice.kind) {
      case 0:
        policy_ = std::make_unique<Fifo>();
        break;
      case 1:
        policy_ = std::make_unique<RandomSchedule>(choice.seed);
        break;
      case 2:
        policy_ = std::make_unique<Pct>(choice.seed, choice.depth, 40);
        break;
      default:
        policy_ = std::make_unique<Guided>(choice.script.choices);
        break;
    }
    SchedulePolicy* installed = policy_.get();
    if (choice.jitter > 0ns) installed = &jitter_.emplace(*policy_, Jitter{choice.jitter, choice.seed});
    loop_.set_schedule(installed);
    loop_.set_step_observer([this](const StepEvent& event) {
      if (loop_.now() < last_) went_back_ = true;
      last_ = loop_.now();
      if (event.finished) ++finished_;
    });
  }
  Loop& loop() { return loop_; }
  [[nodiscard]] bool time_went_back() const { return went_back_; }
  [[nodiscard]] std::uint64_t finished() const { return finished_; }

 private:
  VirtualClock clock_;
  Loop loop_;
  std::unique_ptr<SchedulePolicy> policy_;
  std::optional<TimerJitter> jitter_;
  TimePoint last_{};
  bool went_back_ = false;
  std::uint64_t finished_ = 0;
};

struct Wake {
  TimePoint deadline;
  TimePoint woke;
};

Coro<> sleeper(std::vector<std::int64_t> delays_ms, std::shared_ptr<std::vector<Wake>> wakes) {
  for (const std::int64_t delay : delays_ms) {
    const TimePoint deadline = now() + std::chrono::milliseconds(delay);
    co_await sleep(std::chrono::milliseconds(delay));
    wakes->push_back({deadline, now()});
  }
}

Coro<> sleepers(std::vector<std::vector<std::int64_t>> plans, std::shared_ptr<std::vector<Wake>> wakes) {
  std::vector<Task<>> tasks;
  for (auto& plan : plans) tasks.push_back(create_task(sleeper(std::move(plan), wakes)));
  co_await gather(std::move(tasks));
}

RC_GTEST_PROP(UnderEveryPolicy, TimersNeverFireEarlyTimeNeverGoesBackAndEveryTaskEnds, ()) {
  const PolicyChoice choice = *policies().as("policy");
  // Few distinct delays, so that many timers fall due at one instant.
  const auto plans = *rc::gen::container<std::vector<std::vector<std::int64_t>>>(
                          rc::gen::container<std::vector<std::int64_t>>(rc::gen::inRange<std::int64_t>(0, 3)))
                          .as("sleeps of each task, ms");
  std::size_t sleeps = 0;
  for (const auto& plan : plans) sleeps += plan.size();
  Harness harness(choice);
  auto wakes = std::make_shared<std::vector<Wake>>();
  harness.loop().run(sleepers(plans, wakes));
  RC_ASSERT(wakes->size() == sleeps);
  for (const Wake& wake : *wakes) {
    RC_ASSERT(wake.woke >= wake.deadline);
    RC_ASSERT(wake.woke - wake.deadline <= choice.jitter);
    if (choice.jitter == 0ns) RC_ASSERT(wake.woke == wake.deadline);
  }
  RC_ASSERT(!harness.time_went_back());
  RC_ASSERT(harness.finished() == plans.size() + 1);  // and the main task
  RC_ASSERT(harness.loop().unfinished_task_count() == 0u);
  RC_ASSERT(harness.loop().pending_timer_count() == 0u);
}

// Cancellation: sleepers due at whole milliseconds, cancels at odd microseconds, so that no
// cancel ties with a wake and the outcome is the same in every order.
struct Sleeper {
  bool woke = false;
  bool cancelled = false;
};

Coro<> cancellable(std::int64_t wake_ms, std::shared_ptr<Sleeper> state) {
  try {
    co_await sleep(std::chrono::milliseconds(wake_ms));
    state->woke = true;
  } catch (const CancelledError&) {
    state->cancelled = true;
    throw;
  }
}

Coro<> canceller(std::int64_t at_us, Task<> target) {
  co_await sleep(std::chrono::microseconds(at_us));
  (void)target.cancel();
}

Coro<std::vector<bool>> cancel_some(std::vector<std::pair<std::int64_t, std::int64_t>> plan,
                                    std::shared_ptr<std::vector<std::shared_ptr<Sleeper>>> states) {
  std::vector<Task<>> targets;
  std::vector<Task<>> cancellers;
  for (const auto& [wake_ms, cancel_us] : plan) {
    states->push_back(std::make_shared<Sleeper>());
    targets.push_back(create_task(cancellable(wake_ms, states->back())));
    if (cancel_us >= 0) cancellers.push_back(create_task(canceller(cancel_us, targets.back())));
  }
  co_await gather(std::move(cancellers));
  std::vector<bool> outcomes;
  for (auto& target : targets) {
    try {
      co_await target;
      outcomes.push_back(false);
    } catch (const CancelledError&) {
      outcomes.push_back(true);
    }
  }
  co_return outcomes;
}

RC_GTEST_PROP(UnderEveryPolicy, ACancelledSleepEndsInCancelledErrorWhateverTheOrder, ()) {
  const PolicyChoice choice = *policies().as("policy");
  // (wake at ms, cancel at µs or never): each cancel lands half a millisecond off any wake.
  const auto plan = *rc::gen::container<std::vector<std::pair<std::int64_t, std::int64_t>>>(
                         rc::gen::pair(rc::gen::inRange<std::int64_t>(0, 4),
                                       rc::gen::map(rc::gen::inRange<std::int64_t>(-1, 4),
                                                    [](std::int64_t ms) { return ms < 0 ? -1 : ms * 1000 + 501; })))
                         .as("(wake ms, cancel µs) of each sleeper");
  PolicyChoice on_time = choice;
  on_time.jitter = 0ns;  // a late timer could cross a cancel: that is an order, not a rule
  Harness harness(on_time);
  auto states = std::make_shared<std::vector<std::shared_ptr<Sleeper>>>();
  const std::vector<bool> outcomes = harness.loop().run(cancel_some(plan, states));
  RC_ASSERT(outcomes.size() == plan.size());
  for (std::size_t i = 0; i < plan.size(); ++i) {
    const auto [wake_ms, cancel_us] = plan[i];
    const bool cancelled_first = cancel_us >= 0 && cancel_us < wake_ms * 1000;
    RC_ASSERT(outcomes[i] == cancelled_first);
    RC_ASSERT((*states)[i]->woke == !cancelled_first);
    RC_ASSERT((*states)[i]->cancelled == cancelled_first);
  }
  RC_ASSERT(harness.loop().pending_timer_count() == 0u);
  RC_ASSERT(harness.loop().unfinished_task_count() == 0u);
}

// Synchronisation: a Lock admits one holder, a Semaphore(2) two, a Queue delivers every item
// once and each producer's items in its order, an Event wakes every waiter: in every order.
struct Shared {
  Lock lock{"lock"};
  Semaphore permits{2, "permits"};
  Queue<std::pair<int, int>> queue{2, "queue"};
  Event go{"go"};
  int in_lock = 0, most_in_lock = 0;
  int in_permits = 0, most_in_permits = 0;
  int woken = 0;
  std::vector<std::pair<int, int>> received;
};

Coro<> worker(std::shared_ptr<Shared> shared, int id, int rounds, std::int64_t hold_ms) {
  co_await shared->go.wait();
  ++shared->woken;
  for (int round = 0; round < rounds; ++round) {
    {
      LockGuard guard = co_await shared->lock.lock();
      shared->most_in_lock = std::max(shared->most_in_lock, ++shared->in_lock);
      co_await sleep(std::chrono::milliseconds(hold_ms));
      --shared->in_lock;
    }
    {
      SemaphoreGuard permit = co_await shared->permits.hold();
      shared->most_in_permits = std::max(shared->most_in_permits, ++shared->in_permits);
      co_await sleep(Duration{0});
      --shared->in_permits;
    }
    co_await shared->queue.put({id, round});
  }
}

Coro<> consumer(std::shared_ptr<Shared> shared, int items) {
  for (int i = 0; i < items; ++i) shared->received.push_back(co_await shared->queue.get());
}

Coro<> sync_day(std::shared_ptr<Shared> shared, int workers, int rounds, std::int64_t hold_ms) {
  std::vector<Task<>> tasks;
  for (int id = 0; id < workers; ++id) tasks.push_back(create_task(worker(shared, id, rounds, hold_ms)));
  tasks.push_back(create_task(consumer(shared, workers * rounds)));
  co_await sleep(1ms);
  shared->go.set();
  co_await gather(std::move(tasks));
}

RC_GTEST_PROP(UnderEveryPolicy, SyncPrimitivesKeepTheirPromisesWhateverTheOrder, ()) {
  const PolicyChoice choice = *policies().as("policy");
  const int workers = *rc::gen::inRange(1, 6).as("workers");
  const int rounds = *rc::gen::inRange(1, 4).as("rounds");
  const std::int64_t hold_ms = *rc::gen::inRange<std::int64_t>(0, 2).as("lock held for, ms");
  Harness harness(choice);
  auto shared = std::make_shared<Shared>();
  harness.loop().run(sync_day(shared, workers, rounds, hold_ms));
  RC_ASSERT(shared->woken == workers);
  RC_ASSERT(shared->most_in_lock == 1);
  RC_ASSERT(shared->most_in_permits <= 2);
  RC_ASSERT(shared->received.size() == static_cast<std::size_t>(workers * rounds));
  std::vector<int> next_round(workers, 0);
  for (const auto& [id, round] : shared->received) {
    RC_ASSERT(round == next_round[id]);  // each producer's items in its own order
    ++next_round[id];
  }
  RC_ASSERT(!harness.time_went_back());
}

}  // namespace
}  // namespace simtime::testing

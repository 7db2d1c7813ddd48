// The loop's timer queue against a model (a sorted set of (deadline, arm order)): whatever is
// armed, removed and popped, timers come out earliest deadline first and, among equal
// deadlines, in arm order (rule 3); a removed timer never fires (rule 15). Thousands of
// operations per case, so that the queue drops its dead entries along the way. Deadlines
// spread from all-equal to 2^40 ns apart (every bucket of the radix heap), some are armed in
// the past, and asking for the next deadline (which sorts buckets early) is mixed in, so that
// timers land in the heap of overdue ones too.
#include "simtime/detail/timer_queue.hpp"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <optional>
#include <random>
#include <set>
#include <tuple>
#include <vector>

#include "simtime/detail/task_state.hpp"

namespace simtime::detail {
namespace {

struct Model {
  // (deadline, arm order, node index)
  std::set<std::tuple<std::int64_t, std::uint64_t, std::size_t>> armed;
  // Per node, while it is armed:
  std::vector<std::int64_t> deadline_of;
  std::vector<std::uint64_t> order_of;
  std::vector<bool> calls_back;  // armed as a CallbackTimer
};

// Runs `operations` random arms, removals and pops, checking each pop and the queue's size
// and next deadline against the model.
void check_against_model(std::size_t operations, std::uint32_t sequence_limit) {
  const auto seed = *rc::gen::arbitrary<std::uint32_t>();
  const auto deadline_spread = *rc::gen::element<std::int64_t>(1, 8, 1000, std::int64_t{1} << 40);  // 1: all ties
  const auto past_weight = *rc::gen::inRange<std::size_t>(0, 3);  // of 10 arms, how many in the past
  // How often each operation comes: from mostly arming (a big heap) to mostly removing (a
  // heap of dead entries that compacts).
  const auto arm_weight = *rc::gen::inRange<std::size_t>(1, 10);
  const auto remove_weight = *rc::gen::inRange<std::size_t>(0, 10);
  const auto advance_weight = *rc::gen::inRange<std::size_t>(0, 4);
  std::mt19937 random(seed);

  TimerQueue queue(sequence_limit);
  // Each timer is armed, at random, as a sleep (its slot names a task) or as a callback timer.
  struct Timer {
    TaskState sleeper;
    std::uint32_t sleep_slot = 0;
    bool sleep_armed = false;
    CallbackTimer callback;
    [[nodiscard]] bool armed() const { return sleep_armed || callback.armed(); }
  };
  std::deque<Timer> nodes;
  Model model;
  std::uint64_t next_order = 0;
  std::int64_t now = 0;
  const auto pick = [&](std::size_t bound) { return std::uniform_int_distribution<std::size_t>(0, bound - 1)(random); };

  for (std::size_t i = 0; i < operations; ++i) {
    const std::size_t what = pick(arm_weight + remove_weight + advance_weight);
    if (what < arm_weight) {  // arm a timer, reusing an idle node when there is one
      std::size_t index = nodes.size();
      if (!nodes.empty()) {
        const std::size_t candidate = pick(nodes.size());
        if (!nodes[candidate].armed()) index = candidate;
      }
      if (index == nodes.size()) {
        nodes.emplace_back();
        model.deadline_of.push_back(0);
        model.order_of.push_back(0);
        model.calls_back.push_back(false);
      }
      const auto offset = static_cast<std::int64_t>(pick(static_cast<std::size_t>(deadline_spread)));
      const std::int64_t deadline = pick(10) < past_weight ? now - offset : now + offset;
      model.calls_back[index] = pick(2) == 0;
      if (model.calls_back[index]) {
        queue.push(nodes[index].callback, TimePoint(Duration(deadline)));
      } else {
        nodes[index].sleep_slot = queue.push(nodes[index].sleeper, TimePoint(Duration(deadline)));
        nodes[index].sleep_armed = true;
      }
      model.deadline_of[index] = deadline;
      model.order_of[index] = next_order;
      model.armed.emplace(deadline, next_order++, index);
    } else if (what < arm_weight + remove_weight) {  // remove a timer (a cancelled sleep), armed or not
      if (nodes.empty()) continue;
      std::size_t index = pick(nodes.size());
      for (std::size_t tries = 0; tries < 4 && !nodes[index].armed(); ++tries) index = pick(nodes.size());
      if (nodes[index].armed()) {
        RC_ASSERT(model.armed.erase(std::tuple(model.deadline_of[index], model.order_of[index], index)) == 1u);
      }
      if (nodes[index].sleep_armed) {  // a sleep is removed only while armed
        queue.remove(nodes[index].sleep_slot);
        nodes[index].sleep_armed = false;
      }
      queue.remove(nodes[index].callback);  // a callback timer may be removed at any time
      RC_ASSERT(!nodes[index].armed());
    } else {  // time moves on and every due timer fires
      now += static_cast<std::int64_t>(pick(static_cast<std::size_t>(deadline_spread)));
      while (const TimerQueue::Fired fired = queue.pop_due(TimePoint(Duration(now)))) {
        RC_ASSERT(!model.armed.empty());
        const auto [deadline, order, index] = *model.armed.begin();
        RC_ASSERT(deadline <= now);
        if (model.calls_back[index]) {
          RC_ASSERT(fired.callback == &nodes[index].callback);
          RC_ASSERT(fired.task == nullptr);
          RC_ASSERT(!fired.callback->armed());
        } else {
          RC_ASSERT(fired.task == &nodes[index].sleeper);
          RC_ASSERT(fired.callback == nullptr);
          nodes[index].sleep_armed = false;
        }
        model.armed.erase(model.armed.begin());
      }
      RC_ASSERT(model.armed.empty() || std::get<0>(*model.armed.begin()) > now);
    }
    RC_ASSERT(queue.size() == model.armed.size());
    const std::optional<TimePoint> expected =
        model.armed.empty() ? std::nullopt : std::optional(TimePoint(Duration(std::get<0>(*model.armed.begin()))));
    RC_ASSERT(queue.peek_next_deadline() == expected);
    if (pick(2) == 0) RC_ASSERT(queue.next_deadline() == expected);
  }
  queue.clear();
  for (const Timer& node : nodes) RC_ASSERT(!node.callback.armed());
}

RC_GTEST_PROP(TimerQueue, PopsEarliestDeadlineFirstThenInArmOrderWhateverIsRemoved, ()) {
  check_against_model(*rc::gen::inRange<std::size_t>(0, 6000), UINT32_MAX);
}

// Arm sequences are 32 bits; before they run out the queue renumbers its live timers. A
// small limit makes that happen many times per case.
RC_GTEST_PROP(TimerQueue, KeepsArmOrderAcrossRenumbering, ()) {
  check_against_model(*rc::gen::inRange<std::size_t>(0, 1500), *rc::gen::element<std::uint32_t>(2, 16, 200));
}

TEST(TimerQueue, ClearUnarmsEveryTimerWithoutFiringAny) {
  TimerQueue queue;
  std::vector<CallbackTimer> timers(3);
  std::vector<TaskState> sleepers(2);
  for (std::size_t i = 0; i < timers.size(); ++i)
    queue.push(timers[i], TimePoint(Duration(static_cast<std::int64_t>(i))));
  for (TaskState& sleeper : sleepers) queue.push(sleeper, TimePoint(Duration(1)));
  EXPECT_EQ(queue.size(), 5u);
  queue.clear();
  EXPECT_TRUE(queue.empty());
  for (const CallbackTimer& timer : timers) EXPECT_FALSE(timer.armed());
  EXPECT_FALSE(queue.pop_due(TimePoint(Duration(100))));
}

}  // namespace
}  // namespace simtime::detail

// The loop's timers: a binary min-heap ordered by (deadline, arm sequence).
//
// Ordering by arm sequence among equal deadlines is what makes same-deadline timers fire in
// the order they were armed (rule 3). Nodes live in the awaiters that arm them (no
// allocation per timer) and remember their heap slot, so a cancelled sleep removes its timer
// in O(log n) (rule 15).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "simtime/clock.hpp"

namespace simtime::detail {

struct TaskState;

struct TimerNode {
  static constexpr std::size_t not_armed = static_cast<std::size_t>(-1);

  TimePoint deadline{};
  TaskState* task = nullptr;  // the task to wake (default action) or to act on
  // What firing does; null means "schedule `task`", the common case kept off the indirect
  // call path.
  void (*on_fire)(TimerNode& self) = nullptr;
  std::size_t heap_index = not_armed;

  [[nodiscard]] bool armed() const noexcept { return heap_index != not_armed; }
};

class TimerQueue {
 public:
  void push(TimerNode& node);
  void remove(TimerNode& node) noexcept;
  /// The earliest node if its deadline is at or before `now`, removed from the queue.
  TimerNode* pop_due(TimePoint now) noexcept;
  /// Forgets every node (they become unarmed) without firing any.
  void clear() noexcept;

  [[nodiscard]] bool empty() const noexcept { return heap_.empty(); }
  [[nodiscard]] std::size_t size() const noexcept { return heap_.size(); }
  [[nodiscard]] std::optional<TimePoint> next_deadline() const noexcept {
    if (heap_.empty()) return std::nullopt;
    return heap_.front().deadline;
  }

 private:
  struct Entry {
    TimePoint deadline;
    std::uint64_t sequence;
    TimerNode* node;
  };
  static bool earlier(const Entry& a, const Entry& b) noexcept {
    return a.deadline != b.deadline ? a.deadline < b.deadline : a.sequence < b.sequence;
  }
  void place(std::size_t index, const Entry& entry) noexcept {
    heap_[index] = entry;
    entry.node->heap_index = index;
  }
  void sift_up(std::size_t index, Entry entry) noexcept;
  void sift_down(std::size_t index, Entry entry) noexcept;

  std::vector<Entry> heap_;
  std::uint64_t next_sequence_ = 0;
};

}  // namespace simtime::detail

// The loop's timers: a 4-ary min-heap of (deadline, arm sequence) with lazy removal.
//
// Ordering by arm sequence among equal deadlines is what makes same-deadline timers fire in
// the order they were armed (rule 3). A TimerNode lives in the awaiter that arms it (no
// allocation per timer). The heap holds plain entries and never touches a node while it
// reorders itself: a node is reached through a slot whose sequence number says whether the
// entry is still the node's current arming. Removing a timer (a cancelled sleep, rule 15)
// just clears that sequence, in O(1); dead entries are dropped when they reach the top, and
// the heap is compacted when they outnumber the live ones. Four children per entry halve the
// heap's depth against a binary heap: a million timers outgrow the cache, and each level a
// pop walks down is a likely cache miss. An entry is 16 bytes, so four siblings share about
// one cache line: sequences are 32 bits, and before they run out the live entries are
// renumbered 1..n in firing order (once per four billion arms).
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "simtime/clock.hpp"

namespace simtime::detail {

struct TaskState;

struct TimerNode {
  TaskState* task = nullptr;  // the task to wake (default action) or to act on
  // What firing does; null means "schedule `task`", the common case kept off the indirect
  // call path.
  void (*on_fire)(TimerNode& self) = nullptr;
  std::uint32_t sequence = 0;  // of the current arming; 0 when not armed
  std::uint32_t slot = 0;

  [[nodiscard]] bool armed() const noexcept { return sequence != 0; }
};

class TimerQueue {
 public:
  TimerQueue() = default;
  /// Renumbers the live entries once an arm sequence would pass `sequence_limit` (tests use
  /// a small limit to exercise it).
  explicit TimerQueue(std::uint32_t sequence_limit) noexcept : sequence_limit_(sequence_limit) {}

  void push(TimerNode& node, TimePoint deadline);
  void remove(TimerNode& node) noexcept;
  /// The earliest armed node if its deadline is at or before `now`, removed from the queue.
  TimerNode* pop_due(TimePoint now) noexcept {
    // Checked inline: the loop asks every turn, and most turns of most programs have no
    // timer due.
    if (heap_.empty() || (heap_.front().deadline() > now && live(heap_.front()))) return nullptr;
    return pop_due_slow(now);
  }
  /// Forgets every node (they become unarmed) without firing any.
  void clear() noexcept;

  [[nodiscard]] bool empty() const noexcept { return live_ == 0; }
  [[nodiscard]] std::size_t size() const noexcept { return live_; }
  [[nodiscard]] std::optional<TimePoint> next_deadline() const noexcept {
    if (!heap_.empty() && live(heap_.front())) return heap_.front().deadline();
    return next_deadline_slow();
  }

 private:
  // Laid out so that the 16 bytes, read as one little-endian 128-bit number, are the key
  // (deadline, sequence, slot): ordering two entries is one comparison the compiler makes
  // without a branch (random deadlines make a branch here a coin toss). The slot never
  // decides: sequences are unique.
  struct Entry {
    std::uint32_t slot;
    std::uint32_t sequence;
    std::uint64_t biased_deadline;  // the deadline's nanoseconds + 2^63: unsigned order

    static std::uint64_t bias(TimePoint deadline) noexcept {
      return static_cast<std::uint64_t>(deadline.time_since_epoch().count()) ^ (std::uint64_t{1} << 63);
    }
    [[nodiscard]] TimePoint deadline() const noexcept {
      return TimePoint(Duration(static_cast<std::int64_t>(biased_deadline ^ (std::uint64_t{1} << 63))));
    }
  };
  static_assert(sizeof(Entry) == 16);
  struct Slot {
    TimerNode* node = nullptr;
    std::uint32_t sequence = 0;  // matches the live entry's; 0 when the slot is free
  };
  static constexpr std::size_t arity = 4;
  using Key = unsigned __int128;
  static_assert(std::endian::native == std::endian::little, "Entry's layout makes its key on little-endian machines");
  static Key key(const Entry& entry) noexcept { return std::bit_cast<Key>(entry); }
  static bool earlier(const Entry& a, const Entry& b) noexcept { return key(a) < key(b); }
  [[nodiscard]] bool live(const Entry& entry) const noexcept { return slots_[entry.slot].sequence == entry.sequence; }
  TimerNode* pop_due_slow(TimePoint now) noexcept;
  std::optional<TimePoint> next_deadline_slow() const noexcept;
  void sift_up(std::size_t hole, Entry entry) noexcept;
  static std::size_t earliest_of_four(const Entry* group) noexcept;
  void sift_down(std::size_t hole, Entry entry) const noexcept;
  void pop_top() const noexcept;
  void drop_dead_top() const noexcept;
  void release_slot(std::uint32_t slot) noexcept;
  void compact();
  void renumber() noexcept;

  mutable std::vector<Entry> heap_;  // dead entries at the top are dropped by const readers too
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_slots_;
  std::uint32_t next_sequence_ = 1;
  std::uint32_t sequence_limit_ = UINT32_MAX;
  std::size_t live_ = 0;
};

}  // namespace simtime::detail

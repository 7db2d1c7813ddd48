// The loop's timers: a radix heap of (deadline, arm order) with lazy removal.
//
// Timers come out earliest deadline first and, among equal deadlines, in the order they were
// armed (rule 3). A loop arms timers at or after its current time and takes them out in
// deadline order, so the deadlines taken out never decrease; a radix heap lives on that.
// Entries sit in 65 buckets by the highest bit in which their deadline differs from `last_`
// (bucket 0: equal to it), a lower bound of every deadline in the buckets. Arming appends to
// a bucket. Taking out reads bucket 0 from the front; once it is used up, the first
// non-empty bucket is split over the buckets below it, all empty then, around its earliest
// deadline. An entry moves down a bucket or two each time, in sequential sweeps: a million
// timers cost no random walk through memory per pop, as a comparison heap's do. Entries
// with equal deadlines always share a bucket, in arm order.
//
// A timer armed before `last_` (a deadline already past, or earlier than one the queue has
// looked at) goes to a small binary heap that is served first; the common case never uses it.
//
// A timer costs no allocation: the queue holds plain entries and never touches a timer while
// it sorts them. An entry's slot names what firing wakes (the sleeping task, or a
// CallbackTimer living in the awaiter that armed it); it is empty once the timer was
// removed. Removing a timer (a cancelled sleep, rule 15) just empties the slot, in O(1); a
// dead entry is dropped, and its slot freed, when met, and all of them when they outnumber
// the live ones. Sequences (arm order, for the overdue heap) are 32 bits; before they run
// out the live entries are renumbered.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "simtime/clock.hpp"
#include "simtime/detail/page_allocator.hpp"

namespace simtime::detail {

class TaskState;

/// A timer that calls `on_fire` when it fires (time limits, a wait's timeout). A sleep needs
/// none: its slot names the task it wakes, and the sleep keeps only the slot's number.
struct CallbackTimer {
  static constexpr std::uint32_t unarmed = UINT32_MAX;

  TaskState* task = nullptr;  // whose loop it is armed on
  void (*on_fire)(CallbackTimer& self) = nullptr;
  std::uint32_t slot = unarmed;

  [[nodiscard]] bool armed() const noexcept { return slot != unarmed; }
};

class TimerQueue {
 public:
  TimerQueue() = default;
  /// Renumbers the live entries once an arm sequence would pass `sequence_limit` (tests use
  /// a small limit to exercise it).
  explicit TimerQueue(std::uint32_t sequence_limit) noexcept : sequence_limit_(sequence_limit) {}

  /// A timer taken out: the task a sleep wakes, or else a CallbackTimer (now unarmed).
  struct Fired {
    TaskState* task = nullptr;
    CallbackTimer* callback = nullptr;
    explicit operator bool() const noexcept { return task != nullptr || callback != nullptr; }
  };

  /// Arms a sleep that wakes `task` at `deadline`; returns the slot that names it for
  /// remove(). Throws std::bad_alloc, with nothing armed.
  std::uint32_t push(TaskState& task, TimePoint deadline) { return arm(Slot::waking(task), deadline); }
  /// Arms `timer` to fire at `deadline`. Throws std::bad_alloc, with nothing armed.
  void push(CallbackTimer& timer, TimePoint deadline) { timer.slot = arm(Slot::calling(timer), deadline); }
  /// Removes the sleep armed in `slot`, which has neither fired nor been removed.
  void remove(std::uint32_t slot) noexcept;
  /// Removes `timer` if it is armed.
  void remove(CallbackTimer& timer) noexcept;
  /// The earliest armed timer if its deadline is at or before `now`, removed from the queue.
  /// Throws std::bad_alloc if sorting the buckets needs memory; nothing is lost then.
  Fired pop_due(TimePoint now) {
    // Checked inline: the loop asks every turn, and most turns of most programs have no
    // timer due.
    if (live_ == 0 || (overdue_.empty() && last_ > key_of(now))) return {};
    return pop_due_slow(now);
  }
  /// The earliest armed deadline, made quick to take out (the loop's idle step). Throws
  /// std::bad_alloc as pop_due does.
  [[nodiscard]] std::optional<TimePoint> next_deadline();
  /// The earliest armed deadline, changing nothing: a scan of one bucket at worst.
  [[nodiscard]] std::optional<TimePoint> peek_next_deadline() const noexcept;
  /// Forgets every timer (callback timers become unarmed) without firing any.
  void clear() noexcept;

  [[nodiscard]] bool empty() const noexcept { return live_ == 0; }
  [[nodiscard]] std::size_t size() const noexcept { return live_; }

 private:
  // Laid out so that the 16 bytes, read as one little-endian 128-bit number, are the key
  // (deadline, sequence, slot) that orders the overdue heap. The slot never decides:
  // sequences are unique.
  struct Entry {
    std::uint32_t slot;
    std::uint32_t sequence;
    std::uint64_t key;  // the deadline's nanoseconds + 2^63: unsigned order
  };
  static_assert(sizeof(Entry) == 16);
  // In use: the address of the task a sleep wakes, or of a CallbackTimer with its lowest
  // bit set; 0 once the timer was removed (its entry still refers to it). Free: the next
  // free slot's index, tagged with bit 1, so that the free slots form a list through the
  // slots themselves. Eight bytes: W1 of bench/ holds a million.
  class Slot {
   public:
    Slot() = default;
    static Slot waking(TaskState& task) noexcept { return Slot(reinterpret_cast<std::uintptr_t>(&task)); }
    static Slot calling(CallbackTimer& timer) noexcept { return Slot(reinterpret_cast<std::uintptr_t>(&timer) | 1); }
    static Slot free_link(std::uint32_t next_free) noexcept {
      return Slot((std::uintptr_t{next_free} << 2) | free_tag);
    }
    [[nodiscard]] bool empty() const noexcept { return bits_ == 0; }
    [[nodiscard]] bool in_use() const noexcept { return bits_ != 0 && (bits_ & free_tag) == 0; }
    [[nodiscard]] bool calls_back() const noexcept { return (bits_ & 1) != 0; }
    [[nodiscard]] TaskState* task() const noexcept { return reinterpret_cast<TaskState*>(bits_); }
    [[nodiscard]] CallbackTimer* callback() const noexcept {
      return reinterpret_cast<CallbackTimer*>(bits_ & ~std::uintptr_t{1});
    }
    /// What firing touches first, to fetch ahead.
    [[nodiscard]] const void* target() const noexcept {
      return reinterpret_cast<const void*>(bits_ & ~std::uintptr_t{3});
    }
    [[nodiscard]] std::uint32_t next_free() const noexcept { return static_cast<std::uint32_t>(bits_ >> 2); }

   private:
    explicit Slot(std::uintptr_t bits) noexcept : bits_(bits) {}
    static constexpr std::uintptr_t free_tag = 2;
    std::uintptr_t bits_ = 0;
  };
  static_assert(alignof(CallbackTimer) >= 4, "Slot keeps two bits in a timer's address");
  static constexpr std::uint32_t no_free_slot = UINT32_MAX;
  using Bucket = std::vector<Entry, PageAllocator<Entry>>;
  static constexpr std::size_t bucket_count = 65;

  static std::uint64_t key_of(TimePoint time) noexcept {
    return static_cast<std::uint64_t>(time.time_since_epoch().count()) ^ (std::uint64_t{1} << 63);
  }
  static TimePoint time_of(std::uint64_t key) noexcept {
    return TimePoint(Duration(static_cast<std::int64_t>(key ^ (std::uint64_t{1} << 63))));
  }
  [[nodiscard]] std::size_t bucket_of(std::uint64_t key) const noexcept {
    return static_cast<std::size_t>(std::bit_width(key ^ last_));
  }
  [[nodiscard]] std::size_t first_split_bucket() const noexcept {
    return static_cast<std::size_t>(std::countr_zero(occupied_)) + 1;
  }
  [[nodiscard]] bool live(const Entry& entry) const noexcept { return !slots_[entry.slot].empty(); }
  static bool later(const Entry& a, const Entry& b) noexcept;

  std::uint32_t arm(Slot target, TimePoint deadline);
  Fired pop_due_slow(TimePoint now);
  Fired take(const Entry& entry) noexcept;
  void append(std::size_t bucket, const Entry& entry);
  bool front_is_live() noexcept;
  void drop_dead_overdue_top() noexcept;
  void split(std::size_t bucket);
  void release_slot(std::uint32_t slot) noexcept;
  void drop_dead_entries() noexcept;
  void renumber() noexcept;

  std::array<Bucket, bucket_count> buckets_;
  // A lower bound of each bucket's deadlines (exact unless its earliest entry died).
  std::array<std::uint64_t, bucket_count> earliest_{};
  std::size_t front_ = 0;       // bucket 0 is taken out from here
  std::uint64_t occupied_ = 0;  // bit i-1 set: bucket i (1..64) holds entries
  std::uint64_t last_ = key_of(TimePoint{});
  std::size_t stored_ = 0;                            // entries in the buckets past front_, dead ones included
  std::vector<Entry, PageAllocator<Entry>> overdue_;  // a binary heap, earliest on top
  std::vector<Slot, PageAllocator<Slot>> slots_;
  std::uint32_t free_slot_ = no_free_slot;  // the first free slot
  std::uint32_t next_sequence_ = 1;
  std::uint32_t sequence_limit_ = UINT32_MAX;
  std::size_t live_ = 0;
};

}  // namespace simtime::detail

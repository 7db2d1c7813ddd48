#include "simtime/detail/timer_queue.hpp"

#include <algorithm>
#include <bit>
#include <utility>

#include "simtime/live_objects.hpp"

namespace simtime::detail {

// The overdue heap's order: one comparison of the 16 bytes as a 128-bit number.
bool TimerQueue::later(const Entry& a, const Entry& b) noexcept {
  using Key = unsigned __int128;
  static_assert(std::endian::native == std::endian::little, "Entry's layout makes its key on little-endian machines");
  return std::bit_cast<Key>(a) > std::bit_cast<Key>(b);
}

std::uint32_t TimerQueue::arm(Slot target, TimePoint deadline) {
  // First: renumbering drops dead entries, which frees their slots.
  if (next_sequence_ >= sequence_limit_) renumber();
  if (free_slot_ == no_free_slot) {
    slots_.push_back(Slot::free_link(no_free_slot));  // may throw: nothing changed yet
    free_slot_ = static_cast<std::uint32_t>(slots_.size() - 1);
  }
  const std::uint32_t slot = free_slot_;
  const Entry entry{slot, next_sequence_, key_of(deadline)};
  if (entry.key < last_) {
    overdue_.push_back(entry);  // may throw: nothing changed yet
    std::push_heap(overdue_.begin(), overdue_.end(), later);
  } else {
    append(bucket_of(entry.key), entry);  // may throw: nothing changed yet
  }
  ++next_sequence_;
  free_slot_ = slots_[slot].next_free();
  slots_[slot] = target;
  ++live_;
  ++live_counts.timers;
  return slot;
}

[[gnu::always_inline]] inline void TimerQueue::append(std::size_t bucket, const Entry& entry) {
  buckets_[bucket].push_back(entry);
  ++stored_;
  if (bucket == 0) return;
  const std::uint64_t bit = std::uint64_t{1} << (bucket - 1);
  if ((occupied_ & bit) == 0) {
    occupied_ |= bit;
    earliest_[bucket] = entry.key;
  } else {
    earliest_[bucket] = std::min(earliest_[bucket], entry.key);
  }
}

void TimerQueue::release_slot(std::uint32_t slot) noexcept {
  slots_[slot] = Slot::free_link(free_slot_);
  free_slot_ = slot;
}

TimerQueue::Fired TimerQueue::take(const Entry& entry) noexcept {
  const Slot target = slots_[entry.slot];
  release_slot(entry.slot);
  --live_;
  --live_counts.timers;
  if (!target.calls_back()) return Fired{target.task(), nullptr};
  target.callback()->slot = CallbackTimer::unarmed;
  return Fired{nullptr, target.callback()};
}

void TimerQueue::remove(CallbackTimer& timer) noexcept {
  if (!timer.armed()) return;
  remove(std::exchange(timer.slot, CallbackTimer::unarmed));
}

void TimerQueue::remove(std::uint32_t slot) noexcept {
  slots_[slot] = Slot{};  // freed when its entry is dropped: until then the entry refers to it
  --live_;
  --live_counts.timers;
  const std::size_t stored = stored_ + overdue_.size();
  if (stored > 1024 && stored - live_ > live_) drop_dead_entries();
}

bool TimerQueue::front_is_live() noexcept {
  Bucket& zero = buckets_[0];
  while (front_ < zero.size()) {
    if (live(zero[front_])) return true;
    release_slot(zero[front_].slot);
    ++front_;
    --stored_;
  }
  zero.clear();
  front_ = 0;
  return false;
}

void TimerQueue::drop_dead_overdue_top() noexcept {
  while (!overdue_.empty() && !live(overdue_.front())) {
    release_slot(overdue_.front().slot);
    std::pop_heap(overdue_.begin(), overdue_.end(), later);
    overdue_.pop_back();
  }
}

// Spreads `bucket`, the first non-empty one, over the buckets below it (all empty) around
// its earliest deadline, which becomes last_. Dead entries move along: telling them apart
// would cost a random access to their slot per entry; they are dropped at the front of
// bucket 0 or when dead ones pile up.
void TimerQueue::split(std::size_t bucket) {
  Bucket& source = buckets_[bucket];
  const std::uint64_t previous_last = last_;
  const std::uint64_t previous_occupied = occupied_;
  last_ = earliest_[bucket];
  occupied_ &= ~(std::uint64_t{1} << (bucket - 1));
  try {
    for (const Entry& entry : source) append(bucket_of(entry.key), entry);
  } catch (...) {
    // Out of memory part way: the buckets below were empty, so emptying them again undoes it.
    for (std::size_t below = 0; below < bucket; ++below) buckets_[below].clear();
    last_ = previous_last;
    occupied_ = previous_occupied;
    throw;
  }
  stored_ -= source.size();  // counted again as they were appended
  // A big bucket's memory goes back: its entries are spread below now, and a program rarely
  // fills the same high bucket twice.
  constexpr std::size_t kept_capacity = std::size_t{1} << 16;
  if (source.capacity() > kept_capacity) {
    Bucket().swap(source);
  } else {
    source.clear();
  }
}

TimerQueue::Fired TimerQueue::pop_due_slow(TimePoint now) {
  const std::uint64_t now_key = key_of(now);
  drop_dead_overdue_top();
  if (!overdue_.empty()) {
    if (overdue_.front().key > now_key) return {};  // the buckets are later still
    std::pop_heap(overdue_.begin(), overdue_.end(), later);
    const Entry entry = overdue_.back();
    overdue_.pop_back();
    return take(entry);
  }
  while (true) {
    if (front_is_live()) {
      if (last_ > now_key) return {};
      const Bucket& zero = buckets_[0];
      const Entry entry = zero[front_++];
      --stored_;
      // The timers after this one fire on coming turns, each waking a frame that has long
      // left the cache: start fetching the next one's task or timer (its slot was fetched a
      // pop ago) and the slot of the one after.
      if (front_ < zero.size()) __builtin_prefetch(slots_[zero[front_].slot].target());
      if (front_ + 1 < zero.size()) __builtin_prefetch(&slots_[zero[front_ + 1].slot]);
      return take(entry);
    }
    if (occupied_ == 0) return {};
    const std::size_t bucket = first_split_bucket();
    if (earliest_[bucket] > now_key) return {};  // nothing in it or above it is due
    split(bucket);
  }
}

std::optional<TimePoint> TimerQueue::next_deadline() {
  drop_dead_overdue_top();
  if (!overdue_.empty()) return time_of(overdue_.front().key);
  while (true) {
    if (front_is_live()) return time_of(last_);
    if (occupied_ == 0) return std::nullopt;
    split(first_split_bucket());
  }
}

std::optional<TimePoint> TimerQueue::peek_next_deadline() const noexcept {
  // Every overdue deadline is earlier than every bucket's, and every deadline in a bucket
  // earlier than every one in the buckets above it.
  std::optional<std::uint64_t> earliest;
  const auto consider = [&](const Entry& entry) {
    if (live(entry) && (!earliest || entry.key < *earliest)) earliest = entry.key;
  };
  for (const Entry& entry : overdue_) consider(entry);
  if (earliest) return time_of(*earliest);
  const Bucket& zero = buckets_[0];
  for (std::size_t i = front_; i < zero.size(); ++i) {
    if (live(zero[i])) return time_of(last_);
  }
  for (std::size_t bucket = 1; bucket < bucket_count; ++bucket) {
    for (const Entry& entry : buckets_[bucket]) consider(entry);
    if (earliest) return time_of(*earliest);
  }
  return std::nullopt;
}

void TimerQueue::clear() noexcept {
  for (const Slot& slot : slots_) {
    if (slot.in_use() && slot.calls_back()) slot.callback()->slot = CallbackTimer::unarmed;
  }
  for (Bucket& bucket : buckets_) bucket.clear();
  overdue_.clear();
  slots_.clear();
  free_slot_ = no_free_slot;
  front_ = 0;
  occupied_ = 0;
  stored_ = 0;
  live_counts.timers -= live_;
  live_ = 0;
}

// Keeps the order of what remains: entries of equal deadlines stay in arm order. The
// lower bounds in earliest_ stay lower bounds.
void TimerQueue::drop_dead_entries() noexcept {
  // Called once per entry: a dead one's slot is freed as it goes.
  const auto dead = [this](const Entry& entry) {
    if (live(entry)) return false;
    release_slot(entry.slot);
    return true;
  };
  Bucket& zero = buckets_[0];
  zero.erase(zero.begin(), zero.begin() + static_cast<std::ptrdiff_t>(front_));
  front_ = 0;
  stored_ = 0;
  occupied_ = 0;
  for (std::size_t bucket = 0; bucket < bucket_count; ++bucket) {
    std::erase_if(buckets_[bucket], dead);
    stored_ += buckets_[bucket].size();
    if (bucket != 0 && !buckets_[bucket].empty()) occupied_ |= std::uint64_t{1} << (bucket - 1);
  }
  std::erase_if(overdue_, dead);
  std::make_heap(overdue_.begin(), overdue_.end(), later);
}

// Gives the live entries new sequences 1..n. The overdue heap breaks ties by sequence, so
// its entries are numbered first, in the order they will fire (a sorted array is a heap);
// in the buckets, order is position, and any numbering will do.
void TimerQueue::renumber() noexcept {
  drop_dead_entries();
  std::sort(overdue_.begin(), overdue_.end(), [](const Entry& a, const Entry& b) { return later(b, a); });
  std::uint32_t sequence = 0;
  const auto number = [&](Entry& entry) { entry.sequence = ++sequence; };
  for (Entry& entry : overdue_) number(entry);
  for (Bucket& bucket : buckets_) {
    for (Entry& entry : bucket) number(entry);
  }
  next_sequence_ = sequence + 1;
}

}  // namespace simtime::detail

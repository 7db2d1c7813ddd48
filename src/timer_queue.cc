#include "simtime/detail/timer_queue.hpp"

#include <algorithm>

#include "simtime/live_objects.hpp"

namespace simtime::detail {

void TimerQueue::push(TimerNode& node, TimePoint deadline) {
  std::uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
  } else {
    slot = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
    free_slots_.reserve(slots_.capacity());  // so that releasing a slot never allocates
  }
  heap_.push_back(Entry{slot, 0, Entry::bias(deadline)});  // may throw: nothing changed yet
  if (next_sequence_ >= sequence_limit_) renumber();
  const std::uint32_t sequence = next_sequence_++;
  heap_.back().sequence = sequence;
  sift_up(heap_.size() - 1, heap_.back());
  if (!free_slots_.empty() && free_slots_.back() == slot) free_slots_.pop_back();
  slots_[slot] = Slot{&node, sequence};
  node.sequence = sequence;
  node.slot = slot;
  ++live_;
  ++live_counts.timers;
}

void TimerQueue::release_slot(std::uint32_t slot) noexcept {
  slots_[slot] = Slot{};
  free_slots_.push_back(slot);  // capacity reserved: at most one per slot
}

void TimerQueue::remove(TimerNode& node) noexcept {
  if (!node.armed()) return;
  release_slot(node.slot);
  node.sequence = 0;
  --live_;
  --live_counts.timers;
  if (heap_.size() > 1024 && heap_.size() - live_ > live_) compact();
}

void TimerQueue::sift_up(std::size_t hole, Entry entry) noexcept {
  while (hole > 0) {
    const std::size_t parent = (hole - 1) / arity;
    if (!earlier(entry, heap_[parent])) break;
    heap_[hole] = heap_[parent];
    hole = parent;
  }
  heap_[hole] = entry;
}

// Which of four consecutive entries is earliest, as a tournament of two pairs: the three
// comparisons depend on no branch and not on the entry being placed, so random deadlines
// cost no mispredicted jumps.
std::size_t TimerQueue::earliest_of_four(const Entry* group) noexcept {
  const Key k0 = key(group[0]), k1 = key(group[1]), k2 = key(group[2]), k3 = key(group[3]);
  const bool second = k1 < k0;
  const bool fourth = k3 < k2;
  const Key left = second ? k1 : k0;
  const Key right = fourth ? k3 : k2;
  const std::size_t right_wins = right < left;
  return (right_wins << 1) | (right_wins != 0 ? std::size_t{fourth} : std::size_t{second});
}

// Floyd's variant: the hole first walks all the way down along the earliest children
// without looking at `entry`, which came from the back of the heap and so most likely
// belongs near the bottom; `entry` then rises from there to its place, never above `top`.
// That saves a comparison per level over the usual walk.
void TimerQueue::sift_down(std::size_t hole, Entry entry) const noexcept {
  const std::size_t top = hole;
  const std::size_t size = heap_.size();
  Entry* const heap = heap_.data();
  std::size_t first_child = hole * arity + 1;
  while (first_child + arity <= size) {
    const std::size_t best = first_child + earliest_of_four(heap + first_child);
    heap[hole] = heap[best];
    hole = best;
    first_child = hole * arity + 1;
  }
  if (first_child < size) {  // a last, partial group of children: its best child is a leaf
    std::size_t best = first_child;
    for (std::size_t child = first_child + 1; child < size; ++child) {
      if (earlier(heap[child], heap[best])) best = child;
    }
    heap[hole] = heap[best];
    hole = best;
  }
  while (hole > top) {
    const std::size_t parent = (hole - 1) / arity;
    if (!earlier(entry, heap[parent])) break;
    heap[hole] = heap[parent];
    hole = parent;
  }
  heap[hole] = entry;
}

void TimerQueue::pop_top() const noexcept {
  const Entry last = heap_.back();
  heap_.pop_back();
  if (!heap_.empty()) sift_down(0, last);
}

void TimerQueue::drop_dead_top() const noexcept {
  while (!heap_.empty() && !live(heap_.front())) pop_top();
}

TimerNode* TimerQueue::pop_due_slow(TimePoint now) noexcept {
  drop_dead_top();
  if (heap_.empty() || heap_.front().deadline() > now) return nullptr;
  const std::uint32_t slot = heap_.front().slot;
  pop_top();
  TimerNode* node = slots_[slot].node;
  release_slot(slot);
  node->sequence = 0;
  --live_;
  --live_counts.timers;
  return node;
}

std::optional<TimePoint> TimerQueue::next_deadline_slow() const noexcept {
  drop_dead_top();
  if (heap_.empty()) return std::nullopt;
  return heap_.front().deadline();
}

void TimerQueue::clear() noexcept {
  for (const Slot& slot : slots_) {
    if (slot.sequence != 0) slot.node->sequence = 0;
  }
  heap_.clear();
  slots_.clear();
  free_slots_.clear();
  live_counts.timers -= live_;
  live_ = 0;
}

// Gives the live entries the sequences 1..n in the order they will fire, so that arm order
// among equal deadlines survives; the new entry at the back (sequence 0, not yet in the
// heap) stays where it is. A sorted array is a heap.
void TimerQueue::renumber() noexcept {
  const Entry arriving = heap_.back();
  heap_.pop_back();
  std::erase_if(heap_, [this](const Entry& entry) { return !live(entry); });
  std::sort(heap_.begin(), heap_.end(), earlier);
  std::uint32_t sequence = 0;
  for (Entry& entry : heap_) {
    entry.sequence = ++sequence;
    slots_[entry.slot].sequence = sequence;
    slots_[entry.slot].node->sequence = sequence;
  }
  next_sequence_ = sequence + 1;
  heap_.push_back(arriving);  // fits: the heap only shrank
}

void TimerQueue::compact() {
  std::erase_if(heap_, [this](const Entry& entry) { return !live(entry); });
  if (heap_.size() < 2) return;
  for (std::size_t parent = (heap_.size() - 2) / arity + 1; parent-- > 0;) sift_down(parent, heap_[parent]);
}

}  // namespace simtime::detail

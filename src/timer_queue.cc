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
  const std::uint64_t sequence = next_sequence_++;
  heap_.push_back(Entry{deadline, sequence, slot});  // may throw: nothing changed yet
  std::push_heap(heap_.begin(), heap_.end(), later);
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

void TimerQueue::drop_dead_top() const noexcept {
  while (!heap_.empty() && !live(heap_.front())) {
    std::pop_heap(heap_.begin(), heap_.end(), later);
    heap_.pop_back();
  }
}

TimerNode* TimerQueue::pop_due(TimePoint now) noexcept {
  drop_dead_top();
  if (heap_.empty() || heap_.front().deadline > now) return nullptr;
  const std::uint32_t slot = heap_.front().slot;
  std::pop_heap(heap_.begin(), heap_.end(), later);
  heap_.pop_back();
  TimerNode* node = slots_[slot].node;
  release_slot(slot);
  node->sequence = 0;
  --live_;
  --live_counts.timers;
  return node;
}

std::optional<TimePoint> TimerQueue::next_deadline() const noexcept {
  drop_dead_top();
  if (heap_.empty()) return std::nullopt;
  return heap_.front().deadline;
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

void TimerQueue::compact() {
  std::erase_if(heap_, [this](const Entry& entry) { return !live(entry); });
  std::make_heap(heap_.begin(), heap_.end(), later);
}

}  // namespace simtime::detail

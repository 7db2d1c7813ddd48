#include "simtime/detail/timer_queue.hpp"

namespace simtime::detail {

void TimerQueue::push(TimerNode& node) {
  heap_.push_back({});
  sift_up(heap_.size() - 1, Entry{node.deadline, next_sequence_++, &node});
}

void TimerQueue::remove(TimerNode& node) noexcept {
  if (!node.armed()) return;
  const std::size_t index = node.heap_index;
  node.heap_index = TimerNode::not_armed;
  const Entry last = heap_.back();
  heap_.pop_back();
  if (index == heap_.size()) return;  // it was the last entry
  if (index > 0 && earlier(last, heap_[(index - 1) / 2])) {
    sift_up(index, last);
  } else {
    sift_down(index, last);
  }
}

TimerNode* TimerQueue::pop_due(TimePoint now) noexcept {
  if (heap_.empty() || heap_.front().deadline > now) return nullptr;
  TimerNode* node = heap_.front().node;
  node->heap_index = TimerNode::not_armed;
  const Entry last = heap_.back();
  heap_.pop_back();
  if (!heap_.empty()) sift_down(0, last);
  return node;
}

void TimerQueue::clear() noexcept {
  for (const Entry& entry : heap_) entry.node->heap_index = TimerNode::not_armed;
  heap_.clear();
}

void TimerQueue::sift_up(std::size_t index, Entry entry) noexcept {
  while (index > 0) {
    const std::size_t parent = (index - 1) / 2;
    if (!earlier(entry, heap_[parent])) break;
    place(index, heap_[parent]);
    index = parent;
  }
  place(index, entry);
}

void TimerQueue::sift_down(std::size_t index, Entry entry) noexcept {
  const std::size_t size = heap_.size();
  while (true) {
    std::size_t child = 2 * index + 1;
    if (child >= size) break;
    if (child + 1 < size && earlier(heap_[child + 1], heap_[child])) ++child;
    if (!earlier(heap_[child], entry)) break;
    place(index, heap_[child]);
    index = child;
  }
  place(index, entry);
}

}  // namespace simtime::detail

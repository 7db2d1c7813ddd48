#include "simtime/sync/queue.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <stdexcept>
#include <utility>

#include "simtime/errors.hpp"

namespace simtime::detail {

QueueCore::QueueCore(const char* kind, std::ptrdiff_t max, std::string name, SourceLocation where)
    : identity(kind, std::move(name), where), maxsize(max) {}

void QueueCore::added() noexcept {
  ++size;
  ++unfinished;
  if (!getters.empty() && can_get()) wake_first(getters, promised_getters);
}

void QueueCore::removed() noexcept {
  --size;
  if (!putters.empty() && can_put()) wake_first(putters, promised_putters);
}

void QueueCore::pass_item_on() noexcept {
  if (!getters.empty() && can_get()) wake_first(getters, promised_getters);
}

void QueueCore::pass_slot_on() noexcept {
  if (!putters.empty() && can_put()) wake_first(putters, promised_putters);
}

void QueueCore::shut_down(bool immediate, std::size_t drained) noexcept {
  shutdown = true;
  if (immediate) {
    // The dropped items count as done (Python 3.13), and the getters they were promised to
    // will find nothing.
    size = 0;
    unfinished -= std::min(drained, unfinished);
    while (WaitNode* node = promised_getters.pop_front()) released_getters.push_back(*node);
    if (unfinished == 0) {
      wake_all(joiners);
    }
  }
  // Every blocked getter and putter wakes up to throw QueueShutDown (a getter takes an item
  // instead if one is still free when it runs). A woken putter's slot is void: nothing more
  // may be put.
  while (!getters.empty()) wake_first(getters, released_getters);
  while (WaitNode* node = promised_putters.pop_front()) released_putters.push_back(*node);
  while (!putters.empty()) wake_first(putters, released_putters);
}

void QueueCore::task_done() {
  if (unfinished == 0) {
    throw std::invalid_argument(fmt::format(
        "{}: task_done() called more times than items were put (no item is waiting for it)", identity.str()));
  }
  if (--unfinished == 0) {
    wake_all(joiners);
  }
}

void QueueCore::require_can_put(const char* operation) const {
  if (shutdown) throw_shut_down_on_put(operation);
  if (can_put()) return;
  std::string message =
      fmt::format("{}: {} on a full queue (maxsize {}, qsize {}", identity.str(), operation, maxsize, size);
  if (!promised_putters.empty()) {
    fmt::format_to(std::back_inserter(message), ", {} free slot(s) kept for putters woken earlier",
                   promised_putters.size());
  }
  message += ')';
  throw QueueFull(message);
}

void QueueCore::throw_shut_down_on_put(const char* operation) const {
  throw QueueShutDown(fmt::format("{}: {} on a shut-down queue", identity.str(), operation));
}

void QueueCore::throw_cannot_get(const char* operation) const {
  // A shut-down queue still gives the items it holds (asyncio), so a get fails only once none is left.
  if (shutdown)
    throw QueueShutDown(fmt::format("{}: {} on a shut-down queue with no item left", identity.str(), operation));
  if (promised_getters.empty()) throw QueueEmpty(fmt::format("{}: {} on an empty queue", identity.str(), operation));
  throw QueueEmpty(fmt::format("{}: {} on an empty queue (its {} item(s) are promised to getters woken earlier)",
                               identity.str(), operation, promised_getters.size()));
}

void QueueCore::describe(std::string& out) const {
  identity.append_to(out);
  auto it = std::back_inserter(out);
  fmt::format_to(it, " [maxsize:{}, qsize:{}", maxsize, size);
  const std::size_t getter_count = getters.size() + promised_getters.size() + released_getters.size();
  const std::size_t putter_count = putters.size() + promised_putters.size() + released_putters.size();
  if (getter_count != 0) fmt::format_to(it, ", getters:{}", getter_count);
  if (putter_count != 0) fmt::format_to(it, ", putters:{}", putter_count);
  if (unfinished != 0) fmt::format_to(it, ", unfinished:{}", unfinished);
  if (shutdown) out += ", shut down";
  out += ']';
}

void QueueWaiter::suspend(std::coroutine_handle<> awaiting) noexcept {
  node_.task = &suspend_current(awaiting, this);
  (operation_ == Operation::get ? core_->getters : core_->putters).push_back(node_);
}

void QueueWaiter::resume() {
  TaskState& task = *node_.task;
  if (!node_.linked()) {
    // Cancelled while waiting (cancel_wait unlinked us), or the queue was destroyed.
    task.throw_if_cancel_requested();
    throw_destroyed("queue", operation_ == Operation::get ? "Queue::get" : "Queue::put");
  }
  const WaitList* woken_by = node_.list;
  node_.unlink();
  const bool promised = woken_by == &core_->promised_getters || woken_by == &core_->promised_putters;
  if (cancel_pending(task)) {
    // Woken, then cancelled before running: what we were promised goes to the next in line.
    if (promised) operation_ == Operation::get ? core_->pass_item_on() : core_->pass_slot_on();
    task.throw_if_cancel_requested();
  }
  if (promised) return;
  // Woken by shutdown. asyncio's get() re-checks the queue and still takes a free item.
  if (operation_ == Operation::get && core_->can_get()) return;
  if (operation_ == Operation::get) core_->throw_cannot_get("get");
  core_->throw_shut_down_on_put("put");
}

void QueueWaiter::describe(std::string& out) const {
  const char* what = operation_ == Operation::get ? "get from " : "put to ";
  if (!node_.linked()) {
    out += what;
    return append_destroyed(out, "queue", where_);
  }
  out += what;
  core_->describe(out);
  append_awaited_at(out, where_);
}

void QueueJoin::await_suspend(std::coroutine_handle<> awaiting) noexcept {
  node_.task = &suspend_current(awaiting, this);
  core_->joiners.push_back(node_);
}

void QueueJoin::describe(std::string& out) const {
  out += "join of ";
  if (!node_.linked()) return append_destroyed(out, "queue", where_);
  core_->describe(out);
  append_awaited_at(out, where_);
}

}  // namespace simtime::detail

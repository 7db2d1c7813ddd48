// Machinery shared by the synchronisation primitives (Event, Lock, Semaphore, Condition,
// Queue, Barrier); users include the primitives' headers, never this one.
//
// A task blocked on a primitive is a WaitNode inside its awaiter (no allocation per wait),
// linked into one of the primitive's FIFO WaitLists. The rule every awaiter follows: it
// touches its primitive only while its node is linked. A primitive destroyed while tasks
// still wait on it (a local of a coroutine that returned) unlinks every node it holds, so
// those awaiters then know the primitive is gone instead of writing into freed memory.
#pragma once

#include <fmt/core.h>

#include <cstddef>
#include <string>
#include <utility>

#include "simtime/detail/task_state.hpp"
#include "simtime/source_location.hpp"

namespace simtime::detail {

class WaitList;

/// One waiting task's place in a primitive's queue. Owned by the awaiter it lives in.
struct WaitNode {
  WaitNode* prev = nullptr;
  WaitNode* next = nullptr;
  WaitList* list = nullptr;   // the list holding this node; null when unlinked
  TaskState* task = nullptr;  // the waiting task, set when it suspends
  bool woken = false;         // for primitives that keep woken waiters queued (Lock)

  WaitNode() = default;
  WaitNode(const WaitNode&) = delete;
  WaitNode& operator=(const WaitNode&) = delete;
  // A frame destroyed while waiting (loop teardown) must not leave a dangling node behind.
  ~WaitNode() { unlink(); }

  [[nodiscard]] bool linked() const noexcept { return list != nullptr; }
  [[nodiscard]] bool in(const WaitList& candidate) const noexcept { return list == &candidate; }
  void unlink() noexcept;
};

/// An intrusive FIFO of WaitNodes. Destroying it unlinks every node without waking anyone.
class WaitList {
 public:
  WaitList() = default;
  WaitList(const WaitList&) = delete;
  WaitList& operator=(const WaitList&) = delete;
  ~WaitList() { forget_all(); }

  [[nodiscard]] bool empty() const noexcept { return head_ == nullptr; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] WaitNode* front() const noexcept { return head_; }

  void push_back(WaitNode& node) noexcept {
    node.unlink();
    node.list = this;
    node.prev = tail_;
    node.next = nullptr;
    (tail_ != nullptr ? tail_->next : head_) = &node;
    tail_ = &node;
    ++size_;
  }

  WaitNode* pop_front() noexcept {
    WaitNode* node = head_;
    if (node != nullptr) remove(*node);
    return node;
  }

  /// Unlinks every node without waking its task (the primitive is going away).
  void forget_all() noexcept {
    while (head_ != nullptr) remove(*head_);
  }

 private:
  friend struct WaitNode;

  void remove(WaitNode& node) noexcept {
    (node.prev != nullptr ? node.prev->next : head_) = node.next;
    (node.next != nullptr ? node.next->prev : tail_) = node.prev;
    node.prev = node.next = nullptr;
    node.list = nullptr;
    --size_;
  }

  WaitNode* head_ = nullptr;
  WaitNode* tail_ = nullptr;
  std::size_t size_ = 0;
};

inline void WaitNode::unlink() noexcept {
  if (list != nullptr) list->remove(*this);
}

/// Moves the first node of `from` to the back of `to` and wakes its task. Returns the node,
/// or null if `from` was empty.
inline WaitNode* wake_first(WaitList& from, WaitList& to) noexcept {
  WaitNode* node = from.pop_front();
  if (node != nullptr) {
    to.push_back(*node);
    schedule(*node->task);  // a task of a closed loop is left alone by schedule()
  }
  return node;
}

/// Wakes every task waiting in `list`, in order, taking each out of it.
inline void wake_all(WaitList& list) noexcept {
  while (WaitNode* node = list.pop_front()) schedule(*node->task);  // a closed loop's task is left alone
}

/// What a task waits on when it waits in one of a primitive's WaitLists and is promised
/// nothing while it does: cancelling the task takes it out of the list and wakes it, to
/// throw CancelledError where it waits (the awaiters of Event, Lock, Semaphore, Queue and
/// Barrier::wait's second phase).
///
/// An awaiter may be moved until it is awaited (wait_for takes it by value), while its node
/// is unlinked: the new awaiter starts with a node of its own.
class WaitInList : public Blocker {
 public:
  bool cancel_wait(TaskState& waiter) override {
    node_.unlink();
    schedule(waiter);
    return false;
  }

 protected:
  WaitInList() = default;
  WaitInList(WaitInList&&) noexcept : Blocker() {}
  WaitInList(const WaitInList&) = delete;
  WaitInList& operator=(const WaitInList&) = delete;
  ~WaitInList() = default;

  WaitNode node_;
};

/// A cancellation is to be thrown when `task` resumes: one requested since it was woken
/// (withdrawn by uncancel()), or one that made its wait give up (not withdrawn: asyncio's
/// future was cancelled).
[[nodiscard]] inline bool cancel_pending(const TaskState& task) noexcept {
  return task.must_cancel || task.wait_abandoned;
}

/// What a primitive knows about itself for diagnostics: its kind, the optional name it was
/// given, and where it was constructed.
class SyncIdentity {
 public:
  SyncIdentity(const char* kind, std::string name, SourceLocation where)
      : kind_(kind), name_(std::move(name)), created_at_(where) {}

  [[nodiscard]] const char* kind() const noexcept { return kind_; }
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] SourceLocation created_at() const noexcept { return created_at_; }

  /// Appends "Event 'ready' (created at tests/sync/event_test.cc:12)"; without a name,
  /// "Event (created at ...)".
  void append_to(std::string& out) const;
  [[nodiscard]] std::string str() const;

 private:
  const char* kind_;
  std::string name_;
  SourceLocation created_at_;
};

/// Appends ", awaited at file:line".
void append_awaited_at(std::string& out, SourceLocation where);

/// Appends what an awaiter of a destroyed primitive says about it.
void append_destroyed(std::string& out, const char* kind, SourceLocation where);

/// The message of an awaiter resumed after its primitive was destroyed.
[[noreturn]] void throw_destroyed(const char* kind, const char* operation);

/// Reaches a primitive's private `describe(std::string&)`, for its fmt formatter.
struct SyncAccess {
  template <class Primitive>
  static void describe(const Primitive& primitive, std::string& out) {
    primitive.describe(out);
  }
};

/// The fmt formatter of every primitive: "Lock 'db' (created at db.cc:12) [locked, waiters:2]",
/// like asyncio's repr. Accepts the format specs of a string ("{:>60}").
template <class Primitive>
struct SyncFormatter : fmt::formatter<fmt::string_view> {
  template <class FormatContext>
  auto format(const Primitive& primitive, FormatContext& context) const -> decltype(context.out()) {
    std::string out;
    SyncAccess::describe(primitive, out);
    return fmt::formatter<fmt::string_view>::format(fmt::string_view(out), context);
  }
};

}  // namespace simtime::detail

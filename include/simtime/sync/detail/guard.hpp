// The move-only holder behind LockGuard and SemaphoreGuard (asyncio's `async with`): what a
// primitive handed out, given back when the holder goes away. Users include lock.hpp or
// semaphore.hpp, never this one.
#pragma once

#include <utility>

#include "simtime/errors.hpp"

namespace simtime::detail {

template <class Acquire, class Holder>
class Holding;

/// Holds what `Primitive` handed out (a Lock's lock, a Semaphore's permit) and gives it back
/// with `Primitive::release()` when destroyed or assigned over. Destruction never throws: it
/// releases only if `Primitive::can_release()` (a private member the primitive lets this
/// class read) says release() would succeed, so a lock released behind the guard's back or a
/// BoundedSemaphore already at its bound is left alone. Movable, not copyable; a moved-from
/// or default-constructed holder holds nothing. A holder is made only by `Holding`, the
/// awaiter that took what it holds: a public holder inherits the constructors, which stay as
/// accessible as they are here.
template <class Primitive>
class Guard {
 public:
  Guard(Guard&& other) noexcept : held_(std::exchange(other.held_, nullptr)) {}
  Guard& operator=(Guard&& other) noexcept {
    if (this != &other) {
      reset();
      held_ = std::exchange(other.held_, nullptr);
    }
    return *this;
  }
  Guard(const Guard&) = delete;
  Guard& operator=(const Guard&) = delete;

 protected:
  Guard() noexcept = default;
  explicit Guard(Primitive& held) noexcept : held_(&held) {}
  ~Guard() { reset(); }

  [[nodiscard]] bool holds() const noexcept { return held_ != nullptr; }
  /// Gives it back now. Throws InvalidStateError(`if_empty`) if the holder holds nothing,
  /// and what `Primitive::release()` throws.
  void release(const char* if_empty) {
    if (held_ == nullptr) throw InvalidStateError(if_empty);
    std::exchange(held_, nullptr)->release();
  }

 private:
  template <class, class>
  friend class Holding;

  void reset() noexcept {
    Primitive* held = std::exchange(held_, nullptr);
    if (held != nullptr && held->can_release()) held->release();
  }

  Primitive* held_ = nullptr;
};

/// The awaiter of `lock.lock()` and `semaphore.hold()`: `Acquire`, the awaiter that takes the
/// primitive (`acquire()`'s), yielding a `Holder` of what it took.
template <class Acquire, class Holder>
class Holding final : public Acquire {
 public:
  using Acquire::Acquire;
  Holder await_resume() {
    Acquire::await_resume();
    return Holder(this->primitive());
  }
};

}  // namespace simtime::detail

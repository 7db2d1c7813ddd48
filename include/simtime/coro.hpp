// Coro<T>: a lazy coroutine, simtime's `async def`.
//
// Calling a `Coro<T>` function creates its frame and runs nothing (rule 1); the body starts
// when the Coro is awaited or handed to `create_task`. `T` may be void, a reference, or a
// move-only type; an exception escaping the body is rethrown to the awaiter.
//
// Ownership: the Coro object owns its frame until it is awaited to completion (the frame is
// freed with the Coro) or moved into `create_task` (the task then owns it). A Coro can be
// awaited once.
//
// Lifetime: the frame keeps the coroutine's parameters, so take them by value. A capturing
// lambda coroutine dies with the lambda: `create_task([&]() -> Coro<> {...}())` dangles; pass
// what the body needs as parameters instead.
#pragma once

#include <coroutine>
#include <cstddef>
#include <exception>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

#include "simtime/detail/frame_pool.hpp"
#include "simtime/detail/task_state.hpp"
#include "simtime/errors.hpp"

namespace simtime {

namespace detail {
template <class T>
class Promise;
struct CoroAccess;
}  // namespace detail

/// A lazy coroutine returning T. Awaiting it runs it to completion inside the awaiting task.
/// Throws: whatever the body throws. Cancellation: the awaiting task's cancellation is
/// delivered at the body's own suspension points.
template <class T = void>
class [[nodiscard]] Coro {
 public:
  using promise_type = detail::Promise<T>;
  using value_type = T;

  Coro(Coro&& other) noexcept : frame_(std::exchange(other.frame_, nullptr)) {}
  Coro& operator=(Coro&& other) noexcept {
    if (this != &other) {
      destroy();
      frame_ = std::exchange(other.frame_, nullptr);
    }
    return *this;
  }
  Coro(const Coro&) = delete;
  Coro& operator=(const Coro&) = delete;
  ~Coro() { destroy(); }

  /// False once the Coro was moved from or handed to a task.
  [[nodiscard]] bool valid() const noexcept { return static_cast<bool>(frame_); }

  auto operator co_await() && { return Awaiter{checked_frame()}; }
  auto operator co_await() & { return Awaiter{checked_frame()}; }

 private:
  friend class detail::Promise<T>;
  friend struct detail::CoroAccess;

  using Handle = std::coroutine_handle<promise_type>;
  explicit Coro(Handle frame) noexcept : frame_(frame) {}

  struct Awaiter {
    Handle frame;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> awaiting) noexcept {
      frame.promise().set_continuation(awaiting);
      detail::resume_next(frame);
    }
    decltype(auto) await_resume() { return frame.promise().take_result(); }
  };

  Handle checked_frame() const {
    if (!frame_) throw InvalidStateError("Coro: awaiting an empty Coro (moved from or made a task)");
    if (frame_.done()) throw InvalidStateError("Coro: awaiting a Coro that already completed");
    return frame_;
  }
  Handle release() noexcept { return std::exchange(frame_, nullptr); }
  void destroy() noexcept {
    if (frame_) std::exchange(frame_, nullptr).destroy();
  }

  Handle frame_;
};

// ---------------------------------------------------------------------------------------
// Implementation details
// ---------------------------------------------------------------------------------------
namespace detail {

// Lets the task machinery take a frame out of its Coro. It looks at the frame first and
// releases it only once the frame has a new owner: if registering it throws, the Coro still
// owns the frame and destroys it.
struct CoroAccess {
  template <class T>
  static auto frame(const Coro<T>& coro) noexcept {
    return coro.frame_;
  }
  template <class T>
  static auto release(Coro<T>& coro) noexcept {
    return coro.release();
  }
};

struct FinalAwaiter {
  bool await_ready() const noexcept { return false; }
  // A nested Coro hands control back to its awaiter through the trampoline; a task's
  // outermost frame just stops, and the loop sees the frame done.
  template <class P>
  void await_suspend(std::coroutine_handle<P> self) const noexcept {
    const TaskState& state = self.promise();
    if (state.phase == TaskPhase::nested) resume_next(state.continuation());
  }
  void await_resume() const noexcept {}
};

class PromiseBase : public TaskState {
 public:
  static void* operator new(std::size_t size) { return allocate_frame(size); }
  static void operator delete(void* frame, std::size_t size) noexcept { free_frame(frame, size); }

  std::suspend_always initial_suspend() const noexcept { return {}; }
  FinalAwaiter final_suspend() const noexcept { return {}; }
  void unhandled_exception() noexcept { store_exception(); }
};

// A frame starts with two function pointers; its promise follows, at offset 16 for any
// promise aligned to 16 bytes or less. So the frame of a TaskState is found from the
// TaskState alone, and no frame stores a handle to itself.
inline constexpr std::size_t promise_alignment_limit = 2 * sizeof(void*);

/// The coroutine frame whose promise is `task`.
inline std::coroutine_handle<> frame_of(TaskState& task) noexcept {
  return std::coroutine_handle<PromiseBase>::from_promise(static_cast<PromiseBase&>(task));
}

template <class T>
class Promise final : public PromiseBase {
 public:
  // The value lives in a union, its "engaged" flag in TaskState's spare bits: a std::optional
  // would add eight bytes to every frame returning a word. A value of a word or less without a
  // destructor goes in TaskState's result slot instead, which takes no bytes of its own.
  Promise() noexcept {}
  Promise(const Promise&) = delete;
  Promise& operator=(const Promise&) = delete;
  ~Promise() {
    if constexpr (!in_slot) {
      if (has_value) storage_.value.~T();
    }
  }

  Coro<T> get_return_object() noexcept {
    static_assert(alignof(Promise) <= promise_alignment_limit,
                  "simtime: a Coro's result type may be aligned to at most 16 bytes (hold a more aligned "
                  "value in a std::unique_ptr)");
    return Coro<T>(std::coroutine_handle<Promise>::from_promise(*this));
  }
  template <class U>
  requires std::is_convertible_v<U&&, T>
  void return_value(U&& value) noexcept(std::is_nothrow_constructible_v<T, U&&>) {
    if constexpr (in_slot) {
      ::new (result_slot()) T(std::forward<U>(value));
    } else {
      std::construct_at(std::addressof(storage_.value), std::forward<U>(value));
    }
    has_value = true;
  }
  /// For a nested Coro: the value, moved out, or the body's exception.
  T take_result() {
    rethrow_if_failed();
    return std::move(value());
  }
  /// For a task: the stored value, shared by every awaiter.
  T& stored_result() {
    rethrow_if_failed();
    return value();
  }

 private:
  static constexpr bool in_slot = fits_in_result_slot<T>;
  union ValueStorage {
    ValueStorage() noexcept {}
    ~ValueStorage() {}
    T value;
  };
  struct NoStorage {};

  T& value() noexcept {
    if constexpr (in_slot) {
      return *std::launder(static_cast<T*>(result_slot()));
    } else {
      return storage_.value;
    }
  }

  [[no_unique_address]] std::conditional_t<in_slot, NoStorage, ValueStorage> storage_;
};

template <class T>
class Promise<T&> final : public PromiseBase {
 public:
  Coro<T&> get_return_object() noexcept { return Coro<T&>(std::coroutine_handle<Promise>::from_promise(*this)); }
  // The referent's address goes in TaskState's result slot.
  void return_value(T& value) noexcept { ::new (result_slot()) T*(std::addressof(value)); }
  T& take_result() {
    rethrow_if_failed();
    return **std::launder(static_cast<T**>(result_slot()));
  }
  T& stored_result() { return take_result(); }
};

template <>
class Promise<void> final : public PromiseBase {
 public:
  Coro<void> get_return_object() noexcept { return Coro<void>(std::coroutine_handle<Promise>::from_promise(*this)); }
  void return_void() const noexcept {}
  void take_result() { rethrow_if_failed(); }
  void stored_result() { rethrow_if_failed(); }
};

}  // namespace detail
}  // namespace simtime

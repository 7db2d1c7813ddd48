// Future<T>: a result that a callback or another task provides later (asyncio.Future, made
// by loop.create_future()).
//
//   simtime::Future<int> reply = simtime::create_future<int>();
//   simtime::call_later(2s, [reply]() mutable { reply.set_result(42); });
//   int value = co_await reply;  // 42, at 2s
//
// A Future is a cheap copyable handle: copies share one result. It is done from the moment
// set_result, set_exception or cancel is called; awaiting it then gives the result, throws
// the exception, or throws CancelledError. Awaiting a future that is not done waits for it
// (any number of tasks may). Behind a future is a small task named "Future" that waits for
// the result, which is what a deadlock report names while it is awaited; an exception set
// and never retrieved is reported as that task's (rule 17).
#pragma once

#include <exception>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include "simtime/coro.hpp"
#include "simtime/errors.hpp"
#include "simtime/source_location.hpp"
#include "simtime/sync/event.hpp"
#include "simtime/task.hpp"

namespace simtime {

template <class T = void>
class Future {
 public:
  /// An empty handle: use create_future.
  Future() = default;

  /// Makes the future done with `value` and wakes its awaiters. Throws InvalidStateError if
  /// it is already done.
  template <class U = T>
  requires(!std::is_void_v<U>) void set_result(U value) {
    require_pending("set_result");
    state_->value.emplace(std::move(value));
    resolve();
  }
  /// Makes a Future<void> done.
  template <class U = T>
  requires std::is_void_v<U>
  void set_result() {
    require_pending("set_result");
    resolve();
  }
  /// Makes the future done with `error`. Throws InvalidStateError if it is already done.
  void set_exception(std::exception_ptr error) {
    require_pending("set_exception");
    state_->error = std::move(error);
    resolve();
  }
  /// Cancels the future: its awaiters get CancelledError. False if it is already done.
  bool cancel() {
    if (done()) return false;
    state_->done = true;
    state_->cancelled = true;
    waiter_.cancel();
    return true;
  }
  /// True once a result, an exception or a cancellation was set (or an awaiter's
  /// cancellation reached the future).
  [[nodiscard]] bool done() const { return checked().done || waiter_.done(); }
  [[nodiscard]] bool cancelled() const { return checked().cancelled || waiter_.cancelled(); }
  /// The result. Throws InvalidStateError if it is not done, CancelledError if cancelled, or
  /// the exception set.
  decltype(auto) result() const {
    if (!done()) throw InvalidStateError("Future: result() of a future that is not done");
    if (cancelled()) throw CancelledError();
    if (waiter_.done()) return waiter_.result();  // the result moved there once the waiter ran
    if (state_->error) std::rethrow_exception(state_->error);
    if constexpr (std::is_void_v<T>) {
      return;
    } else {
      return static_cast<T&>(*state_->value);
    }
  }

  /// Waits until the future is done. Throws: the exception set; CancelledError if the
  /// future was cancelled. Cancellation: the awaiting task stops waiting and the future
  /// is cancelled too (asyncio).
  auto operator co_await() const { return waiter_.operator co_await(); }

 private:
  template <class U>
  friend Future<U> create_future(SourceLocation where);

  struct State {
    Event resolved;
    std::conditional_t<std::is_void_v<T>, bool, std::optional<T>> value{};
    std::exception_ptr error;
    bool done = false;
    bool cancelled = false;
  };

  static Coro<T> wait_for_resolution(std::shared_ptr<State> state) {
    co_await state->resolved.wait();
    if (state->error) std::rethrow_exception(state->error);
    if constexpr (!std::is_void_v<T>) co_return std::move(*state->value);
  }

  State& checked() const {
    if (state_ == nullptr) throw InvalidStateError("Future: operation on an empty Future handle");
    return *state_;
  }
  void require_pending(const char* what) const {
    if (done()) throw InvalidStateError(std::string("Future: ") + what + " of a future that is already done");
  }
  void resolve() {
    state_->done = true;
    state_->resolved.set();
  }

  std::shared_ptr<State> state_;
  Task<T> waiter_;
};

/// A new future on the running loop (asyncio's loop.create_future()). Throws
/// std::runtime_error outside a running loop.
template <class T = void>
Future<T> create_future(SourceLocation where = SourceLocation::current()) {
  Future<T> future;
  future.state_ = std::make_shared<typename Future<T>::State>();
  future.waiter_ = create_task(Future<T>::wait_for_resolution(future.state_), "Future", where);
  return future;
}

}  // namespace simtime

// Time limits: timeout, timeout_at and wait_for (asyncio.timeout, asyncio.wait_for).
//
//   int value = co_await wait_for(fetch(), 3s);              // TimeoutError after 3 s
//   co_await timeout(10s, [&](Timeout& scope) -> Coro<> {    // a scope around several awaits
//     co_await step_one();
//     scope.reschedule(now() + 5s);
//     co_await step_two();
//   });
//
// A time limit runs its body in the awaiting task (no extra task, as in asyncio 3.12). When
// the deadline passes, the task is cancelled: the body's current await throws
// CancelledError, what it awaits is cancelled too (rule 15), and when the CancelledError
// leaves the body the scope turns it into TimeoutError. If someone else also cancelled the
// task meanwhile, CancelledError propagates instead (asyncio's uncancel accounting).
//
// A deadline that coincides with the instant the body's work completes wins: timers due at
// an instant fire before any task they wake runs (rule 13), so the work is cancelled and
// TimeoutError is thrown, as in asyncio 3.12+. A body that catches the CancelledError and
// returns normally returns its value; the scope then reports `expired()`.
//
// Lifetime: a body lambda is stored in the scope's frame for as long as the scope runs, so
// capturing by reference (`[&]`) is safe here, unlike with create_task.
#pragma once

#include <chrono>
#include <concepts>
#include <coroutine>
#include <cstdint>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include "simtime/clock.hpp"
#include "simtime/coro.hpp"
#include "simtime/detail/checked_duration.hpp"
#include "simtime/detail/task_state.hpp"
#include "simtime/detail/timer_queue.hpp"
#include "simtime/errors.hpp"
#include "simtime/task.hpp"

namespace simtime {

namespace detail {
struct TimeoutScope;
}  // namespace detail

/// The deadline of a running time-limit scope (asyncio.Timeout).
class Timeout {
 public:
  /// The current deadline; nullopt means none.
  [[nodiscard]] std::optional<TimePoint> when() const noexcept { return when_; }
  /// Moves the deadline (nullopt removes it). A deadline already passed expires the scope on
  /// the next turn. Throws InvalidStateError once the scope has expired or exited.
  void reschedule(std::optional<TimePoint> when);
  /// True once the deadline passed while the body ran.
  [[nodiscard]] bool expired() const noexcept { return state_ == State::expiring || state_ == State::expired; }

  explicit Timeout(std::optional<TimePoint> when) noexcept : when_(when) {}
  Timeout(const Timeout&) = delete;
  Timeout& operator=(const Timeout&) = delete;
  ~Timeout();

 private:
  friend struct detail::TimeoutScope;  // enters and exits the scope around its body
  void enter();
  [[noreturn]] void exit_with(std::exception_ptr error);
  void exit_normally() noexcept;

  enum class State : unsigned char { created, entered, expiring, expired, exited };
  struct Timer : detail::CallbackTimer {
    Timeout* owner = nullptr;
  };
  static void on_deadline(detail::CallbackTimer& timer);
  void leave() noexcept;

  std::optional<TimePoint> when_;
  State state_ = State::created;
  detail::TaskState* task_ = nullptr;
  std::uint32_t cancelling_at_enter_ = 0;
  Timer timer_;
};

/// Runs `body` in the current task, cancelling it if it is still running at `deadline`
/// (nullopt: never). `body` is a Coro<T>, or a callable taking `Timeout&` and returning one.
/// Throws: TimeoutError if the deadline cancelled the body; whatever the body throws.
/// Cancellation: cancelling the awaiting task cancels the body; CancelledError propagates.
template <class Body>
auto timeout_at(std::optional<TimePoint> deadline, Body body);

/// As timeout_at, with the deadline `delay` after now. Throws std::invalid_argument if the
/// deadline would overflow the clock.
template <class Rep, class Period, class Body>
auto timeout(std::chrono::duration<Rep, Period> delay, Body body);

/// Awaits `awaitable` for at most `limit` (asyncio.wait_for): a Coro<T>, a Task<T>,
/// `shield(...)`, or any awaitable simtime returns (`sleep`, `Event::wait`, `Lock::lock`,
/// `Semaphore::acquire`, `Condition::wait`, `Queue::get`/`put`/`join`...), or one of your own
/// that can be moved. On expiry the work is cancelled (a Task too; a shielded task runs on)
/// and waited for, then TimeoutError is thrown. A limit <= 0 gives a finished Task's result,
/// and otherwise times out without awaiting anything else at all. Throws
/// std::invalid_argument if now + limit overflows the clock.
template <class Awaitable, class Rep, class Period>
auto wait_for(Awaitable awaitable, std::chrono::duration<Rep, Period> limit);

// ---------------------------------------------------------------------------------------
// Implementation details
// ---------------------------------------------------------------------------------------
namespace detail {

template <class T>
struct CoroValue;
template <class T>
struct CoroValue<Coro<T>> {
  using type = T;
};

template <class Body>
struct ScopeBody {
  using coro_type = std::invoke_result_t<Body&, Timeout&>;
  static coro_type start(Body& body, Timeout& scope) { return body(scope); }
};
template <class T>
struct ScopeBody<Coro<T>> {
  using coro_type = Coro<T>;
  static Coro<T> start(Coro<T>& body, Timeout&) { return std::move(body); }
};

/// A deadline, or a delay that becomes one when the scope starts (a scope is a lazy Coro
/// like any other, so nothing about it is decided before it is awaited).
struct Limit {
  std::optional<TimePoint> deadline;
  std::optional<Duration> delay;
  const char* caller;
  [[nodiscard]] std::optional<TimePoint> resolve() const;
};

struct TimeoutScope {
  static void enter(Timeout& scope) { scope.enter(); }
  [[noreturn]] static void exit_with(Timeout& scope, std::exception_ptr error) { scope.exit_with(std::move(error)); }
  static void exit_normally(Timeout& scope) noexcept { scope.exit_normally(); }
};

template <class Body, class T = typename CoroValue<typename ScopeBody<Body>::coro_type>::type>
Coro<T> run_with_timeout(Limit limit, Body body) {
  Timeout scope(limit.resolve());
  TimeoutScope::enter(scope);
  if constexpr (std::is_void_v<T>) {
    try {
      co_await ScopeBody<Body>::start(body, scope);
    } catch (...) {
      TimeoutScope::exit_with(scope, std::current_exception());
    }
    TimeoutScope::exit_normally(scope);
  } else {
    using Stored = std::conditional_t<std::is_reference_v<T>, std::remove_reference_t<T>*, T>;
    std::optional<Stored> result;
    try {
      if constexpr (std::is_reference_v<T>) {
        result.emplace(&co_await ScopeBody<Body>::start(body, scope));
      } else {
        result.emplace(co_await ScopeBody<Body>::start(body, scope));
      }
    } catch (...) {
      TimeoutScope::exit_with(scope, std::current_exception());
    }
    TimeoutScope::exit_normally(scope);
    if constexpr (std::is_reference_v<T>) {
      co_return **result;
    } else {
      co_return std::move(*result);
    }
  }
}

template <class T>
Coro<T> await_task(Task<T> task) {
  co_return co_await std::move(task);
}

template <class A>
concept Awaiter = requires(A& awaiter) {
  awaiter.await_ready();
  awaiter.await_resume();
};
template <class A>
concept HasMemberCoAwait = requires(A&& awaitable) {
  std::move(awaitable).operator co_await();
};

/// What `co_await awaitable` gives, for an awaiter or a type with a member operator co_await.
template <class A>
struct AwaitResult {};
template <Awaiter A>
struct AwaitResult<A> {
  using type = decltype(std::declval<A&>().await_resume());
};
template <class A>
requires(!Awaiter<A> && HasMemberCoAwait<A>) struct AwaitResult<A> {
  using type = decltype(std::declval<decltype(std::declval<A>().operator co_await())&>().await_resume());
};

template <class A>
concept TimeLimitable = std::move_constructible<A> && requires {
  typename AwaitResult<A>::type;
};

template <class A>
inline constexpr bool is_coro_or_task = false;
template <class T>
inline constexpr bool is_coro_or_task<Coro<T>> = true;
template <class T>
inline constexpr bool is_coro_or_task<Task<T>> = true;

// Any other awaitable becomes a Coro, which the time limit then runs as it runs any.
template <class T, class A>
Coro<T> await_awaitable(A awaitable) {
  co_return co_await std::move(awaitable);
}

// asyncio.wait_for with timeout <= 0: no time for the work at all.
template <class T>
Coro<T> wait_no_time(Task<T> task) {
  if (!task.done()) {
    task.cancel();
    try {
      co_await task;
    } catch (const CancelledError&) {
      // Only the cancellation wait_for made becomes TimeoutError; one of the awaiting task's
      // own (it was cancelled while waiting here) propagates, as asyncio's uncancel
      // accounting has it.
      if (current_task("wait_for").cancel_requests > 0) throw;
      throw TimeoutError("wait_for: the time limit was not positive and the task had not finished");
    }
  }
  co_return co_await std::move(task);
}

template <class T>
Coro<T> wait_no_time([[maybe_unused]] Coro<T> never_started) {
  co_await std::suspend_never{};  // a coroutine, so that nothing happens before it is awaited
  throw TimeoutError("wait_for: the time limit was not positive; the coroutine never ran");
}

}  // namespace detail

template <class Body>
auto timeout_at(std::optional<TimePoint> deadline, Body body) {
  return detail::run_with_timeout(detail::Limit{deadline, std::nullopt, "timeout_at"}, std::move(body));
}

template <class Rep, class Period, class Body>
auto timeout(std::chrono::duration<Rep, Period> delay, Body body) {
  const Duration checked = detail::checked_nanoseconds(delay, "timeout");
  return detail::run_with_timeout(detail::Limit{std::nullopt, checked, "timeout"}, std::move(body));
}

template <class Awaitable, class Rep, class Period>
auto wait_for(Awaitable awaitable, std::chrono::duration<Rep, Period> limit) {
  static_assert(detail::is_coro_or_task<Awaitable> || detail::TimeLimitable<Awaitable>,
                "wait_for: the first argument must be awaitable and movable: a Coro, a Task, shield(...), or what "
                "sleep, Event::wait, Lock::lock, Semaphore::acquire, Condition::wait or Queue::get return");
  if constexpr (detail::is_coro_or_task<Awaitable>) {
    const Duration checked = detail::checked_nanoseconds(limit, "wait_for");
    using T = typename Awaitable::value_type;
    if (checked <= Duration::zero()) return detail::wait_no_time(std::move(awaitable));
    const detail::Limit within{std::nullopt, checked, "wait_for"};
    if constexpr (std::is_same_v<Awaitable, Task<T>>) {
      return detail::run_with_timeout(within, detail::await_task(std::move(awaitable)));
    } else {
      return detail::run_with_timeout(within, std::move(awaitable));
    }
  } else if constexpr (detail::TimeLimitable<Awaitable>) {
    using T = typename detail::AwaitResult<Awaitable>::type;
    return wait_for(detail::await_awaitable<T>(std::move(awaitable)), limit);
  }
}

}  // namespace simtime

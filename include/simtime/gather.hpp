// gather: await several coroutines or tasks together (asyncio.gather).
//
//   auto [a, b] = co_await gather(fetch(1), fetch(2));       // std::tuple, argument order
//   std::vector<int> all = co_await gather(std::move(coros)); // a range gives a std::vector
//
// Results come back in argument order whatever the completion order (rule 8); a `void`
// result is represented by `std::monostate`. The first exception, in completion order,
// propagates as soon as it happens; the other tasks keep running (as in asyncio) and their
// later exceptions are considered retrieved by the gather.
//
// Each Coro argument becomes a task when the gather is awaited (not when `gather` is
// called, unlike asyncio, because a gather is itself a lazy Coro); pass Tasks to start work
// earlier. Cancelling the task that awaits a gather cancels every unfinished child, and the
// gather then throws CancelledError.
#pragma once

#include <array>
#include <concepts>
#include <coroutine>
#include <cstddef>
#include <memory>
#include <ranges>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "simtime/coro.hpp"
#include "simtime/detail/task_state.hpp"
#include "simtime/task.hpp"

namespace simtime {

namespace detail {
template <class A>
struct Gatherable;
template <class A>
concept gatherable = Gatherable<std::remove_cvref_t<A>>::value;
template <class A>
using gather_value_t = typename Gatherable<std::remove_cvref_t<A>>::result_type;
}  // namespace detail

/// Awaits every argument (Coro<T> or Task<T>); yields a tuple of their results in argument
/// order. Throws: the first exception to happen. Cancellation: cancels every child.
template <class... Awaitables>
  requires(detail::gatherable<Awaitables> && ...)
Coro<std::tuple<detail::gather_value_t<Awaitables>...>> gather(Awaitables... awaitables);

/// Awaits every element of a range of Coro<T> or Task<T>; yields a std::vector of results
/// in range order. Throws and cancels as the variadic form does.
template <std::ranges::input_range Range>
  requires detail::gatherable<std::ranges::range_value_t<Range>>
Coro<std::vector<detail::gather_value_t<std::ranges::range_value_t<Range>>>> gather(Range awaitables);

// ---------------------------------------------------------------------------------------
// Implementation details
// ---------------------------------------------------------------------------------------
namespace detail {

template <class A>
struct Gatherable : std::false_type {};
template <class T>
struct Gatherable<Coro<T>> : std::true_type {
  using value_type = T;
  using result_type = std::conditional_t<std::is_void_v<T>, std::monostate, T>;
  static constexpr bool owned = true;  // the gather made the task: nobody else sees it
};
template <class T>
struct Gatherable<Task<T>> : std::true_type {
  using value_type = T;
  using result_type = std::conditional_t<std::is_void_v<T>, std::monostate, T>;
  static constexpr bool owned = false;
};

/// Blocks the awaiting task until every task finished, or until one fails when
/// `stop_on_failure`. Yields the task that failed first, or null.
class WaitAll final : public Blocker {
 public:
  WaitAll(std::span<TaskState* const> tasks, bool stop_on_failure);
  WaitAll(const WaitAll&) = delete;
  WaitAll& operator=(const WaitAll&) = delete;
  ~WaitAll();

  bool await_ready() noexcept;
  void await_suspend(std::coroutine_handle<> awaiting);
  TaskState* await_resume();

  bool cancel_wait(TaskState& waiter) override;
  void describe(std::string& out) const override;

 private:
  struct Node : CompletionWaiter {
    WaitAll* owner = nullptr;
  };
  static void on_child_done(CompletionWaiter& node, TaskState& child);
  void stop_waiting() noexcept;

  std::span<TaskState* const> tasks_;
  std::unique_ptr<Node[]> nodes_;
  std::size_t node_count_ = 0;
  std::size_t remaining_ = 0;
  TaskState* waiter_ = nullptr;
  TaskState* first_failure_ = nullptr;
  bool stop_on_failure_;
  bool cancel_requested_ = false;
};

template <class T>
Task<T> as_task(Coro<T>&& coro) {
  return create_task(std::move(coro));
}
template <class T>
Task<T> as_task(Task<T>&& task) noexcept {
  return std::move(task);
}

// A result for the gather's output: moved out when the gather owns the task alone, copied
// when the caller still holds it (moved if T cannot be copied).
template <class A, class T>
gather_value_t<A> take_result(Task<T>& task) {
  if constexpr (std::is_void_v<T>) {
    task.result();
    return std::monostate{};
  } else if constexpr (std::is_reference_v<T>) {
    return task.result();
  } else if constexpr (Gatherable<A>::owned || !std::copy_constructible<T>) {
    return T(std::move(task.result()));
  } else {
    return T(task.result());
  }
}

[[noreturn]] void rethrow_failure(TaskState& failed);

}  // namespace detail

template <class... Awaitables>
  requires(detail::gatherable<Awaitables> && ...)
Coro<std::tuple<detail::gather_value_t<Awaitables>...>> gather(Awaitables... awaitables) {
  std::tuple<Task<typename detail::Gatherable<Awaitables>::value_type>...> tasks{
      detail::as_task(std::move(awaitables))...};
  const auto states = std::apply(
      [](auto&... task) { return std::array<detail::TaskState*, sizeof...(Awaitables)>{&detail::TaskAccess::state(task)...}; },
      tasks);
  if (detail::TaskState* failed = co_await detail::WaitAll(states, true)) detail::rethrow_failure(*failed);
  co_return [&]<std::size_t... I>(std::index_sequence<I...>) {
    return std::tuple<detail::gather_value_t<Awaitables>...>{
        detail::take_result<Awaitables>(std::get<I>(tasks))...};
  }(std::index_sequence_for<Awaitables...>{});
}

template <std::ranges::input_range Range>
  requires detail::gatherable<std::ranges::range_value_t<Range>>
Coro<std::vector<detail::gather_value_t<std::ranges::range_value_t<Range>>>> gather(Range awaitables) {
  using Awaitable = std::ranges::range_value_t<Range>;
  using Value = typename detail::Gatherable<Awaitable>::value_type;
  std::vector<Task<Value>> tasks;
  if constexpr (std::ranges::sized_range<Range>) tasks.reserve(std::ranges::size(awaitables));
  for (auto&& awaitable : awaitables) tasks.push_back(detail::as_task(Awaitable(std::move(awaitable))));
  std::vector<detail::TaskState*> states;
  states.reserve(tasks.size());
  for (auto& task : tasks) states.push_back(&detail::TaskAccess::state(task));
  if (detail::TaskState* failed = co_await detail::WaitAll(states, true)) detail::rethrow_failure(*failed);
  std::vector<detail::gather_value_t<Awaitable>> results;
  results.reserve(tasks.size());
  for (auto& task : tasks) results.push_back(detail::take_result<Awaitable>(task));
  co_return results;
}

}  // namespace simtime

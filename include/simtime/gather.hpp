// gather: await several coroutines or tasks together (asyncio.gather).
//
//   auto [a, b] = co_await gather(fetch(1), fetch(2));       // std::tuple, argument order
//   std::vector<int> all = co_await gather(std::move(coros)); // a range gives a std::vector
//   auto outcomes = co_await gather(return_exceptions, fetch(1), fetch(2));
//
// Results come back in argument order whatever the completion order (rule 8); a `void`
// result is represented by `std::monostate`. The first exception, in completion order,
// propagates as soon as it happens; the other tasks keep running (as in asyncio) and their
// later exceptions are considered retrieved by the gather. With `return_exceptions` every
// child runs to its end and each result is a `std::variant<R, std::exception_ptr>`: the
// value, or the exception (a CancelledError for a cancelled child).
//
// Each Coro argument becomes a task when the gather is awaited (not when `gather` is
// called, unlike asyncio, because a gather is itself a lazy Coro); pass Tasks to start work
// earlier. Cancelling the task that awaits a gather cancels every unfinished child, and the
// gather then throws CancelledError, with or without `return_exceptions` (rule 15).
#pragma once

#include <array>
#include <concepts>
#include <cstddef>
#include <exception>
#include <ranges>
#include <span>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "simtime/coro.hpp"
#include "simtime/detail/task_state.hpp"
#include "simtime/detail/wait_tasks.hpp"
#include "simtime/task.hpp"

namespace simtime {

namespace detail {
template <class A>
struct Gatherable;
template <class A>
concept gatherable = Gatherable<std::remove_cvref_t<A>>::value;
template <class A>
using gather_value_t = typename Gatherable<std::remove_cvref_t<A>>::result_type;
template <class A>
using settled_t = std::variant<gather_value_t<A>, std::exception_ptr>;
}  // namespace detail

/// Tag asking gather for every outcome, exceptions included (asyncio's return_exceptions).
struct ReturnExceptions {
  explicit ReturnExceptions() = default;
};
inline constexpr ReturnExceptions return_exceptions{};

/// Awaits every argument (Coro<T> or Task<T>); yields a tuple of their results in argument
/// order. Throws: the first exception to happen. Cancellation: cancels every child.
template <class... Awaitables>
requires(detail::gatherable<Awaitables>&&...) Coro<std::tuple<detail::gather_value_t<Awaitables>...>> gather(
    Awaitables... awaitables);

/// Awaits every element of a range of Coro<T> or Task<T>; yields a std::vector of results
/// in range order. Throws and cancels as the variadic form does.
template <std::ranges::input_range Range>
requires detail::gatherable<std::ranges::range_value_t<Range>>
    Coro<std::vector<detail::gather_value_t<std::ranges::range_value_t<Range>>>> gather(Range awaitables);

/// Awaits every argument to its end; yields each outcome as a variant of value or exception.
/// Throws: CancelledError only if the awaiting task is cancelled (the children are too).
template <class... Awaitables>
requires(detail::gatherable<Awaitables>&&...) Coro<std::tuple<detail::settled_t<Awaitables>...>> gather(
    ReturnExceptions, Awaitables... awaitables);

/// The range form of gather(return_exceptions, ...).
template <std::ranges::input_range Range>
requires detail::gatherable<std::ranges::range_value_t<Range>>
    Coro<std::vector<detail::settled_t<std::ranges::range_value_t<Range>>>> gather(ReturnExceptions, Range awaitables);

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

template <class T>
Task<T> as_task(Coro<T>&& coro) {
  return create_task(std::move(coro));
}
template <class T>
Task<T> as_task(Task<T>&& task) noexcept {
  return std::move(task);
}

// The task's result(); KnownFinished skips the checks for a task known to have finished
// without an exception.
template <bool KnownFinished, class T>
decltype(auto) result_of(Task<T>& task) {
  if constexpr (KnownFinished) {
    return TaskAccess::finished_result(task);
  } else {
    return task.result();
  }
}

// A result for the gather's output: moved out when the gather owns the task alone, copied
// when the caller still holds it (moved if T cannot be copied).
template <class A, bool KnownFinished = false, class T>
gather_value_t<A> take_result(Task<T>& task) {
  if constexpr (std::is_void_v<T>) {
    result_of<KnownFinished>(task);
    return std::monostate{};
  } else if constexpr (std::is_reference_v<T>) {
    return result_of<KnownFinished>(task);
  } else if constexpr (Gatherable<A>::owned || !std::copy_constructible<T>) {
    return T(std::move(result_of<KnownFinished>(task)));
  } else {
    return T(result_of<KnownFinished>(task));
  }
}

template <class A, class T>
settled_t<A> take_outcome(Task<T>& task) {
  auto& state = TaskAccess::state(task);
  if (state.has_exception) {
    state.exception_retrieved = true;
    return state.exception();
  }
  return take_result<A>(task);
}

// What a gather yields for one child: its result, or with return_exceptions (Settle) its
// outcome.
template <class A, bool Settle, class T>
auto take_element(Task<T>& task) {
  if constexpr (Settle) {
    return take_outcome<A>(task);
  } else {
    return take_result<A>(task);
  }
}

/// Waits for `tasks` as a gather does; rethrows the first failure unless `settle`. Yields how
/// many tasks, from the first, went to `in_order` as they finished.
Coro<std::size_t> wait_for_gather(TaskList tasks, bool settle, InOrderTake in_order = {});

// Takes a range gather's results into `results` as the tasks finish in order, and drops each
// task's handle then: a gather of a million tasks reads each frame while it is still in the
// cache rather than in a pass of its own afterwards. Only where taking a result cannot throw
// (it runs inside the loop's completion callbacks); elsewhere the gather takes them all after.
template <class A, class T, class Results, bool Settle>
class InOrderResults {
 public:
  InOrderResults(std::vector<Task<T>>& tasks, Results& results) noexcept : tasks_(tasks), results_(results) {}
  [[nodiscard]] InOrderTake hook() noexcept {
    if constexpr (nothrow) {
      return {&InOrderResults::take, this};
    } else {
      return {};
    }
  }
  /// Takes the results from `first` on, once the wait is over.
  void take_rest(std::size_t first) {
    for (std::size_t index = first; index < tasks_.size(); ++index) take_one(index);
  }

 private:
  using Element = typename Results::value_type;
  static constexpr bool result_nothrow =
      std::is_void_v<T> || std::is_reference_v<T> ||
      (Gatherable<A>::owned || !std::copy_constructible<T> ? std::is_nothrow_move_constructible_v<T>
                                                           : std::is_nothrow_copy_constructible_v<T>);
  static constexpr bool nothrow = result_nothrow && std::is_nothrow_move_constructible_v<Element>;

  // The in-order hook: the task finished without an exception, and `results_` has room for
  // every result (reserved), so the value goes in without the checks and without growing.
  static void take(void* self, std::size_t index) noexcept {
    auto& in_order = *static_cast<InOrderResults*>(self);
    if (in_order.results_.size() == in_order.results_.capacity()) [[unlikely]] {
      in_order.take_one(index);
      return;
    }
    Task<T>& task = in_order.tasks_[index];
    if constexpr (Settle) {
      in_order.results_.emplace_back(std::in_place_index<0>, take_result<A, /*KnownFinished=*/true>(task));
    } else {
      in_order.results_.push_back(take_result<A, /*KnownFinished=*/true>(task));
    }
    // A task nobody else holds is freed while its frame is still in the cache.
    task = {};
  }
  void take_one(std::size_t index) {
    results_.push_back(take_element<A, Settle>(tasks_[index]));
    tasks_[index] = {};
  }

  std::vector<Task<T>>& tasks_;
  Results& results_;
};

template <class... Tasks>
std::array<TaskState*, sizeof...(Tasks)> states_of(std::tuple<Tasks...>& tasks) {
  return std::apply([](auto&... task) { return std::array<TaskState*, sizeof...(Tasks)>{&TaskAccess::state(task)...}; },
                    tasks);
}

template <class Range, class Awaitable = std::ranges::range_value_t<Range>>
auto tasks_of(Range& awaitables) {
  using Tasks = std::vector<Task<typename Gatherable<Awaitable>::value_type>>;
  // A vector of tasks, the usual argument, is the list already: gather owns it by value.
  if constexpr (std::same_as<Range, Tasks>) {
    return std::move(awaitables);
  } else {
    Tasks tasks;
    if constexpr (std::ranges::sized_range<Range>) tasks.reserve(std::ranges::size(awaitables));
    for (auto&& awaitable : awaitables) tasks.push_back(as_task(Awaitable(std::move(awaitable))));
    return tasks;
  }
}

// The forms of gather; Settle is return_exceptions.
template <bool Settle, class... Awaitables,
          class Result = std::conditional_t<Settle, std::tuple<settled_t<Awaitables>...>,
                                            std::tuple<gather_value_t<Awaitables>...>>>
Coro<Result> gather_tuple(Awaitables... awaitables) {
  std::tuple<Task<typename Gatherable<Awaitables>::value_type>...> tasks{as_task(std::move(awaitables))...};
  const auto states = states_of(tasks);
  co_await wait_for_gather(std::span<TaskState* const>(states), Settle);
  co_return [&]<std::size_t... I>(std::index_sequence<I...>) {
    return Result{take_element<Awaitables, Settle>(std::get<I>(tasks))...};
  }
  (std::index_sequence_for<Awaitables...>{});
}

template <bool Settle, class Range, class Awaitable = std::ranges::range_value_t<Range>,
          class Element = std::conditional_t<Settle, settled_t<Awaitable>, gather_value_t<Awaitable>>>
Coro<std::vector<Element>> gather_range(Range awaitables) {
  auto tasks = tasks_of(awaitables);
  const TaskList states = task_list_of(tasks);
  std::vector<Element> results;
  results.reserve(tasks.size());
  InOrderResults<Awaitable, typename Gatherable<Awaitable>::value_type, std::vector<Element>, Settle> in_order(tasks,
                                                                                                               results);
  in_order.take_rest(co_await wait_for_gather(states, Settle, in_order.hook()));
  co_return results;
}

}  // namespace detail

template <class... Awaitables>
requires(detail::gatherable<Awaitables>&&...) Coro<std::tuple<detail::gather_value_t<Awaitables>...>> gather(
    Awaitables... awaitables) {
  return detail::gather_tuple<false>(std::move(awaitables)...);
}

template <std::ranges::input_range Range>
requires detail::gatherable<std::ranges::range_value_t<Range>>
    Coro<std::vector<detail::gather_value_t<std::ranges::range_value_t<Range>>>> gather(Range awaitables) {
  return detail::gather_range<false>(std::move(awaitables));
}

template <class... Awaitables>
requires(detail::gatherable<Awaitables>&&...) Coro<std::tuple<detail::settled_t<Awaitables>...>> gather(
    ReturnExceptions, Awaitables... awaitables) {
  return detail::gather_tuple<true>(std::move(awaitables)...);
}

template <std::ranges::input_range Range>
requires detail::gatherable<std::ranges::range_value_t<Range>>
    Coro<std::vector<detail::settled_t<std::ranges::range_value_t<Range>>>> gather(ReturnExceptions, Range awaitables) {
  return detail::gather_range<true>(std::move(awaitables));
}

}  // namespace simtime

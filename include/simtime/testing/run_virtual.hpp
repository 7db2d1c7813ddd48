// run_virtual: run a coroutine on a fresh virtual clock, with budgets, and get back its value,
// the virtual time it took and the trace of everything that happened.
//
//   auto r = simtime::testing::run_virtual(client(), {.max_virtual_time = 1h, .max_steps = 1'000'000});
//   EXPECT_EQ(r.value, 3);
//   EXPECT_EQ(r.elapsed, 7s);
//   EXPECT_THAT(r.trace, WokeInOrder("fetch", "retry 1"));
//
// A run that exceeds a budget ends in BudgetExceededError naming the budget, the time, the
// steps taken and the tasks that kept running, followed by the timeline so far; a deadlock's
// DeadlockError carries the timeline too. Either way every task is cancelled and cleaned up
// first, so nothing leaks into the next test. Other exceptions escape unchanged.
//
// When the test fails (its assertions, after the run, or an exception out of the run) and
// Bazel set TEST_UNDECLARED_OUTPUTS_DIR, the trace is written there as
// `<Suite>.<Test>.trace.json`, and comes back in the test's outputs.zip for Perfetto UI.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <type_traits>
#include <utility>

#include "simtime/clock.hpp"
#include "simtime/coro.hpp"
#include "simtime/loop.hpp"
#include "simtime/source_location.hpp"
#include "simtime/testing/trace.hpp"

namespace simtime::testing {

/// Budgets of a run_virtual (see RunLimits); zero or empty is no limit.
struct RunOptions {
  // Initialised, so that `{.max_steps = 10}` does not warn about the members it leaves out.
  std::optional<Duration> max_virtual_time = std::nullopt;
  std::uint64_t max_steps = 0;
  /// The livelock guard: steps while the clock stands still. On by default; a trace of a run
  /// this long would hold tens of millions of events, so the guard is lower than
  /// //:testing_main's for plain runs.
  std::uint64_t max_steps_at_one_instant = 1'000'000;
  /// Record a trace (the result's `trace` stays empty without).
  bool trace = true;
};

/// What a run_virtual gives back. On destruction, if the running test has failed, the trace
/// is written to TEST_UNDECLARED_OUTPUTS_DIR (when set).
template <class T>
struct RunResult;

/// Runs `main` to completion on a fresh loop over a fresh VirtualClock, within `options`.
/// Returns its value, the virtual time elapsed and the trace. Throws what `main` throws,
/// BudgetExceededError or DeadlockError with the timeline so far appended.
template <class T>
RunResult<T> run_virtual(Coro<T> main, const RunOptions& options = {},
                         SourceLocation where = SourceLocation::current());

// ---------------------------------------------------------------------------------------
// Implementation details
// ---------------------------------------------------------------------------------------
namespace detail {

/// Writes `trace` as `<Suite>.<Test>.trace.json` into TEST_UNDECLARED_OUTPUTS_DIR if the
/// variable is set, a test is running and `trace` is not empty; errors go to stderr.
void write_trace_of_failed_test(const Trace& trace) noexcept;
/// Whether the running GoogleTest test has failed so far.
bool current_test_failed() noexcept;

/// The non-template body of run_virtual: a loop on a VirtualClock with the budgets and the
/// trace, running `body`. Returns the virtual time elapsed.
Duration run_on_virtual_clock(const std::function<void(Loop&)>& body, const RunOptions& options, Trace& trace);

struct RunResultBase {
  Duration elapsed{};
  Trace trace;

  RunResultBase(Duration run_elapsed, Trace&& run_trace) : elapsed(run_elapsed), trace(std::move(run_trace)) {}
  RunResultBase(RunResultBase&&) = default;
  RunResultBase& operator=(RunResultBase&&) = delete;
  ~RunResultBase() {
    if (current_test_failed()) write_trace_of_failed_test(trace);
  }
};

}  // namespace detail

template <class T>
struct RunResult : detail::RunResultBase {
  T value;
};

template <>
struct RunResult<void> : detail::RunResultBase {};

template <class T>
RunResult<T> run_virtual(Coro<T> main, const RunOptions& options, SourceLocation where) {
  static_assert(!std::is_reference_v<T>, "run_virtual: the value would outlive the coroutine it refers into");
  Trace trace;
  if constexpr (std::is_void_v<T>) {
    const Duration elapsed =
        detail::run_on_virtual_clock([&](Loop& loop) { loop.run(std::move(main), where); }, options, trace);
    return RunResult<void>{{elapsed, std::move(trace)}};
  } else {
    std::optional<T> value;
    const Duration elapsed = detail::run_on_virtual_clock(
        [&](Loop& loop) { value.emplace(loop.run(std::move(main), where)); }, options, trace);
    return RunResult<T>{{elapsed, std::move(trace)}, std::move(*value)};
  }
}

}  // namespace simtime::testing

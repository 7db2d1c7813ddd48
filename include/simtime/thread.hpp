// to_thread: run a blocking function on a worker thread and await its result
// (asyncio.to_thread).
//
//   std::string text = co_await to_thread(read_file, path);
//
// The function runs on the loop's pool of worker threads (started on first use, at most
// min(32, cores + 4) as asyncio's default executor); its result or exception comes back to
// the awaiting task. The arguments are moved into the job and passed to the function as
// rvalues.
//
// Virtual time: a job takes no virtual time. While any job is out on a worker thread the
// virtual clock does not move, even if timers are due, and deadlock detection stays off: the
// loop waits (really, on the wall clock) for the job to report back. So a 50 ms blocking job
// under `wait_for(..., 100ms)` never times out on the virtual clock, and a test's timeline
// does not depend on how fast the worker thread is. On the real clock, timers keep firing
// while the job runs.
//
// g++ 12: a lambda with captures that have destructors (a shared_ptr, a string), written
// inside a co_await expression, has a capture released twice (a compiler bug, whatever the
// callee). Name the lambda first: `auto job = [p] {...}; co_await to_thread(job);`.
//
// Cancellation: the awaiting task stops waiting at once with CancelledError; the function
// keeps running to its end (a thread cannot be interrupted) and its result is dropped. The
// loop still counts it as outside work until it ends, and `run` waits for it before
// returning.
#pragma once

#include <coroutine>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "simtime/coro.hpp"
#include "simtime/detail/task_state.hpp"

namespace simtime {

/// Awaits `function(args...)` run on a worker thread; returns a Coro of its result.
/// Throws: what the function throws; std::runtime_error outside a running loop.
/// Cancellation: stops waiting; the function runs on and its result is dropped.
template <class Function, class... Args>
requires std::invocable < std::decay_t<Function>
&, std::decay_t<Args>... > auto to_thread(Function&& function, Args&&... args);

// ---------------------------------------------------------------------------------------
// Implementation details
// ---------------------------------------------------------------------------------------
namespace detail {

/// Where a job's report finds the task waiting for it; touched only on the loop's thread.
struct OutsideWaiter {
  TaskState* task = nullptr;
};

class OutsideJob final : public Blocker {
 public:
  explicit OutsideJob(std::function<void()> job) : job_(std::move(job)), waiter_(std::make_shared<OutsideWaiter>()) {}
  OutsideJob(const OutsideJob&) = delete;
  OutsideJob& operator=(const OutsideJob&) = delete;
  ~OutsideJob() { waiter_->task = nullptr; }

  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> awaiting);
  void await_resume() const;

  bool cancel_wait(TaskState& waiter) override;
  void describe(std::string& out) const override;

 private:
  std::function<void()> job_;
  std::shared_ptr<OutsideWaiter> waiter_;
};

template <class R>
struct ThreadResult {
  std::conditional_t<std::is_void_v<R>, bool, std::optional<R>> value{};
  std::exception_ptr error;

  template <class Function, class... Args>
  void run(Function& function, Args&... args) noexcept {
    try {
      if constexpr (std::is_void_v<R>) {
        std::invoke(function, std::move(args)...);
      } else {
        value.emplace(std::invoke(function, std::move(args)...));
      }
    } catch (...) {
      error = std::current_exception();
    }
  }
  R take() {
    if (error) std::rethrow_exception(error);
    if constexpr (!std::is_void_v<R>) return std::move(*value);
  }
};

template <class Function, class... Args>
struct ThreadJob {
  using Result = std::invoke_result_t<Function&, Args...>;
  template <class F, class... A>
  explicit ThreadJob(F&& f, A&&... a) : function(std::forward<F>(f)), arguments(std::forward<A>(a)...) {}
  void run() noexcept {
    std::apply([this](Args&... unpacked) { result.run(function, unpacked...); }, arguments);
  }
  Function function;
  std::tuple<Args...> arguments;
  ThreadResult<Result> result;
};

// Shared with the worker thread, which may outlive this frame if the task is cancelled.
template <class Job>
Coro<typename Job::Result> run_job(std::shared_ptr<Job> job) {
  OutsideJob outside([job] { job->run(); });
  co_await outside;
  co_return job->result.take();
}

}  // namespace detail

template <class Function, class... Args>
requires std::invocable < std::decay_t<Function>
&, std::decay_t<Args>... > auto to_thread(Function&& function, Args&&... args) {
  // The function and its arguments are copied or moved into the job right here, before
  // any coroutine frame exists: g++ 12 mishandles a capturing lambda passed by value to a
  // coroutine inside a co_await expression (a copy is released twice), and a job never
  // refers to the caller's objects.
  using Job = detail::ThreadJob<std::decay_t<Function>, std::decay_t<Args>...>;
  return detail::run_job(std::make_shared<Job>(std::forward<Function>(function), std::forward<Args>(args)...));
}

}  // namespace simtime

// Work done off the loop's thread: calls posted from other threads, and a pool of worker
// threads for to_thread. The loop counts the jobs in flight so that the virtual clock
// stands still until each one has reported back.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "simtime/clock.hpp"

namespace simtime::detail {

/// Calls to run on the loop's thread, posted from any thread.
class OutsideQueue {
 public:
  /// Any thread. `finishes_work` also ends one job counted by begin_work(), atomically with
  /// posting its report, so that the loop never sees the job gone before its report.
  void post(std::function<void()> call, bool finishes_work = false);
  /// Loop thread: one more job is out.
  void begin_work();
  /// Loop thread. Without a lock: the loop asks every time it runs out of tasks.
  [[nodiscard]] std::size_t in_flight() const noexcept { return in_flight_.load(std::memory_order_acquire); }
  [[nodiscard]] bool has_calls() const noexcept { return has_calls_.load(std::memory_order_acquire); }
  std::vector<std::function<void()>> take_calls();
  Wakeup& wakeup() noexcept { return wakeup_; }

 private:
  mutable std::mutex mutex_;
  std::vector<std::function<void()>> calls_;
  // Changed under mutex_; read without it. A job's end is published after its report
  // (release), so a loop that reads the lower count (acquire) also sees has_calls_.
  std::atomic<std::size_t> in_flight_{0};
  std::atomic<bool> has_calls_{false};
  Wakeup wakeup_;
};

/// Threads that run blocking jobs; started on demand, joined (after finishing every queued
/// job) when the pool is destroyed.
class WorkerPool {
 public:
  explicit WorkerPool(std::size_t max_threads) : max_threads_(max_threads) {}
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  ~WorkerPool();
  void submit(std::function<void()> job);

 private:
  void work();

  std::mutex mutex_;
  std::condition_variable job_available_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::thread> threads_;
  std::size_t idle_ = 0;
  std::size_t max_threads_;
  bool stopping_ = false;
};

}  // namespace simtime::detail

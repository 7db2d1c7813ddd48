#include "simtime/detail/outside_work.hpp"

#include <utility>

namespace simtime::detail {

void OutsideQueue::post(std::function<void()> call, bool finishes_work) {
  // Everything, the wakeup included, under the lock: the loop takes this lock before it can
  // see the call, so by then the posting thread no longer touches the queue, which may go
  // away with its loop right after.
  const std::lock_guard<std::mutex> lock(mutex_);
  calls_.push_back(std::move(call));
  has_calls_.store(true, std::memory_order_release);
  if (finishes_work) in_flight_.fetch_sub(1, std::memory_order_release);
  wakeup_.notify();
}

void OutsideQueue::begin_work() {
  const std::lock_guard<std::mutex> lock(mutex_);
  in_flight_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<std::function<void()>> OutsideQueue::take_calls() {
  const std::lock_guard<std::mutex> lock(mutex_);
  has_calls_.store(false, std::memory_order_relaxed);
  return std::exchange(calls_, {});
}

WorkerPool::~WorkerPool() {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  job_available_.notify_all();
  for (std::thread& thread : threads_) thread.join();
}

void WorkerPool::submit(std::function<void()> job) {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    jobs_.push_back(std::move(job));
    if (idle_ == 0 && threads_.size() < max_threads_) threads_.emplace_back([this] { work(); });
  }
  job_available_.notify_one();
}

void WorkerPool::work() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    ++idle_;
    job_available_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
    --idle_;
    if (jobs_.empty()) return;  // stopping, and every queued job is done
    std::function<void()> job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    job();
    lock.lock();
  }
}

}  // namespace simtime::detail

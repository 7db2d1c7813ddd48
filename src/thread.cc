#include "simtime/thread.hpp"

#include "simtime/loop.hpp"

namespace simtime::detail {

void OutsideJob::await_suspend(std::coroutine_handle<> awaiting) {
  waiter_->task = &current_task("to_thread");
  run_outside(std::move(job_), [waiter = waiter_] {
    if (waiter->task != nullptr) schedule(*std::exchange(waiter->task, nullptr));
  });
  suspend_current(awaiting, this);
}

void OutsideJob::await_resume() const { current_task("to_thread").throw_if_cancel_requested(); }

bool OutsideJob::cancel_wait(TaskState& waiter) {
  waiter_->task = nullptr;  // the job's report will find nobody waiting
  schedule(waiter);
  return false;
}

void OutsideJob::describe(std::string& out) const { out += "a function running on a worker thread (to_thread)"; }

}  // namespace simtime::detail

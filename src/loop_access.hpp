// The loop's internals, for the library's own non-template code in src/ (the awaiters' arm
// and schedule calls, the task machinery): not a public header.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "instrumentation.hpp"
#include "simtime/detail/process_tables.hpp"
#include "simtime/detail/task_state.hpp"
#include "simtime/live_objects.hpp"
#include "simtime/loop.hpp"

namespace simtime::detail {

struct LoopAccess {
  static void schedule(Loop& loop, TaskState& task) noexcept { loop.runnable_.push_back(task); }

  static void register_task(Loop& loop, TaskState& task, std::coroutine_handle<> frame, std::string_view name,
                            SourceLocation where) {
    if (!name.empty()) task.give_name(name);
    task.set_resume_point(frame);
    task.loop_id = loop.id_;
    task.number = loop.next_task_number_++;
    task.creation_site = creation_site_number(where);
    task.refs = 1;  // the loop's, until the task finishes
    task.phase = TaskPhase::pending;
    ++live_counts.tasks;
    task.live_next_ = loop.live_head_;
    if (loop.live_head_ != nullptr) loop.live_head_->live_prev_ = &task;
    loop.live_head_ = &task;
    ++loop.unfinished_tasks_;
    schedule(loop, task);
    if (observed(loop) && loop.instrumentation_->trace != nullptr) [[unlikely]] {
      loop.instrumentation_->trace->on_task_created(task, loop.now());
    }
  }

  // -- the observed path (src/instrumentation.hpp) --
  static bool observed(const Loop& loop) noexcept { return loop.instrumentation_ != nullptr; }
  /// The deadline a timer armed for `deadline` gets (a policy's jitter, never before now),
  /// told to the trace.
  static TimePoint timer_armed(Loop& loop, const TaskState* task, TimePoint deadline, bool is_sleep) {
    Instrumentation& in = *loop.instrumentation_;
    if (in.policy != nullptr) {
      const TimePoint current = loop.now();
      deadline = std::max(in.policy->deadline_for(deadline, current), current);
    }
    if (in.trace != nullptr) in.trace->on_timer_armed(task, deadline, is_sleep, loop.now());
    return deadline;
  }
  static void cancel_requested(Loop& loop, const TaskState& task) {
    if (observed(loop) && loop.instrumentation_->trace != nullptr) {
      loop.instrumentation_->trace->on_cancel_requested(task, this_thread.task, loop.now());
    }
  }
  static void mark(Loop& loop, std::string_view label) {
    if (observed(loop) && loop.instrumentation_->trace != nullptr) {
      loop.instrumentation_->trace->on_mark(this_thread.task, label, loop.now());
    }
  }
  /// Appends "; held by task 'name'" for the unfinished task numbered `number` on the running
  /// loop (a Lock's or Semaphore's holder, in the deadlock report), or "; held by task N,
  /// which has finished" when it is not one of them any more.
  static void append_holder(std::string& out, std::uint64_t number, std::string_view how = "held by") {
    const Loop* const loop = this_thread.loop;
    for (const TaskState* task = loop != nullptr ? loop->live_head_ : nullptr; task != nullptr;
         task = task->live_next_) {
      if (task->number == number && !task->done()) {
        out += fmt::format("; {} task '{}'", how, task->name());
        return;
      }
    }
    out += fmt::format("; {} task {}, which has finished", how, number);
  }
  /// The next older task in the loop's list of frames.
  static const TaskState* older(const TaskState& task) noexcept { return task.live_next_; }

  static void forget(Loop& loop, TaskState& task) noexcept {
    (task.live_prev_ != nullptr ? task.live_prev_->live_next_ : loop.live_head_) = task.live_next_;
    if (task.live_next_ != nullptr) task.live_next_->live_prev_ = task.live_prev_;
    task.live_prev_ = task.live_next_ = nullptr;
    task.loop_id = 0;
  }

  static TimerQueue& timers(Loop& loop) noexcept { return loop.timers_; }

  static void run_outside(Loop& loop, std::function<void()> job, std::function<void()> report) {
    if (!loop.workers_) {
      const std::size_t cores = std::max(1u, std::thread::hardware_concurrency());
      loop.workers_ = std::make_unique<WorkerPool>(std::min<std::size_t>(32, cores + 4));  // asyncio's default
    }
    OutsideQueue& queue = loop.outside_;
    queue.begin_work();
    loop.workers_->submit([&queue, job = std::move(job), report = std::move(report)]() mutable {
      job();
      queue.post(std::move(report), /*finishes_work=*/true);
    });
  }
  static void report_unretrieved(Loop& loop, TaskState& task) { loop.report_unretrieved(task); }
};

}  // namespace simtime::detail

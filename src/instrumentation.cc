// The loop's observed path: budgets, a trace, a schedule policy, a step observer. A loop runs
// it only while one of them is installed (run_until_done_or_stuck picks the turn); the
// unobserved turn in loop.cc pays a single untaken branch per turn for its existence.
#include "instrumentation.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "loop_access.hpp"
#include "simtime/errors.hpp"

namespace simtime {
namespace detail {
namespace {

// What every loop starts with; set by a test main before loops are made.
struct LoopDefaults {
  std::mutex mutex;
  RunLimits limits;
  ExceptionHandler exception_handler;
};
LoopDefaults& loop_defaults() {
  static auto* const defaults = new LoopDefaults;  // never destroyed: loops may outlive it
  return *defaults;
}

std::string describe_budget(const RunLimits& limits, bool at_instant, bool in_time) {
  if (at_instant) return fmt::format("max_steps_at_one_instant = {}", limits.max_steps_at_one_instant);
  if (in_time) return fmt::format("max_virtual_time = {}", format_duration(*limits.max_virtual_time));
  return fmt::format("max_steps = {}", limits.max_steps);
}

}  // namespace

const ExceptionHandler& default_exception_handler_of_loops() noexcept {
  // Read without the lock: it is set before loops are made, and never while one runs.
  return loop_defaults().exception_handler;
}

void trace_mark(std::string_view label) {
  Loop& loop = running_loop("mark");
  LoopAccess::mark(loop, label);
}

}  // namespace detail

using detail::Instrumentation;
using detail::TaskState;

void Loop::set_default_exception_handler(ExceptionHandler handler) {
  detail::LoopDefaults& defaults = detail::loop_defaults();
  const std::lock_guard<std::mutex> lock(defaults.mutex);
  defaults.exception_handler = std::move(handler);
}

void Loop::set_default_limits(const RunLimits& limits) {
  detail::LoopDefaults& defaults = detail::loop_defaults();
  const std::lock_guard<std::mutex> lock(defaults.mutex);
  defaults.limits = limits;
}

RunLimits Loop::default_limits() {
  detail::LoopDefaults& defaults = detail::loop_defaults();
  const std::lock_guard<std::mutex> lock(defaults.mutex);
  return defaults.limits;
}

Instrumentation& Loop::instrumentation() {
  if (instrumentation_ == nullptr) instrumentation_ = std::make_unique<Instrumentation>();
  return *instrumentation_;
}

void Loop::set_limits(const RunLimits& limits) { instrumentation().limits = limits; }

const RunLimits& Loop::limits() const noexcept {
  static const RunLimits none;
  return instrumentation_ != nullptr ? instrumentation_->limits : none;
}

std::uint64_t Loop::observed_step_count() const noexcept {
  return instrumentation_ != nullptr ? instrumentation_->steps : 0;
}

void Loop::set_step_observer(StepObserver observer) { instrumentation().step_observer = std::move(observer); }

void Loop::set_schedule(SchedulePolicy* policy) {
  // A loop that runs unobserved has no instrumentation yet, so `running` cannot tell.
  if (detail::this_thread.loop == this || (instrumentation_ != nullptr && instrumentation_->running)) {
    throw std::logic_error("Loop::set_schedule: the loop is running; install a schedule policy before run");
  }
  Instrumentation& in = instrumentation();
  in.policy = policy;
  in.decisions.clear();
}

const std::vector<std::uint32_t>& Loop::schedule_decisions() const noexcept {
  static const std::vector<std::uint32_t> none;
  return instrumentation_ != nullptr ? instrumentation_->decisions : none;
}

void Loop::set_trace(detail::TraceSink* trace) {
  // A loop that runs unobserved has no instrumentation yet, so `running` cannot tell.
  if (detail::this_thread.loop == this || (instrumentation_ != nullptr && instrumentation_->running)) {
    throw std::logic_error("Loop::set_trace: the loop is running; install a trace before run");
  }
  Instrumentation& in = instrumentation();
  if (trace == in.trace) return;
  if (trace != nullptr) trace->on_installed(*this);
  if (in.trace != nullptr) in.trace->on_removed(*this);
  in.trace = trace;
}

void Loop::start_observed_run() {
  Instrumentation& in = *instrumentation_;
  if (!in.running) in.decisions.clear();  // a new run, not the clean-up of one
  in.running = true;
  in.run_began = now();
  in.instant = in.run_began;
  in.steps_in_run = 0;
  in.steps_at_instant = 0;
  in.over_budget.clear();
  in.steps_by_task.clear();
  in.steps_by_task_at_instant.clear();
}

void Loop::end_observed_run() { instrumentation_->running = false; }

bool Loop::over_budget() const noexcept { return !instrumentation_->over_budget.empty(); }

namespace {

// "'poller' (created at tests/x.cc:12) 1000 steps, 'Task-1' (...) 1 step": the unfinished
// tasks with the most steps, most first.
std::string busiest_tasks(const TaskState* live_head,
                          const std::unordered_map<std::uint64_t, std::uint64_t>& steps_by_task) {
  std::vector<std::pair<std::uint64_t, const TaskState*>> busy;
  for (const TaskState* task = live_head; task != nullptr; task = detail::LoopAccess::older(*task)) {
    if (task->done()) continue;
    const auto found = steps_by_task.find(task->number);
    if (found != steps_by_task.end()) busy.emplace_back(found->second, task);
  }
  std::stable_sort(busy.begin(), busy.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::string out;
  constexpr std::size_t most_named = 5;
  for (std::size_t i = 0; i < busy.size() && i < most_named; ++i) {
    const TaskState& task = *busy[i].second;
    fmt::format_to(std::back_inserter(out), "{}'{}' (created at {}:{}) {} step{}", i == 0 ? "" : ", ", task.name(),
                   task.created_at().file_name(), task.created_at().line(), busy[i].first,
                   busy[i].first == 1 ? "" : "s");
  }
  if (busy.size() > most_named) fmt::format_to(std::back_inserter(out), ", and {} more", busy.size() - most_named);
  return out.empty() ? std::string("none") : out;
}

}  // namespace

bool Loop::beyond_time_budget(TimePoint deadline) {
  Instrumentation& in = *instrumentation_;
  if (!in.limits.max_virtual_time || deadline - in.run_began <= *in.limits.max_virtual_time) return false;
  in.over_budget = fmt::format(
      "budget exceeded: {}: the next timer is due at {}, {} after the run began at {}; {} steps taken; the tasks "
      "that kept running: {}",
      detail::describe_budget(in.limits, false, true), format_time(deadline), format_duration(deadline - in.run_began),
      format_time(in.run_began), in.steps_in_run, busiest_tasks(live_head_, in.steps_by_task));
  return true;
}

void Loop::run_batch_observed(TaskState* batch) {
  Instrumentation& in = *instrumentation_;
  std::vector<TaskState*>& turn = in.turn;
  turn.clear();
  for (TaskState* task = batch; task != nullptr; task = task->next_runnable()) turn.push_back(task);
  const RunLimits& limits = in.limits;
  for (std::size_t next = 0; next < turn.size(); ++next) {
    if (in.policy != nullptr && turn.size() - next > 1) {
      in.candidates.clear();
      for (std::size_t i = next; i < turn.size(); ++i) in.candidates.push_back(turn[i]->number);
      const std::uint64_t decision = in.decisions.size();
      const std::size_t chosen = in.policy->choose(ScheduleChoice{in.candidates, now(), decision});
      if (chosen >= in.candidates.size()) {
        throw std::out_of_range(
            fmt::format("schedule policy: decision {} chose index {}, but {} tasks were runnable (indexes 0 to {})",
                        decision, chosen, in.candidates.size(), in.candidates.size() - 1));
      }
      in.decisions.push_back(static_cast<std::uint32_t>(chosen));
      // The chosen task moves to the front; the others keep their FIFO order.
      std::rotate(turn.begin() + static_cast<std::ptrdiff_t>(next),
                  turn.begin() + static_cast<std::ptrdiff_t>(next + chosen),
                  turn.begin() + static_cast<std::ptrdiff_t>(next + chosen + 1));
    }
    TaskState& task = *turn[next];

    // Budgets, counted before the step they would allow.
    const TimePoint current = now();
    if (current != in.instant) {
      in.instant = current;
      in.steps_at_instant = 0;
      in.steps_by_task_at_instant.clear();
    }
    ++in.steps_in_run;
    ++in.steps_at_instant;
    if (limits.max_steps_at_one_instant != 0) ++in.steps_by_task_at_instant[task.number];
    if (limits.max_steps != 0 || limits.max_virtual_time) ++in.steps_by_task[task.number];
    const bool at_instant =
        limits.max_steps_at_one_instant != 0 && in.steps_at_instant > limits.max_steps_at_one_instant;
    if (at_instant || (limits.max_steps != 0 && in.steps_in_run > limits.max_steps)) {
      in.over_budget =
          fmt::format("budget exceeded: {} at virtual time {}, {} steps into the run; the tasks that kept running: {}",
                      detail::describe_budget(limits, at_instant, false), format_time(current), in.steps_in_run - 1,
                      busiest_tasks(live_head_, at_instant ? in.steps_by_task_at_instant : in.steps_by_task));
      // The tasks not stepped stay runnable, ahead of those woken during this turn.
      detail::RunQueue rest;
      for (std::size_t i = next; i < turn.size(); ++i) rest.push_back(*turn[i]);
      for (TaskState* woken = runnable_.head; woken != nullptr;) {
        TaskState* const after = woken->next_runnable();
        rest.push_back(*woken);
        woken = after;
      }
      runnable_ = rest;
      return;
    }
    ++in.steps;
    task.leave_queue();
    step_observed(task);
  }
}

void Loop::step_began(TaskState& task) {
  if (instrumentation_->trace != nullptr) instrumentation_->trace->on_step_began(task, now());
}

void Loop::task_finishing(TaskState& task) {
  if (instrumentation_->trace != nullptr) instrumentation_->trace->on_task_finished(task, now());
}

void Loop::step_ended(std::uint64_t task_id, TaskState* unfinished, bool body_ran) {
  Instrumentation& in = *instrumentation_;
  if (unfinished != nullptr && in.trace != nullptr) in.trace->on_step_ended(*unfinished, now());
  if (body_ran && in.step_observer) in.step_observer(StepEvent{task_id, unfinished == nullptr});
}

void Loop::timer_fired(const detail::TimerQueue::Fired& fired) {
  if (instrumentation_->trace == nullptr) return;
  const bool is_sleep = fired.callback == nullptr;
  instrumentation_->trace->on_timer_fired(is_sleep ? fired.task : fired.callback->task, is_sleep, now());
}

}  // namespace simtime

// The loop's observed path: budgets, a trace, a schedule policy, a step observer. A loop runs
// it only while one of them is installed (run_until_done_or_stuck picks the turn); the
// unobserved turn in loop.cc pays a single untaken branch per turn for its existence.
#include "instrumentation.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <mutex>
#include <new>
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

ExceptionHandler Loop::get_default_exception_handler() {
  detail::LoopDefaults& defaults = detail::loop_defaults();
  const std::lock_guard<std::mutex> lock(defaults.mutex);
  return defaults.exception_handler;
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
  if (!in.running) {  // a new run, not the clean-up of one
    in.decisions.clear();
    in.failures.clear();
  }
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

void Loop::requeue_unstepped(std::size_t from) noexcept {
  // The tasks of the turn not stepped stay runnable, ahead of those woken during this turn.
  std::vector<TaskState*>& turn = instrumentation_->turn;
  detail::RunQueue rest;
  for (std::size_t i = from; i < turn.size(); ++i) rest.push_back(*turn[i]);
  for (TaskState* woken = runnable_.head; woken != nullptr;) {
    TaskState* const after = woken->next_runnable();
    rest.push_back(*woken);
    woken = after;
  }
  runnable_ = rest;
  turn.clear();
}

void Loop::run_batch_observed(TaskState* batch) {
  Instrumentation& in = *instrumentation_;
  std::vector<TaskState*>& turn = in.turn;
  turn.clear();
  try {
    for (TaskState* task = batch; task != nullptr; task = task->next_runnable()) turn.push_back(task);
  } catch (...) {
    // Out of memory: the batch is still linked through next_runnable; it stays runnable.
    turn.clear();
    if (batch != nullptr) {
      TaskState* last = batch;
      while (last->next_runnable() != nullptr) last = last->next_runnable();
      if (runnable_.head != nullptr) last->set_next_runnable(runnable_.head);
      if (runnable_.tail == nullptr) runnable_.tail = last;
      runnable_.head = batch;
    }
    throw;
  }
  const RunLimits& limits = in.limits;
  std::size_t first_unstepped = 0;
  // Whatever throws here (out of memory, a policy, a step) leaves the tasks not yet stepped
  // runnable, so that the clean-up after the error still finds and finishes them.
  try {
    for (std::size_t next = 0; next < turn.size(); ++next) {
      first_unstepped = next;
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
      try {
        if (limits.max_steps_at_one_instant != 0) ++in.steps_by_task_at_instant[task.number];
        if (limits.max_steps != 0 || limits.max_virtual_time) ++in.steps_by_task[task.number];
      } catch (const std::bad_alloc&) {
        // The counts only name the busiest tasks in a budget's message: running out of memory
        // for them must not end a run that the unobserved loop would have carried on.
      }
      const bool at_instant =
          limits.max_steps_at_one_instant != 0 && in.steps_at_instant > limits.max_steps_at_one_instant;
      if (at_instant || (limits.max_steps != 0 && in.steps_in_run > limits.max_steps)) {
        in.over_budget = fmt::format(
            "budget exceeded: {} at virtual time {}, {} steps into the run; the tasks that kept running: {}",
            detail::describe_budget(limits, at_instant, false), format_time(current), in.steps_in_run - 1,
            busiest_tasks(live_head_, at_instant ? in.steps_by_task_at_instant : in.steps_by_task));
        requeue_unstepped(next);
        return;
      }
      ++in.steps;
      task.leave_queue();
      first_unstepped = next + 1;  // stepped, whatever the step throws
      step_observed(task);
    }
  } catch (...) {
    requeue_unstepped(first_unstepped);
    throw;
  }
}

void Loop::step_began(TaskState& task) {
  if (instrumentation_->trace != nullptr) instrumentation_->trace->on_step_began(task, now());
}

void Loop::task_finishing(TaskState& task) {
  Instrumentation& in = *instrumentation_;
  if (in.trace != nullptr) in.trace->on_task_finished(task, now());
  constexpr std::size_t most_kept = 16;
  if (task.has_exception && !task.cancelled && in.failures.size() < most_kept) {
    // The same exception rethrown by an awaiter (gather, a task awaiting a task) keeps the
    // task it first escaped as its origin.
    for (const auto& failure : in.failures) {
      if (failure.exception == task.exception()) return;
    }
    try {
      in.failures.push_back(
          {task.exception(), fmt::format("task '{}' (created at {}:{}) ended with it at virtual time {}", task.name(),
                                         task.created_at().file_name(), task.created_at().line(), format_time(now()))});
    } catch (...) {
      // Out of memory: the origin is a diagnostic, and the task must finish regardless.
    }
  }
}

namespace {
thread_local std::string origin_of_last_exception_on_thread;
}  // namespace

std::string Loop::origin_of_last_exception() { return origin_of_last_exception_on_thread; }

void Loop::note_origin_of(const TaskState& main) {
  origin_of_last_exception_on_thread.clear();
  if (instrumentation_ == nullptr || !main.has_exception || main.cancelled) return;
  for (const auto& failure : instrumentation_->failures) {
    if (failure.exception == main.exception()) {
      origin_of_last_exception_on_thread = failure.origin;
      return;
    }
  }
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

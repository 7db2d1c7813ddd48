// What a loop keeps while it is observed: budgets, a trace, a schedule policy, a step
// observer. A loop without any has none of this and runs the unobserved turn (src/loop.cc).
#pragma once

#include <cstdint>
#include <exception>
#include <string>
#include <unordered_map>
#include <vector>

#include "simtime/clock.hpp"
#include "simtime/detail/trace_sink.hpp"
#include "simtime/loop.hpp"
#include "simtime/schedule_policy.hpp"

namespace simtime::detail {

struct Instrumentation {
  RunLimits limits;
  TraceSink* trace = nullptr;
  SchedulePolicy* policy = nullptr;
  StepObserver step_observer;

  // The run in progress.
  bool running = false;
  TimePoint run_began{};
  std::uint64_t steps = 0;                                         // in all, while observed
  std::uint64_t steps_in_run = 0;                                  // since the run (or its clean-up) began
  TimePoint instant{};                                             // the time of the last step
  std::uint64_t steps_at_instant = 0;                              // steps taken while the clock stood at `instant`
  std::string over_budget;                                         // the budget error's message, once one is exceeded
  std::unordered_map<std::uint64_t, std::uint64_t> steps_by_task;  // task number -> steps in the run
  std::unordered_map<std::uint64_t, std::uint64_t> steps_by_task_at_instant;  // ... at `instant`

  // The tasks that ended with an exception in this run, first few only: where an exception
  // escaping run came from (Loop::origin_of_last_exception).
  struct Failure {
    std::exception_ptr exception;
    std::string origin;
  };
  std::vector<Failure> failures;
  std::vector<std::uint32_t> decisions;   // the schedule so far
  std::vector<TaskState*> turn;           // scratch: the tasks of the turn still to step
  std::vector<std::uint64_t> candidates;  // scratch: their ids
};

/// The handler of loops without one of their own (Loop::set_default_exception_handler).
const ExceptionHandler& default_exception_handler_of_loops() noexcept;

}  // namespace simtime::detail

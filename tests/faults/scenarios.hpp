// The scenarios the fault harness walks through: one per awaitable of simtime (sleep,
// awaiting a Task, gather, gather with return_exceptions, wait_for, timeout, shield, wait
// and as_completed, task_group) and per synchronisation primitive (Event, Lock, Semaphore,
// Condition, Queue with join and shutdown, Barrier with abort and reset), plus tasks left
// running when the main task ends (run() cancels them, rule 10).
//
// Each is written to finish whatever happens to any one of its participants: the main task
// waits for the others with `wait` (which does not propagate their failures), and where a
// participant's death could leave the others blocked forever (a barrier party, a queue
// consumer) it gives up after a long virtual time and says whether that was legitimate. So a
// run that deadlocks, hangs or stalls is a bug of simtime, not of the scenario.
#pragma once

#include <vector>

#include "tests/faults/harness.hpp"

namespace simtime::faults {

/// Every scenario, in a fixed order.
[[nodiscard]] const std::vector<ScenarioSpec>& all_scenarios();

/// The scenario called `name`; throws std::invalid_argument if there is none.
[[nodiscard]] const ScenarioSpec& scenario_named(const std::string& name);

}  // namespace simtime::faults

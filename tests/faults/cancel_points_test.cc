// Cancellation at every point: each participant of each scenario is cancelled at its
// creation, after each of its own suspensions, and after each loop step of its life; every
// run must end with a result or CancelledError and leave nothing alive, no lock held, no
// queue item lost (harness.hpp, scenarios.hpp).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/faults/harness.hpp"
#include "tests/faults/report.hpp"
#include "tests/faults/scenarios.hpp"

namespace simtime::faults {
namespace {

class CancelAtEveryPoint : public ::testing::TestWithParam<std::string> {};

TEST_P(CancelAtEveryPoint, LeavesNothingBrokenBehind) {
  const ScenarioSpec& scenario = scenario_named(GetParam());
  expect_no_failures(scenario.name + " cancelled at every point", sweep_cancellation(scenario));
}

std::vector<std::string> scenario_names() {
  std::vector<std::string> names;
  for (const ScenarioSpec& scenario : all_scenarios()) names.push_back(scenario.name);
  return names;
}

INSTANTIATE_TEST_SUITE_P(Scenarios, CancelAtEveryPoint, ::testing::ValuesIn(scenario_names()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace simtime::faults

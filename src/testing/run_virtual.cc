#include "simtime/testing/run_virtual.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "simtime/errors.hpp"

namespace simtime::testing::detail {

bool current_test_failed() noexcept {
  const ::testing::TestInfo* const test = ::testing::UnitTest::GetInstance()->current_test_info();
  return test != nullptr && ::testing::Test::HasFailure();
}

void write_trace_of_failed_test(const Trace& trace) noexcept {
  try {
    const char* const directory = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR");
    const ::testing::TestInfo* const test = ::testing::UnitTest::GetInstance()->current_test_info();
    if (directory == nullptr || *directory == '\0' || test == nullptr || trace.empty()) return;
    // Typed and parameterized tests have '/' in their names.
    std::string name = fmt::format("{}.{}", test->test_suite_name(), test->name());
    for (char& c : name) {
      if (c == '/') c = '_';
    }
    const std::string path = fmt::format("{}/{}.trace.json", directory, name);
    trace.write_chrome_json(path);
    // Bazel zips the directory into bazel-testlogs/<package>/<test>/test.outputs/outputs.zip.
    fmt::print(stderr,
               "simtime: wrote {}.trace.json to the test's undeclared outputs (outputs.zip); open it in "
               "ui.perfetto.dev\n",
               name);
  } catch (const std::exception& error) {
    fmt::print(stderr, "simtime: could not write the trace of the failed test: {}\n", error.what());
  }
}

Duration run_on_virtual_clock(const std::function<void(Loop&)>& body, const RunOptions& options, Trace& trace) {
  VirtualClock clock;
  std::exception_ptr failure;
  std::string timeline_of;  // the error's message, when the timeline goes after it
  bool budget = false;
  {
    Loop loop(clock);
    loop.set_limits(RunLimits{options.max_virtual_time, options.max_steps, options.max_steps_at_one_instant});
    if (options.trace) loop.set_trace(&trace);
    try {
      body(loop);
    } catch (const BudgetExceededError& error) {
      timeline_of = error.what();
      budget = true;
    } catch (const DeadlockError& error) {
      timeline_of = error.what();
    } catch (...) {
      failure = std::current_exception();
    }
  }  // the loop closes here: every frame is gone before the result or the error leaves
  const bool failed = failure != nullptr || !timeline_of.empty();
  if (failed) write_trace_of_failed_test(trace);
  if (failure != nullptr) std::rethrow_exception(failure);
  if (!timeline_of.empty()) {
    const std::string message =
        options.trace ? fmt::format("{}\nthe timeline so far:\n{}", timeline_of, trace.timeline()) : timeline_of;
    if (budget) throw BudgetExceededError(message);
    throw DeadlockError(message);
  }
  return clock.now() - TimePoint{};
}

}  // namespace simtime::testing::detail

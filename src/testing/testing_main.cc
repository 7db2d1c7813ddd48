// main() for simtime's test binaries: GoogleTest with the defaults that make a failing async
// test explain itself.
//
//   * the LiveObjectsCheck listener: a test that leaves a frame, task or timer alive fails
//     the program;
//   * a livelock guard for every loop (Loop::set_default_limits): a run whose clock stands
//     still for `livelock_steps` steps (a sleep(0) poller, tasks yielding to each other)
//     ends in BudgetExceededError naming the spinning tasks, instead of hanging the test;
//   * an exception no task retrieved fails the running test (ADD_FAILURE with the report),
//     instead of a line on stderr in a passing test;
//   * when a test fails on an exception that escaped a run, the task it came from, its
//     creation site and the virtual time are printed below GoogleTest's report.
//
// With SIMTIME_TEST_PLAIN_TURN=1 in the environment there is no livelock guard, so that loops
// run the plain turn that production code runs, not the observed one (.ci/run tests both).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <exception>
#include <string>

#include "simtime/loop.hpp"
#include "simtime/testing/live_objects_check.hpp"

namespace {

// High enough for every legitimate burst in the suite (a hundred thousand tasks started at
// one instant, each stepping a few times), low enough that a sleep(0) poller is stopped
// within a few seconds under AddressSanitizer.
constexpr std::uint64_t livelock_steps = 2'000'000;

void fail_the_test(const simtime::UnretrievedException& report) {
  ADD_FAILURE() << fmt::format(
      "Task exception was never retrieved: task '{}' created at {}:{}: {}\n(await the task, or call result() or "
      "exception() on it; a test that means to leave it may install its own Loop::set_exception_handler)",
      report.task_name, report.created_at.file_name(), report.created_at.line(),
      simtime::exception_message(report.exception));
}

// Prints where an exception escaping simtime::run came from, after GoogleTest's report of it.
class ExceptionOrigin : public ::testing::EmptyTestEventListener {
 public:
  void OnTestPartResult(const ::testing::TestPartResult& result) override {
    if (!result.failed()) return;
    const std::string origin = simtime::Loop::origin_of_last_exception();
    if (origin.empty() || origin == last_printed_) return;
    const std::string message = result.message();
    if (message.find("exception") == std::string::npos && message.find("throws") == std::string::npos) return;
    last_printed_ = origin;
    fmt::print("simtime: the exception came from {}\n", origin);
  }
  void OnTestStart(const ::testing::TestInfo&) override { last_printed_.clear(); }

 private:
  std::string last_printed_;
};

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  const char* plain_turn = std::getenv("SIMTIME_TEST_PLAIN_TURN");
  if (plain_turn == nullptr || std::string(plain_turn) != "1") {
    simtime::RunLimits limits = simtime::Loop::default_limits();
    if (limits.max_steps_at_one_instant == 0) limits.max_steps_at_one_instant = livelock_steps;
    simtime::Loop::set_default_limits(limits);
  }
  simtime::Loop::set_default_exception_handler(fail_the_test);
  auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
  listeners.Append(new ExceptionOrigin);  // owned by GoogleTest's listener list
  return simtime::testing::run_all_tests_checking_leaks();
}

#include "tests/faults/harness.hpp"

#include <cxxabi.h>
#include <execinfo.h>
#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>
#include <optional>
#include <stdexcept>
#include <typeinfo>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#endif

namespace simtime::faults {
namespace {

// Thrown by the step observer when a run takes far more steps than its clean run: a hang.
class StepBudgetExceeded : public std::runtime_error {
 public:
  StepBudgetExceeded() : std::runtime_error("step budget exceeded: the run does not end") {}
};

// The point being run, kept in static storage so that a dying process can still name it.
char current_point[512] = "no fault point (outside the sweeps)";

void print_current_point() {
  const char prefix[] = "\nsimtime faults: the process died while running: ";
  (void)!write(STDERR_FILENO, prefix, sizeof prefix - 1);
  (void)!write(STDERR_FILENO, current_point, std::strlen(current_point));
  (void)!write(STDERR_FILENO, "\n", 1);
  // The stack, without allocating (backtrace_symbols_fd writes straight to the fd).
  void* frames[48];
  backtrace_symbols_fd(frames, backtrace(frames, 48), STDERR_FILENO);
}

[[noreturn]] void on_terminate() {
  print_current_point();
  std::abort();
}

#if !defined(__SANITIZE_ADDRESS__)
void on_fatal_signal(int signal) {
  print_current_point();
  std::signal(signal, SIG_DFL);
  std::raise(signal);
}
#endif

// Installed when the harness is loaded, before any test runs.
[[maybe_unused]] const bool handlers_installed = [] {
  std::set_terminate(&on_terminate);
#if defined(__SANITIZE_ADDRESS__)
  __sanitizer_set_death_callback(&print_current_point);
#else
  std::signal(SIGSEGV, &on_fatal_signal);
  std::signal(SIGBUS, &on_fatal_signal);
#endif
  return true;
}();

std::string demangled(const char* name) {
  int status = 0;
  char* text = abi::__cxa_demangle(name, nullptr, nullptr, &status);
  std::string result = status == 0 && text != nullptr ? text : name;
  std::free(text);
  return result;
}

// "CancelledError", "bad_alloc", or the exception's type and message. The common outcomes
// fit std::string's small buffer, so naming them does not allocate.
std::string describe_current_exception() {
  try {
    throw;
  } catch (const CancelledError&) {
    return "CancelledError";
  } catch (const std::bad_alloc&) {
    return "bad_alloc";
  } catch (const StepBudgetExceeded&) {
    return "hang";
  } catch (const DeadlockError& error) {
    return fmt::format("DeadlockError: {}", error.what());
  } catch (const std::exception& error) {
    return fmt::format("{}: {}", demangled(typeid(error).name()), error.what());
  } catch (...) {
    return "an exception not derived from std::exception";
  }
}

// The run's first task: runs the scenario's own task ("main") and reports how it ended.
Coro<std::string> drive(Scenario& scenario, Faults& faults) {
  try {
    Task<> main = faults.spawn("main", scenario.main(faults));
    co_await main;
    co_return "ok";
  } catch (...) {
    co_return describe_current_exception();
  }
}

}  // namespace

std::string describe_exception(const std::exception_ptr& exception) {
  if (!exception) return "ok";
  try {
    std::rethrow_exception(exception);
  } catch (...) {
    return describe_current_exception();
  }
}

bool Scenario::allowed(const std::string&, const std::string& outcome) const {
  return outcome == "ok" || outcome == "CancelledError" || outcome == "std::runtime_error: planned failure";
}

namespace {

bool acceptable_outcome(const FaultPlan& plan, const std::string& outcome) {
  if (outcome == "ok") return true;
  if (plan.cancels()) return outcome == "CancelledError";
  if (plan.kind == FaultPlan::Kind::fail_allocation) return outcome == "bad_alloc";
  return false;
}

}  // namespace

std::string FaultPlan::describe() const {
  switch (kind) {
    case Kind::none:
      return "no fault";
    case Kind::cancel_at_creation:
      return fmt::format("cancel '{}' at its creation", role);
    case Kind::cancel_after_own:
      return fmt::format("cancel '{}' after its own suspension {}", role, point);
    case Kind::cancel_after_any:
      return fmt::format("cancel '{}' after loop step {} of its life", role, point);
    case Kind::withdraw_after_any:
      return fmt::format("cancel and at once uncancel '{}' after loop step {} of its life", role, point);
    case Kind::fail_allocation:
      return site.empty() ? fmt::format("fail allocation {}", point)
                          : fmt::format("fail allocation {} (in {})", point, site);
  }
  return "?";
}

void announce_point(const std::string& scenario, const FaultPlan& plan) {
  std::snprintf(current_point, sizeof current_point, "%s: %s", scenario.c_str(), plan.describe().c_str());
}

void Faults::add(std::string_view role, std::uint64_t id, std::function<bool()> done, std::function<void(bool)> cancel,
                 std::function<std::string()> outcome) {
  participants_.push_back(Participant{std::string(role), id, std::move(done), std::move(cancel), std::move(outcome)});
  if (plan_.kind == FaultPlan::Kind::cancel_at_creation && role == plan_.role) cancel_victim(participants_.back());
}

void Faults::cancel_victim(Participant& victim) {
  if (cancelled_) return;
  cancelled_ = true;
  victim.cancel(plan_.kind == FaultPlan::Kind::withdraw_after_any);
}

void Faults::on_step(const StepEvent& step) {
  ++steps_;
  if (step_budget_ != 0 && steps_ > step_budget_) throw StepBudgetExceeded();
  for (Participant& participant : participants_) {
    const bool victim = participant.role == plan_.role;
    if (participant.id == step.task_id && !step.finished) {
      ++participant.own_suspensions;
      if (victim && plan_.kind == FaultPlan::Kind::cancel_after_own && participant.own_suspensions == plan_.point) {
        cancel_victim(participant);
      }
    }
    if (!participant.done()) {
      ++participant.steps_alive;
      if (victim &&
          (plan_.kind == FaultPlan::Kind::cancel_after_any || plan_.kind == FaultPlan::Kind::withdraw_after_any) &&
          participant.steps_alive == plan_.point) {
        cancel_victim(participant);
      }
    }
  }
}

void Faults::forget_tasks() {
  for (Participant& participant : participants_) {
    participant.done = nullptr;
    participant.cancel = nullptr;
    participant.outcome = nullptr;
  }
}

RunReport run_once(const ScenarioSpec& spec, const FaultPlan& plan, const AllocationHooks* hooks,
                   std::size_t step_budget) {
  announce_point(spec.name, plan);
  RunReport report;
  const LiveObjects before = live_objects();
  std::unique_ptr<Scenario> scenario = spec.make();
  Faults faults(plan, /*recording=*/hooks == nullptr);
  faults.set_step_budget(step_budget);
  VirtualClock clock;
  bool run_returned = false;
  std::size_t timers_after_run = 0;
  std::size_t unfinished_after_run = 0;
  {
    std::optional<Loop> loop;
    loop.emplace(clock);
    loop->set_step_observer([&faults](const StepEvent& step) { faults.on_step(step); });
    // Unretrieved exceptions are expected here (a participant failing while nobody awaits
    // it); keep them off stderr.
    loop->set_exception_handler([](const UnretrievedException&) {});
    if (hooks != nullptr) {
      const bool counting = plan.kind != FaultPlan::Kind::fail_allocation;
      hooks->arm(counting ? 0 : plan.point, counting);
    }
    // The first task's own frame: a failure to allocate it happens before run() starts.
    std::optional<Coro<std::string>> first_task;
    try {
      first_task.emplace(drive(*scenario, faults));
    } catch (...) {
      report.outcome = describe_current_exception();
    }
    if (first_task) {
      try {
        report.outcome = loop->run(std::move(*first_task));
        run_returned = true;
        timers_after_run = loop->pending_timer_count();
        unfinished_after_run = loop->unfinished_task_count();
      } catch (...) {
        report.escaped_loop = true;
        report.outcome = describe_current_exception();
      }
    }
    loop.reset();  // still armed: the loop's teardown is part of the run
    if (hooks != nullptr) report.allocations = hooks->disarm();
  }
  auto& problems = report.problems;
  report.steps = faults.steps();
  for (const Participant& participant : faults.participants()) {
    const std::string outcome = participant.outcome();
    if (!scenario->allowed(participant.role, outcome)) {
      problems.push_back(fmt::format("'{}' ended with {}", participant.role, outcome));
    }
  }
  report.participants = faults.participants();
  for (Participant& participant : report.participants) {
    participant.done = nullptr;
    participant.cancel = nullptr;
    participant.outcome = nullptr;
  }
  faults.forget_tasks();

  if (!acceptable_outcome(plan, report.outcome)) {
    problems.push_back(fmt::format("the run ended with {}{}", report.outcome,
                                   report.escaped_loop ? " (thrown by Loop::run itself)" : ""));
  }
  if (run_returned && timers_after_run != 0) {
    problems.push_back(fmt::format("{} timer(s) still armed when run() returned", timers_after_run));
  }
  if (run_returned && unfinished_after_run != 0) {
    problems.push_back(fmt::format("{} task(s) unfinished when run() returned", unfinished_after_run));
  }
  if (plan.cancels() && !faults.cancelled_victim()) {
    problems.push_back("the harness never reached the point to cancel at");
  }
  scenario->check(plan.kind == FaultPlan::Kind::none && run_returned, problems);
  scenario.reset();
  const LiveObjects after = live_objects();
  if (after != before) {
    problems.push_back(fmt::format("left alive: {} frame(s), {} task(s), {} timer(s)",
                                   static_cast<std::ptrdiff_t>(after.frames - before.frames),
                                   static_cast<std::ptrdiff_t>(after.tasks - before.tasks),
                                   static_cast<std::ptrdiff_t>(after.timers - before.timers)));
  }
  announce_point(spec.name, FaultPlan{});
  return report;
}

bool isolate_runs() {
  const char* value = std::getenv("SIMTIME_FAULTS_ISOLATE");
  return value != nullptr && std::strcmp(value, "1") == 0;
}

namespace {

// run_once in a child process: a crash becomes a problem of the point.
RunReport run_isolated(const ScenarioSpec& spec, const FaultPlan& plan, const AllocationHooks* hooks,
                       std::size_t step_budget) {
  int pipe_ends[2];
  if (pipe(pipe_ends) != 0) throw std::runtime_error("pipe failed");
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t child = fork();
  if (child == 0) {
    close(pipe_ends[0]);
    const RunReport report = run_once(spec, plan, hooks, step_budget);
    std::string text = report.outcome + '\x1f' + (report.escaped_loop ? "1" : "0");
    for (const std::string& problem : report.problems) text += '\x1f' + problem;
    (void)!write(pipe_ends[1], text.data(), text.size());
    _exit(0);
  }
  close(pipe_ends[1]);
  std::string text;
  char buffer[4096];
  for (ssize_t got; (got = read(pipe_ends[0], buffer, sizeof buffer)) > 0;)
    text.append(buffer, static_cast<std::size_t>(got));
  close(pipe_ends[0]);
  int status = 0;
  waitpid(child, &status, 0);
  RunReport report;
  if (WIFSIGNALED(status)) {
    report.outcome = "crash";
    report.problems.push_back(
        fmt::format("the process died of signal {} ({})", WTERMSIG(status), strsignal(WTERMSIG(status))));
    return report;
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || text.empty()) {
    report.outcome = "crash";
    report.problems.push_back(fmt::format("the process exited with status {}", WEXITSTATUS(status)));
    return report;
  }
  std::vector<std::string> fields;
  for (std::size_t start = 0;;) {
    const std::size_t end = text.find('\x1f', start);
    fields.push_back(text.substr(start, end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  report.outcome = fields.at(0);
  report.escaped_loop = fields.at(1) == "1";
  report.problems.assign(fields.begin() + 2, fields.end());
  return report;
}

RunReport run_point(const ScenarioSpec& spec, const FaultPlan& plan, const AllocationHooks* hooks,
                    std::size_t step_budget) {
  return isolate_runs() ? run_isolated(spec, plan, hooks, step_budget) : run_once(spec, plan, hooks, step_budget);
}

// The known bug an allocation failure at `plan` runs into, if any.
const KnownBug* known_allocation_bug(const ScenarioSpec& spec, const FaultPlan& plan) {
  for (const KnownBug& bug : known_bugs()) {
    if (bug.kind != plan.kind || (std::strcmp(bug.scenario, "*") != 0 && spec.name != bug.scenario)) continue;
    if (plan.site.rfind(bug.site, 0) == 0) return &bug;
  }
  return nullptr;
}

// The known bug a cancellation run's problems are, if all of them are one.
const KnownBug* known_cancellation_bug(const ScenarioSpec& spec, const FaultPlan& plan, const RunReport& run) {
  for (const KnownBug& bug : known_bugs()) {
    if (bug.kind != plan.kind || (std::strcmp(bug.scenario, "*") != 0 && spec.name != bug.scenario)) continue;
    const bool all = std::all_of(run.problems.begin(), run.problems.end(), [&bug](const std::string& problem) {
      return problem.find(bug.symptom) != std::string::npos;
    });
    if (all) return &bug;
  }
  return nullptr;
}

void record(SweepReport& sweep, const ScenarioSpec& spec, const FaultPlan& plan, const RunReport& run) {
  ++sweep.runs;
  if (run.problems.empty()) {
    if (run.escaped_loop) {
      sweep.notes.push_back(fmt::format("{}: {}: {} came out of Loop::run", spec.name, plan.describe(), run.outcome));
    }
    return;
  }
  std::string failure = fmt::format("{}: {}:", spec.name, plan.describe());
  for (const std::string& problem : run.problems) failure += "\n    " + problem;
  sweep.failures.push_back(std::move(failure));
}

}  // namespace

SweepReport sweep_cancellation(const ScenarioSpec& spec) {
  SweepReport sweep;
  const RunReport clean = run_once(spec, FaultPlan{});
  record(sweep, spec, FaultPlan{}, clean);
  if (!clean.problems.empty()) return sweep;
  // Ten times the clean run's steps is far more than a cancelled run can need.
  const std::size_t budget = 10 * clean.steps + 100;
  const auto run = [&](const FaultPlan& plan) {
    const RunReport report = run_point(spec, plan, nullptr, budget);
    if (!report.problems.empty()) {
      if (const KnownBug* bug = known_cancellation_bug(spec, plan, report)) {
        ++sweep.runs;
        sweep.known.push_back(fmt::format("{}: {}: known bug {}", spec.name, plan.describe(), bug->name));
        return;
      }
    }
    record(sweep, spec, plan, report);
  };
  for (const Participant& participant : clean.participants) {
    run(FaultPlan{FaultPlan::Kind::cancel_at_creation, participant.role, 0, {}});
    for (std::size_t k = 1; k <= participant.own_suspensions; ++k) {
      run(FaultPlan{FaultPlan::Kind::cancel_after_own, participant.role, k, {}});
    }
    for (std::size_t k = 1; k <= participant.steps_alive; ++k) {
      run(FaultPlan{FaultPlan::Kind::cancel_after_any, participant.role, k, {}});
    }
    for (std::size_t k = 1; k <= participant.steps_alive; ++k) {
      run(FaultPlan{FaultPlan::Kind::withdraw_after_any, participant.role, k, {}});
    }
  }
  return sweep;
}

SweepReport sweep_allocation_failure(const ScenarioSpec& spec, const AllocationHooks& hooks) {
  SweepReport sweep;
  // The first run may fill pools (simtime's frame pool, the libraries' own caches); the
  // second one counts.
  run_once(spec, FaultPlan{}, &hooks);
  const RunReport clean = run_once(spec, FaultPlan{}, &hooks);
  record(sweep, spec, FaultPlan{}, clean);
  if (!clean.problems.empty()) return sweep;
  const std::size_t budget = 10 * clean.steps + 100;
  std::vector<std::string> sites;
  for (std::size_t n = 1; n <= clean.allocations; ++n) sites.push_back(hooks.site(n));
  if (const char* verbose = std::getenv("SIMTIME_FAULTS_VERBOSE"); verbose != nullptr && *verbose == '1') {
    for (std::size_t n = 1; n <= clean.allocations; ++n) {
      sweep.notes.push_back(fmt::format("{}: allocation {} in {}", spec.name, n, sites[n - 1]));
    }
  }
  for (std::size_t n = 1; n <= clean.allocations; ++n) {
    const FaultPlan plan{FaultPlan::Kind::fail_allocation, {}, n, sites[n - 1]};
    if (const KnownBug* bug = known_allocation_bug(spec, plan)) {
      sweep.known.push_back(fmt::format("{}: {}: not run, known bug {}", spec.name, plan.describe(), bug->name));
      continue;
    }
    record(sweep, spec, plan, run_point(spec, plan, &hooks, budget));
  }
  sweep.notes.insert(sweep.notes.begin(),
                     fmt::format("{}: {} allocations in a clean run", spec.name, clean.allocations));
  return sweep;
}

}  // namespace simtime::faults

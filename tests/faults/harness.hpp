// Faults at every point (issue 9): run a scenario once, cleanly, to learn its points; then
// run it again and again, each time injecting one fault at the next point.
//
//   * Cancellation: the scenario creates its participants through `Faults::spawn` (or
//     registers tasks made elsewhere with `Faults::watch`), each under a role name. A clean
//     run counts, through the loop's step observer, the suspensions of every role and the
//     loop steps during which it is alive. Then, for every role and every k, a run cancels
//     that role's task
//       - at k = 0: as soon as it is created, before its first step;
//       - "own k": right after its own k-th suspension (the step that suspended it);
//       - "any k": right after the loop's k-th step while it is alive, whichever task ran
//         (this also reaches the moments when it has been woken and has not run yet);
//       - "withdrawn k": as "any k", then uncancel() at once (as a time limit does with a
//         cancellation it did not cause).
//   * Allocation failure: a clean run counts the allocations made between the start of the
//     run and the destruction of its loop; then, for n = 1..N, a run fails the n-th one
//     (failing_allocator.hpp; it reaches coroutine frames only in ASan builds).
//
// After every run the harness checks that nothing terminated (the binary is still here),
// that the run ended with a result or an exception, that no frame, task or timer is left
// alive (live_objects() back to where it was), that no timer stayed armed and no task
// unfinished when `run` returned, that each participant ended with a result, CancelledError
// or an error the scenario plans, and whatever the scenario checks of its own state (a lock
// not held, no queue item lost...). Known simtime bugs are listed in known_bugs.cc.
//
// Exploring: SIMTIME_FAULTS_ISOLATE=1 runs every point in a child process (a crash becomes a
// failing point), SIMTIME_FAULTS_VERBOSE=1 lists where each allocation is made, and
// SIMTIME_FAULTS_PERSISTENT=1 makes every allocation from the n-th on fail. A failing point is reported with the
// scenario, the fault and its point, e.g. "Lock: cancel 'worker2' after its own suspension 3".
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <simtime/simtime.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace simtime::faults {

/// Which fault a run injects.
struct FaultPlan {
  enum class Kind : unsigned char {
    none,                // a clean run
    cancel_at_creation,  // cancel `role` as soon as it is created
    cancel_after_own,    // cancel `role` after its own `point`-th suspension
    cancel_after_any,    // cancel `role` after the loop's `point`-th step while it is alive
    withdraw_after_any,  // as cancel_after_any, then uncancel() at once (a withdrawn request)
    fail_allocation,     // fail the `point`-th allocation of the run
  };
  Kind kind = Kind::none;
  std::string role;
  std::size_t point = 0;
  std::string site;  // for fail_allocation: where that allocation is made, if known

  [[nodiscard]] bool cancels() const noexcept {
    return kind == Kind::cancel_at_creation || kind == Kind::cancel_after_own || kind == Kind::cancel_after_any ||
           kind == Kind::withdraw_after_any;
  }
  /// "cancel 'worker2' after its own suspension 3", "fail allocation 17", "no fault".
  [[nodiscard]] std::string describe() const;
};

/// What the harness knows of one participant.
struct Participant {
  std::string role;
  std::uint64_t id = 0;
  std::function<bool()> done;
  std::function<void(bool withdraw)> cancel;
  std::function<std::string()> outcome;  // "ok", "CancelledError", or the exception
  std::size_t own_suspensions = 0;       // counted on every run
  std::size_t steps_alive = 0;           // loop steps seen while it was alive
};

/// "ok" for no exception, "CancelledError", "bad_alloc", else the exception's type and message.
[[nodiscard]] std::string describe_exception(const std::exception_ptr& exception);

/// The scenario's handle on the harness: it makes the participants the harness may cancel.
class Faults {
 public:
  /// `recording`: keep track of the participants (cancellation runs). Allocation runs do
  /// not, so that the harness adds no allocation of its own to the runs it counts.
  Faults(const FaultPlan& plan, bool recording) : plan_(plan), recording_(recording) {}
  Faults(const Faults&) = delete;
  Faults& operator=(const Faults&) = delete;

  /// Makes `coro` a task (on the running loop) playing `role`.
  template <class T>
  Task<T> spawn(std::string_view role, Coro<T> coro) {
    Task<T> task = create_task(std::move(coro));
    watch(role, task);
    return task;
  }

  /// Registers a task made elsewhere (by a TaskGroup) as playing `role`.
  template <class T>
  const Task<T>& watch(std::string_view role, const Task<T>& task) {
    if (!recording_) return task;
    add(
        role, task.id(), [task] { return task.done(); },
        [handle = Task<T>(task)](bool withdraw) mutable {
          handle.cancel();
          if (withdraw) handle.uncancel();
        },
        [task] { return outcome_of(task); });
    return task;
  }

  // Used by the harness.
  void on_step(const StepEvent& step);
  [[nodiscard]] const std::vector<Participant>& participants() const noexcept { return participants_; }
  [[nodiscard]] std::size_t steps() const noexcept { return steps_; }
  [[nodiscard]] bool cancelled_victim() const noexcept { return cancelled_; }
  void set_step_budget(std::size_t budget) noexcept { step_budget_ = budget; }
  /// Drops every task handle it holds.
  void forget_tasks();

 private:
  void add(std::string_view role, std::uint64_t id, std::function<bool()> done, std::function<void(bool)> cancel,
           std::function<std::string()> outcome);
  template <class T>
  static std::string outcome_of(const Task<T>& task) {
    if (!task.done()) return "unfinished";
    if (task.cancelled()) return "CancelledError";
    return describe_exception(task.exception());
  }
  void cancel_victim(Participant& victim);

  const FaultPlan& plan_;
  bool recording_;
  std::vector<Participant> participants_;
  std::size_t steps_ = 0;
  std::size_t step_budget_ = 0;  // 0: none
  bool cancelled_ = false;
};

/// One scenario's world for one run. Made afresh for every run, it outlives the run's loop,
/// so that `check` can inspect its primitives once every task has gone.
class Scenario {
 public:
  virtual ~Scenario() = default;
  /// The scenario's own task, role "main".
  virtual Coro<> main(Faults& faults) = 0;
  /// Appends what is wrong with the scenario's state after a run (its loop destroyed).
  /// `clean`: the run had no fault (and finished normally), so the scenario must have done
  /// all its work.
  virtual void check(bool clean, std::vector<std::string>& problems) = 0;
  /// Whether a participant may end with `outcome` (from describe_exception). By default: a
  /// result, CancelledError, or the scenario's planned failure (std::runtime_error "planned
  /// failure").
  [[nodiscard]] virtual bool allowed(const std::string& role, const std::string& outcome) const;
};

struct ScenarioSpec {
  std::string name;
  std::function<std::unique_ptr<Scenario>()> make;
};

/// Arms allocation failure around the run (for the allocation sweep; see
/// failing_allocator.hpp). The harness itself does not depend on the replaced operator new.
struct AllocationHooks {
  std::function<void(std::size_t fail_at, bool record_sites)> arm;  // fail_at 0: count only
  std::function<std::size_t()> disarm;                              // returns the count
  std::function<std::string(std::size_t n)> site;                   // of a recorded run
};

/// A bug of simtime that the sweeps know about, so that the rest of the points still run.
/// Each has a reproducer in known_bugs_test.cc (tagged manual: it fails until the bug is
/// fixed). Delete the entry with the fix.
struct KnownBug {
  const char* name;      // the reproducer's test name
  const char* scenario;  // the scenario it shows in, or "*" for any
  FaultPlan::Kind kind;
  // fail_allocation: where the failing allocation is made (a prefix of its site); such a
  // point is not run at all, since it would crash or terminate the test binary.
  const char* site;
  // Cancellations: a run whose every problem contains this is counted as the known bug.
  const char* symptom;
};

/// The known bugs (see KnownBug).
[[nodiscard]] const std::vector<KnownBug>& known_bugs();

/// What one run did.
struct RunReport {
  std::string outcome;        // "ok", or the exception that ended the scenario's task
  bool escaped_loop = false;  // the exception came out of Loop::run itself
  std::size_t steps = 0;
  std::size_t allocations = 0;
  std::vector<Participant> participants;  // counts only (handles dropped)
  std::vector<std::string> problems;      // broken invariants; empty when all is well
};

/// Runs `spec` once with `plan`; checks every invariant into `RunReport::problems`.
/// `step_budget` (0: none) stops a run that takes that many loop steps, as a hang.
RunReport run_once(const ScenarioSpec& spec, const FaultPlan& plan, const AllocationHooks* hooks = nullptr,
                   std::size_t step_budget = 0);

/// The result of a sweep: how many runs, and each failing point with what went wrong.
struct SweepReport {
  std::size_t runs = 0;
  std::vector<std::string> failures;
  std::vector<std::string> notes;  // points that behaved unusually but legally
  std::vector<std::string> known;  // points where a known bug shows (not run if it would crash)
};

/// Cancels every role at creation, after each of its own suspensions, and after each loop
/// step while it is alive.
SweepReport sweep_cancellation(const ScenarioSpec& spec);

/// Fails each allocation of the run in turn.
SweepReport sweep_allocation_failure(const ScenarioSpec& spec, const AllocationHooks& hooks);

/// When the environment has SIMTIME_FAULTS_ISOLATE=1, every faulted run happens in a child
/// process, so that a crash is reported as a failing point and the sweep goes on (for
/// exploring; the tests run in-process).
[[nodiscard]] bool isolate_runs();

/// Names the point being run, for a crash (std::terminate, a sanitizer report) that ends the
/// test binary before GoogleTest can report it.
void announce_point(const std::string& scenario, const FaultPlan& plan);

}  // namespace simtime::faults

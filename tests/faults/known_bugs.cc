// The simtime bugs the fault sweeps know about (see KnownBug in harness.hpp). Each has a
// reproducer in known_bugs_test.cc; delete its entries here when it is fixed.
#include "tests/faults/harness.hpp"

namespace simtime::faults {

const std::vector<KnownBug>& known_bugs() {
  using Kind = FaultPlan::Kind;
  static const std::vector<KnownBug> bugs{
      // Segfault: ~WaitTasks walks a null node array (every gather and wait).
      {"GatherCrashesWhenItsWaitCannotAllocate", "*", Kind::fail_allocation,
       "simtime::detail::WaitTasks::await_suspend", ""},
      // Leak: an exception out of a completion callback skips the loop's release of the task.
      {"TaskGroupLeaksAChildWhoseFailureItCannotRecord", "*", Kind::fail_allocation,
       "simtime::TaskGroup::on_child_done", ""},
      {"TaskGroupLeaksAChildWhoseFailureItCannotRecord", "*", Kind::fail_allocation,
       "simtime::detail::TimerQueue::push < simtime::detail::arm_timer < simtime::TaskGroup::on_child_done", ""},
      // Leak: create_task(coro, name) loses the frame if the name cannot be allocated
      // (register_task is inlined into start_task at -O1).
      {"NamedCreateTaskLeaksTheFrameWhenTheNameCannotBeAllocated", "*", Kind::fail_allocation,
       "simtime::detail::LoopAccess::register_task", ""},
      {"NamedCreateTaskLeaksTheFrameWhenTheNameCannotBeAllocated", "*", Kind::fail_allocation,
       "simtime::detail::start_task", ""},
      // TaskGroup::create_task throws, yet the task runs on, outside the group.
      {"TaskGroupCreateTaskThatThrowsStillRunsTheTask", "*", Kind::fail_allocation, "simtime::TaskGroup::adopt", ""},
  };
  return bugs;
}

}  // namespace simtime::faults

#include "simtime/gather.hpp"

namespace simtime::detail {

Coro<> wait_for_gather(std::span<TaskState* const> tasks, bool settle) {
  TaskState* failed = co_await WaitTasks(tasks, settle ? WaitUntil::all_completed : WaitUntil::first_failure,
                                         OnCancel::cancel_tasks);
  // Without a failure every child finished without an exception: nothing to consume (and
  // no pass over a million frames).
  if (settle || failed == nullptr) co_return;
  // Like asyncio's gather, later failures of the other children are consumed here rather
  // than reported as never retrieved.
  for (TaskState* task : tasks) task->exception_retrieved = true;
  std::rethrow_exception(failed->exception);
}

}  // namespace simtime::detail

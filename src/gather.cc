#include "simtime/gather.hpp"

namespace simtime::detail {

Coro<std::size_t> wait_for_gather(TaskList tasks, bool settle, InOrderTake in_order) {
  WaitTasks wait(tasks, settle ? WaitUntil::all_completed : WaitUntil::first_failure, OnCancel::cancel_tasks,
                 std::nullopt, in_order);
  TaskState* failed = co_await wait;
  // Without a failure every child finished without an exception: nothing to consume (and
  // no pass over a million frames).
  if (settle || failed == nullptr) co_return wait.taken();
  // Like asyncio's gather, later failures of the other children are consumed here rather
  // than reported as never retrieved. The tasks taken had none (and may be gone).
  for (TaskState* task : tasks.from(wait.taken())) task->exception_retrieved = true;
  std::rethrow_exception(failed->exception());
}

}  // namespace simtime::detail

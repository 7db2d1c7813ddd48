#include "simtime/shield.hpp"

#include <fmt/format.h>

namespace simtime::detail {

bool ShieldBase::cancel_wait(TaskState& waiter) {
  unlink();
  // Nobody is left to see the shielded task's outcome through this await.
  target_->exception_retrieved = true;
  schedule(waiter);
  return false;
}

void ShieldBase::describe(std::string& out) const {
  fmt::format_to(std::back_inserter(out), "shielded task '{}'", target_->name());
}

}  // namespace simtime::detail

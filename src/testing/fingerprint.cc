#include "simtime/testing/fingerprint.hpp"

namespace simtime::testing {

RunFingerprint::RunFingerprint(Loop& loop) : loop_(&loop) {
  loop.set_step_observer([this](const StepEvent& event) {
    hash_ = mix(hash_, event.task_id);
    hash_ = mix(hash_, static_cast<std::uint64_t>(loop_->now().time_since_epoch().count()));
    hash_ = mix(hash_, event.finished ? 1 : 0);
    ++steps_;
  });
}

RunFingerprint::~RunFingerprint() { loop_->set_step_observer({}); }

std::uint64_t RunFingerprint::value() const noexcept {
  // The decisions are told apart from the steps by their count, mixed in first.
  const auto& decisions = loop_->schedule_decisions();
  std::uint64_t hash = mix(hash_, decisions.size());
  for (const std::uint32_t decision : decisions) hash = mix(hash, decision);
  return hash;
}

}  // namespace simtime::testing

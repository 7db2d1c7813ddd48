#include "simtime/sync/barrier.hpp"

#include <fmt/format.h>

#include <iterator>
#include <stdexcept>
#include <utility>

#include "simtime/errors.hpp"

namespace simtime {

Barrier::Barrier(std::ptrdiff_t parties, std::string name, SourceLocation where)
    : identity_("Barrier", std::move(name), where), parties_(parties < 1 ? 1 : static_cast<std::size_t>(parties)) {
  if (parties < 1) {
    throw std::invalid_argument(fmt::format("{}: parties {} must be >= 1", identity_.str(), parties));
  }
}

std::size_t Barrier::arrive() noexcept {
  const std::size_t index = count_++;
  if (count_ == parties_) {
    state_ = State::draining;
    release_filling();
  }
  return index;
}

void Barrier::release_filling() noexcept {
  while (!filling_.empty()) detail::wake_first(filling_, released_);
}

void Barrier::leave() noexcept {
  --count_;
  if (count_ == 0) {
    // The last task out ends the draining (or resetting): the barrier fills again.
    if (state_ == State::draining || state_ == State::resetting) state_ = State::filling;
    wake_blocked();
  }
}

void Barrier::wake_blocked() noexcept {
  while (!blocked_.empty()) detail::wake_first(blocked_, released_);
}

void Barrier::reset() {
  // asyncio's reset: with tasks still inside, the barrier stays "resetting" until the last
  // one leaves; each of them throws BrokenBarrierError.
  if (count_ > 0) {
    state_ = State::resetting;
  } else {
    state_ = State::filling;
    wake_blocked();
  }
  release_filling();
}

void Barrier::abort() {
  state_ = State::broken;
  release_filling();
  wake_blocked();
}

void Barrier::throw_broken(State seen, bool was_waiting) const {
  if (!was_waiting) {
    throw BrokenBarrierError(
        fmt::format("{}: the barrier is broken (abort() was called; reset() repairs it)", identity_.str()));
  }
  throw BrokenBarrierError(fmt::format("{}: {} while this task waited for {} parties", identity_.str(),
                                       seen == State::broken ? "aborted" : "reset", parties_));
}

void Barrier::describe(std::string& out) const {
  static constexpr const char* state_names[] = {"filling", "draining", "resetting", "broken"};
  identity_.append_to(out);
  fmt::format_to(std::back_inserter(out), " [{}", state_names[static_cast<int>(state_)]);
  if (state_ != State::broken) fmt::format_to(std::back_inserter(out), ", waiters:{}/{}", n_waiting(), parties_);
  out += ']';
}

namespace detail {

BarrierArrival::~BarrierArrival() {
  // Linked: still counted in a barrier that exists (a destroyed barrier unlinks its waiters).
  if (node_.linked()) {
    node_.unlink();
    barrier_->leave();
  }
}

bool BarrierArrival::await_ready() {
  if (barrier_->state_ == Barrier::State::broken) barrier_->throw_broken(Barrier::State::broken, false);
  // Filling: Barrier::wait blocked while it drained or reset.
  index_ = barrier_->arrive();
  return index_ + 1 == barrier_->parties_;  // the last party does not wait
}

void BarrierArrival::await_suspend(std::coroutine_handle<> awaiting) noexcept {
  node_.task = &suspend_current(awaiting, this);
  barrier_->filling_.push_back(node_);
}

std::size_t BarrierArrival::await_resume() {
  if (node_.task == nullptr) {  // the last party: released the others, leaves at once
    barrier_->leave();
    return index_;
  }
  TaskState& task = *node_.task;
  if (!node_.linked()) {  // cancelled while waiting (it already left), or the barrier is gone
    task.throw_if_cancel_requested();
    throw_destroyed("Barrier", "Barrier::wait");
  }
  node_.unlink();
  // As in asyncio, the outcome is read when the released task runs: a reset or abort in
  // between turns its release into BrokenBarrierError.
  const Barrier::State seen = barrier_->state_;
  barrier_->leave();
  task.throw_if_cancel_requested();
  if (seen == Barrier::State::broken || seen == Barrier::State::resetting) barrier_->throw_broken(seen, true);
  return index_;
}

bool BarrierArrival::cancel_wait(TaskState& waiter) {
  if (node_.linked()) {
    node_.unlink();
    barrier_->leave();  // asyncio: a cancelled waiter leaves the barrier without breaking it
  }
  schedule(waiter);
  return false;
}

void BarrierArrival::describe(std::string& out) const {
  if (!node_.linked()) return append_destroyed(out, "Barrier", where_);
  barrier_->describe(out);
  append_awaited_at(out, where_);
}

void BarrierBlock::await_suspend(std::coroutine_handle<> awaiting) noexcept {
  node_.task = &suspend_current(awaiting, this);
  barrier_->blocked_.push_back(node_);
}

void BarrierBlock::await_resume() {
  TaskState& task = *node_.task;
  const bool woken = node_.linked();  // in released_: the barrier filled again, or broke
  node_.unlink();
  task.throw_if_cancel_requested();
  if (!woken) throw_destroyed("Barrier", "Barrier::wait");
  if (barrier_->state_ == Barrier::State::broken) barrier_->throw_broken(Barrier::State::broken, false);
}

void BarrierBlock::describe(std::string& out) const {
  if (!node_.linked()) return append_destroyed(out, "Barrier", where_);
  barrier_->describe(out);
  out += ", until it has drained";
  append_awaited_at(out, where_);
}

}  // namespace detail
}  // namespace simtime

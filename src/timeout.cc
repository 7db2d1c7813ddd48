#include "simtime/timeout.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "simtime/loop.hpp"

namespace simtime {
namespace detail {

std::optional<TimePoint> Limit::resolve() const {
  if (!delay) return deadline;
  return checked_deadline(running_loop(caller).now(), *delay, caller);
}

}  // namespace detail

Timeout::~Timeout() { detail::disarm_timer(timer_); }

void Timeout::enter() {
  task_ = &detail::current_task("timeout");
  // A request not yet delivered (the task cancelled itself, say) is delivered inside the
  // scope: it does not count among the requests the scope found already handled, so that
  // its CancelledError propagates instead of becoming TimeoutError if the deadline also
  // passes (a limit <= 0 expires on the next turn).
  cancelling_at_enter_ = task_->cancel_requests - (task_->must_cancel ? 1 : 0);
  timer_.owner = this;
  timer_.task = task_;
  timer_.on_fire = &Timeout::on_deadline;
  state_ = State::entered;
  reschedule(when_);
}

void Timeout::reschedule(std::optional<TimePoint> when) {
  if (state_ != State::entered) {
    throw InvalidStateError(state_ == State::created ? "Timeout::reschedule: the scope has not been entered"
                                                     : "Timeout::reschedule: the scope has already expired or exited");
  }
  when_ = when;
  detail::disarm_timer(timer_);
  if (!when) return;
  // A deadline already passed fires on the next turn, as asyncio's call_soon(_on_timeout).
  detail::arm_timer(timer_, std::max(*when, task_->loop()->now()));
}

void Timeout::on_deadline(detail::CallbackTimer& timer) {
  Timeout& self = *static_cast<Timer&>(timer).owner;
  self.state_ = State::expiring;
  self.task_->cancel();
}

void Timeout::leave() noexcept {
  detail::disarm_timer(timer_);
  state_ = state_ == State::expiring ? State::expired : State::exited;
}

void Timeout::exit_with(std::exception_ptr error) {
  const bool expiring = state_ == State::expiring;
  leave();
  // Only a cancellation this scope caused becomes TimeoutError; another pending request
  // (someone else cancelled the task too) keeps the CancelledError going.
  if (expiring && task_->uncancel() <= cancelling_at_enter_) {
    try {
      std::rethrow_exception(error);
    } catch (const CancelledError&) {
      throw TimeoutError(fmt::format("timeout: the deadline {} passed", format_time(*when_)));
    } catch (...) {
    }
  }
  std::rethrow_exception(error);
}

void Timeout::exit_normally() noexcept {
  const bool expiring = state_ == State::expiring;
  leave();
  if (expiring) task_->uncancel();
}

}  // namespace simtime

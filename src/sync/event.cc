#include "simtime/sync/event.hpp"

#include <fmt/format.h>

#include <iterator>
#include <utility>

namespace simtime {

Event::Event(std::string name, SourceLocation where) : identity_("Event", std::move(name), where) {}

void Event::wake_all() noexcept {
  // asyncio's Event.set: every waiter is woken, in the order it started waiting.
  detail::wake_all(waiters_);
}

void Event::describe(std::string& out) const {
  identity_.append_to(out);
  out += set_ ? " [set" : " [unset";
  if (!waiters_.empty()) fmt::format_to(std::back_inserter(out), ", waiters:{}", waiters_.size());
  out += ']';
}

namespace detail {

void EventWaiter::describe(std::string& out) const {
  if (!node_.linked()) return append_destroyed(out, "Event", where_);
  event_->describe(out);
  append_awaited_at(out, where_);
}

}  // namespace detail
}  // namespace simtime

// Test support for the tests of include/simtime/sync/: the scenarios every primitive goes
// through (awaiting what is available, a withdrawn cancellation, a waiter whose primitive is
// destroyed, a guard destroyed with the loop, a deadlock report), written once over the
// primitive, and the helpers their tests share.
//
// A scenario is a Coro that the test runs and then asserts on what it returned: ASSERT_*
// does not compile inside a coroutine. A primitive is handed to a scenario as callables over
// it (`take` gives the awaitable of its guard, `make` the primitive itself): the scenarios
// take them by value, so that nothing a task runs refers to a lambda that is gone.
#pragma once

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <coroutine>
#include <simtime/simtime.hpp>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "tests/timeline.hpp"

namespace simtime::test {

/// The state part of a primitive's asyncio-like repr: "[locked, waiters:1]".
template <class Primitive>
std::string state_of(const Primitive& primitive) {
  const std::string text = fmt::format("{}", primitive);
  return text.substr(text.find('['));
}

/// A task body that only notes `what`.
inline Coro<> note(Timeline& timeline, std::string what) {
  timeline.note(what);
  co_return;
}

/// Rule 14: on a virtual clock, runs `step` right after creating another task, and notes
/// what `step` returns; returns the timeline. Awaiting what is available does not suspend,
/// so that note comes before the other task's "other task ran".
inline std::vector<std::string> run_ahead_of_another_task(Coro<std::string> step) {
  auto ahead = [](Coro<std::string> first, Timeline& timeline) -> Coro<> {
    auto other = create_task(note(timeline, "other task ran"));
    timeline.note(co_await std::move(first));
    co_await other;
  };
  VirtualClock clock;
  Timeline timeline;
  run(ahead(std::move(step), timeline), clock);
  return timeline.lines();
}

/// The message of the DeadlockError that running `main` on a virtual clock ends with; a
/// test failure at `where` if the run ends without one.
template <class T>
std::string deadlock_message(Coro<T> main, SourceLocation where = SourceLocation::current()) {
  VirtualClock clock;
  try {
    (void)run(std::move(main), clock, where);
  } catch (const DeadlockError& error) {
    return error.what();
  }
  ADD_FAILURE_AT(where.file_name(), static_cast<int>(where.line())) << "no DeadlockError";
  return "";
}

// -- A waiter whose primitive is destroyed under it -----------------------------------------

/// What the task owning a primitive does before a waiter comes: nothing.
struct NothingFirst {
  template <class Primitive>
  std::suspend_never operator()(Primitive& /*primitive*/) const noexcept {
    return {};
  }
};

/// The task that `wait(make())` becomes.
template <class Make, class Wait>
using WaiterOf = decltype(create_task(std::declval<std::invoke_result_t<Wait, std::invoke_result_t<Make>&>>()));

/// Makes a primitive with `make()` (a prvalue: primitives neither copy nor move), awaits
/// `first(primitive)` (say, takes the lock the waiter will want), starts `wait(primitive)` as
/// a task and lets it block, then destroys the primitive; returns that task, still blocked.
template <class Make, class Wait, class First = NothingFirst>
Coro<WaiterOf<Make, Wait>> a_waiter_of_a_destroyed(Make make, Wait wait, First first = {}) {
  using namespace std::chrono_literals;
  WaiterOf<Make, Wait> waiter;
  {
    auto primitive = make();
    co_await first(primitive);
    waiter = create_task(wait(primitive));
    co_await sleep(0s);  // the waiter blocks
  }
  co_return waiter;
}

/// Awaits `task` and says how it ended: "cancelled" (CancelledError escaped it), or
/// `otherwise`. Any other exception propagates.
template <class T>
Coro<std::string> how_it_ends(Task<T> task, std::string otherwise = "returned") {
  try {
    co_await task;
  } catch (const CancelledError&) {
    co_return "cancelled";
  }
  co_return otherwise;
}

/// Cancels the waiter of `a_waiter_of_a_destroyed(make, wait, first)`; says how it ends.
template <class Make, class Wait, class First = NothingFirst>
Coro<std::string> cancel_a_waiter_of_a_destroyed(Make make, Wait wait, First first = {}) {
  auto waiter = co_await a_waiter_of_a_destroyed(std::move(make), std::move(wait), std::move(first));
  waiter.cancel();
  co_return co_await how_it_ends(waiter);
}

// -- A withdrawn cancellation ---------------------------------------------------------------

/// Awaits `wait`, which says how it went when it returns, and catches the CancelledError that
/// may end it instead; then sleeps 1s, to show the next await is not affected. Returns
/// "<how it went>, then slept" or "CancelledError, then slept".
inline Coro<std::string> wait_then_sleep(Coro<std::string> wait) {
  using namespace std::chrono_literals;
  std::string what;
  try {
    what = co_await std::move(wait);
  } catch (const CancelledError&) {
    what = "CancelledError";
  }
  co_await sleep(1s);
  co_return what + ", then slept";
}

/// A cancellation that made a wait give up cannot be withdrawn: asyncio's waiter future is
/// cancelled, so uncancel() does not undo it. Starts `waiter` as a task and lets it block,
/// cancels it and withdraws the cancellation at once, then calls `wake()`, which would have
/// let it through; returns what the waiter returns.
template <class Wake>
Coro<std::string> withdraw_a_cancellation(Coro<std::string> waiter, Wake wake) {
  using namespace std::chrono_literals;
  auto task = create_task(std::move(waiter));
  co_await sleep(0s);
  task.cancel();
  task.uncancel();
  wake();
  co_return co_await task;
}

/// The same, with nothing to wake the waiter.
inline Coro<std::string> withdraw_a_cancellation(Coro<std::string> waiter) {
  return withdraw_a_cancellation(std::move(waiter), [] {});
}

/// Acquires a Lock or a Semaphore's permit, and keeps it (waits for ever if it never comes).
template <class Primitive>
Coro<> acquire_forever(Primitive& primitive) {
  co_await primitive.acquire();
}

/// Acquires a Lock or a Semaphore's permit, then records `id` in `result`.
template <class Primitive>
Coro<> acquire_and_record(Primitive& primitive, std::vector<int>& result, int id) {
  co_await primitive.acquire();
  result.push_back(id);
}

/// Acquires a Lock or a Semaphore's permit; says "acquired".
template <class Primitive>
Coro<std::string> acquired(Primitive& primitive) {
  co_await primitive.acquire();
  co_return "acquired";
}

/// A Lock, or a Semaphore's only permit, that this task holds; a waiter's cancellation is
/// withdrawn, then this task releases. Returns what the waiter says, and the primitive's
/// state after: "CancelledError, then slept; [unlocked]".
template <class Primitive>
Coro<std::string> withdraw_an_acquirers_cancellation() {
  Primitive primitive;
  co_await primitive.acquire();
  const std::string what =
      co_await withdraw_a_cancellation(wait_then_sleep(acquired(primitive)), [&primitive] { primitive.release(); });
  co_return fmt::format("{}; {}", what, state_of(primitive));
}

// -- Cancellation around the release of a primitive held through a guard -------------------

/// Takes a guard with `take()`, holds it for `hold` and lets it go, noting "<who> acquired"
/// and "<who> releases", or "<who> cancelled while holding".
template <class Take>
Coro<> hold_for(Take take, Duration hold, Timeline& timeline, std::string who) {
  auto guard = co_await take();
  timeline.note(who + " acquired");
  try {
    co_await sleep(hold);
  } catch (const CancelledError&) {
    timeline.note(who + " cancelled while holding");
    throw;
  }
  timeline.note(who + " releases");
}

/// When `cancel_the_first_waiter` cancels B: before A releases, in the turn of the release
/// (after it woke B, before B ran), or once B holds the guard.
enum class CancelPoint { before_release, after_release_same_turn, after_it_acquired };

/// A takes a guard with `take()` at 0s and holds it until 2s; B and C ask at 1s, and each
/// would hold it for 2s; B is cancelled at `point`. Returns "B cancelled" or "B finished".
template <class Take>
Coro<std::string> cancel_the_first_waiter(CancelPoint point, Take take, Timeline& timeline) {
  using namespace std::chrono_literals;
  auto a = create_task(hold_for(take, 2s, timeline, "A"));
  co_await sleep(1s);
  auto b = create_task(hold_for(take, 2s, timeline, "B"));
  auto c = create_task(hold_for(take, 2s, timeline, "C"));
  co_await sleep(0s);
  if (point == CancelPoint::before_release) b.cancel();
  co_await sleep(1s);  // A's timer was armed first: A releases at 2s, then this runs
  if (point == CancelPoint::after_release_same_turn) b.cancel();
  co_await sleep(1s);
  if (point == CancelPoint::after_it_acquired) b.cancel();
  co_await gather(a, c);
  co_return "B " + co_await how_it_ends(b, "finished");
}

// -- A guard destroyed with the loop --------------------------------------------------------
//
// Tasks that swallow run()'s cancellations are destroyed when the run ends (rule 10): a
// guard in such a frame lets its primitive go, which must not wake another such task of the
// closed loop.

/// After `delay`, takes a guard with `take()` and keeps it for ever, swallowing every
/// cancellation while it waits on `never`.
template <class Take>
Coro<> hold_forever(Take take, Event& never, Duration delay = {}) {
  if (delay > Duration::zero()) co_await sleep(delay);
  auto guard = co_await take();
  for (;;) {
    try {
      co_await never.wait();
    } catch (const CancelledError&) {
    }
  }
}

/// After `delay`, awaits `attempt()` again and again for ever, swallowing every cancellation.
template <class Attempt>
Coro<> attempt_forever(Attempt attempt, Duration delay = {}) {
  if (delay > Duration::zero()) co_await sleep(delay);
  for (;;) {
    try {
      (void)co_await attempt();
    } catch (const CancelledError&) {
    }
  }
}

/// Starts `holder` and `waiter` as tasks, the holder first if `holder_first` (both orders,
/// so that either straggler's frame is destroyed first), and lets them run for 2s.
inline Coro<> leave_two_stragglers(Coro<> holder, Coro<> waiter, bool holder_first) {
  using namespace std::chrono_literals;
  if (holder_first) create_task(std::move(holder));
  create_task(std::move(waiter));
  if (!holder_first) create_task(std::move(holder));
  co_await sleep(2s);
}

/// The stragglers of a Lock or a Semaphore: the holder takes a guard with `take()` at once,
/// the waiter asks for one with `take()` from 1s on.
template <class Take>
Coro<> leave_a_holder_and_a_waiter(Take take, Event& never, bool holder_first) {
  using namespace std::chrono_literals;
  return leave_two_stragglers(hold_forever(take, never), attempt_forever(take, 1s), holder_first);
}

}  // namespace simtime::test

// live_objects: how many of simtime's objects exist right now on this thread.
//
// A test that ends with anything alive has leaked a coroutine frame, a task or a timer; the
// testing support (`//:testing_main`) checks this after every test. Counts are per thread:
// frames, tasks and timers are made and released on the thread of the loop that runs them.
#pragma once

#include <cstddef>

namespace simtime {

struct LiveObjects {
  std::size_t frames = 0;  // coroutine frames allocated and not yet freed
  std::size_t tasks = 0;   // task frames not yet destroyed (finished tasks held by a handle too)
  std::size_t timers = 0;  // timers armed and neither fired nor removed

  friend bool operator==(const LiveObjects&, const LiveObjects&) = default;
};

/// The calling thread's counts.
[[nodiscard]] LiveObjects live_objects() noexcept;

namespace detail {
// Updated by the frame allocator, the loop and the timer queue.
inline thread_local LiveObjects live_counts;
}  // namespace detail

}  // namespace simtime

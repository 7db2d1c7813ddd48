// A global operator new that can be told to fail: the fault-injection harness counts the
// allocations of a scenario's run, then runs it again with the n-th one throwing
// std::bad_alloc, for every n.
//
// Linking `:failing_allocator` replaces the global operator new and delete of the whole test
// binary (they fall through to malloc and free), so it goes into its own cc_test only.
//
// Coroutine frames: simtime pools them (src/frame_allocator.cc), carving them out of 1 MiB
// chunks taken from operator new, so in a normal build most frames never reach operator new
// and cannot be made to fail here. Builds with AddressSanitizer (`--config=asan`) allocate
// every frame with plain operator new: there, every frame is an allocation point too.
// `frames_use_operator_new` says which build this is.
//
// Counting is per thread (the loop's thread); other threads allocate normally.
#pragma once

#include <cstddef>
#include <string>

namespace simtime::faults {

/// True when simtime's coroutine frames come from operator new (AddressSanitizer builds),
/// so that failing allocations reaches them.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool frames_use_operator_new = true;
#else
inline constexpr bool frames_use_operator_new = false;
#endif

/// Starts counting this thread's allocations (operator new in every form). With `fail_at`
/// > 0, the `fail_at`-th allocation from now fails: the throwing forms throw std::bad_alloc,
/// the nothrow forms return null. Only that one fails; later ones succeed again, unless
/// `and_after`.
/// With `record_sites`, also records where each allocation is made (see allocation_site).
/// With `and_after`, every allocation from the `fail_at`-th on fails (memory stays short).
void arm_allocation_failure(std::size_t fail_at, bool record_sites = false, bool and_after = false);

/// Stops counting; returns how many allocations were made while armed (the failed one
/// included).
std::size_t disarm_allocation_failure();

/// True if the allocation chosen by the last arm_allocation_failure() has failed.
[[nodiscard]] bool allocation_failure_happened();

/// Where the `n`-th allocation (from 1) of the last run armed with `record_sites` was made:
/// the innermost named functions of its stack, innermost first, std:: frames left out, e.g.
/// "simtime::detail::WaitTasks::await_suspend < simtime::detail::wait_for_gather". Empty if
/// it was not recorded.
[[nodiscard]] std::string allocation_site(std::size_t n);

/// Every allocation this thread has made so far, armed or not.
[[nodiscard]] std::size_t allocations_on_this_thread();

}  // namespace simtime::faults

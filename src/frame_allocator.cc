#include <cstddef>
#include <new>

#include "simtime/coro.hpp"

namespace simtime::detail {

// Every coroutine frame is allocated here, so a pooling allocator or a live-frame count can
// be added in one place.
void* allocate_frame(std::size_t size) { return ::operator new(size); }

void free_frame(void* frame, std::size_t size) noexcept { ::operator delete(frame, size); }

}  // namespace simtime::detail

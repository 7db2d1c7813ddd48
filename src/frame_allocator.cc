// The frame pool's chunks (see simtime/detail/frame_pool.hpp).
//
// A thread that has used up its first chunk is making frames by the thousand: its later
// chunks have their pages mapped in one call (MADV_POPULATE_WRITE) rather than by a page
// fault per 4 KiB: the faults were most of what the kernel spent on a million fresh tasks.
#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <new>
#include <vector>

#include "simtime/detail/frame_pool.hpp"

namespace simtime::detail {
namespace {

constexpr std::size_t chunk_bytes = FramePool::chunk_bytes;

// Advice only: a kernel older than 5.14 refuses it, and the pages then fault in one by one.
void populate_pages(void* chunk) noexcept {
#if defined(MADV_POPULATE_WRITE)
  constexpr std::uintptr_t page = 4096;
  const std::uintptr_t start = (reinterpret_cast<std::uintptr_t>(chunk) + page - 1) & ~(page - 1);
  const std::uintptr_t end = (reinterpret_cast<std::uintptr_t>(chunk) + chunk_bytes) & ~(page - 1);
  ::madvise(reinterpret_cast<void*>(start), end - start, MADV_POPULATE_WRITE);
#else
  (void)chunk;
#endif
}

// Chunks live as long as the process: a block may still sit in another thread's free list.
class ChunkRegistry {
 public:
  void* allocate(bool populate) {
    void* chunk = ::operator new(chunk_bytes);
    if (populate) populate_pages(chunk);
    const std::lock_guard<std::mutex> lock(mutex_);
    chunks_.push_back(chunk);
    return chunk;
  }

 private:
  std::mutex mutex_;
  std::vector<void*> chunks_;
};

// Never destroyed: a Task or Coro held by a static may free its frame during static
// destruction, after a registry destroyed at exit would have freed the chunks.
ChunkRegistry& chunk_registry() {
  static auto* const registry = new ChunkRegistry;
  return *registry;
}

}  // namespace

void FramePool::start_chunk() {
  next_ = static_cast<char*>(chunk_registry().allocate(/*populate=*/next_ != nullptr));
  end_ = next_ + chunk_bytes;
}

}  // namespace simtime::detail

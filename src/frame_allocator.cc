// Coroutine frames come from per-thread free lists of 8-byte size classes, carved out of
// large chunks: a task's frame costs no malloc call and no malloc header, and a frame freed
// is reused by the next frame of its size. Blocks may be freed on another thread than the
// one that allocated them (they join that thread's lists), so chunks belong to the process
// and are never returned, not even at exit; the pool keeps its high-water mark. Builds with AddressSanitizer
// use plain operator new, so that a use of a destroyed frame is still caught.
//
// A thread that has used up its first chunk is making frames by the thousand: its later
// chunks have their pages mapped in one call (MADV_POPULATE_WRITE) rather than by a page
// fault per 4 KiB: the faults were most of what the kernel spent on a million fresh tasks.
#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

#include "simtime/coro.hpp"
#include "simtime/live_objects.hpp"

namespace simtime::detail {
namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool pooled = false;
#else
constexpr bool pooled = true;
#endif

// A frame's size is a multiple of its alignment, so a frame whose size is an odd multiple of
// 8 needs no more than 8-byte alignment, and only such a frame is placed 8 bytes off a
// 16-byte boundary: a task frame of 104 bytes takes 104, not 112.
constexpr std::size_t granularity = 8;
constexpr std::size_t wide_alignment = 16;
constexpr std::size_t largest_pooled = 2048;
constexpr std::size_t chunk_bytes = std::size_t{1} << 20;

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

struct FreeBlock {
  FreeBlock* next;
};

class FramePool {
 public:
  void* allocate(std::size_t size) {
    const std::size_t size_class = (size + granularity - 1) / granularity;
    if (FreeBlock* block = free_lists_[size_class]) {
      free_lists_[size_class] = block->next;
      return block;
    }
    const std::size_t bytes = size_class * granularity;
    // Chunks start and end 16-byte aligned, and every block is a multiple of 8: this skips 0 or 8.
    if (bytes % wide_alignment == 0) next_ += reinterpret_cast<std::uintptr_t>(next_) % wide_alignment;
    if (static_cast<std::size_t>(end_ - next_) < bytes) start_chunk();
    return std::exchange(next_, next_ + bytes);
  }
  // Out of line: kept off the path of every other allocation, which then saves no registers.
  [[gnu::noinline]] void start_chunk() {
    next_ = static_cast<char*>(chunk_registry().allocate(/*populate=*/next_ != nullptr));
    end_ = next_ + chunk_bytes;
  }

  void free(void* frame, std::size_t size) noexcept {
    const std::size_t size_class = (size + granularity - 1) / granularity;
    free_lists_[size_class] = ::new (frame) FreeBlock{free_lists_[size_class]};
  }

 private:
  FreeBlock* free_lists_[largest_pooled / granularity + 1] = {};
  char* next_ = nullptr;
  char* end_ = nullptr;
};

thread_local FramePool pool;

}  // namespace

void* allocate_frame(std::size_t size) {
  void* frame = !pooled || size > largest_pooled ? ::operator new(size) : pool.allocate(size);
  ++live_counts.frames;
  return frame;
}

void free_frame(void* frame, std::size_t size) noexcept {
  --live_counts.frames;
  if (!pooled || size > largest_pooled) {
    ::operator delete(frame, size);
    return;
  }
  pool.free(frame, size);
}

}  // namespace simtime::detail

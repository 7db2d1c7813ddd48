// Where coroutine frames come from: per-thread free lists of 8-byte size classes, carved
// out of large chunks. A task's frame costs no malloc call and no malloc header, and a frame
// freed is reused by the next frame of its size. Blocks may be freed on another thread than
// the one that allocated them (they join that thread's lists), so chunks belong to the
// process and are never returned, not even at exit; the pool keeps its high-water mark.
// Builds with AddressSanitizer use plain operator new, so that a use of a destroyed frame
// is still caught.
//
// Inline: a frame is allocated and freed for every task, and the common case (a block on a
// free list, or carved from the current chunk) is a handful of instructions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <utility>

#include "simtime/live_objects.hpp"

namespace simtime::detail {

class FramePool {
 public:
#if defined(__SANITIZE_ADDRESS__)
  static constexpr bool pooled = false;
#else
  static constexpr bool pooled = true;
#endif
  static constexpr std::size_t largest_pooled = 2048;
  static constexpr std::size_t chunk_bytes = std::size_t{1} << 20;

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

  void free(void* frame, std::size_t size) noexcept {
    const std::size_t size_class = (size + granularity - 1) / granularity;
    free_lists_[size_class] = ::new (frame) FreeBlock{free_lists_[size_class]};
  }

 private:
  // A frame's size is a multiple of its alignment, so a frame whose size is an odd multiple
  // of 8 needs no more than 8-byte alignment, and only such a frame is placed 8 bytes off a
  // 16-byte boundary: a task frame of 104 bytes takes 104, not 112.
  static constexpr std::size_t granularity = 8;
  static constexpr std::size_t wide_alignment = 16;

  struct FreeBlock {
    FreeBlock* next;
  };

  // Out of line (src/frame_allocator.cc), off the path of every other allocation.
  void start_chunk();

  FreeBlock* free_lists_[largest_pooled / granularity + 1] = {};
  char* next_ = nullptr;
  char* end_ = nullptr;
};

inline thread_local FramePool frame_pool;

inline void* allocate_frame(std::size_t size) {
  void* frame =
      !FramePool::pooled || size > FramePool::largest_pooled ? ::operator new(size) : frame_pool.allocate(size);
  ++live_counts.frames;
  return frame;
}

inline void free_frame(void* frame, std::size_t size) noexcept {
  --live_counts.frames;
  if (!FramePool::pooled || size > FramePool::largest_pooled) {
    ::operator delete(frame, size);
    return;
  }
  frame_pool.free(frame, size);
}

}  // namespace simtime::detail

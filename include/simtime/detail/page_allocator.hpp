// An allocator for the loop's big arrays (the timer queue's buckets and slots) that gives a
// large block its own pages and hands them back to the system when it is freed.
//
// glibc raises its threshold for serving a block from fresh pages each time such a block
// is freed, so that a vector grown by doubling to millions of timers ends up with its
// outgrown buffers in the heap, resident and unused: five bytes per timer on W1 of bench/.
// Small blocks still come from operator new, as do all blocks under AddressSanitizer, which
// then still checks every access.
#pragma once

#include <cstddef>
#include <new>

namespace simtime::detail {

/// Blocks from this size on get pages of their own.
inline constexpr std::size_t own_pages_from = std::size_t{256} << 10;

/// `bytes` from operator new, or fresh pages of their own if that many. Throws
/// std::bad_alloc. Out of line, so that a vector's push_back stays small enough to inline.
void* allocate_block(std::size_t bytes);
/// Gives back a block from allocate_block of the same size.
void free_block(void* block, std::size_t bytes) noexcept;

template <class T>
struct PageAllocator {
  using value_type = T;

  PageAllocator() noexcept = default;
  template <class U>
  PageAllocator(const PageAllocator<U>&) noexcept {}  // NOLINT: rebinding converts implicitly

  T* allocate(std::size_t count) {
    if (count > static_cast<std::size_t>(-1) / sizeof(T)) throw std::bad_array_new_length();
    return static_cast<T*>(allocate_block(count * sizeof(T)));
  }
  void deallocate(T* block, std::size_t count) noexcept { free_block(block, count * sizeof(T)); }

  friend bool operator==(const PageAllocator&, const PageAllocator&) noexcept { return true; }
};

}  // namespace simtime::detail

#include "simtime/detail/page_allocator.hpp"

#include <sys/mman.h>

#include <new>

namespace simtime::detail {
namespace {

bool own_pages(std::size_t bytes) noexcept {
#if defined(__SANITIZE_ADDRESS__)
  (void)bytes;
  return false;  // AddressSanitizer then still checks every access
#else
  return bytes >= own_pages_from;
#endif
}

}  // namespace

void* allocate_block(std::size_t bytes) {
  if (!own_pages(bytes)) return ::operator new(bytes);
  void* const block = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (block == MAP_FAILED) throw std::bad_alloc();
  return block;
}

void free_block(void* block, std::size_t bytes) noexcept {
  if (!own_pages(bytes)) {
    ::operator delete(block, bytes);
  } else {
    ::munmap(block, bytes);
  }
}

}  // namespace simtime::detail

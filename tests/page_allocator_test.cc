// The allocator behind the timer queue's big arrays: blocks of every size hold what is
// written to them, a vector grown far past the size where blocks get pages of their own
// keeps its elements in order, and an impossible size is refused rather than wrapped.
#include "simtime/detail/page_allocator.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <new>
#include <vector>

namespace simtime::detail {
namespace {

TEST(PageAllocator, BlocksSmallAndLargeHoldWhatIsWrittenToThem) {
  for (const std::size_t bytes : {std::size_t{16}, own_pages_from - 8, own_pages_from, own_pages_from * 3 + 8}) {
    auto* const block = static_cast<unsigned char*>(allocate_block(bytes));
    ASSERT_NE(block, nullptr);
    for (std::size_t i = 0; i < bytes; i += 4096) block[i] = static_cast<unsigned char>(i / 4096 + 1);
    block[bytes - 1] = 0xAB;
    for (std::size_t i = 0; i + 1 < bytes; i += 4096) EXPECT_EQ(block[i], static_cast<unsigned char>(i / 4096 + 1));
    EXPECT_EQ(block[bytes - 1], 0xAB) << bytes << " bytes";
    free_block(block, bytes);
  }
}

TEST(PageAllocator, AVectorGrownPastTheOwnPagesSizeKeepsItsElements) {
  std::vector<std::uint64_t, PageAllocator<std::uint64_t>> values;
  const std::size_t count = own_pages_from / sizeof(std::uint64_t) * 4;
  for (std::size_t i = 0; i < count; ++i) values.push_back(i * 7);
  ASSERT_EQ(values.size(), count);
  for (std::size_t i = 0; i < count; i += 997) EXPECT_EQ(values[i], i * 7);
  EXPECT_EQ(values.back(), (count - 1) * 7);
  values.clear();
  values.shrink_to_fit();  // the big block goes back
  EXPECT_EQ(values.capacity(), 0u);
}

TEST(PageAllocator, RefusesACountWhoseSizeOverflows) {
  PageAllocator<std::uint64_t> allocator;
  EXPECT_THROW((void)allocator.allocate(static_cast<std::size_t>(-1) / 4), std::bad_array_new_length);
  EXPECT_TRUE(allocator == PageAllocator<std::uint64_t>(PageAllocator<char>()));
}

}  // namespace
}  // namespace simtime::detail

// The pool coroutine frames come from: 8-byte size classes, a frame whose size is a multiple
// of 16 on a 16-byte boundary whatever came before it, blocks that do not overlap, and a
// freed block reused by the next frame of its size.
#include "simtime/detail/frame_pool.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

namespace simtime::detail {
namespace {

std::uintptr_t address(const void* block) { return reinterpret_cast<std::uintptr_t>(block); }

TEST(FramePool, AFrameSizedInSixteensIsSixteenByteAlignedAfterFramesOfOddEights) {
  FramePool pool;
  std::vector<std::pair<unsigned char*, std::size_t>> blocks;
  // Sizes as g++ makes them: a multiple of the frame's alignment, 8 or 16.
  for (int round = 0; round < 3000; ++round) {
    for (const std::size_t size : {104, 96, 8, 136, 120, 16, 24}) {
      auto* const block = static_cast<unsigned char*>(pool.allocate(size));
      EXPECT_EQ(address(block) % 8, 0U) << size;
      if (size % 16 == 0) {
        EXPECT_EQ(address(block) % 16, 0U) << "a " << size << "-byte frame";
      }
      std::memset(block, static_cast<int>(blocks.size() % 251), size);
      blocks.emplace_back(block, size);
    }
  }
  // 3000 rounds of 504 bytes fill more than one chunk: the blocks of every chunk are intact.
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    const auto [block, size] = blocks[i];
    for (std::size_t byte = 0; byte < size; ++byte) {
      ASSERT_EQ(block[byte], static_cast<unsigned char>(i % 251)) << "block " << i << " was overwritten";
    }
  }
  for (const auto& [block, size] : blocks) pool.free(block, size);
}

TEST(FramePool, AFreedBlockIsTheNextOfItsSizeClass) {
  FramePool pool;
  void* const first = pool.allocate(104);
  void* const other_class = pool.allocate(96);
  pool.free(first, 104);
  EXPECT_EQ(pool.allocate(100), first) << "100 bytes round up to the 104-byte class";
  pool.free(other_class, 96);
  EXPECT_NE(pool.allocate(104), other_class);
  EXPECT_EQ(pool.allocate(89), other_class) << "89 bytes round up to the 96-byte class";
}

TEST(FramePool, FramesFromTheThreadsPoolAreCountedWhileTheyLive) {
  const std::size_t before = live_counts.frames;
  void* const small = allocate_frame(104);
  void* const large = allocate_frame(FramePool::largest_pooled + 8);  // from operator new
  EXPECT_EQ(live_counts.frames, before + 2);
  std::memset(large, 1, FramePool::largest_pooled + 8);
  free_frame(large, FramePool::largest_pooled + 8);
  free_frame(small, 104);
  EXPECT_EQ(live_counts.frames, before);
}

}  // namespace
}  // namespace simtime::detail

// A sweep spread over Bazel's shards (shard_count = 4, //:explore_main): each shard runs
// its own quarter of the seeds, and writes which it ran to its undeclared outputs.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <simtime/simtime.hpp>
#include <string>

#include "examples/bank_transfer.hpp"
#include "simtime/testing/explore.hpp"

namespace simtime::testing {
namespace {

constexpr std::uint64_t schedules = 4'000;
constexpr std::uint64_t first_seed = 1'000;

unsigned from_env(const char* name, unsigned fallback) {
  const char* value = std::getenv(name);
  return value != nullptr ? static_cast<unsigned>(std::strtoul(value, nullptr, 10)) : fallback;
}

TEST(ExploreSharded, EachShardRunsItsOwnQuarterOfTheSeeds) {
  const unsigned count = from_env("TEST_TOTAL_SHARDS", 1);
  const unsigned index = from_env("TEST_SHARD_INDEX", 0);
  // //:explore_main took GoogleTest's sharding away, so this test runs on every shard.
  EXPECT_EQ(std::getenv("GTEST_TOTAL_SHARDS"), nullptr);
  const ExploreResult result = explore([] { return bank_transfer::business_day(bank_transfer::Version::locked); },
                                       {.schedules = schedules, .seed = first_seed, .name = "bank sweep"});
  EXPECT_TRUE(result.passed()) << result;
  EXPECT_EQ(result.shard_count, count);
  EXPECT_EQ(result.shard_index, index);
  EXPECT_EQ(result.first_seed, first_seed + schedules * index / count);
  EXPECT_EQ(result.end_seed, first_seed + schedules * (index + 1) / count);
  EXPECT_EQ(result.schedules_run, schedules / count);
  if (const char* outputs = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR")) {
    std::ofstream(std::filesystem::path(outputs) / ("seeds_of_shard_" + std::to_string(index) + ".txt"))
        << result.first_seed << ".." << result.end_seed - 1 << "\n";
  }
}

}  // namespace
}  // namespace simtime::testing

// main() for test binaries whose sweeps Bazel shards (shard_count): every shard runs every
// test, and each explore call runs that shard's slice of the seeds. Otherwise the same as
// testing_main.cc: GoogleTest with the LiveObjectsCheck listener.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "simtime/testing/explore.hpp"
#include "simtime/testing/live_objects_check.hpp"

int main(int argc, char** argv) {
  simtime::testing::leave_test_sharding_to_explore();
  ::testing::InitGoogleTest(&argc, argv);
  auto* check = new simtime::testing::LiveObjectsCheck;  // owned by GoogleTest's listener list
  ::testing::UnitTest::GetInstance()->listeners().Append(check);
  const int status = RUN_ALL_TESTS();
  if (!check->leaks().empty()) {
    fmt::print(stderr, "simtime: {} test(s) left simtime objects alive:\n", check->leaks().size());
    for (const auto& leak : check->leaks()) fmt::print(stderr, "  {}\n", leak);
    return 1;
  }
  return status;
}

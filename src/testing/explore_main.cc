// main() for test binaries whose sweeps Bazel shards (shard_count): every shard runs every
// test, and each explore call runs that shard's slice of the seeds. Otherwise the same as
// testing_main.cc: GoogleTest with the LiveObjectsCheck listener.
#include <gtest/gtest.h>

#include "simtime/testing/explore.hpp"
#include "simtime/testing/live_objects_check.hpp"

int main(int argc, char** argv) {
  simtime::testing::leave_test_sharding_to_explore();
  ::testing::InitGoogleTest(&argc, argv);
  return simtime::testing::run_all_tests_checking_leaks();
}

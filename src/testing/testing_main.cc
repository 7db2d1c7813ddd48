// main() for simtime's test binaries: GoogleTest with the LiveObjectsCheck listener.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "simtime/testing/live_objects_check.hpp"

int main(int argc, char** argv) {
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

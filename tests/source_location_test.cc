#include "simtime/source_location.hpp"

#include <gtest/gtest.h>

#include <string_view>

#include "simtime/simtime.hpp"

namespace simtime {
namespace {

SourceLocation where_called(SourceLocation where = SourceLocation::current()) { return where; }

TEST(SourceLocation, ADefaultedArgumentRecordsTheCallersFileAndLine) {
  const auto line = __LINE__ + 1;
  const SourceLocation where = where_called();
  EXPECT_EQ(where.line(), line);
  EXPECT_TRUE(std::string_view(where.file_name()).ends_with("source_location_test.cc")) << where.file_name();
  EXPECT_GT(where.column(), 0u);
  // g++ gives the whole signature, clang 14 the bare name: both name gtest's TestBody.
  EXPECT_NE(std::string_view(where.function_name()).find("TestBody"), std::string_view::npos) << where.function_name();
}

TEST(SourceLocation, ADefaultConstructedOneIsEmpty) {
  const SourceLocation nowhere;
  EXPECT_EQ(nowhere.line(), 0u);
  EXPECT_STREQ(nowhere.file_name(), "");
}

TEST(SourceLocation, ATaskRecordsWhereCreateTaskWasCalled) {
  VirtualClock clock;
  std::uint_least32_t line = 0;
  SourceLocation created;
  run(
      [&]() -> Coro<> {
        line = __LINE__ + 1;
        auto task = create_task([]() -> Coro<> { co_return; }());
        created = task.created_at();
        co_await task;
      }(),
      clock);
  EXPECT_EQ(created.line(), line);
  EXPECT_TRUE(std::string_view(created.file_name()).ends_with("source_location_test.cc"));
}

}  // namespace
}  // namespace simtime

// The table that numbers where tasks were created: a task keeps a 16-bit number instead of a
// SourceLocation, so the number must read back as the very site, per site and across threads.
#include "simtime/detail/process_tables.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <simtime/simtime.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace simtime::detail {
namespace {

SourceLocation first_site() { return SourceLocation::current(); }
SourceLocation second_site() { return SourceLocation::current(); }
SourceLocation third_site() { return SourceLocation::current(); }

TEST(CreationSites, ASiteKeepsItsNumberAndReadsBackAsItself) {
  CreationSites sites(10);
  const std::uint16_t first = sites.number(first_site());
  const std::uint16_t second = sites.number(second_site());
  EXPECT_NE(first, 0);
  EXPECT_NE(second, 0);
  EXPECT_NE(first, second);
  EXPECT_EQ(sites.number(first_site()), first);
  EXPECT_EQ(sites.site(first).line(), first_site().line());
  EXPECT_EQ(std::string(sites.site(second).file_name()), std::string(second_site().file_name()));
  EXPECT_EQ(sites.site(second).line(), second_site().line());
}

TEST(CreationSites, AFullTableNumbersNewSitesZeroWhichReadsBackEmpty) {
  CreationSites sites(2);
  const std::uint16_t first = sites.number(first_site());
  const std::uint16_t second = sites.number(second_site());
  EXPECT_EQ(sites.number(third_site()), 0) << "a third site in a table with room for two";
  EXPECT_EQ(sites.number(first_site()), first) << "sites numbered before the table filled keep their number";
  EXPECT_EQ(sites.site(second).line(), second_site().line());
  EXPECT_EQ(sites.site(0).line(), 0U);
  EXPECT_EQ(std::string(sites.site(0).file_name()), "");
  EXPECT_EQ(sites.site(7).line(), 0U) << "a number the table never handed out";
}

TEST(CreationSites, RefusesMoreRoomThanSixteenBitsCanNumber) {
  EXPECT_NO_THROW(CreationSites sites(CreationSites::largest_capacity));
  try {
    CreationSites sites(CreationSites::largest_capacity + 1);
    FAIL() << "a table with room for 65536 sites was made";
  } catch (const std::invalid_argument& error) {
    EXPECT_STREQ(error.what(), "CreationSites: room for 65536 sites asked, at most 65535 can be numbered");
  }
}

TEST(CreationSites, ThreadsNumberingTheSameSitesAgreeOnTheirNumbers) {
  CreationSites sites(10);
  std::vector<std::uint16_t> seen(8 * 3);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < 8; ++t) {
    threads.emplace_back([&sites, &seen, t] {
      for (int round = 0; round < 100; ++round) {
        seen[t * 3] = sites.number(first_site());
        seen[t * 3 + 1] = sites.number(second_site());
        seen[t * 3 + 2] = sites.number(third_site());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (std::size_t t = 1; t < 8; ++t) {
    EXPECT_EQ(seen[t * 3], seen[0]);
    EXPECT_EQ(seen[t * 3 + 1], seen[1]);
    EXPECT_EQ(seen[t * 3 + 2], seen[2]);
  }
  EXPECT_EQ(sites.site(seen[2]).line(), third_site().line());
}

Coro<> idle() { co_return; }

// Tasks made at two sites, alternating, on two threads: each task reads back its own site
// (the thread's cache of numbered sites must not mix them up).
TEST(CreationSites, TasksReportWhereTheyWereCreatedOnEveryThread) {
  auto make_tasks = [] {
    VirtualClock clock;
    std::vector<unsigned> lines;
    auto body = [&lines]() -> Coro<> {
      std::vector<Task<>> tasks;
      for (int i = 0; i < 6; ++i) {
        if (i % 2 == 0) {
          tasks.push_back(create_task(idle()));
        } else {
          tasks.push_back(create_task(idle()));
        }
      }
      for (auto& task : tasks) lines.push_back(task.created_at().line());
      co_await gather(std::move(tasks));
    };
    run(body(), clock);
    return lines;
  };
  std::vector<unsigned> elsewhere;
  std::thread other([&] { elsewhere = make_tasks(); });
  other.join();
  const std::vector<unsigned> here = make_tasks();
  ASSERT_EQ(here.size(), 6U);
  EXPECT_EQ(here, elsewhere);
  EXPECT_NE(here[0], 0U);
  EXPECT_EQ(here[1], here[0] + 2);
  for (std::size_t i = 2; i < here.size(); ++i) EXPECT_EQ(here[i], here[i - 2]);
}

}  // namespace
}  // namespace simtime::detail

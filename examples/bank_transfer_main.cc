// Explores the schedules of the bank's business day (examples/bank_transfer.hpp).
//
//   bank_transfer                        random schedules of the buggy bank: found, shrunk
//   bank_transfer --policy=pct --depth=2 the same with PCT
//   bank_transfer --policy=fifo          the default order only: passes
//   bank_transfer --fixed --schedules=10000
//   bank_transfer --replay=<token>       re-runs one schedule
// Exit status: 0 if every schedule passed, 1 if one failed, 2 for bad arguments.
#include <fmt/format.h>

#include <cstdint>
#include <exception>
#include <string>
#include <string_view>

#include "examples/bank_transfer.hpp"
#include "simtime/testing/explore.hpp"

int main(int argc, char** argv) {
  using simtime::testing::ExplorePolicy;
  simtime::testing::ExploreOptions options;
  options.name = "bank_transfer";
  auto version = bank_transfer::Version::check_then_act;
  std::string replay;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string_view arg = argv[i];
      const auto value = [&](std::string_view flag) { return std::string(arg.substr(flag.size())); };
      if (arg == "--fixed") {
        version = bank_transfer::Version::locked;
      } else if (arg.starts_with("--policy=")) {
        const std::string policy = value("--policy=");
        if (policy == "random") {
          options.policy = ExplorePolicy::random;
        } else if (policy == "pct") {
          options.policy = ExplorePolicy::pct;
        } else if (policy == "fifo") {
          options.policy = ExplorePolicy::fifo;
        } else {
          throw std::invalid_argument(fmt::format("--policy={}: not random, pct or fifo", policy));
        }
      } else if (arg.starts_with("--schedules=")) {
        options.schedules = std::stoull(value("--schedules="));
      } else if (arg.starts_with("--seed=")) {
        options.seed = std::stoull(value("--seed="));
      } else if (arg.starts_with("--depth=")) {
        options.pct_depth = std::stoi(value("--depth="));
      } else if (arg.starts_with("--replay=")) {
        replay = value("--replay=");
      } else {
        throw std::invalid_argument(fmt::format("unknown argument '{}'", arg));
      }
    }
    const simtime::testing::Program day = [version] { return bank_transfer::business_day(version); };
    if (!replay.empty()) {
      const auto outcome = simtime::testing::replay(day, simtime::testing::Schedule::parse(replay));
      fmt::print("bank_transfer: replayed {}: {}\n", replay, outcome.failure ? *outcome.failure : "passed");
      return outcome.failure ? 1 : 0;
    }
    return simtime::testing::explore(day, options).passed() ? 0 : 1;
  } catch (const std::exception& error) {
    fmt::print(stderr, "bank_transfer: {}\n", error.what());
    return 2;
  }
}

// The asyncio tutorial's program, built against the installed simtime package: three tasks
// sleep 2, 10 and 5 seconds concurrently on the virtual clock. It prints what the tutorial
// prints and exits 1 unless those are the tutorial's lines and the run took exactly 10 s of
// virtual time.
#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <simtime/simtime.hpp>
#include <string>
#include <vector>

namespace {

// async def sleeper(seconds): ...
simtime::Coro<> sleeper(int seconds, std::vector<std::string>& lines) {
  lines.push_back("Begin sleep for " + std::to_string(seconds));
  co_await simtime::sleep(std::chrono::seconds(seconds));
  lines.push_back("Awake from " + std::to_string(seconds));
}

// async def main(): the three sleepers as tasks, gathered; returns how long that took.
simtime::Coro<simtime::Duration> tutorial(std::vector<std::string>& lines) {
  const simtime::TimePoint start = simtime::now();
  auto two = simtime::create_task(sleeper(2, lines));
  auto ten = simtime::create_task(sleeper(10, lines));
  auto five = simtime::create_task(sleeper(5, lines));
  co_await simtime::gather(two, ten, five);
  co_return simtime::now() - start;
}

// "10.00": seconds with two decimals, rounded, in integer nanoseconds.
std::string format_seconds(simtime::Duration elapsed) {
  const std::int64_t centiseconds = (elapsed.count() + 5'000'000) / 10'000'000;
  return fmt::format("{}.{:02}", centiseconds / 100, centiseconds % 100);
}

}  // namespace

int main() {
  simtime::VirtualClock clock;
  std::vector<std::string> lines;  // outlives run(), so the coroutines may refer to it
  const simtime::Duration elapsed = simtime::run(tutorial(lines), clock);
  lines.push_back("Execution time: " + format_seconds(elapsed) + " seconds.");
  for (const auto& line : lines) fmt::print("{}\n", line);

  const std::vector<std::string> expected = {"Begin sleep for 2",
                                             "Begin sleep for 10",
                                             "Begin sleep for 5",
                                             "Awake from 2",
                                             "Awake from 5",
                                             "Awake from 10",
                                             "Execution time: 10.00 seconds."};
  if (lines != expected) {
    fmt::print(stderr, "tutorial: the lines above are not the tutorial's\n");
    return 1;
  }
  if (elapsed != std::chrono::seconds(10) || clock.now() != simtime::TimePoint{std::chrono::seconds(10)}) {
    fmt::print(stderr, "tutorial: elapsed {} ns of virtual time, expected exactly 10'000'000'000\n", elapsed.count());
    return 1;
  }
  fmt::print("tutorial: exactly {} ns of virtual time\n", elapsed.count());
  return 0;
}

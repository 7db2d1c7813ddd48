#include "examples/asyncio_demo.hpp"

#include <fmt/format.h>

#include <chrono>
#include <utility>

namespace demo {
namespace {

simtime::Coro<> sleeper(int seconds, simtime::Duration unit, Print print) {
  print(fmt::format("Begin sleep for {}", seconds));
  co_await simtime::sleep(seconds * unit);
  print(fmt::format("Awake from {}", seconds));
}

}  // namespace

simtime::Coro<> tutorial(Mode mode, Print print, simtime::Duration unit) {
  const simtime::TimePoint start = simtime::now();
  if (mode == Mode::async) {
    // Named for traces and diagnostics: "sleep 2" rather than "Task-2".
    auto two = simtime::create_task(sleeper(2, unit, print), "sleep 2");
    auto ten = simtime::create_task(sleeper(10, unit, print), "sleep 10");
    auto five = simtime::create_task(sleeper(5, unit, print), "sleep 5");
    co_await simtime::gather(two, ten, five);
  } else {
    co_await sleeper(2, unit, print);
    co_await sleeper(10, unit, print);
    co_await sleeper(5, unit, print);
  }
  print(fmt::format("Execution time: {} seconds.", format_seconds(simtime::now() - start)));
}

std::string format_seconds(simtime::Duration elapsed) {
  constexpr std::int64_t centisecond = 10'000'000;
  const std::int64_t centiseconds = (elapsed.count() + centisecond / 2) / centisecond;
  return fmt::format("{}.{:02}", centiseconds / 100, centiseconds % 100);
}

}  // namespace demo

#include "bench/peer_workloads.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstddef>
#include <numeric>
#include <stdexcept>
#include <utility>

#include "bench/splitmix.hpp"

namespace simtime::bench {
namespace {

using std::chrono::milliseconds;

Coro<> sleep_then_log(std::chrono::seconds delay, std::vector<std::int64_t>& order) {
  co_await sleep(delay);
  order.push_back(delay.count());
}

Coro<> sleep_once(milliseconds delay) { co_await sleep(delay); }

Coro<> sleep_many(std::span<const std::uint32_t> durations_ms) {
  for (const std::uint32_t ms : durations_ms) co_await sleep(milliseconds(ms));
}

// `mine`, `other` and `handoffs` live in hand_off's frame, which gathers both players
// before it returns: they outlive every player.
Coro<> ping(Event& mine, Event& other, std::int64_t rounds, std::int64_t& handoffs) {
  for (std::int64_t k = 0; k < rounds; ++k) {
    other.set();
    ++handoffs;
    co_await mine.wait();
    mine.clear();  // asyncio.Event does not reset itself either
  }
}

Coro<> pong(Event& mine, Event& other, std::int64_t rounds, std::int64_t& handoffs) {
  for (std::int64_t k = 0; k < rounds; ++k) {
    co_await mine.wait();
    mine.clear();
    other.set();
    ++handoffs;
  }
}

Coro<std::int64_t> returns(std::int64_t i) { co_return i; }

}  // namespace

std::vector<std::uint32_t> single_sleep_durations(std::int64_t tasks) {
  std::vector<std::uint32_t> durations(static_cast<std::size_t>(tasks));
  for (std::size_t i = 0; i < durations.size(); ++i) {
    durations[i] = static_cast<std::uint32_t>(splitmix64(1, i) % 1'000'000);
  }
  return durations;
}

std::vector<std::uint32_t> repeated_sleep_durations(std::int64_t n) {
  std::vector<std::uint32_t> durations(static_cast<std::size_t>(n / kRepeatedSleepTasks * kRepeatedSleepTasks));
  for (std::size_t k = 0; k < durations.size(); ++k) {
    durations[k] = static_cast<std::uint32_t>(1 + splitmix64(2, k) % 1000);
  }
  return durations;
}

Coro<Outcome> demo() {
  std::vector<std::int64_t> order;
  std::vector<Task<>> tasks;
  for (const int seconds : {2, 10, 5}) {
    tasks.push_back(create_task(sleep_then_log(std::chrono::seconds(seconds), order)));
  }
  co_await gather(std::move(tasks));
  co_return Outcome{3, fmt::format("order={}", fmt::join(order, ","))};
}

Coro<Outcome> sleep_once_each(std::span<const std::uint32_t> durations_ms) {
  std::vector<Task<>> tasks;
  tasks.reserve(durations_ms.size());
  for (const std::uint32_t ms : durations_ms) tasks.push_back(create_task(sleep_once(milliseconds(ms))));
  co_await gather(std::move(tasks));
  co_return Outcome{durations_ms.size(), "done"};
}

Coro<Outcome> sleep_many_each(std::span<const std::uint32_t> durations_ms, std::int64_t tasks) {
  if (tasks <= 0) throw std::invalid_argument(fmt::format("sleep_many_each: {} tasks, want at least 1", tasks));
  const std::size_t per_task = durations_ms.size() / static_cast<std::size_t>(tasks);
  std::vector<Task<>> sleepers;
  sleepers.reserve(static_cast<std::size_t>(tasks));
  for (std::size_t t = 0; t < static_cast<std::size_t>(tasks); ++t) {
    sleepers.push_back(create_task(sleep_many(durations_ms.subspan(t * per_task, per_task))));
  }
  co_await gather(std::move(sleepers));
  co_return Outcome{per_task * static_cast<std::size_t>(tasks), "done"};
}

Coro<Outcome> hand_off(std::int64_t round_trips) {
  Event to_ping("to_ping");
  Event to_pong("to_pong");
  std::int64_t handoffs = 0;
  co_await gather(ping(to_ping, to_pong, round_trips, handoffs), pong(to_pong, to_ping, round_trips, handoffs));
  co_return Outcome{static_cast<std::uint64_t>(handoffs), fmt::format("handoffs={}", handoffs)};
}

Coro<Outcome> spawn_and_join(std::int64_t tasks) {
  std::vector<Task<std::int64_t>> handles;
  handles.reserve(static_cast<std::size_t>(tasks));
  for (std::int64_t i = 0; i < tasks; ++i) handles.push_back(create_task(returns(i)));
  const std::vector<std::int64_t> results = co_await gather(std::move(handles));
  const std::int64_t sum = std::accumulate(results.begin(), results.end(), std::int64_t{0});
  co_return Outcome{static_cast<std::uint64_t>(tasks), fmt::format("sum={}", sum)};
}

}  // namespace simtime::bench

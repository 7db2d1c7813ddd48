// simtime on the peers' workloads, for ../shared/bench-peers/harness.py:
//
//   workloads W0|W1|W2|W3|W4 [N]        (N defaults to 1,000,000)
//
// Runs one workload on a VirtualClock and prints the one line the harness parses:
//
//   RESULT peer=simtime workload=W1 n=1000000 wall_s=0.812345 events=1000000 virtual_end_ms=999999 done
//
// As in every peer, the durations are drawn before the clock starts and wall_s covers the
// run alone: loop creation, the workload, and the loop's teardown. bench/compare.sh runs
// this program beside the peers.
#include <fmt/format.h>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <simtime/simtime.hpp>
#include <string_view>
#include <system_error>
#include <vector>

#include "bench/peer_workloads.hpp"

namespace {

using simtime::bench::Outcome;

constexpr std::string_view kUsage = "usage: workloads W0|W1|W2|W3|W4 [N]   (N >= 1, default 1000000)\n";

// Builds the workload's coroutine; `durations` receives what W1 and W2 sleep through and
// must outlive the run.
simtime::Coro<Outcome> make_workload(std::string_view workload, std::int64_t n, std::vector<std::uint32_t>& durations) {
  namespace bench = simtime::bench;
  if (workload == "W0") return bench::demo();
  if (workload == "W1") {
    durations = bench::single_sleep_durations(n);
    return bench::sleep_once_each(durations);
  }
  if (workload == "W2") {
    durations = bench::repeated_sleep_durations(n);
    return bench::sleep_many_each(durations, bench::kRepeatedSleepTasks);
  }
  if (workload == "W3") return bench::hand_off(n);
  return bench::spawn_and_join(n);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string_view workload = argc > 1 ? argv[1] : "";
  const bool known = workload.size() == 2 && workload[0] == 'W' && workload[1] >= '0' && workload[1] <= '4';
  std::int64_t n = 1'000'000;
  if (argc > 2) {
    const std::string_view text = argv[2];
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (error != std::errc{} || end != text.data() + text.size() || n < 1) {
      fmt::print(stderr, "workloads: N must be a positive integer, got '{}'\n{}", text, kUsage);
      return 2;
    }
  }
  if (!known || argc > 3) {
    fmt::print(stderr, "workloads: {}\n{}", known ? "too many arguments" : "unknown workload", kUsage);
    return 2;
  }

  try {
    std::vector<std::uint32_t> durations;
    simtime::Coro<Outcome> main_coro = make_workload(workload, n, durations);
    simtime::VirtualClock clock;
    const auto start = std::chrono::steady_clock::now();
    const Outcome outcome = simtime::run(std::move(main_coro), clock);
    const std::chrono::duration<double> wall = std::chrono::steady_clock::now() - start;
    const auto virtual_end = std::chrono::duration_cast<std::chrono::milliseconds>(clock.now().time_since_epoch());
    fmt::print("RESULT peer=simtime workload={} n={} wall_s={:.6f} events={} virtual_end_ms={} {}\n", workload, n,
               wall.count(), outcome.events, virtual_end.count(), outcome.check);
  } catch (const std::exception& error) {
    fmt::print(stderr, "workloads {} {}: {}\n", workload, n, error.what());
    return 1;
  } catch (const simtime::BaseException& error) {  // a CancelledError
    fmt::print(stderr, "workloads {} {}: {}\n", workload, n, error.what());
    return 1;
  }
  return 0;
}

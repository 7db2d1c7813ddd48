// The counters every Google Benchmark target in bench/ reports, so their figures read alike
// and line up with the peers' harness (../shared/bench-peers): events per second, peak memory
// and the peak memory each task cost.
//
//   PeakMemory memory;                 // before the benchmark loop
//   for (auto _ : state) { ... }
//   report_counters(state, events_per_iteration, tasks, memory);
#pragma once

#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <cstdint>
#include <fstream>

namespace simtime::bench {

/// The process's peak resident set size, from getrusage, in bytes.
inline std::int64_t peak_rss_bytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<std::int64_t>(usage.ru_maxrss) * 1024;  // Linux reports KiB
}

/// Peak RSS growth from construction on. The kernel's high-water mark is first lowered to
/// the current RSS (Linux >= 4.0, /proc/self/clear_refs), so a previous benchmark's larger
/// peak in the same process does not hide this one's.
class PeakMemory {
 public:
  PeakMemory() {
    std::ofstream clear_refs("/proc/self/clear_refs");
    clear_refs << "5" << std::flush;
    reset_ = clear_refs.good();
    baseline_ = peak_rss_bytes();  // after the reset: the current RSS
  }
  /// False if the high-water mark could not be lowered: growth() may then be too small.
  [[nodiscard]] bool reset() const noexcept { return reset_; }
  /// Peak RSS now minus RSS at construction, in bytes.
  [[nodiscard]] std::int64_t growth() const { return peak_rss_bytes() - baseline_; }

 private:
  std::int64_t baseline_ = 0;
  bool reset_ = false;
};

/// Sets events_per_s (events per iteration over wall time), peak_rss_MiB (the process's
/// peak) and bytes_per_task (peak RSS growth over `tasks`, as the harness's W1 figure).
inline void report_counters(benchmark::State& state, double events_per_iteration, std::int64_t tasks,
                            const PeakMemory& memory) {
  state.counters["events_per_s"] =
      benchmark::Counter(events_per_iteration, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["peak_rss_MiB"] = static_cast<double>(peak_rss_bytes()) / (1024.0 * 1024.0);
  state.counters["bytes_per_task"] = static_cast<double>(memory.growth()) / static_cast<double>(tasks);
  if (!memory.reset()) state.SetLabel("peak RSS not reset: bytes_per_task may be low");
}

}  // namespace simtime::bench

// The peers' shared pseudo-random durations (../shared/bench-peers): a counter-based hash,
// so every system draws the same value for task i whatever order tasks run in.
#pragma once

#include <cstdint>

namespace simtime::bench {

inline std::uint64_t splitmix64(std::uint64_t seed, std::uint64_t i) {
  std::uint64_t z = seed + (i + 1) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace simtime::bench

// SplitMix64: the one random source of schedule exploration (rule 19).
//
// A schedule must be the same for a seed on every machine, compiler and standard library,
// so nothing here uses <random>'s distributions (their algorithms are unspecified) or an
// address: the generator is Steele, Lea and Flood's SplitMix64 and the range reduction is
// Lemire's multiply-shift with rejection, both fully specified by this file.
#pragma once

#include <cstdint>

namespace simtime::testing {

class SplitMix64 {
 public:
  explicit constexpr SplitMix64(std::uint64_t seed) noexcept : state_(seed) {}

  /// The next 64 random bits.
  constexpr std::uint64_t next() noexcept {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }

  /// A uniform value in [0, bound); 0 when `bound` is 0. Unbiased: the few draws that would
  /// favour low values are rejected (Lemire 2019).
  constexpr std::uint64_t below(std::uint64_t bound) noexcept {
    if (bound == 0) return 0;
    unsigned __int128 product = static_cast<unsigned __int128>(next()) * bound;
    auto low = static_cast<std::uint64_t>(product);
    if (low < bound) {
      const std::uint64_t threshold = (0 - bound) % bound;
      while (low < threshold) {
        product = static_cast<unsigned __int128>(next()) * bound;
        low = static_cast<std::uint64_t>(product);
      }
    }
    return static_cast<std::uint64_t>(product >> 64);
  }

 private:
  std::uint64_t state_;
};

}  // namespace simtime::testing

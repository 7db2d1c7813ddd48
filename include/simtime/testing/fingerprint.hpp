// A run's fingerprint: a 64-bit hash of what the run did, to tell runs apart cheaply.
//
// It is FNV-1a (64-bit) over, for every step, the task's id, the virtual time in ns and
// whether the step ended the task, then over the run's schedule decisions. Two runs with
// the same fingerprint stepped the same tasks at the same times in the same order (up to a
// 2^-64 collision); the same program, policy and seed always give the same one (rule 19:
// nothing in it is an address). explore counts distinct fingerprints as distinct traces.
#pragma once

#include <cstdint>
#include <span>

#include "simtime/loop.hpp"

namespace simtime::testing {

class RunFingerprint {
 public:
  /// Watches `loop` (it installs the loop's step observer); `loop` must outlive this.
  explicit RunFingerprint(Loop& loop);
  RunFingerprint(const RunFingerprint&) = delete;
  RunFingerprint& operator=(const RunFingerprint&) = delete;
  /// Removes the step observer.
  ~RunFingerprint();

  /// The hash of the steps seen so far and of the loop's decisions.
  [[nodiscard]] std::uint64_t value() const noexcept;
  /// How many steps were seen.
  [[nodiscard]] std::uint64_t steps() const noexcept { return steps_; }

  /// FNV-1a of `word`'s 8 bytes, little-endian, continuing from `hash`.
  static constexpr std::uint64_t mix(std::uint64_t hash, std::uint64_t word) noexcept {
    for (int byte = 0; byte < 8; ++byte) {
      hash ^= (word >> (8 * byte)) & 0xFF;
      hash *= 0x100000001B3ull;
    }
    return hash;
  }
  static constexpr std::uint64_t empty = 0xCBF29CE484222325ull;  // FNV-1a's offset basis

 private:
  Loop* loop_;
  std::uint64_t hash_ = empty;
  std::uint64_t steps_ = 0;
};

}  // namespace simtime::testing

// Where tasks were created, as 16-bit numbers: a task keeps the number of its creation site
// instead of a SourceLocation, which keeps eight bytes out of every task's frame (a million
// frames are read several times over on W1 and W4 of bench/).
//
// A program has as many creation sites as it has calls of create_task in its source, so a
// process-wide table of them stays small. Each thread remembers the sites it numbered last,
// so numbering the site of a new task is a lookup in a small cache; the table itself is
// consulted, under a lock, once per site and thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "simtime/source_location.hpp"

namespace simtime::detail {

/// A table of creation sites with room for `capacity` of them, numbered from 1; number 0
/// stands for a site that found the table full, and reads back as an empty SourceLocation.
/// Thread-safe. A number handed out is never reused, and reading it back takes no lock.
class CreationSites {
 public:
  static constexpr std::size_t largest_capacity = 65535;

  /// Throws std::invalid_argument if `capacity` exceeds largest_capacity.
  explicit CreationSites(std::size_t capacity);

  /// The number of `site`, numbering it if it is new; 0 once the table is full. Throws
  /// std::bad_alloc (the table's index could not grow).
  std::uint16_t number(const SourceLocation& site);
  /// The site numbered `number` by this table; an empty SourceLocation for 0 or a number it
  /// never handed out.
  [[nodiscard]] SourceLocation site(std::uint16_t number) const noexcept;

 private:
  struct Key {
    const char* file;
    std::uint_least32_t line;
    std::uint_least32_t column;
    friend bool operator==(const Key&, const Key&) = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& key) const noexcept;
  };

  // The sites by number, in blocks made as the numbers reach them: a program with a few
  // dozen sites holds one block, not room for 65535.
  static constexpr std::size_t block_size = 256;
  static constexpr std::size_t block_count = (largest_capacity + 1) / block_size;

  std::size_t capacity_;
  mutable std::mutex mutex_;
  std::unordered_map<Key, std::uint16_t, KeyHash> numbers_;
  // Written under the lock, before the count that hands out its number is stored (release);
  // read without the lock after that count has been read (acquire).
  std::unique_ptr<SourceLocation[]> blocks_[block_count];
  std::atomic<std::uint16_t> count_ = 0;
};

/// The process's table of task creation sites.
CreationSites& creation_sites();

/// The number of `site` in creation_sites(), from this thread's cache when it has numbered
/// the site before (the usual case: tasks are made in loops).
inline std::uint16_t creation_site_number(const SourceLocation& site) {
  struct Remembered {
    const char* file = nullptr;
    std::uint_least32_t line = 0;
    std::uint_least32_t column = 0;
    std::uint16_t number = 0;
  };
  static constexpr std::size_t cache_size = 64;
  static thread_local Remembered cache[cache_size];
  const std::size_t slot = (reinterpret_cast<std::uintptr_t>(site.file_name()) / 8 + site.line() * 31) % cache_size;
  Remembered& remembered = cache[slot];
  if (remembered.file != site.file_name() || remembered.line != site.line() || remembered.column != site.column()) {
    remembered = {site.file_name(), site.line(), site.column(), creation_sites().number(site)};
  }
  return remembered.number;
}

}  // namespace simtime::detail

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
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <type_traits>
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

// A thread's cache of the sites it numbered last, by where the SourceLocation points: with
// g++ it is one pointer to the site's constant data, compared as a word. An entry not yet
// filled holds the empty site with number 0, which reads back as the empty site: right as
// it stands, so nothing marks it unfilled.
struct RememberedSite {
  SourceLocation site;
  std::uint16_t number = 0;

  static constexpr bool one_word =
      sizeof(SourceLocation) == sizeof(std::uintptr_t) && std::is_trivially_copyable_v<SourceLocation>;
  // Templates, so that only the branch for this compiler's SourceLocation is compiled.
  template <class Site>
  static std::uintptr_t identity(const Site& site) noexcept {
    if constexpr (one_word) {
      return std::bit_cast<std::uintptr_t>(site);
    } else {
      return reinterpret_cast<std::uintptr_t>(site.file_name()) + site.line() * 31 + site.column();
    }
  }
  template <class Site>
  [[nodiscard]] bool holds(const Site& other) const noexcept {
    if constexpr (one_word) {
      return identity(site) == identity(other);
    } else {
      return site.file_name() == other.file_name() && site.line() == other.line() && site.column() == other.column();
    }
  }
};
inline constexpr std::size_t remembered_sites = 64;
inline thread_local RememberedSite remembered_site[remembered_sites];

/// Numbers `site` in creation_sites() and remembers it in `slot`. Out of line: the common
/// case, a site the thread has numbered before, stays a few instructions.
std::uint16_t number_and_remember(const SourceLocation& site, RememberedSite& slot);

/// The number of `site` in creation_sites(), from this thread's cache when it has numbered
/// the site before (the usual case: tasks are made in loops).
inline std::uint16_t creation_site_number(const SourceLocation& site) {
  RememberedSite& slot = remembered_site[(RememberedSite::identity(site) / 8) % remembered_sites];
  return slot.holds(site) ? slot.number : number_and_remember(site, slot);
}

}  // namespace simtime::detail

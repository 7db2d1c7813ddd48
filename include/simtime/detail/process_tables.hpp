// The process-wide tables behind a task's small numbers.
//
// A million task frames are read several times over on W1 and W4 of bench/, so a frame
// keeps 16-bit numbers where it would otherwise keep pointers and strings: its loop's number
// (a loop registers here while it lives), its creation site's number (a program has as many
// sites as it has calls of create_task), and one flag for a name of its own (few tasks have
// one). What those numbers and the flag stand for is kept once per process, here. Frames and
// loops live on any thread, so each table is safe to use from several; none is ever
// destroyed, because a frame or loop held by a static may outlive a table destroyed at exit.
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>

#include "simtime/source_location.hpp"

namespace simtime {
class Loop;
}

namespace simtime::detail {

// ---- loops ------------------------------------------------------------------------------

/// Every loop alive, by the number its tasks keep instead of a pointer (loop_id); entry 0 is
/// always null. Written under a lock as loops come and go, read without one: a loop's entry
/// is set before any of its tasks exists and cleared after the last has forgotten it.
inline Loop* loops_by_id[std::size_t{1} << 16] = {};

/// Gives `loop` a number of its own. Throws std::runtime_error when 65535 loops are alive.
std::uint16_t take_loop_id(Loop& loop);
void give_back_loop_id(std::uint16_t id) noexcept;

// ---- task names -------------------------------------------------------------------------

/// The name given to the task at `task`; only for one that has a name of its own.
std::string task_name(const void* task);
/// Gives the task at `task` a name of its own, or a new one. Throws std::bad_alloc.
void set_task_name(const void* task, std::string_view name);
/// Forgets the name of the task at `task` (its frame is going).
void forget_task_name(const void* task) noexcept;

// ---- creation sites ---------------------------------------------------------------------
// Each thread remembers the sites it numbered last, so numbering the site of a new task is a
// lookup in a small cache; the table itself is consulted, under a lock, once per site and
// thread.

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

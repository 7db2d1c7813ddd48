#include "simtime/detail/process_tables.hpp"

#include <fmt/format.h>

#include <functional>
#include <iterator>
#include <mutex>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

namespace simtime::detail {

namespace {
// The numbers of the loops alive, handed out again once given back.
struct LoopNumbers {
  std::mutex mutex;
  std::vector<std::uint16_t> returned;
  std::uint32_t never_used = 1;
};
LoopNumbers& loop_numbers() {
  static auto* const numbers = new LoopNumbers;
  return *numbers;
}

struct NameTable {
  std::mutex mutex;
  std::unordered_map<const void*, std::string> names;
};
NameTable& name_table() {
  static auto* const table = new NameTable;
  return *table;
}
}  // namespace

std::uint16_t take_loop_id(Loop& loop) {
  LoopNumbers& numbers = loop_numbers();
  const std::lock_guard<std::mutex> lock(numbers.mutex);
  std::uint16_t id = 0;
  if (!numbers.returned.empty()) {
    id = numbers.returned.back();
    numbers.returned.pop_back();
  } else if (numbers.never_used < std::size(loops_by_id)) {
    numbers.returned.reserve(numbers.never_used);  // so that giving the number back cannot fail
    id = static_cast<std::uint16_t>(numbers.never_used++);
  } else {
    throw std::runtime_error(
        fmt::format("Loop: {} loops are alive already, the most there can be at once", std::size(loops_by_id) - 1));
  }
  loops_by_id[id] = &loop;
  return id;
}

void give_back_loop_id(std::uint16_t id) noexcept {
  LoopNumbers& numbers = loop_numbers();
  const std::lock_guard<std::mutex> lock(numbers.mutex);
  loops_by_id[id] = nullptr;
  numbers.returned.push_back(id);
}

// ---- task names -------------------------------------------------------------------------

std::string task_name(const void* task) {
  NameTable& table = name_table();
  const std::lock_guard<std::mutex> lock(table.mutex);
  return table.names.at(task);
}

void set_task_name(const void* task, std::string_view name) {
  NameTable& table = name_table();
  const std::lock_guard<std::mutex> lock(table.mutex);
  table.names.insert_or_assign(task, std::string(name));
}

void forget_task_name(const void* task) noexcept {
  NameTable& table = name_table();
  const std::lock_guard<std::mutex> lock(table.mutex);
  table.names.erase(task);
}

// ---- creation sites ---------------------------------------------------------------------

std::size_t CreationSites::KeyHash::operator()(const Key& key) const noexcept {
  return std::hash<const void*>()(key.file) ^ (std::size_t{key.line} * 0x9E3779B97F4A7C15ull) ^ key.column;
}

CreationSites::CreationSites(std::size_t capacity)
    : capacity_(capacity <= largest_capacity ? capacity
                                             : throw std::invalid_argument(fmt::format(
                                                   "CreationSites: room for {} sites asked, at most {} can be numbered",
                                                   capacity, largest_capacity))) {}

std::uint16_t CreationSites::number(const SourceLocation& site) {
  const Key key{site.file_name(), site.line(), site.column()};
  const std::lock_guard<std::mutex> lock(mutex_);
  if (const auto known = numbers_.find(key); known != numbers_.end()) return known->second;
  const std::uint16_t count = count_.load(std::memory_order_relaxed);  // only written under the lock
  if (count == capacity_) return 0;
  const auto next = static_cast<std::uint16_t>(count + 1);
  std::unique_ptr<SourceLocation[]>& block = blocks_[next / block_size];
  if (!block) block = std::make_unique<SourceLocation[]>(block_size);  // may throw: nothing has changed
  numbers_.emplace(key, next);                                         // may throw: an unused block stays
  block[next % block_size] = site;
  count_.store(next, std::memory_order_release);
  return next;
}

SourceLocation CreationSites::site(std::uint16_t number) const noexcept {
  // Number 0, and any number not handed out, name no site.
  if (number == 0 || number > count_.load(std::memory_order_acquire)) return SourceLocation{};
  return blocks_[number / block_size][number % block_size];
}

std::uint16_t number_and_remember(const SourceLocation& site, RememberedSite& slot) {
  const std::uint16_t number = creation_sites().number(site);
  slot = RememberedSite{site, number};
  return number;
}

CreationSites& creation_sites() {
  static auto* const sites = new CreationSites(CreationSites::largest_capacity);
  return *sites;
}

}  // namespace simtime::detail

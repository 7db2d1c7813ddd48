#include "simtime/detail/creation_sites.hpp"

#include <fmt/format.h>

#include <functional>
#include <stdexcept>

namespace simtime::detail {

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
  // Never destroyed: tasks may be created and described during static destruction.
  static auto* const sites = new CreationSites(CreationSites::largest_capacity);
  return *sites;
}

}  // namespace simtime::detail

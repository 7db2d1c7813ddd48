// One word that holds nothing, a pointer to a `Plain`, or a pointer to a `Tagged`: the low
// bit, free in any pointer to a type aligned to two or more, says which. It keeps two kinds
// of link in the space of one (a task's wait, a task's waiters), so that frames stay small.
#pragma once

#include <cstdint>

namespace simtime::detail {

template <class Plain, class Tagged>
class TaggedPointer {
 public:
  TaggedPointer() = default;
  explicit TaggedPointer(Plain* plain) noexcept : bits_(reinterpret_cast<std::uintptr_t>(plain)) {}
  // Tagged may be incomplete here: whoever defines it asserts that it is aligned to two or more.
  explicit TaggedPointer(Tagged* tagged) noexcept : bits_(reinterpret_cast<std::uintptr_t>(tagged) | tag) {}

  [[nodiscard]] bool empty() const noexcept { return bits_ == 0; }
  [[nodiscard]] bool is_tagged() const noexcept { return (bits_ & tag) != 0; }
  /// The `Plain` pointed to, or null (empty, or it points to a `Tagged`).
  [[nodiscard]] Plain* plain() const noexcept { return is_tagged() ? nullptr : reinterpret_cast<Plain*>(bits_); }
  /// The `Tagged` pointed to, or null.
  [[nodiscard]] Tagged* tagged() const noexcept {
    return is_tagged() ? reinterpret_cast<Tagged*>(bits_ & ~tag) : nullptr;
  }
  [[nodiscard]] bool points_to(const Plain* plain) const noexcept {
    return bits_ == reinterpret_cast<std::uintptr_t>(plain);
  }
  [[nodiscard]] bool points_to(const Tagged* tagged) const noexcept {
    return bits_ == (reinterpret_cast<std::uintptr_t>(tagged) | tag);
  }

 private:
  static constexpr std::uintptr_t tag = 1;
  std::uintptr_t bits_ = 0;
};

}  // namespace simtime::detail

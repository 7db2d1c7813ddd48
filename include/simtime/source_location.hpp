// Where a task, a loop run or a synchronisation primitive was created, and where a task
// blocked: the diagnostics (deadlock reports, task names) print these.
//
// `SourceLocation` is `std::source_location` wherever the standard library provides it (g++
// 11 and later, clang 15 and later). libstdc++ 12 declares `std::source_location` only for a
// compiler with `__builtin_source_location`, which clang 14 lacks; there it is a type of the
// same interface built on the older `__builtin_FILE`/`__builtin_LINE` family, so the library
// compiles with Debian 12's clang 14 as well.
#pragma once

#include <version>

#if defined(__cpp_lib_source_location)
#include <source_location>
#else
#include <cstdint>
#endif

namespace simtime {

#if defined(__cpp_lib_source_location)

using SourceLocation = std::source_location;

#else

class SourceLocation {
 public:
  // constexpr rather than consteval: clang 14 rejects a consteval call in a default argument.
  static constexpr SourceLocation current(const char* file = __builtin_FILE(),
                                          const char* function = __builtin_FUNCTION(),
                                          std::uint_least32_t line = __builtin_LINE(),
                                          std::uint_least32_t column = __builtin_COLUMN()) noexcept {
    SourceLocation here;
    here.file_ = file;
    here.function_ = function;
    here.line_ = line;
    here.column_ = column;
    return here;
  }

  constexpr SourceLocation() noexcept = default;

  [[nodiscard]] constexpr const char* file_name() const noexcept { return file_; }
  [[nodiscard]] constexpr const char* function_name() const noexcept { return function_; }
  [[nodiscard]] constexpr std::uint_least32_t line() const noexcept { return line_; }
  [[nodiscard]] constexpr std::uint_least32_t column() const noexcept { return column_; }

 private:
  const char* file_ = "";
  const char* function_ = "";
  std::uint_least32_t line_ = 0;
  std::uint_least32_t column_ = 0;
};

#endif

}  // namespace simtime

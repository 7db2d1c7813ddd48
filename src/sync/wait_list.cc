#include "simtime/sync/detail/wait_list.hpp"

#include <fmt/format.h>

#include <iterator>

#include "simtime/errors.hpp"

namespace simtime::detail {

void SyncIdentity::append_to(std::string& out) const {
  auto it = std::back_inserter(out);
  if (name_.empty()) {
    fmt::format_to(it, "{} (created at {}:{})", kind_, created_at_.file_name(), created_at_.line());
  } else {
    fmt::format_to(it, "{} '{}' (created at {}:{})", kind_, name_, created_at_.file_name(), created_at_.line());
  }
}

std::string SyncIdentity::str() const {
  std::string out;
  append_to(out);
  return out;
}

void append_awaited_at(std::string& out, SourceLocation where) {
  fmt::format_to(std::back_inserter(out), ", awaited at {}:{}", where.file_name(), where.line());
}

void append_destroyed(std::string& out, const char* kind, SourceLocation where) {
  fmt::format_to(std::back_inserter(out), "{} (destroyed while the task waited on it)", kind);
  append_awaited_at(out, where);
}

void throw_destroyed(const char* kind, const char* operation) {
  throw InvalidStateError(fmt::format("{}: the {} was destroyed while this task waited on it", operation, kind));
}

}  // namespace simtime::detail

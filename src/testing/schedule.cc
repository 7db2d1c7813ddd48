#include "simtime/testing/schedule.hpp"

#include <fmt/format.h>

#include <charconv>
#include <limits>
#include <system_error>

namespace simtime::testing {
namespace {

constexpr std::string_view version_prefix = "s1:";

[[noreturn]] void malformed(std::string_view token, std::string_view what) {
  throw ScheduleTokenError(fmt::format("schedule token '{}': {}", token, what));
}

// A decimal number without sign or leading '+', fitting in T.
template <class T>
std::optional<T> number(std::string_view text) {
  T value{};
  if (text.empty()) return std::nullopt;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t at = text.find(separator, start);
    parts.push_back(text.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) return parts;
    start = at + 1;
  }
}

}  // namespace

std::string Schedule::token() const {
  std::string out = fmt::format("s1:{}", decisions.size());
  bool first = true;
  for (std::size_t i = 0; i < decisions.size(); ++i) {
    if (decisions[i] == 0) continue;
    fmt::format_to(std::back_inserter(out), "{}{}={}", first ? ":" : ",", i, decisions[i]);
    first = false;
  }
  if (jitter) {
    if (first) out += ':';
    fmt::format_to(std::back_inserter(out), ":j{}@{}", jitter->bound.count(), jitter->seed);
  }
  return out;
}

std::size_t Schedule::deviations() const noexcept {
  std::size_t count = 0;
  for (const std::uint32_t decision : decisions) count += decision != 0 ? 1 : 0;
  return count;
}

Schedule Schedule::parse(std::string_view token) {
  if (token.substr(0, version_prefix.size()) != version_prefix) {
    if (token.size() > 1 && token[0] == 's' && token.find(':') != std::string_view::npos) {
      malformed(token, fmt::format("version '{}' is not one this simtime reads (it reads 's1')",
                                   token.substr(0, token.find(':'))));
    }
    malformed(token, "does not start with 's1:' (not a simtime schedule token)");
  }
  const std::vector<std::string_view> fields = split(token.substr(version_prefix.size()), ':');
  if (fields.size() > 3) malformed(token, "has more than 3 fields after 's1:' (count, deviations, jitter)");
  Schedule schedule;
  const std::optional<std::uint32_t> count = number<std::uint32_t>(fields[0]);
  if (!count) malformed(token, fmt::format("the decision count '{}' is not a number", fields[0]));
  constexpr std::uint32_t most_decisions = 1u << 24;  // a typo must not allocate gigabytes
  if (*count > most_decisions) {
    malformed(token, fmt::format("the decision count {} is beyond the {} a token may hold", *count, most_decisions));
  }
  schedule.decisions.assign(*count, 0);
  if (fields.size() >= 2 && !fields[1].empty()) {
    std::optional<std::uint64_t> previous;
    for (const std::string_view deviation : split(fields[1], ',')) {
      const std::size_t equals = deviation.find('=');
      const std::optional<std::uint64_t> at =
          equals == std::string_view::npos ? std::nullopt : number<std::uint64_t>(deviation.substr(0, equals));
      const std::optional<std::uint32_t> index =
          equals == std::string_view::npos ? std::nullopt : number<std::uint32_t>(deviation.substr(equals + 1));
      if (!at || !index) {
        malformed(token, fmt::format("deviation '{}' is not <decision>=<index> in decimal", deviation));
      }
      if (*at >= *count) {
        malformed(token, fmt::format("deviation '{}' is at decision {}, past the token's {} decisions", deviation, *at,
                                     *count));
      }
      if (previous && *at <= *previous) {
        malformed(token, fmt::format("deviation '{}' does not come after decision {}", deviation, *previous));
      }
      if (*index == 0) malformed(token, fmt::format("deviation '{}' spells out a FIFO choice (0)", deviation));
      schedule.decisions[*at] = *index;
      previous = at;
    }
  }
  if (fields.size() == 3) {
    const std::string_view field = fields[2];
    const std::size_t at = field.find('@');
    const std::optional<std::int64_t> bound = field.size() < 2 || field[0] != 'j' || at == std::string_view::npos
                                                  ? std::nullopt
                                                  : number<std::int64_t>(field.substr(1, at - 1));
    const std::optional<std::uint64_t> seed =
        bound ? number<std::uint64_t>(field.substr(at + 1)) : std::optional<std::uint64_t>{};
    if (!bound || !seed) malformed(token, fmt::format("jitter '{}' is not j<bound ns>@<seed> in decimal", field));
    schedule.jitter = Jitter{Duration{*bound}, *seed};
  }
  return schedule;
}

std::size_t Replay::choose(const ScheduleChoice& choice) {
  const std::uint64_t decision = taken_++;
  if (decision >= decisions_.size()) {
    throw ScheduleMismatch(decision, fmt::format("schedule mismatch at decision {}: the schedule has only {} "
                                                 "decisions and the program asks for more (a token recorded for "
                                                 "another program, or the program changed)",
                                                 decision, decisions_.size()));
  }
  const std::uint32_t index = decisions_[decision];
  if (index >= choice.candidates.size()) {
    throw ScheduleMismatch(decision,
                           fmt::format("schedule mismatch at decision {}: the schedule chooses index {}, but only {} "
                                       "tasks are runnable (indexes 0 to {})",
                                       decision, index, choice.candidates.size(), choice.candidates.size() - 1));
  }
  return index;
}

void Replay::finish() const {
  if (taken_ < decisions_.size()) {
    throw ScheduleMismatch(taken_, fmt::format("schedule mismatch at decision {}: the run ended after {} decisions, "
                                               "but the schedule has {}",
                                               taken_, taken_, decisions_.size()));
  }
}

}  // namespace simtime::testing

#include "simtime/testing/matchers.hpp"

#include <fmt/format.h>

#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace simtime::testing {
namespace {

using ::testing::MatchResultListener;

std::string quoted_list(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "'" : ", '") + name + "'";
  return out;
}

// "no event named 'x'; marks seen: 'a', 'b'; tasks: 'Task-1', 'worker'".
std::string no_such_name(const Trace& trace, const std::string& name) {
  std::string marks;
  for (std::string_view label : trace.mark_labels()) {
    marks += fmt::format("{}'{}'", marks.empty() ? "" : ", ", label);
  }
  std::string tasks;
  for (const TraceTask& task : trace.tasks()) tasks += fmt::format("{}'{}'", tasks.empty() ? "" : ", ", task.name);
  return fmt::format("no event named '{}'; marks seen: {}; tasks: {}", name, marks.empty() ? "none" : marks,
                     tasks.empty() ? "none" : tasks);
}

enum class Occurrence { wake, end };

// What a name stands for in a trace: a mark's first occurrence, else a task's first wake-up
// or its end. `why` says what went wrong when there is none.
struct Found {
  std::optional<TraceEvent> event;
  std::string what;  // "mark 'x'", "task 'x' woke", ...
  std::string why;
};

Found find(const Trace& trace, const std::string& name, Occurrence occurrence) {
  const std::vector<TraceEvent> marks = trace.select(marks_named(name));
  if (!marks.empty()) return Found{marks.front(), fmt::format("mark '{}'", name), {}};
  if (!trace.task_named(name)) return Found{std::nullopt, {}, no_such_name(trace, name)};
  const std::vector<TraceEvent> events = trace.select(of_task(name));
  if (occurrence == Occurrence::end) {
    for (const TraceEvent& event : events) {
      if (event.kind == EventKind::task_finished) return Found{event, fmt::format("task '{}' ended", name), {}};
    }
    return Found{std::nullopt, {}, fmt::format("task '{}' never ended", name)};
  }
  bool waited = false;
  for (const TraceEvent& event : events) {
    if (event.kind == EventKind::step_ended) waited = true;
    if (waited && event.kind == EventKind::step_began) return Found{event, fmt::format("task '{}' woke", name), {}};
  }
  return Found{std::nullopt,
               {},
               fmt::format("task '{}' never woke up (it {})", name,
                           waited ? "never ran again after it waited" : "never waited")};
}

std::string line(const Found& found) {
  return fmt::format("{} at {} (event {})", found.what, format_time(found.event->time), found.event->sequence);
}

class WokeInOrderMatcher : public ::testing::MatcherInterface<const Trace&> {
 public:
  explicit WokeInOrderMatcher(std::vector<std::string> names) : names_(std::move(names)) {}

  bool MatchAndExplain(const Trace& trace, MatchResultListener* listener) const override {
    std::vector<Found> found;
    for (const std::string& name : names_) {
      found.push_back(find(trace, name, Occurrence::wake));
      if (!found.back().event) {
        *listener << found.back().why;
        return false;
      }
    }
    std::string lines;
    for (const Found& one : found) lines += "\n  " + line(one);
    for (std::size_t i = 1; i < found.size(); ++i) {
      if (found[i].event->sequence <= found[i - 1].event->sequence) {
        *listener << fmt::format("'{}' came before '{}':{}", names_[i], names_[i - 1], lines);
        return false;
      }
    }
    *listener << "in that order:" << lines;
    return true;
  }
  void DescribeTo(std::ostream* out) const override { *out << "woke in the order " << quoted_list(names_); }
  void DescribeNegationTo(std::ostream* out) const override {
    *out << "did not wake in the order " << quoted_list(names_);
  }

 private:
  std::vector<std::string> names_;
};

class HappenedBeforeMatcher : public ::testing::MatcherInterface<const Trace&> {
 public:
  HappenedBeforeMatcher(std::string first, std::string second) : first_(std::move(first)), second_(std::move(second)) {}

  bool MatchAndExplain(const Trace& trace, MatchResultListener* listener) const override {
    const Found first = find(trace, first_, Occurrence::end);
    if (!first.event) {
      *listener << first.why;
      return false;
    }
    const Found second = find(trace, second_, Occurrence::end);
    if (!second.event) {
      *listener << second.why;
      return false;
    }
    const bool before = first.event->sequence < second.event->sequence;
    *listener << line(first) << (before ? ", before " : ", not before ") << line(second);
    return before;
  }
  void DescribeTo(std::ostream* out) const override {
    *out << "has '" << first_ << "' happen before '" << second_ << "'";
  }
  void DescribeNegationTo(std::ostream* out) const override {
    *out << "does not have '" << first_ << "' happen before '" << second_ << "'";
  }

 private:
  std::string first_;
  std::string second_;
};

class HappenedAtMatcher : public ::testing::MatcherInterface<const Trace&> {
 public:
  HappenedAtMatcher(std::string name, Duration at) : name_(std::move(name)), at_(at) {}

  bool MatchAndExplain(const Trace& trace, MatchResultListener* listener) const override {
    const Found found = find(trace, name_, Occurrence::end);
    if (!found.event) {
      *listener << found.why;
      return false;
    }
    const TimePoint expected{at_};
    const bool at = found.event->time == expected;
    *listener << line(found);
    if (!at) {
      const Duration off = found.event->time - expected;
      *listener << fmt::format(", {} {} than expected", format_duration(off < Duration::zero() ? -off : off),
                               off < Duration::zero() ? "earlier" : "later");
    }
    return at;
  }
  void DescribeTo(std::ostream* out) const override {
    *out << "has '" << name_ << "' happen at " << format_duration(at_);
  }
  void DescribeNegationTo(std::ostream* out) const override {
    *out << "does not have '" << name_ << "' happen at " << format_duration(at_);
  }

 private:
  std::string name_;
  Duration at_;
};

class ElapsedIsMatcher : public ::testing::MatcherInterface<const Trace&> {
 public:
  explicit ElapsedIsMatcher(Duration elapsed) : elapsed_(elapsed) {}

  bool MatchAndExplain(const Trace& trace, MatchResultListener* listener) const override {
    *listener << fmt::format("it spans {}, from {} to {}", format_duration(trace.elapsed()),
                             format_time(trace.begin_time()), format_time(trace.end_time()));
    return trace.elapsed() == elapsed_;
  }
  void DescribeTo(std::ostream* out) const override { *out << "spans exactly " << format_duration(elapsed_); }
  void DescribeNegationTo(std::ostream* out) const override {
    *out << "does not span exactly " << format_duration(elapsed_);
  }

 private:
  Duration elapsed_;
};

class EventsMatcher : public ::testing::MatcherInterface<const Trace&> {
 public:
  EventsMatcher(EventFilter filter, ::testing::Matcher<const std::vector<TraceEvent>&> events)
      : kind_(filter.kind), task_(filter.task), mark_(filter.mark), events_(std::move(events)) {}

  bool MatchAndExplain(const Trace& trace, MatchResultListener* listener) const override {
    if (!task_.empty() && !trace.task_named(task_)) {
      *listener << no_such_name(trace, task_);
      return false;
    }
    const std::vector<TraceEvent> selected = trace.select(EventFilter{kind_, task_, mark_});
    ::testing::StringMatchResultListener inner;
    const bool matched = events_.MatchAndExplain(selected, &inner);
    *listener << fmt::format("selects {} event{}", selected.size(), selected.size() == 1 ? "" : "s");
    constexpr std::size_t most_listed = 20;  // the relevant slice, not the whole trace
    for (std::size_t i = 0; i < selected.size() && i < most_listed; ++i)
      *listener << "\n  " << format_event(selected[i]);
    if (selected.size() > most_listed) *listener << "\n  ... and " << selected.size() - most_listed << " more";
    if (!inner.str().empty()) *listener << "\n" << inner.str();
    return matched;
  }
  void DescribeTo(std::ostream* out) const override {
    *out << "has " << selection() << " matching: ";
    events_.DescribeTo(out);
  }
  void DescribeNegationTo(std::ostream* out) const override {
    *out << "has " << selection() << " matching: ";
    events_.DescribeNegationTo(out);
  }

 private:
  std::string selection() const {
    std::string out = "events";
    if (kind_) fmt::format_to(std::back_inserter(out), " of kind {}", to_string(*kind_));
    if (!task_.empty()) fmt::format_to(std::back_inserter(out), " of task '{}'", task_);
    if (!mark_.empty()) fmt::format_to(std::back_inserter(out), " labelled '{}'", mark_);
    return out;
  }

  std::optional<EventKind> kind_;
  std::string task_;  // owned: a filter's views may not outlive the expression that made it
  std::string mark_;
  ::testing::Matcher<const std::vector<TraceEvent>&> events_;
};

}  // namespace

namespace detail {
::testing::Matcher<const Trace&> woke_in_order(std::vector<std::string> names) {
  return ::testing::MakeMatcher(new WokeInOrderMatcher(std::move(names)));
}
}  // namespace detail

::testing::Matcher<const Trace&> HappenedBefore(std::string first, std::string second) {
  return ::testing::MakeMatcher(new HappenedBeforeMatcher(std::move(first), std::move(second)));
}

::testing::Matcher<const Trace&> HappenedAt(std::string name, Duration at) {
  return ::testing::MakeMatcher(new HappenedAtMatcher(std::move(name), at));
}

::testing::Matcher<const Trace&> ElapsedIs(Duration elapsed) {
  return ::testing::MakeMatcher(new ElapsedIsMatcher(elapsed));
}

::testing::Matcher<const Trace&> Events(EventFilter filter, ::testing::Matcher<const std::vector<TraceEvent>&> events) {
  return ::testing::MakeMatcher(new EventsMatcher(filter, std::move(events)));
}

}  // namespace simtime::testing

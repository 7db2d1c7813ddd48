// Trace: a record of every event of a loop's runs, with exact virtual times.
//
//   simtime::VirtualClock clock;
//   simtime::Loop loop(clock);
//   simtime::testing::Trace trace;
//   loop.set_trace(&trace);
//   loop.run(main());
//   fmt::print("{}", trace);                    // a timeline: one row per task
//   trace.write_chrome_json("run.json");        // for Perfetto UI or chrome://tracing
//
// The loop tells the trace of each task created, step begun and ended (with what the task
// then waits on, in the words of the deadlock report), timer armed and fired, cancellation
// requested (and by which task), task finished (returned, threw, cancelled), and each
// `mark(label)` made from a coroutine. Every event carries its sequence number (its index
// in the trace) and the loop's time in exact nanoseconds. Recording observes and never
// changes (rule 20): a run with a trace installed is the run without one, event for event.
//
// Memory: an event is a 32-byte record; names, wait descriptions and exception texts are
// interned (stored once however often they occur), and a sleep is kept as its deadline.
//
// Lifetime: a trace serves one loop at a time; installing it on a second loop while the
// first still has it throws std::logic_error. It detaches itself when the loop is destroyed
// or when it is destroyed first. It is not thread-safe: read it once the run is over.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <deque>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "simtime/clock.hpp"
#include "simtime/detail/trace_sink.hpp"

namespace simtime::testing {

/// What an event of a trace records.
enum class EventKind : std::uint8_t {
  task_created,      // text: where (file:line)
  step_began,        //
  step_ended,        // the task suspended; text or deadline: what it now waits on
  timer_armed,       // deadline: when it is due; is_sleep: a sleep rather than a time limit
  timer_fired,       // is_sleep as above
  cancel_requested,  // by_task: the task that asked (0: not a task, e.g. a time limit)
  task_finished,     // outcome; text: the exception's what() when it threw
  mark,              // text: the label given to mark()
};

/// "task_created", "step_ended", ...
[[nodiscard]] std::string_view to_string(EventKind kind) noexcept;

/// How a task ended.
enum class Outcome : std::uint8_t { none, returned, threw, cancelled };

/// "returned", "threw", "cancelled" ("" for none).
[[nodiscard]] std::string_view to_string(Outcome outcome) noexcept;

/// One event, as read from a Trace; its string views point into the trace, which must
/// outlive them.
struct TraceEvent {
  std::uint64_t sequence = 0;  // its index in the trace, counting from 0
  EventKind kind = EventKind::mark;
  TimePoint time{};
  std::uint64_t task = 0;             // Task::id() of the task it concerns; 0: none (a mark outside tasks)
  std::string_view task_name;         // that task's name ("" for none)
  std::string_view text;              // see EventKind; empty when the wait is a sleep (see deadline)
  std::optional<TimePoint> deadline;  // timer_armed, and step_ended waiting on a sleep
  std::uint64_t by_task = 0;          // cancel_requested
  Outcome outcome = Outcome::none;    // task_finished
  bool is_sleep = false;              // timer_armed, timer_fired

  /// What the task waits on after a step_ended: "sleep until 5s", "task 'x'", ...
  [[nodiscard]] std::string wait_reason() const;
};

/// "[12] 5s 'worker' step_ended: sleep until 10s": one line, as the timeline's slices show it.
[[nodiscard]] std::string format_event(const TraceEvent& event);
std::ostream& operator<<(std::ostream& out, const TraceEvent& event);

/// Which events `Trace::select` returns; an empty field matches every event.
struct EventFilter {
  std::optional<EventKind> kind;
  std::string_view task;  // the task's name
  std::string_view mark;  // a mark's label (implies kind mark)
};
/// The events of the task named `name`.
[[nodiscard]] inline EventFilter of_task(std::string_view name) { return EventFilter{{}, name, {}}; }
/// The marks labelled `label`.
[[nodiscard]] inline EventFilter marks_named(std::string_view label) { return EventFilter{EventKind::mark, {}, label}; }
/// Every event of one kind.
[[nodiscard]] inline EventFilter of_kind(EventKind kind) { return EventFilter{kind, {}, {}}; }

/// What a task of the trace is.
struct TraceTask {
  std::uint64_t id = 0;
  std::string_view name;
  std::string_view created_at;  // "file:line"
};

class Trace final : public detail::TraceSink {
 public:
  Trace() = default;
  /// Detaches from the loop it is installed on, if any.
  ~Trace();
  Trace(const Trace&) = delete;
  Trace& operator=(const Trace&) = delete;
  /// Moves a trace that is not installed; throws std::logic_error if it is.
  Trace(Trace&& other);
  Trace& operator=(Trace&&) = delete;

  [[nodiscard]] std::size_t size() const noexcept { return events_.size(); }
  [[nodiscard]] bool empty() const noexcept { return events_.empty(); }
  /// The event with sequence number `sequence`. Throws std::out_of_range past the end.
  [[nodiscard]] TraceEvent event(std::size_t sequence) const;
  /// Every event, in order.
  [[nodiscard]] std::vector<TraceEvent> events() const;
  /// The events `filter` selects, in order.
  [[nodiscard]] std::vector<TraceEvent> select(const EventFilter& filter) const;
  /// Every task, in creation order.
  [[nodiscard]] std::vector<TraceTask> tasks() const;
  /// The id of the first task named `name`, if any.
  [[nodiscard]] std::optional<std::uint64_t> task_named(std::string_view name) const;
  /// Every distinct mark label, in order of first occurrence.
  [[nodiscard]] std::vector<std::string_view> mark_labels() const;

  /// The time of the first and of the last event (zero for an empty trace).
  [[nodiscard]] TimePoint begin_time() const noexcept;
  [[nodiscard]] TimePoint end_time() const noexcept;
  /// end_time() - begin_time().
  [[nodiscard]] Duration elapsed() const noexcept { return end_time() - begin_time(); }

  /// The text timeline: one row per task, virtual time across, at most `width` columns
  /// (at least 60), with a legend and the marks below.
  [[nodiscard]] std::string timeline(std::size_t width = 100) const;
  /// The events with sequence numbers in [first, last], one line each (format_event).
  [[nodiscard]] std::string slice(std::size_t first, std::size_t last) const;

  /// Chrome trace-event JSON (Perfetto UI, chrome://tracing): one track per task, a slice
  /// per step and per wait, marks as instant events; microseconds, exact ns in args.
  [[nodiscard]] std::string to_chrome_json() const;
  /// Streams the same JSON to `path`. Throws std::runtime_error naming the path and the
  /// operating system's error if it cannot be written.
  void write_chrome_json(const std::string& path) const;
  /// Streams the same JSON to `out`.
  void write_chrome_json(std::ostream& out) const;

  /// Forgets every event and task (the trace stays installed).
  void clear();
  /// Bytes held per event on average: the records, the task table and the interned strings
  /// (not the spare capacity of the vector of records, up to as much again while it grows).
  [[nodiscard]] double bytes_per_event() const noexcept;

  // -- detail::TraceSink: called by the loop --
  void on_task_created(const detail::TaskState& task, TimePoint now) override;
  void on_step_began(const detail::TaskState& task, TimePoint now) override;
  void on_step_ended(const detail::TaskState& task, TimePoint now) override;
  void on_task_finished(const detail::TaskState& task, TimePoint now) override;
  void on_timer_armed(const detail::TaskState* task, TimePoint deadline, bool is_sleep, TimePoint now) override;
  void on_timer_fired(const detail::TaskState* task, bool is_sleep, TimePoint now) override;
  void on_cancel_requested(const detail::TaskState& task, const detail::TaskState* by, TimePoint now) override;
  void on_mark(const detail::TaskState* task, std::string_view label, TimePoint now) override;
  void on_loop_closed(const Loop& loop) noexcept override;
  void on_installed(const Loop& loop) override;
  void on_removed(const Loop& loop) noexcept override;

 private:
  // 32 bytes: the sequence number is the index, strings are numbers in strings_.
  struct Record {
    std::int64_t time_ns;
    std::int64_t deadline_ns;  // timer_armed, step_ended on a sleep; else unused
    std::uint64_t task : 40;
    std::uint64_t kind : 4;
    std::uint64_t outcome : 2;
    std::uint64_t is_sleep : 1;
    std::uint64_t has_deadline : 1;
    std::uint32_t text;     // an index in strings_ (0: "")
    std::uint32_t by_task;  // cancel_requested
  };
  struct TaskRecord {
    std::uint32_t name;  // index in strings_
    std::uint32_t site;
  };

  std::uint32_t intern(std::string_view text);
  void append(EventKind kind, std::uint64_t task, TimePoint now, std::uint32_t text = 0);
  [[nodiscard]] TraceEvent view(std::size_t sequence) const;
  [[nodiscard]] std::string_view name_of(std::uint64_t task) const;
  void write_chrome_json_to(std::string& buffer, std::ostream* out) const;

  std::vector<Record> events_;
  std::vector<TaskRecord> tasks_;    // by Task::id() - 1
  std::deque<std::string> strings_;  // a deque: views into its strings stay valid as it grows
  std::unordered_map<std::string_view, std::uint32_t> string_index_;
  std::string scratch_;           // describe_wait's output, reused
  const Loop* loop_ = nullptr;    // the loop it is installed on
  std::uint64_t sleep_task_ = 0;  // the task that armed a sleep in the step under way
  std::int64_t sleep_deadline_ = 0;
};

/// Records `label` in the running loop's trace, if it has one, with the current task and
/// time. Throws std::runtime_error outside a running loop.
void mark(std::string_view label);

/// Lets GoogleTest print a trace on a failed assertion: its timeline.
void PrintTo(const Trace& trace, std::ostream* out);
void PrintTo(const TraceEvent& event, std::ostream* out);

}  // namespace simtime::testing

// `fmt::format("{}", trace)` gives its timeline, `fmt::format("{}", event)` its line.
template <>
struct fmt::formatter<simtime::testing::Trace> : fmt::formatter<std::string_view> {
  template <class FormatContext>
  auto format(const simtime::testing::Trace& trace, FormatContext& context) const {
    return fmt::formatter<std::string_view>::format(trace.timeline(), context);
  }
};
template <>
struct fmt::formatter<simtime::testing::TraceEvent> : fmt::formatter<std::string_view> {
  template <class FormatContext>
  auto format(const simtime::testing::TraceEvent& event, FormatContext& context) const {
    return fmt::formatter<std::string_view>::format(simtime::testing::format_event(event), context);
  }
};

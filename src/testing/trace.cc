// Recording a trace, and reading it back.
#include "simtime/testing/trace.hpp"

#include <fmt/format.h>

#include <exception>
#include <ostream>
#include <stdexcept>
#include <utility>

#include "simtime/detail/task_state.hpp"
#include "simtime/loop.hpp"

namespace simtime::testing {

std::string_view to_string(EventKind kind) noexcept {
  switch (kind) {
    case EventKind::task_created:
      return "task_created";
    case EventKind::step_began:
      return "step_began";
    case EventKind::step_ended:
      return "step_ended";
    case EventKind::timer_armed:
      return "timer_armed";
    case EventKind::timer_fired:
      return "timer_fired";
    case EventKind::cancel_requested:
      return "cancel_requested";
    case EventKind::task_finished:
      return "task_finished";
    case EventKind::mark:
      return "mark";
  }
  return "unknown";
}

std::string_view to_string(Outcome outcome) noexcept {
  switch (outcome) {
    case Outcome::none:
      return "";
    case Outcome::returned:
      return "returned";
    case Outcome::threw:
      return "threw";
    case Outcome::cancelled:
      return "cancelled";
  }
  return "";
}

std::string TraceEvent::wait_reason() const {
  if (kind != EventKind::step_ended) return {};
  if (deadline) return "sleep until " + format_time(*deadline);
  return std::string(text);
}

std::string format_event(const TraceEvent& event) {
  std::string line = fmt::format("[{}] {} ", event.sequence, format_time(event.time));
  if (event.task != 0) {
    fmt::format_to(std::back_inserter(line), "'{}' ", event.task_name);
  } else {
    line += "(no task) ";
  }
  line += to_string(event.kind);
  switch (event.kind) {
    case EventKind::task_created:
      fmt::format_to(std::back_inserter(line), " at {}", event.text);
      break;
    case EventKind::step_ended:
      fmt::format_to(std::back_inserter(line), ": {}", event.wait_reason());
      break;
    case EventKind::timer_armed:
      fmt::format_to(std::back_inserter(line), ": {} due at {}", event.is_sleep ? "sleep" : "time limit",
                     format_time(event.deadline.value_or(TimePoint{})));
      break;
    case EventKind::timer_fired:
      line += event.is_sleep ? ": sleep" : ": time limit";
      break;
    case EventKind::cancel_requested:
      line += event.by_task != 0 ? fmt::format(" by task {}", event.by_task) : std::string(" (not by a task)");
      break;
    case EventKind::task_finished:
      fmt::format_to(std::back_inserter(line), ": {}", to_string(event.outcome));
      if (event.outcome == Outcome::threw) fmt::format_to(std::back_inserter(line), " {}", event.text);
      break;
    case EventKind::mark:
      fmt::format_to(std::back_inserter(line), " '{}'", event.text);
      break;
    case EventKind::step_began:
      break;
  }
  return line;
}

std::ostream& operator<<(std::ostream& out, const TraceEvent& event) { return out << format_event(event); }

void PrintTo(const TraceEvent& event, std::ostream* out) { *out << format_event(event); }

void PrintTo(const Trace& trace, std::ostream* out) { *out << "\n" << trace.timeline(); }

Trace::~Trace() {
  if (loop_ == nullptr) return;
  try {
    // The loop keeps a pointer to its trace: take it back. A trace destroyed while its loop
    // runs (from inside a coroutine) cannot be taken back; that is a bug in the caller.
    const_cast<Loop*>(loop_)->set_trace(nullptr);
  } catch (const std::logic_error&) {
    std::terminate();
  }
}

Trace::Trace(Trace&& other)
    : events_(std::move(other.events_)),
      tasks_(std::move(other.tasks_)),
      strings_(std::move(other.strings_)),
      string_index_(std::move(other.string_index_)) {
  if (other.loop_ != nullptr) {
    throw std::logic_error("Trace: a trace cannot be moved while it is installed on a loop");
  }
  other.clear();
}

void Trace::clear() {
  events_.clear();
  tasks_.clear();
  strings_.clear();
  string_index_.clear();
  sleep_task_ = 0;
}

std::uint32_t Trace::intern(std::string_view text) {
  if (strings_.empty()) strings_.emplace_back();  // 0 is ""
  if (text.empty()) return 0;
  if (const auto found = string_index_.find(text); found != string_index_.end()) return found->second;
  const auto index = static_cast<std::uint32_t>(strings_.size());
  strings_.emplace_back(text);
  string_index_.emplace(strings_.back(), index);
  return index;
}

void Trace::append(EventKind kind, std::uint64_t task, TimePoint now, std::uint32_t text) {
  Record record{};
  record.time_ns = now.time_since_epoch().count();
  record.task = task;
  record.kind = static_cast<std::uint64_t>(kind);
  record.text = text;
  events_.push_back(record);
}

void Trace::on_task_created(const detail::TaskState& task, TimePoint now) {
  const std::uint64_t id = task.number;
  if (tasks_.size() < id) tasks_.resize(id, TaskRecord{0, 0});
  if (strings_.empty()) strings_.emplace_back();
  // Every unnamed task has a name of its own ("Task-N"): stored, not interned.
  std::uint32_t name = 0;
  if (task.named) {
    name = intern(task.name());
  } else {
    name = static_cast<std::uint32_t>(strings_.size());
    strings_.push_back(task.name());
  }
  const SourceLocation where = task.created_at();
  const std::uint32_t site = intern(fmt::format("{}:{}", where.file_name(), where.line()));
  tasks_[id - 1] = TaskRecord{name, site};
  append(EventKind::task_created, id, now, site);
}

void Trace::on_step_began(const detail::TaskState& task, TimePoint now) {
  sleep_task_ = 0;
  append(EventKind::step_began, task.number, now);
}

void Trace::on_step_ended(const detail::TaskState& task, TimePoint now) {
  scratch_.clear();
  if (!task.describe_wait(scratch_)) {
    scratch_ = task.queued ? "nothing: runnable (it yielded)" : "an awaitable simtime does not know";
  }
  constexpr std::string_view sleep_prefix = "sleep until ";
  if (sleep_task_ == task.number && std::string_view(scratch_).starts_with(sleep_prefix)) {
    // A sleep, the wait nearly every step ends in, is kept as its deadline.
    append(EventKind::step_ended, task.number, now);
    events_.back().deadline_ns = sleep_deadline_;
    events_.back().has_deadline = 1;
    return;
  }
  append(EventKind::step_ended, task.number, now, intern(scratch_));
}

void Trace::on_task_finished(const detail::TaskState& task, TimePoint now) {
  Outcome outcome = Outcome::returned;
  std::uint32_t text = 0;
  if (task.cancelled) {
    outcome = Outcome::cancelled;
  } else if (task.has_exception) {
    outcome = Outcome::threw;
    text = intern(exception_message(task.exception()));
  }
  append(EventKind::task_finished, task.number, now, text);
  events_.back().outcome = static_cast<std::uint64_t>(outcome);
}

void Trace::on_timer_armed(const detail::TaskState* task, TimePoint deadline, bool is_sleep, TimePoint now) {
  const std::uint64_t id = task != nullptr ? task->number : 0;
  append(EventKind::timer_armed, id, now);
  events_.back().deadline_ns = deadline.time_since_epoch().count();
  events_.back().has_deadline = 1;
  events_.back().is_sleep = is_sleep ? 1 : 0;
  if (is_sleep && id != 0) {
    sleep_task_ = id;
    sleep_deadline_ = deadline.time_since_epoch().count();
  }
}

void Trace::on_timer_fired(const detail::TaskState* task, bool is_sleep, TimePoint now) {
  append(EventKind::timer_fired, task != nullptr ? task->number : 0, now);
  events_.back().is_sleep = is_sleep ? 1 : 0;
}

void Trace::on_cancel_requested(const detail::TaskState& task, const detail::TaskState* by, TimePoint now) {
  append(EventKind::cancel_requested, task.number, now);
  events_.back().by_task = by != nullptr ? static_cast<std::uint32_t>(by->number) : 0;
}

void Trace::on_mark(const detail::TaskState* task, std::string_view label, TimePoint now) {
  append(EventKind::mark, task != nullptr ? task->number : 0, now, intern(label));
}

void Trace::on_loop_closed(const Loop& loop) noexcept {
  if (loop_ == &loop) loop_ = nullptr;
}

void Trace::on_installed(const Loop& loop) {
  if (loop_ != nullptr && loop_ != &loop) {
    throw std::logic_error(
        "Loop::set_trace: this trace is installed on another loop; a trace serves one loop at a time (remove it "
        "there with set_trace(nullptr) first)");
  }
  loop_ = &loop;
}

void Trace::on_removed(const Loop& loop) noexcept {
  if (loop_ == &loop) loop_ = nullptr;
}

std::string_view Trace::name_of(std::uint64_t task) const {
  if (task == 0 || task > tasks_.size()) return {};
  return strings_[tasks_[task - 1].name];
}

TraceEvent Trace::view(std::size_t sequence) const {
  const Record& record = events_[sequence];
  TraceEvent event;
  event.sequence = sequence;
  event.kind = static_cast<EventKind>(record.kind);
  event.time = TimePoint{Duration{record.time_ns}};
  event.task = record.task;
  event.task_name = name_of(record.task);
  if (record.text != 0) event.text = strings_[record.text];
  if (record.has_deadline != 0) event.deadline = TimePoint{Duration{record.deadline_ns}};
  event.by_task = record.by_task;
  event.outcome = static_cast<Outcome>(record.outcome);
  event.is_sleep = record.is_sleep != 0;
  return event;
}

TraceEvent Trace::event(std::size_t sequence) const {
  if (sequence >= events_.size()) {
    throw std::out_of_range(
        fmt::format("Trace::event: no event {}; the trace has {} events", sequence, events_.size()));
  }
  return view(sequence);
}

std::vector<TraceEvent> Trace::events() const {
  std::vector<TraceEvent> all;
  all.reserve(events_.size());
  for (std::size_t i = 0; i < events_.size(); ++i) all.push_back(view(i));
  return all;
}

std::vector<TraceEvent> Trace::select(const EventFilter& filter) const {
  std::vector<TraceEvent> selected;
  for (std::size_t i = 0; i < events_.size(); ++i) {
    const Record& record = events_[i];
    if (filter.kind && static_cast<EventKind>(record.kind) != *filter.kind) continue;
    if (!filter.mark.empty() &&
        (static_cast<EventKind>(record.kind) != EventKind::mark || strings_[record.text] != filter.mark)) {
      continue;
    }
    if (!filter.task.empty() && name_of(record.task) != filter.task) continue;
    selected.push_back(view(i));
  }
  return selected;
}

std::vector<TraceTask> Trace::tasks() const {
  std::vector<TraceTask> all;
  for (std::size_t i = 0; i < tasks_.size(); ++i) {
    if (tasks_[i].name == 0) continue;  // created before the trace was installed
    all.push_back(TraceTask{i + 1, strings_[tasks_[i].name], strings_[tasks_[i].site]});
  }
  return all;
}

std::optional<std::uint64_t> Trace::task_named(std::string_view name) const {
  for (std::size_t i = 0; i < tasks_.size(); ++i) {
    if (tasks_[i].name != 0 && strings_[tasks_[i].name] == name) return i + 1;
  }
  return std::nullopt;
}

std::vector<std::string_view> Trace::mark_labels() const {
  std::vector<std::string_view> labels;
  std::vector<bool> seen(strings_.size(), false);
  for (const Record& record : events_) {
    if (static_cast<EventKind>(record.kind) != EventKind::mark || seen[record.text]) continue;
    seen[record.text] = true;
    labels.push_back(strings_[record.text]);
  }
  return labels;
}

TimePoint Trace::begin_time() const noexcept {
  return events_.empty() ? TimePoint{} : TimePoint{Duration{events_.front().time_ns}};
}

TimePoint Trace::end_time() const noexcept {
  return events_.empty() ? TimePoint{} : TimePoint{Duration{events_.back().time_ns}};
}

std::string Trace::slice(std::size_t first, std::size_t last) const {
  std::string out;
  for (std::size_t i = first; i <= last && i < events_.size(); ++i) {
    out += format_event(view(i));
    out += '\n';
  }
  return out;
}

double Trace::bytes_per_event() const noexcept {
  if (events_.empty()) return 0;
  std::size_t bytes = events_.size() * sizeof(Record) + tasks_.size() * sizeof(TaskRecord);
  for (const std::string& text : strings_) bytes += sizeof(std::string) + (text.capacity() > 15 ? text.capacity() : 0);
  // A hash-table node per interned string: the view, the index, the hash and a link.
  bytes += string_index_.size() * (sizeof(std::string_view) + sizeof(std::uint32_t) + 2 * sizeof(void*)) +
           string_index_.bucket_count() * sizeof(void*);
  return static_cast<double>(bytes) / static_cast<double>(events_.size());
}

void mark(std::string_view label) { detail::trace_mark(label); }

}  // namespace simtime::testing

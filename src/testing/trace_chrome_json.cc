// A trace as Chrome trace-event JSON, which Perfetto UI and chrome://tracing open.
//
// One process (the loop), one track per task: tid is Task::id(), and a thread_name record
// gives the task's name. Each step is a complete ("X") event; each wait between two steps is
// one too, named after what the task waited on; marks, cancellations and ends are instant
// ("i") events. Timestamps are microseconds of virtual time, written with three decimals so
// that they are exact; every event also carries its exact nanoseconds and sequence number
// in `args`. The writer streams: it never holds more than a small buffer of the text.
#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "simtime/testing/trace.hpp"

namespace simtime::testing {
namespace {

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          fmt::format_to(std::back_inserter(out), "\\u{:04x}", static_cast<unsigned>(c));
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

// Microseconds with the nanoseconds as three exact decimals: 2000000.000.
std::string microseconds(TimePoint t) {
  const std::int64_t ns = t.time_since_epoch().count();
  const char* sign = ns < 0 ? "-" : "";
  const std::uint64_t magnitude = ns < 0 ? 0 - static_cast<std::uint64_t>(ns) : static_cast<std::uint64_t>(ns);
  return fmt::format("{}{}.{:03}", sign, magnitude / 1000, magnitude % 1000);
}

struct OpenWait {
  bool open = false;
  TimePoint since{};
  std::size_t sequence = 0;
  std::string reason;
};

}  // namespace

void Trace::write_chrome_json_to(std::string& buffer, std::ostream* out) const {
  constexpr std::size_t flush_at = 1 << 16;
  bool first = true;
  auto begin_event = [&] {
    if (out != nullptr && buffer.size() > flush_at) {
      out->write(buffer.data(), static_cast<std::streamsize>(buffer.size()));
      buffer.clear();
    }
    buffer += first ? "\n" : ",\n";
    first = false;
  };
  auto instant = [&](const TraceEvent& event, std::string_view name, std::string_view category) {
    begin_event();
    buffer += R"({"ph":"i","s":"t","pid":1,"tid":)";
    fmt::format_to(std::back_inserter(buffer), "{},\"ts\":{},\"name\":", event.task, microseconds(event.time));
    append_json_string(buffer, name);
    buffer += ",\"cat\":";
    append_json_string(buffer, category);
    fmt::format_to(std::back_inserter(buffer), ",\"args\":{{\"ns\":{},\"seq\":{}}}}}",
                   event.time.time_since_epoch().count(), event.sequence);
  };
  auto complete = [&](std::uint64_t task, TimePoint from, TimePoint to, std::string_view name,
                      std::string_view category, std::size_t sequence) {
    begin_event();
    buffer += R"({"ph":"X","pid":1,"tid":)";
    fmt::format_to(std::back_inserter(buffer), "{},\"ts\":{},\"dur\":{},\"name\":", task, microseconds(from),
                   microseconds(TimePoint{to - from}));
    append_json_string(buffer, name);
    buffer += ",\"cat\":";
    append_json_string(buffer, category);
    fmt::format_to(std::back_inserter(buffer), ",\"args\":{{\"begin_ns\":{},\"end_ns\":{},\"seq\":{}}}}}",
                   from.time_since_epoch().count(), to.time_since_epoch().count(), sequence);
  };

  buffer += R"({"displayTimeUnit":"ns","otherData":{"clock":"simtime virtual time"},"traceEvents":[)";
  begin_event();
  buffer += R"({"ph":"M","pid":1,"name":"process_name","args":{"name":"simtime loop"}})";
  for (const TraceTask& task : tasks()) {
    begin_event();
    fmt::format_to(std::back_inserter(buffer), R"({{"ph":"M","pid":1,"tid":{},"name":"thread_name","args":{{"name":)",
                   task.id);
    append_json_string(buffer, task.name);
    buffer += "}}";
    begin_event();
    fmt::format_to(std::back_inserter(buffer),
                   R"({{"ph":"M","pid":1,"tid":{},"name":"thread_sort_index","args":{{"sort_index":{}}}}})", task.id,
                   task.id);
  }
  std::vector<OpenWait> waits(tasks_.size() + 1);
  auto close_wait = [&](std::uint64_t task, TimePoint at) {
    if (task >= waits.size() || !waits[task].open) return;
    OpenWait& wait = waits[task];
    complete(task, wait.since, at, wait.reason, "wait", wait.sequence);
    wait.open = false;
  };
  for (std::size_t i = 0; i < events_.size(); ++i) {
    const TraceEvent event = view(i);
    switch (event.kind) {
      case EventKind::step_began:
        close_wait(event.task, event.time);
        complete(event.task, event.time, event.time, "step", "step", event.sequence);
        break;
      case EventKind::step_ended:
        if (event.task < waits.size())
          waits[event.task] = OpenWait{true, event.time, event.sequence, event.wait_reason()};
        break;
      case EventKind::task_finished:
        close_wait(event.task, event.time);
        instant(event,
                event.outcome == Outcome::threw ? fmt::format("threw: {}", event.text)
                                                : std::string(to_string(event.outcome)),
                "end");
        break;
      case EventKind::mark:
        instant(event, event.text, "mark");
        break;
      case EventKind::cancel_requested:
        instant(event,
                event.by_task != 0 ? fmt::format("cancel requested by '{}'", name_of(event.by_task))
                                   : std::string("cancel requested"),
                "cancel");
        break;
      default:
        break;
    }
  }
  const TimePoint end = end_time();
  for (std::size_t task = 0; task < waits.size(); ++task) close_wait(task, end);
  buffer += "\n]}\n";
  if (out != nullptr) {
    out->write(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    buffer.clear();
  }
}

std::string Trace::to_chrome_json() const {
  std::string json;
  write_chrome_json_to(json, nullptr);
  return json;
}

void Trace::write_chrome_json(std::ostream& out) const {
  std::string buffer;
  write_chrome_json_to(buffer, &out);
}

void Trace::write_chrome_json(const std::string& path) const {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) {
    const int error = errno;
    throw std::runtime_error(
        fmt::format("Trace::write_chrome_json: cannot open '{}' for writing: {}", path, std::strerror(error)));
  }
  write_chrome_json(out);
  out.flush();
  if (!out) {
    const int error = errno;
    throw std::runtime_error(
        fmt::format("Trace::write_chrome_json: writing '{}' failed: {}", path, std::strerror(error)));
  }
}

}  // namespace simtime::testing

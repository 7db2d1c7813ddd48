// A trace as a text timeline: one row per task, virtual time across.
//
//   timeline 0s .. 10s, 4 tasks (one column: 152ms)
//   task     0s           2500ms             5s            7500ms            10s
//   Task-1   *~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~R  returned at 10s
//   sleep 2  *------------R                                                       returned at 2s
//
// Each cell shows what the task did in that stretch of time, the most telling thing first:
// its end, a mark, a step, then the wait it was in.
#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "simtime/testing/trace.hpp"

namespace simtime::testing {
namespace {

constexpr char step_cell = '*';
constexpr char sleep_cell = '-';
constexpr char wait_cell = '~';
constexpr char runnable_cell = '.';
constexpr char mark_cell = '^';

char end_cell(Outcome outcome) {
  switch (outcome) {
    case Outcome::returned:
      return 'R';
    case Outcome::threw:
      return 'X';
    case Outcome::cancelled:
      return 'C';
    case Outcome::none:
      break;
  }
  return '?';
}

// Higher wins a cell.
int rank(char cell) {
  switch (cell) {
    case 'R':
    case 'X':
    case 'C':
      return 5;
    case mark_cell:
      return 4;
    case step_cell:
      return 3;
    case wait_cell:
    case sleep_cell:
      return 2;
    case runnable_cell:
      return 1;
    default:
      return 0;
  }
}

// "52.9s", "125ms", "1.5us": a column's width, to three significant digits (it is rarely a
// round number, and the cells are approximate anyway; the events' times are exact).
std::string approximately(Duration d) {
  const auto ns = static_cast<double>(d.count());
  if (ns >= 1e9) return fmt::format("{:.3g}s", ns / 1e9);
  if (ns >= 1e6) return fmt::format("{:.3g}ms", ns / 1e6);
  if (ns >= 1e3) return fmt::format("{:.3g}us", ns / 1e3);
  return fmt::format("{}ns", d.count());
}

struct Row {
  std::uint64_t task = 0;
  std::string label;
  std::string cells;
  std::string end;  // "returned at 10s"
  char waiting = ' ';
  TimePoint waiting_since{};
};

}  // namespace

std::string Trace::timeline(std::size_t width) const {
  width = std::max<std::size_t>(width, 60);
  const std::vector<TraceTask> all = tasks();
  if (events_.empty()) return "timeline: no events\n";
  const TimePoint begin = begin_time();
  const TimePoint end = end_time();
  const std::int64_t span = (end - begin).count();

  std::size_t label_width = 4;
  for (const TraceTask& task : all) label_width = std::max(label_width, task.name.size());
  label_width = std::min<std::size_t>(label_width, 16) + 1;
  constexpr std::size_t end_width = 24;  // "  cancelled at 1500ms"
  const std::size_t columns = width - label_width - end_width;

  auto column = [&](TimePoint t) -> std::size_t {
    if (span == 0) return 0;
    return static_cast<std::size_t>(static_cast<__int128>((t - begin).count()) * (columns - 1) / span);
  };
  auto put = [](std::string& cells, std::size_t at, char cell) {
    if (rank(cell) >= rank(cells[at])) cells[at] = cell;
  };
  auto fill = [&](Row& row, TimePoint from, TimePoint to, char cell) {
    for (std::size_t at = column(from); at <= column(to); ++at) put(row.cells, at, cell);
  };

  std::vector<Row> rows(all.size());
  std::vector<std::size_t> row_of(tasks_.size() + 1, static_cast<std::size_t>(-1));
  for (std::size_t i = 0; i < all.size(); ++i) {
    rows[i].task = all[i].id;
    rows[i].label = std::string(all[i].name.substr(0, label_width - 1));
    if (all[i].name.size() > label_width - 1) rows[i].label.back() = '.';
    rows[i].cells.assign(columns, ' ');
    row_of[all[i].id] = i;
  }
  for (std::size_t i = 0; i < events_.size(); ++i) {
    const TraceEvent event = view(i);
    if (event.task == 0 || event.task >= row_of.size() || row_of[event.task] == static_cast<std::size_t>(-1)) {
      continue;
    }
    Row& row = rows[row_of[event.task]];
    switch (event.kind) {
      case EventKind::task_created:
        row.waiting = runnable_cell;
        row.waiting_since = event.time;
        break;
      case EventKind::step_began:
        if (row.waiting != ' ') fill(row, row.waiting_since, event.time, row.waiting);
        row.waiting = ' ';
        put(row.cells, column(event.time), step_cell);
        break;
      case EventKind::step_ended:
        row.waiting = event.deadline ? sleep_cell : event.text.starts_with("nothing") ? runnable_cell : wait_cell;
        row.waiting_since = event.time;
        break;
      case EventKind::task_finished:
        if (row.waiting != ' ') fill(row, row.waiting_since, event.time, row.waiting);
        row.waiting = ' ';
        put(row.cells, column(event.time), end_cell(event.outcome));
        row.end = fmt::format("{} at {}", to_string(event.outcome), format_time(event.time));
        break;
      case EventKind::mark:
        put(row.cells, column(event.time), mark_cell);
        break;
      default:
        break;
    }
  }
  for (Row& row : rows) {
    if (row.waiting != ' ') {
      fill(row, row.waiting_since, end, row.waiting);
      row.end = "unfinished";
    }
  }

  std::string out = fmt::format("timeline {} .. {}, {} task{}", format_time(begin), format_time(end), all.size(),
                                all.size() == 1 ? "" : "s");
  if (span != 0)
    fmt::format_to(std::back_inserter(out), " (one column: {})",
                   approximately(Duration{span / static_cast<std::int64_t>(columns - 1)}));
  out += '\n';
  // The axis: the begin, the end, and up to three times between, each where it falls.
  std::string axis(columns + 8, ' ');
  const std::size_t ticks = span == 0 ? 1 : 5;
  for (std::size_t tick = 0; tick < ticks; ++tick) {
    const TimePoint t = begin + Duration{span == 0 ? 0
                                                   : static_cast<std::int64_t>(static_cast<__int128>(span) *
                                                                               static_cast<std::int64_t>(tick) /
                                                                               static_cast<std::int64_t>(ticks - 1))};
    const std::string text = format_time(t);
    std::size_t at = column(t);
    if (tick + 1 == ticks && at + text.size() > columns) at = columns - std::min(columns, text.size());
    if (tick > 0 && tick + 1 < ticks) at -= std::min(at, text.size() / 2);
    axis.replace(at, text.size(), text);
  }
  axis.resize(columns);
  fmt::format_to(std::back_inserter(out), "{:<{}}{}\n", "task", label_width, axis);
  for (const Row& row : rows) {
    std::string line = fmt::format("{:<{}}{}  {}", row.label, label_width, row.cells, row.end);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line;
    out += '\n';
  }
  out += fmt::format("{} step  {} sleeping  {} waiting  {} runnable  {} mark  R returned  X threw  C cancelled\n",
                     step_cell, sleep_cell, wait_cell, runnable_cell, mark_cell);
  // The marks, wrapped at `width`; a long run's marks stay a paragraph, not a page.
  std::string line = "marks:";
  std::size_t shown = 0;
  std::size_t total = 0;
  constexpr std::size_t most_shown = 24;
  for (std::size_t i = 0; i < events_.size(); ++i) {
    if (static_cast<EventKind>(events_[i].kind) != EventKind::mark) continue;
    ++total;
    if (shown == most_shown) continue;
    ++shown;
    const TraceEvent event = view(i);
    const std::string one = fmt::format(" '{}' at {} in {}", event.text, format_time(event.time),
                                        event.task != 0 ? fmt::format("'{}'", event.task_name) : "no task");
    if (line.size() + one.size() + 1 > width && line.size() > 6) {
      out += line + ",\n";
      line = "      ";
    } else if (shown > 1) {
      line += ',';
    }
    line += one;
  }
  if (total > shown) fmt::format_to(std::back_inserter(line), ", and {} more", total - shown);
  if (total > 0) out += line + '\n';
  return out;
}

}  // namespace simtime::testing

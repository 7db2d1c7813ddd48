#include "simtime/testing/policies.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace simtime::testing {

std::size_t Fifo::choose(const ScheduleChoice&) { return 0; }

std::size_t RandomSchedule::choose(const ScheduleChoice& choice) {
  return static_cast<std::size_t>(random_.below(choice.candidates.size()));
}

Pct::Pct(std::uint64_t seed, int depth, std::uint64_t horizon) : random_(seed) {
  if (depth < 1) throw std::invalid_argument(fmt::format("Pct: depth {} is below 1", depth));
  const std::uint64_t span = std::max<std::uint64_t>(horizon, 1);
  for (int i = 1; i < depth; ++i) change_points_.push_back(random_.below(span));
  std::sort(change_points_.begin(), change_points_.end());
}

std::uint64_t& Pct::priority_of(std::uint64_t task_id) {
  if (task_id >= priorities_.size()) priorities_.resize(task_id + 1, 0);
  std::uint64_t& priority = priorities_[task_id];
  // Fresh priorities sit above every lowered one (those are 1 .. depth - 1).
  if (priority == 0) priority = (random_.next() >> 1) + (std::uint64_t{1} << 62);
  return priority;
}

std::size_t Pct::choose(const ScheduleChoice& choice) {
  const auto highest = [&] {
    std::size_t best = 0;
    for (std::size_t i = 1; i < choice.candidates.size(); ++i) {
      // Ties (vanishingly rare) go to FIFO order.
      if (priority_of(choice.candidates[i]) > priority_of(choice.candidates[best])) best = i;
    }
    return best;
  };
  std::size_t chosen = highest();
  // Several change points may fall on one decision: each lowers the task about to step.
  while (next_change_ < change_points_.size() && change_points_[next_change_] <= choice.decision) {
    ++next_change_;
    priority_of(choice.candidates[chosen]) = change_points_.size() - next_change_ + 1;
    chosen = highest();
  }
  return chosen;
}

std::size_t Guided::choose(const ScheduleChoice& choice) {
  if (choice.decision >= choices_.size()) return 0;
  return choices_[choice.decision] % choice.candidates.size();
}

}  // namespace simtime::testing

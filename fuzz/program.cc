#include "fuzz/program.hpp"

#include <fmt/format.h>

#include <chrono>
#include <iterator>

namespace simtime::fuzz {
namespace {

// How many argument bytes and child bodies each kind takes, indexed by OpKind.
struct OpSpec {
  const char* name;
  int args;
  int children;  // -1: 1 + args[0] % 3 (gather_coros)
};

constexpr OpSpec kOpSpecs[] = {
    {"sleep", 1, 0},          {"yield", 0, 0},
    {"spawn", 1, 1},          {"spawn_sleeper", 1, 0},
    {"cancel", 1, 0},         {"await_task", 1, 0},
    {"wait_for_task", 2, 0},  {"wait_for_coro", 1, 1},
    {"gather_tasks", 5, 0},   {"gather_coros", 1, -1},
    {"shield", 1, 0},         {"task_group", 1, 1},
    {"timeout", 1, 1},        {"raise", 0, 0},
    {"sleep_until", 1, 0},    {"huge_sleep", 2, 0},
    {"group_cancel", 0, 0},   {"event_set", 1, 0},
    {"event_clear", 1, 0},    {"event_wait", 2, 0},
    {"lock_hold", 3, 0},      {"queue_put", 2, 0},
    {"queue_get", 2, 0},      {"queue_shutdown", 1, 0},
    {"semaphore_hold", 3, 0}, {"semaphore_release", 1, 0},
    {"condition_wait", 2, 0}, {"condition_notify", 2, 0},
    {"barrier_wait", 2, 0},   {"barrier_abort", 1, 0},
    {"ordered_queue", 3, 0},
};
static_assert(std::size(kOpSpecs) == static_cast<std::size_t>(OpKind::count), "one OpSpec per OpKind");

const OpSpec& spec_of(OpKind kind) { return kOpSpecs[static_cast<std::size_t>(kind)]; }

class Decoder {
 public:
  explicit Decoder(std::span<const std::uint8_t> input)
      : input_(input.size() > kMaxInputSize ? input.first(kMaxInputSize) : input) {}

  Program decode() {
    program_.bodies.emplace_back();  // main: ops until the input runs out
    while (!exhausted() && ops_left_ > 0) {
      Op op = decode_op(0);
      program_.bodies[0].ops.push_back(std::move(op));
    }
    return std::move(program_);
  }

 private:
  bool exhausted() const { return position_ >= input_.size(); }
  std::uint8_t byte() { return exhausted() ? 0 : input_[position_++]; }

  Op decode_op(int depth) {
    --ops_left_;
    Op op;
    const int code = byte() % kOpcodes;
    op.kind = code < static_cast<int>(OpKind::count) ? static_cast<OpKind>(code) : OpKind::yield;
    const OpSpec& spec = spec_of(op.kind);
    for (int i = 0; i < spec.args; ++i) op.args[static_cast<std::size_t>(i)] = byte();
    const int children = spec.children >= 0 ? spec.children : 1 + op.args[0] % 3;
    for (int i = 0; i < children; ++i) op.children.push_back(decode_body(depth + 1));
    return op;
  }

  int decode_body(int depth) {
    const int index = static_cast<int>(program_.bodies.size());
    program_.bodies.emplace_back();
    if (depth > kMaxDepth) return index;  // too deep: an empty body, reading nothing
    const std::uint8_t header = byte();
    program_.bodies[static_cast<std::size_t>(index)].swallows_cancellation = (header & 0x80) != 0;
    const int count = header & kMaxOpsPerBody;
    for (int i = 0; i < count && !exhausted() && ops_left_ > 0; ++i) {
      Op op = decode_op(depth);  // may add bodies: index, not a reference, across it
      program_.bodies[static_cast<std::size_t>(index)].ops.push_back(std::move(op));
    }
    return index;
  }

  std::span<const std::uint8_t> input_;
  std::size_t position_ = 0;
  int ops_left_ = kMaxOps;
  Program program_;
};

// Which argument of an op is a duration, printed decoded beside it; -1 for none.
int duration_argument(OpKind kind) {
  switch (kind) {
    case OpKind::sleep:
    case OpKind::spawn_sleeper:
    case OpKind::wait_for_coro:
    case OpKind::timeout:
      return 0;
    case OpKind::wait_for_task:
    case OpKind::event_wait:
    case OpKind::lock_hold:
    case OpKind::queue_put:
    case OpKind::queue_get:
    case OpKind::semaphore_hold:
    case OpKind::condition_wait:
    case OpKind::barrier_wait:
    case OpKind::ordered_queue:
      return 1;
    default:
      return -1;
  }
}

void describe_body(const Program& program, int index, int depth, std::string& out) {
  const Body& body = program.bodies[static_cast<std::size_t>(index)];
  const std::string indent(static_cast<std::size_t>(depth) * 2, ' ');
  fmt::format_to(std::back_inserter(out), "{}body {}{}:\n", indent, index,
                 body.swallows_cancellation ? " (swallows CancelledError)" : "");
  for (const Op& op : body.ops) {
    fmt::format_to(std::back_inserter(out), "{}  {}", indent, spec_of(op.kind).name);
    for (int i = 0; i < spec_of(op.kind).args; ++i) {
      fmt::format_to(std::back_inserter(out), " {}", op.args[static_cast<std::size_t>(i)]);
    }
    if (const int at = duration_argument(op.kind); at >= 0) {
      fmt::format_to(std::back_inserter(out), " ({}ns)",
                     decode_duration(op.args[static_cast<std::size_t>(at)]).count());
    }
    out += '\n';
    for (int child : op.children) describe_body(program, child, depth + 2, out);
  }
}

}  // namespace

Program decode(std::span<const std::uint8_t> input) { return Decoder(input).decode(); }

std::string describe(const Program& program) {
  std::string out;
  describe_body(program, 0, 0, out);
  return out;
}

Duration decode_duration(std::uint8_t byte) {
  using namespace std::chrono;
  const int n = byte & 31;
  switch (byte >> 5) {
    case 0:
      return nanoseconds(n);
    case 1:
      return microseconds(n);
    case 2:
      return milliseconds(n);
    case 3:
    case 4:
      return seconds(n);
    case 5:
      return minutes(n);
    case 6:
      return hours(n);
    default:
      return -nanoseconds(n + 1);
  }
}

}  // namespace simtime::fuzz
